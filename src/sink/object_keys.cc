#include "sink/object_keys.h"

#include <cstdio>

#include "base/object_key.h"

namespace pgs3 {

std::string file_extension(const S3Settings& settings) {
  if (settings.data_format == DataFormat::kParquet) return "parquet";
  return settings.compression == Compression::kGzip ? "csv.gz" : "csv";
}

namespace {
// BucketFolder without leading or trailing slashes, followed by one slash ("" when empty).
std::string folder_prefix(const S3Settings& settings) {
  std::string folder = settings.bucket_folder;
  while (!folder.empty() && folder.back() == '/') folder.pop_back();
  while (!folder.empty() && folder.front() == '/') folder.erase(0, 1);
  return folder.empty() ? "" : folder + "/";
}
}  // namespace

std::string transaction_prefix(const S3Settings& settings) { return folder_prefix(settings) + settings.cdc_path + "/"; }

std::string table_prefix(const S3Settings& settings, const std::string& schema, const std::string& table) {
  return folder_prefix(settings) + escape_key_segment(schema) + "/" + escape_key_segment(table) + "/";
}

std::string task_state_prefix(const S3Settings& settings, const std::string& task_id) {
  return folder_prefix(settings) + std::string(kStateFolderName) + "/" + task_id + "/";
}

std::string load_file_name(uint32_t number, const std::string& extension) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "LOAD%08X.", number);  // DMS counts in hexadecimal: ...09, ...0A
  return buf + extension;
}

std::optional<uint32_t> parse_load_file_name(const std::string& name, const std::string& extension) {
  if (name.size() != 4 + 8 + 1 + extension.size() || name.compare(0, 4, "LOAD") != 0) return std::nullopt;
  if (name[12] != '.' || name.compare(13, std::string::npos, extension) != 0) return std::nullopt;
  uint32_t n = 0;
  for (size_t i = 4; i < 12; ++i) {
    char c = name[i];
    uint32_t digit;
    if (c >= '0' && c <= '9')
      digit = static_cast<uint32_t>(c - '0');
    else if (c >= 'A' && c <= 'F')
      digit = static_cast<uint32_t>(c - 'A' + 10);
    else
      return std::nullopt;
    n = n * 16 + digit;
  }
  return n;
}

}  // namespace pgs3
