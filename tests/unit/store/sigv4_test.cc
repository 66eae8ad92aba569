#include "store/sigv4.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace pgs3 {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

// The credentials, date and region of the S3 API Reference's worked examples ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk", section "Examples: Signature Calculations").
AwsCredentials example_credentials() {
  AwsCredentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  return c;
}
const std::chrono::system_clock::time_point kExampleTime = sys_days{std::chrono::year{2013} / 5 / 24};
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SignableRequest example_request(std::string method, std::string path) {
  SignableRequest r;
  r.method = std::move(method);
  r.host = "examplebucket.s3.amazonaws.com";
  r.encoded_path = std::move(path);
  r.payload_sha256_hex = kEmptySha256;
  return r;
}

std::string header_value(const HttpHeaders& headers, const std::string& name) {
  std::string found;
  int count = 0;
  for (const auto& [n, v] : headers) {
    if (n == name) {
      found = v;
      ++count;
    }
  }
  EXPECT_LE(count, 1) << name << " is sent more than once";
  return found;
}

// ---- s3_uri_encode ----

TEST(S3UriEncodeTest, UnreservedCharactersStay) {
  const std::string unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  EXPECT_EQ(s3_uri_encode(unreserved, true), unreserved);
}

TEST(S3UriEncodeTest, ReservedAndSpecialAsciiAreEncodedUpperCase) {
  EXPECT_EQ(s3_uri_encode(" ", true), "%20");
  EXPECT_EQ(s3_uri_encode("+", true), "%2B");
  EXPECT_EQ(s3_uri_encode("=", true), "%3D");
  EXPECT_EQ(s3_uri_encode("%", true), "%25");
  EXPECT_EQ(s3_uri_encode("%2F", true), "%252F") << "already-encoded text is encoded again, not passed through";
  EXPECT_EQ(s3_uri_encode("*", true), "%2A");
  EXPECT_EQ(s3_uri_encode("!'()", true), "%21%27%28%29");
  EXPECT_EQ(s3_uri_encode("$&,:;?@[]#\"<>\\^`{|}", true),
            "%24%26%2C%3A%3B%3F%40%5B%5D%23%22%3C%3E%5C%5E%60%7B%7C%7D");
}

TEST(S3UriEncodeTest, SlashStaysOnlyInPaths) {
  EXPECT_EQ(s3_uri_encode("a/b//c/", false), "a/b//c/");
  EXPECT_EQ(s3_uri_encode("a/b//c/", true), "a%2Fb%2F%2Fc%2F");
  EXPECT_EQ(s3_uri_encode("./../x", false), "./../x") << "dot segments are not S3's business to resolve";
}

TEST(S3UriEncodeTest, Utf8BytesAreEncodedOneByOne) {
  EXPECT_EQ(s3_uri_encode("é", true), "%C3%A9");
  EXPECT_EQ(s3_uri_encode("日本", true), "%E6%97%A5%E6%9C%AC");
  EXPECT_EQ(s3_uri_encode("\xF0\x9F\x98\x80", true), "%F0%9F%98%80");  // U+1F600
  EXPECT_EQ(s3_uri_encode("Sales Data/Order Items/LOAD00000001.parquet", false),
            "Sales%20Data/Order%20Items/LOAD00000001.parquet");
}

TEST(S3UriEncodeTest, ControlAndHighBytesAreEncoded) {
  EXPECT_EQ(s3_uri_encode(std::string("\x00\x01\x1f\x7f\x80\xff", 6), true), "%00%01%1F%7F%80%FF");
  EXPECT_EQ(s3_uri_encode("\t\n\r", false), "%09%0A%0D");
  EXPECT_EQ(s3_uri_encode("", true), "");
}

TEST(SigV4Test, Sha256HexIsLowerCase) {
  EXPECT_EQ(sha256_hex(""), kEmptySha256);
  EXPECT_EQ(sha256_hex("Welcome to Amazon S3."), "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

// ---- canonical query ----

TEST(SigV4Test, QueryIsEncodedAndSortedByEncodedNameThenValue) {
  SignableRequest r = example_request("GET", "/");
  r.query = {{"prefix", "a b"},
             {"list-type", "2"},
             {"continuation-token", "1+/=x"},
             {"uploads", ""},
             {"a", "2"},
             {"a", "10"}};
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_query, "a=10&a=2&continuation-token=1%2B%2F%3Dx&list-type=2&prefix=a%20b&uploads=");
  EXPECT_NE(s.canonical_request.find("\n/\na=10&a=2&continuation-token=1%2B%2F%3Dx&list-type=2&prefix=a%20b&uploads=\n"),
            std::string::npos)
      << s.canonical_request;
}

TEST(SigV4Test, QuerySortUsesTheEncodedFormNotTheRawOne) {
  // Raw bytes sort '~' (0x7E) before 'é' (0xC3); encoded, "%C3%A9" sorts before "~". Same for values.
  SignableRequest r = example_request("GET", "/");
  r.query = {{"~", "v"}, {"\xC3\xA9", "v"}, {"k", "~"}, {"k", "\xC3\xA9"}};
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_query, "%C3%A9=v&k=%C3%A9&k=~&~=v");
}

TEST(SigV4Test, NoQueryGivesAnEmptyLine) {
  const SignedRequest s = sign_v4(example_request("GET", "/k"), example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_query, "");
  EXPECT_EQ(s.canonical_request.rfind("GET\n/k\n\nhost:", 0), 0u) << s.canonical_request;
}

// ---- canonical headers ----

TEST(SigV4Test, HeaderValuesAreTrimmedAndInnerWhiteSpaceCollapsed) {
  SignableRequest r = example_request("PUT", "/k");
  r.headers = {{"X-Amz-Meta-Note", "   a   b \t c  "}, {"Content-Type", "\ttext/csv; charset=utf-8 "}};
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_NE(s.canonical_request.find("\ncontent-type:text/csv; charset=utf-8\n"), std::string::npos)
      << s.canonical_request;
  EXPECT_NE(s.canonical_request.find("\nx-amz-meta-note:a b c\n"), std::string::npos) << s.canonical_request;
  // The headers sent keep their original form: only the signature's copy is canonical.
  EXPECT_EQ(header_value(s.headers, "X-Amz-Meta-Note"), "   a   b \t c  ");
}

TEST(SigV4Test, HeaderNamesAreLowerCasedSortedAndListedInSignedHeaders) {
  SignableRequest r = example_request("PUT", "/k");
  r.headers = {{"X-Amz-Tagging", "a=1&b=2"}, {"Content-Type", "application/xml"}, {"x-amz-acl", "private"}};
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_request,
            "PUT\n/k\n\n"
            "content-type:application/xml\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-acl:private\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n"
            "x-amz-tagging:a=1&b=2\n"
            "\n"
            "content-type;host;x-amz-acl;x-amz-content-sha256;x-amz-date;x-amz-tagging\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4Test, RepeatedHeaderValuesAreJoinedWithCommasInOrder) {
  SignableRequest r = example_request("GET", "/k");
  r.headers = {{"My-Header1", "value2"}, {"my-header1", " value2 "}, {"MY-HEADER1", "value1"}};
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_NE(s.canonical_request.find("\nmy-header1:value2,value2,value1\n"), std::string::npos) << s.canonical_request;
  EXPECT_NE(s.canonical_request.find("\nhost;my-header1;x-amz-content-sha256;x-amz-date\n"), std::string::npos)
      << s.canonical_request;
}

TEST(SigV4Test, CallerCopiesOfGeneratedHeadersAreReplaced) {
  SignableRequest r = example_request("GET", "/k");
  r.host = "127.0.0.1:9000";
  r.headers = {{"host", "wrong"}, {"X-Amz-Date", "19700101T000000Z"}, {"Authorization", "stale"}};
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_NE(s.canonical_request.find("\nhost:127.0.0.1:9000\n"), std::string::npos) << s.canonical_request;
  EXPECT_EQ(s.canonical_request.find("wrong"), std::string::npos);
  EXPECT_EQ(s.canonical_request.find("19700101"), std::string::npos);
  ASSERT_EQ(s.headers.size(), 4u);
  EXPECT_EQ(header_value(s.headers, "Host"), "127.0.0.1:9000");
  EXPECT_EQ(header_value(s.headers, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(header_value(s.headers, "x-amz-content-sha256"), kEmptySha256);
  EXPECT_EQ(header_value(s.headers, "Authorization").rfind("AWS4-HMAC-SHA256 Credential=", 0), 0u);
}

TEST(SigV4Test, SessionTokenIsSentAndSigned) {
  AwsCredentials c = example_credentials();
  c.session_token = "FwoGZXIvYXdzE//token+with/specials=";
  SignableRequest r = example_request("GET", "/k");
  const SignedRequest with_token = sign_v4(r, c, "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(header_value(with_token.headers, "x-amz-security-token"), c.session_token);
  EXPECT_NE(with_token.canonical_request.find("\nx-amz-security-token:FwoGZXIvYXdzE//token+with/specials=\n"),
            std::string::npos);
  EXPECT_NE(with_token.canonical_request.find("\nhost;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"),
            std::string::npos);

  const SignedRequest without = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(header_value(without.headers, "x-amz-security-token"), "");
  EXPECT_EQ(without.canonical_request.find("x-amz-security-token"), std::string::npos);
  EXPECT_NE(with_token.signature, without.signature);
}

TEST(SigV4Test, UnsignedPayloadIsSignedLiterally) {
  SignableRequest r = example_request("PUT", "/k");
  r.payload_sha256_hex = std::string(kUnsignedPayload);
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(header_value(s.headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(s.canonical_request.ends_with("\nUNSIGNED-PAYLOAD")) << s.canonical_request;
}

TEST(SigV4Test, DateScopeAndRegionComeFromTheArguments) {
  const auto t = sys_days{std::chrono::year{2026} / 11 / 30} + 10h + 15min + 7s + 999ms;
  const SignedRequest s = sign_v4(example_request("GET", "/k"), example_credentials(), "eu-west-1", "s3", t);
  EXPECT_EQ(header_value(s.headers, "x-amz-date"), "20261130T101507Z");
  EXPECT_EQ(s.string_to_sign.rfind("AWS4-HMAC-SHA256\n20261130T101507Z\n20261130/eu-west-1/s3/aws4_request\n", 0), 0u)
      << s.string_to_sign;
  EXPECT_NE(header_value(s.headers, "Authorization").find("/20261130/eu-west-1/s3/aws4_request,"), std::string::npos);
}

TEST(SigV4Test, CanonicalRequestAndStringToSignHoldNoSecret) {
  AwsCredentials c = example_credentials();
  const SignedRequest s = sign_v4(example_request("GET", "/k"), c, "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_request.find(c.secret_access_key), std::string::npos);
  EXPECT_EQ(s.string_to_sign.find(c.secret_access_key), std::string::npos);
  for (const auto& [name, value] : s.headers) EXPECT_EQ(value.find(c.secret_access_key), std::string::npos) << name;
}

// ---- The S3 API Reference's worked examples (signed payload, single chunk) ----

TEST(SigV4AwsExampleTest, GetObjectWithRange) {
  SignableRequest r = example_request("GET", "/test.txt");
  r.headers = {{"Range", "bytes=0-9"}};
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n"
            "\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header_value(s.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4AwsExampleTest, PutObjectWithStorageClass) {
  const std::string path = "/" + s3_uri_encode("test$file.text", false);
  EXPECT_EQ(path, "/test%24file.text");
  SignableRequest r = example_request("PUT", path);
  r.headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  r.payload_sha256_hex = sha256_hex("Welcome to Amazon S3.");
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_request,
            "PUT\n/test%24file.text\n\n"
            "date:Fri, 24 May 2013 00:00:00 GMT\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
            "x-amz-date:20130524T000000Z\n"
            "x-amz-storage-class:REDUCED_REDUNDANCY\n"
            "\n"
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  EXPECT_EQ(header_value(s.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4AwsExampleTest, GetBucketLifecycle) {
  SignableRequest r = example_request("GET", "/");
  r.query = {{"lifecycle", ""}};
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_query, "lifecycle=");
  EXPECT_EQ(s.canonical_request,
            "GET\n/\nlifecycle=\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n"
            "\n"
            "host;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  EXPECT_EQ(header_value(s.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4AwsExampleTest, ListObjectsWithMaxKeysAndPrefix) {
  SignableRequest r = example_request("GET", "/");
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // given unsorted on purpose
  const SignedRequest s = sign_v4(r, example_credentials(), "us-east-1", "s3", kExampleTime);
  EXPECT_EQ(s.canonical_query, "max-keys=2&prefix=J");
  EXPECT_EQ(s.canonical_request,
            "GET\n/\nmax-keys=2&prefix=J\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n"
            "\n"
            "host;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  EXPECT_EQ(header_value(s.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

}  // namespace
}  // namespace pgs3
