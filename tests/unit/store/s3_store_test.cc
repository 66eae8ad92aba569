#include "store/s3_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "loopback_http_server.h"

namespace pgs3 {
namespace {

using test_support::LoopbackHttpServer;
using Response = LoopbackHttpServer::Response;

TEST(S3TaggingHeader, PercentEncodesKeysAndValues) {
  EXPECT_EQ(s3_tagging_header({}), "");
  EXPECT_EQ(s3_tagging_header({{"k", "v"}}), "k=v");
  EXPECT_EQ(s3_tagging_header({{"a&b", "c=d"}, {"sp ace", "x+y/z"}}), "a%26b=c%3Dd&sp%20ace=x%2By%2Fz");
  EXPECT_EQ(s3_tagging_header({{"ünï", "한"}}), "%C3%BCn%C3%AF=%ED%95%9C");
  EXPECT_EQ(s3_tagging_header({{"Az09-._~", ":@"}}), "Az09-._~=%3A%40");
}

// A minimal multipart responder: counts calls by operation; `fail_part` makes that part number answer 403.
struct MultipartServer {
  explicit MultipartServer(int fail_part = 0)
      : server([this, fail_part](const LoopbackHttpServer::Request& r) -> Response {
          const std::string& t = r.target;
          if (r.method == "POST" && t.find("?uploads") != std::string::npos) {
            ++creates;
            return {200, {}, "<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>"};
          }
          if (r.method == "PUT" && t.find("partNumber=") != std::string::npos) {
            ++parts;
            if (fail_part != 0 && t.find("partNumber=" + std::to_string(fail_part) + "&") != std::string::npos) {
              return {403, {}, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"};
            }
            return {200, {{"ETag", "\"p" + std::to_string(parts.load()) + "\""}}, ""};
          }
          if (r.method == "POST" && t.find("uploadId=U1") != std::string::npos) {
            ++completes;
            return {200, {}, "<CompleteMultipartUploadResult/>"};
          }
          if (r.method == "DELETE" && t.find("uploadId=U1") != std::string::npos) {
            ++aborts;
            return {204, {}, ""};
          }
          if (r.method == "PUT") {
            ++puts;
            return {200, {{"ETag", "\"s\""}}, ""};
          }
          return {400, {}, "<Error><Code>Unexpected</Code></Error>"};
        }) {}

  std::unique_ptr<S3Store> open_store() {
    S3StoreConfig config;
    config.client.endpoint_url = server.url();
    config.client.bucket = "lake";
    config.part_size = 5 * 1024 * 1024;
    config.retry.max_attempts = 1;
    auto env = [](const std::string& name) -> std::optional<std::string> {
      static const std::map<std::string, std::string> vars = {{"AWS_ACCESS_KEY_ID", "AKID"},
                                                               {"AWS_SECRET_ACCESS_KEY", "secret"}};
      auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    auto store = S3Store::open(config, env);
    EXPECT_TRUE(store.is_ok()) << store.status().message();
    return std::move(store).value();
  }

  std::atomic<int> creates{0}, parts{0}, completes{0}, aborts{0}, puts{0};
  LoopbackHttpServer server;
};

TEST(S3Store, SmallObjectIsOnePutAtCommit) {
  MultipartServer s;
  auto store = s.open_store();
  auto writer = store->create("t/LOAD00000001.csv");
  ASSERT_TRUE(writer.is_ok());
  ASSERT_TRUE((*writer)->append("a,b\n").is_ok());
  EXPECT_EQ(s.puts.load(), 0) << "nothing is sent before commit";
  ASSERT_TRUE((*writer)->commit().is_ok());
  EXPECT_EQ(s.puts.load(), 1);
  EXPECT_EQ(s.creates.load(), 0);
}

TEST(S3Store, LargeObjectSendsPartsWhileBeingWrittenAndCompletesAtCommit) {
  MultipartServer s;
  auto store = s.open_store();
  auto writer = store->create("t/LOAD00000001.parquet");
  ASSERT_TRUE(writer.is_ok());
  const std::string mib(1024 * 1024, 'x');
  for (int i = 0; i < 12; ++i) ASSERT_TRUE((*writer)->append(mib).is_ok());
  EXPECT_EQ(s.parts.load(), 2) << "two full 5 MiB parts are sent before commit";
  ASSERT_TRUE((*writer)->commit().is_ok());
  EXPECT_EQ(s.parts.load(), 3);
  EXPECT_EQ(s.completes.load(), 1);
  EXPECT_EQ(s.aborts.load(), 0);
  EXPECT_EQ((*writer)->position(), 12u * 1024 * 1024);
}

TEST(S3Store, FailedPartAbortsTheUpload) {
  MultipartServer s(/*fail_part=*/2);
  auto store = s.open_store();
  auto writer = store->create("t/LOAD00000001.parquet");
  ASSERT_TRUE(writer.is_ok());
  const std::string mib(1024 * 1024, 'x');
  Status last;
  for (int i = 0; i < 12 && last.is_ok(); ++i) last = (*writer)->append(mib);
  ASSERT_FALSE(last.is_ok());
  EXPECT_NE(last.message().find("s3:PutObject"), std::string::npos) << last.message();
  EXPECT_EQ(s.aborts.load(), 1);
  EXPECT_EQ(s.completes.load(), 0);
}

TEST(S3Store, WriterDestroyedWithoutCommitAbortsTheUpload) {
  MultipartServer s;
  auto store = s.open_store();
  {
    auto writer = store->create("t/LOAD00000001.parquet");
    ASSERT_TRUE(writer.is_ok());
    ASSERT_TRUE((*writer)->append(std::string(6 * 1024 * 1024, 'x')).is_ok());
  }
  EXPECT_EQ(s.parts.load(), 1);
  EXPECT_EQ(s.aborts.load(), 1);
  EXPECT_EQ(s.completes.load(), 0);
}

}  // namespace
}  // namespace pgs3
