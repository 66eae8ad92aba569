// S3Client against a scripted loopback server: what is sent (paths, queries, headers), which answers are retried,
// and the messages of the failures that are not.
#include "store/s3_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "loopback_http_server.h"
#include "store/sigv4.h"

namespace pgs3 {
namespace {

using test_support::LoopbackHttpServer;
using Response = LoopbackHttpServer::Response;

class FixedCredentials final : public CredentialsProvider {
 public:
  Result<AwsCredentials> get() override {
    return AwsCredentials{"AKIDEXAMPLE", "very-secret-key", "", std::nullopt, "test"};
  }
};

Response error(int status, const std::string& code, const std::string& extra = "") {
  return Response{status, {{"Content-Type", "application/xml"}},
                  "<Error><Code>" + code + "</Code><Message>m</Message>" + extra + "</Error>"};
}

struct Fixture {
  explicit Fixture(LoopbackHttpServer::Handler handler, S3ClientOptions options = {})
      : server(std::move(handler)),
        http(http_options()),
        retry(retry_options()),
        client(with_endpoint(std::move(options), server.url()), http, credentials, retry) {}

  static HttpClientOptions http_options() {
    HttpClientOptions o;
    o.stall_timeout = std::chrono::milliseconds(2000);
    return o;
  }
  static RetryPolicyOptions retry_options() {
    RetryPolicyOptions o;
    o.max_attempts = 4;
    o.base_delay = std::chrono::milliseconds(1);
    o.max_delay = std::chrono::milliseconds(5);
    return o;
  }
  static S3ClientOptions with_endpoint(S3ClientOptions o, const std::string& url) {
    o.endpoint_url = url;
    if (o.bucket.empty()) o.bucket = "lake";
    o.region = "eu-west-1";
    return o;
  }

  LoopbackHttpServer server;
  HttpClient http;
  FixedCredentials credentials;
  RetryPolicy retry;
  S3Client client;
};

TEST(S3Client, PutObjectSendsSignedPathStyleRequestWithSettingsHeaders) {
  Fixture f([](const auto&) { return Response{200, {{"ETag", "\"abc\""}}, ""}; });
  S3PutOptions put;
  put.server_side_encryption = "aws:kms";
  put.kms_key_id = "key-1";
  put.canned_acl = "bucket-owner-full-control";
  put.tagging = "a=b";
  put.metadata = {{"pgs3-position", "0/16B6C50"}};
  auto etag = f.client.put_object("raw/Sales Data/é+x.parquet", "bytes", put);
  ASSERT_TRUE(etag.is_ok()) << etag.status().message();
  EXPECT_EQ(*etag, "\"abc\"");
  auto requests = f.server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "/lake/raw/Sales%20Data/%C3%A9%2Bx.parquet");
  EXPECT_EQ(r.body, "bytes");
  EXPECT_EQ(r.header("x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(r.header("x-amz-server-side-encryption-aws-kms-key-id"), "key-1");
  EXPECT_EQ(r.header("x-amz-acl"), "bucket-owner-full-control");
  EXPECT_EQ(r.header("x-amz-tagging"), "a=b");
  EXPECT_EQ(r.header("x-amz-meta-pgs3-position"), "0/16B6C50");
  EXPECT_EQ(r.header("x-amz-content-sha256"), sha256_hex("bytes"));
  ASSERT_TRUE(r.header("authorization").has_value());
  EXPECT_NE(r.header("authorization")->find("Credential=AKIDEXAMPLE/"), std::string::npos);
  EXPECT_NE(r.header("authorization")->find("/eu-west-1/s3/aws4_request"), std::string::npos);
}

TEST(S3Client, ExpectedBucketOwnerIsSentOnEveryRequest) {
  S3ClientOptions o;
  o.expected_bucket_owner = "111122223333";
  Fixture f([](const auto&) { return Response{200, {}, ""}; }, o);
  ASSERT_TRUE(f.client.delete_object("k").is_ok());
  EXPECT_EQ(f.server.requests().at(0).header("x-amz-expected-bucket-owner"), "111122223333");
}

TEST(S3Client, ListObjectsFollowsContinuationTokens) {
  Fixture f([](const LoopbackHttpServer::Request& r) {
    const bool second = r.target.find("continuation-token=t%2B1%2F%3D") != std::string::npos;
    std::string body = "<ListBucketResult>";
    body += second ? "<Contents><Key>p/c</Key><Size>3</Size></Contents><IsTruncated>false</IsTruncated>"
                   : "<Contents><Key>p/a</Key><Size>1</Size></Contents><Contents><Key>p/b</Key><Size>2</Size>"
                     "</Contents><IsTruncated>true</IsTruncated><NextContinuationToken>t+1/=</NextContinuationToken>";
    return Response{200, {}, body + "</ListBucketResult>"};
  });
  auto list = f.client.list_objects("p/");
  ASSERT_TRUE(list.is_ok()) << list.status().message();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[2].key, "p/c");
  EXPECT_EQ((*list)[2].size, 3u);
  auto requests = f.server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/lake?list-type=2&prefix=p%2F");
}

TEST(S3Client, SlowDownAndServerErrorsAreRetriedThenSucceed) {
  std::atomic<int> calls{0};
  Fixture f([&](const auto&) {
    int n = ++calls;
    if (n == 1) return error(503, "SlowDown");
    if (n == 2) return error(500, "InternalError");
    return Response{200, {{"ETag", "\"e\""}}, ""};
  });
  auto etag = f.client.put_object("k", "x", {});
  ASSERT_TRUE(etag.is_ok()) << etag.status().message();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(f.retry.retries(RetryCause::kThrottled), 1u);
  EXPECT_EQ(f.retry.retries(RetryCause::kServerError), 1u);
}

TEST(S3Client, RetriesStopAfterMaxAttemptsWithTheLastError) {
  std::atomic<int> calls{0};
  Fixture f([&](const auto&) {
    ++calls;
    return error(503, "SlowDown");
  });
  auto r = f.client.put_object("k", "x", {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls.load(), 4);
  EXPECT_NE(r.status().message().find("after 4 attempts"), std::string::npos) << r.status().message();
}

TEST(S3Client, GivingUpEndsTheRetryWaitAndMakesNoFurtherAttempt) {
  std::atomic<int> calls{0};
  std::atomic<bool> stopping{false};
  LoopbackHttpServer server([&](const auto&) {
    ++calls;
    return error(503, "SlowDown");
  });
  HttpClient http(Fixture::http_options());
  FixedCredentials credentials;
  RetryPolicyOptions retry_options;
  retry_options.max_attempts = 8;
  retry_options.base_delay = std::chrono::seconds(20);  // every wait is long: only giving up can end it early
  retry_options.max_delay = std::chrono::seconds(20);
  retry_options.give_up = [&stopping] { return stopping.load(); };
  RetryPolicy retry(retry_options);
  S3Client client(Fixture::with_endpoint({}, server.url()), http, credentials, retry);
  std::thread stop([&] {
    while (calls.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stopping = true;
  });
  auto r = client.put_object("k", "x", {});
  stop.join();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_NE(r.status().message().find("given up because the task is stopping"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("SlowDown"), std::string::npos) << r.status().message();
  // Either the first wait was cut short (1 call) or it happened to draw a short delay (2): never all 8 attempts.
  EXPECT_LE(calls.load(), 2);

  // Once giving up, a failed request is not retried at all.
  calls = 0;
  auto again = client.put_object("k", "x", {});
  EXPECT_EQ(again.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(calls.load(), 1);
}

TEST(S3Client, AccessDeniedIsNotRetriedAndNamesThePermission) {
  std::atomic<int> calls{0};
  Fixture f([&](const auto&) {
    ++calls;
    return error(403, "AccessDenied");
  });
  auto r = f.client.put_object("raw/t/LOAD00000001.csv", "x", {});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(r.status().code(), StatusCode::kBadInput);
  EXPECT_NE(r.status().message().find("s3:PutObject on s3://lake/raw/t/LOAD00000001.csv"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find("very-secret-key"), std::string::npos);
}

TEST(S3Client, WrongRegionNamesTheBucketsRegion) {
  Fixture f([](const auto&) { return error(400, "AuthorizationHeaderMalformed", "<Region>ap-south-1</Region>"); });
  auto r = f.client.get_object("k");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("set target.region to \"ap-south-1\""), std::string::npos)
      << r.status().message();
}

TEST(S3Client, MissingObjectIsAnAnswerNotAnError) {
  Fixture f([](const auto&) { return error(404, "NoSuchKey"); });
  auto r = f.client.get_object("k");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_FALSE(r->has_value());
}

TEST(S3Client, CompleteMultipartUploadErrorInsideA200IsRetried) {
  std::atomic<int> calls{0};
  Fixture f([&](const auto&) {
    if (++calls == 1) return Response{200, {}, "<Error><Code>InternalError</Code><Message>m</Message></Error>"};
    return Response{200, {}, "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>"};
  });
  Status s = f.client.complete_multipart_upload("k", "u1", {{1, "\"a\""}, {2, "\"b\""}}, 10);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(calls.load(), 2);
  const auto r = f.server.requests().at(0);
  EXPECT_EQ(r.target, "/lake/k?uploadId=u1");
  EXPECT_NE(r.body.find("<Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part>"), std::string::npos);
}

// Part ETags of two parts (the MD5s of "a" and "b") and the multipart ETag S3 gives them: the MD5 of the two binary
// MD5s, then "-2" (computed apart, with Python's hashlib).
const std::vector<S3CompletedPart> kTwoParts = {{1, "\"0cc175b9c0f1b6a831c399e269772661\""},
                                                {2, "\"92eb5ffee6ae2fec3ad71c777531578f\""}};
constexpr const char kTwoPartsEtag[] = "\"96e024ba2074fe77e8e965ba43a704be-2\"";

// The first Complete is processed but its answer is lost (the connection closes without a reply); the retry is
// answered NoSuchUpload. The object with the expected size and multipart ETag is the upload's, completed by the first
// attempt; another object, or none, leaves the error.
TEST(S3Client, CompleteWhoseAnswerWasLostIsRecognisedByTheObjectsSizeAndEtag) {
  struct Case {
    size_t size;
    const char* etag;
    bool ok;
  };
  for (const Case& c : {Case{2, kTwoPartsEtag, true}, Case{3, kTwoPartsEtag, false},
                        Case{2, "\"96e024ba2074fe77e8e965ba43a704be-3\"", false}}) {
    std::atomic<int> posts{0};
    Fixture f([&c, &posts](const auto& r) {
      if (r.method == "POST") {
        if (++posts == 1) {
          Response lost{200, {}, ""};
          lost.behavior = LoopbackHttpServer::Behavior::kCloseWithoutReply;
          return lost;
        }
        return error(404, "NoSuchUpload");
      }
      // HEAD: the server sends the Content-Length of this body, and no body.
      return Response{200, {{"ETag", c.etag}}, std::string(c.size, 'x')};
    });
    Status s = f.client.complete_multipart_upload("k", "u1", kTwoParts, 2);
    EXPECT_EQ(s.is_ok(), c.ok) << c.size << " " << c.etag << ": " << s.message();
    if (!c.ok) {
      EXPECT_NE(s.message().find("NoSuchUpload"), std::string::npos) << s.message();
    }
    EXPECT_EQ(posts.load(), 2);
  }
  Fixture gone([](const auto& r) { return r.method == "POST" ? error(404, "NoSuchUpload") : Response{404, {}, ""}; });
  EXPECT_FALSE(gone.client.complete_multipart_upload("k", "u1", kTwoParts, 2).is_ok());
}

// A listing whose Size is not a byte count (or a HEAD answer whose Content-Length is not) is an error naming the
// object, not an exception that ends the process.
TEST(S3Client, MalformedSizesInAnswersAreErrorsNotCrashes) {
  for (const char* size : {"12x", "-1", "", "184467440737095516160"}) {
    Fixture f([size](const auto&) {
      return Response{200, {},
                      std::string("<ListBucketResult><Contents><Key>a</Key><Size>") + size +
                          "</Size></Contents><IsTruncated>false</IsTruncated></ListBucketResult>"};
    });
    auto listed = f.client.list_objects("");
    ASSERT_FALSE(listed.is_ok()) << size;
    EXPECT_NE(listed.status().message().find("\"a\" a Size that is not a byte count"), std::string::npos)
        << listed.status().message();
  }
  Fixture ok([](const auto&) {
    return Response{200, {},
                    "<ListBucketResult><Contents><Key>a</Key><Size>42</Size></Contents>"
                    "<IsTruncated>false</IsTruncated></ListBucketResult>"};
  });
  auto listed = ok.client.list_objects("");
  ASSERT_TRUE(listed.is_ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size, 42u);
}

TEST(S3Client, DeleteObjectsSendsContentMd5AndReportsRefusedKeys) {
  Fixture f([](const auto&) {
    return Response{200, {}, "<DeleteResult><Error><Key>a&amp;b</Key><Code>AccessDenied</Code></Error></DeleteResult>"};
  });
  Status s = f.client.delete_objects({"a&b", "c"});
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("s3://lake/a&b"), std::string::npos) << s.message();
  const auto r = f.server.requests().at(0);
  EXPECT_EQ(r.target, "/lake?delete=");
  EXPECT_TRUE(r.header("content-md5").has_value());
  EXPECT_NE(r.body.find("<Key>a&amp;b</Key>"), std::string::npos);
}

TEST(S3Client, HeadBucketRefusalIsExplainedWithTheErrorCodeOfAGet) {
  Fixture f([](const LoopbackHttpServer::Request& r) {
    if (r.method == "HEAD") return Response{403, {}, ""};
    return error(403, "SignatureDoesNotMatch");
  });
  auto region = f.client.head_bucket();
  ASSERT_FALSE(region.is_ok());
  EXPECT_NE(region.status().message().find("SignatureDoesNotMatch"), std::string::npos) << region.status().message();
}

}  // namespace
}  // namespace pgs3
