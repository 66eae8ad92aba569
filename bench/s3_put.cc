// pgs3_s3_put: uploads one local file through pgs3's S3 store, for bench/s3_upload_bench.sh.
//
//   pgs3_s3_put --endpoint URL --region R --bucket B --key K --file F [--part-size MiB | --single]
//
// Credentials come from the standard chain (store/aws_credentials.h). The file is streamed into the object writer
// in 1 MiB appends, as the encoders do, so a multipart upload sends parts while the file is still being read.
// Prints one line: bytes, seconds, MB/s.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "store/s3_store.h"

using namespace pgs3;

int main(int argc, char** argv) {
  S3StoreConfig config;
  config.client.addressing = S3Addressing::kPath;
  std::string key, file;
  bool single = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--endpoint") config.client.endpoint_url = next();
    else if (a == "--region") config.client.region = next();
    else if (a == "--bucket") config.client.bucket = next();
    else if (a == "--key") key = next();
    else if (a == "--file") file = next();
    else if (a == "--part-size") config.part_size = std::stoull(next()) << 20;
    else if (a == "--single") single = true;
    else {
      std::fprintf(stderr, "pgs3_s3_put: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) {
    std::fprintf(stderr, "pgs3_s3_put: cannot read %s\n", file.c_str());
    return 2;
  }
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  // One PutObject: the part size is above the file size, so the writer never starts a multipart upload.
  if (single) config.part_size = size + 1;
  auto store = S3Store::open(config);
  if (!store.is_ok()) {
    std::fprintf(stderr, "pgs3_s3_put: %s\n", store.status().message().c_str());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  auto writer = (*store)->create(key);
  if (!writer.is_ok()) return 1;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    Status s = (*writer)->append(std::string_view(buf.data(), static_cast<size_t>(n)));
    if (!s.is_ok()) {
      std::fprintf(stderr, "pgs3_s3_put: %s\n", s.message().c_str());
      return 1;
    }
  }
  Status s = (*writer)->commit();
  if (!s.is_ok()) {
    std::fprintf(stderr, "pgs3_s3_put: %s\n", s.message().c_str());
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%llu bytes in %.3f s: %.1f MB/s\n", static_cast<unsigned long long>(size), secs, size / secs / 1e6);
  return 0;
}
