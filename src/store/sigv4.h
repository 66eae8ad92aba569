// AWS Signature Version 4 for S3 requests, header-based (Authorization header), signed in our own code.
//
// The request is described by its parts, not by a URL, so the canonical request is built from exactly what will be
// sent: `encoded_path` is the request path already percent-encoded by s3_uri_encode(key, /*encode_slash=*/false) and
// used verbatim as the canonical URI (S3 does not normalize or double-encode paths, unlike other services); query
// parameters are raw and encoded here, sorted by encoded name then value (libcurl's --aws-sigv4 does not sort them).
// All headers passed in are signed, plus host, x-amz-date, x-amz-content-sha256 and x-amz-security-token.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/aws_credential_value.h"
#include "store/http_client.h"

namespace pgs3 {

// RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) stay; every other byte becomes %XX (upper-case hex); '/'
// stays when !encode_slash. This is S3's UriEncode().
std::string s3_uri_encode(std::string_view s, bool encode_slash);
std::string sha256_hex(std::string_view data);
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct SignableRequest {
  std::string method;
  std::string host;          // the Host header: host, or host:port when the port is not the scheme's default
  std::string encoded_path;  // "/bucket/some%20key" (path-style) or "/some%20key" (virtual-hosted)
  std::vector<std::pair<std::string, std::string>> query;  // raw names and values; "" value for "?uploads"
  HttpHeaders headers;             // extra headers to sign and send (content-type, x-amz-*, ...)
  std::string payload_sha256_hex;  // sha256_hex(body), or kUnsignedPayload
};

struct SignedRequest {
  std::string canonical_request;  // for tests and debugging; holds no secret
  std::string string_to_sign;
  std::string signature;  // lower-case hex
  // The headers to send: the request's own plus host, x-amz-date, x-amz-content-sha256, [x-amz-security-token],
  // authorization.
  HttpHeaders headers;
  std::string canonical_query;  // the encoded, sorted query string, to append to the URL after '?'
};

SignedRequest sign_v4(const SignableRequest& request, const AwsCredentials& credentials, const std::string& region,
                      const std::string& service, std::chrono::system_clock::time_point now);

}  // namespace pgs3
