// AWS Signature Version 4, as S3 defines it in "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk" (Amazon S3 API Reference). Differences from the generic SigV4 of other services, all
// on purpose: the canonical URI is the path exactly as sent (no dot-segment or '//' normalization, no second
// encoding), and x-amz-content-sha256 is always sent and signed.
#include "store/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgs3 {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";
constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string to_hex_lower(const unsigned char* data, size_t size) {
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHexLower[data[i] >> 4]);
    out.push_back(kHexLower[data[i] & 0x0f]);
  }
  return out;
}

using Digest = std::vector<unsigned char>;

Digest hmac_sha256(const Digest& key, std::string_view data) {
  Digest out(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out.data(), &size);
  // HMAC fails only when OpenSSL cannot allocate or has no SHA-256, which no supported build lacks.
  assert(result != nullptr && size == SHA256_DIGEST_LENGTH);
  (void)result;
  out.resize(size);
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_header_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// SigV4 "Trimall": no leading or trailing white space, and each inner run of it becomes one space (a folded value's
// line breaks count as white space too, as in the AWS test suite's get-header-value-multiline).
std::string trim_all(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_header_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// "20261130T101500Z" for the instant, in UTC.
std::string amz_date(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(now);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// Headers that sign_v4 computes itself; a caller's own copy is replaced rather than sent twice.
bool is_generated_header(const std::string& lower_name) {
  return lower_name == "host" || lower_name == "x-amz-date" || lower_name == "x-amz-content-sha256" ||
         lower_name == "x-amz-security-token" || lower_name == "authorization";
}

}  // namespace

std::string s3_uri_encode(std::string_view s, bool encode_slash) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0x0f]);
    }
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  assert(ok == 1 && size == SHA256_DIGEST_LENGTH);
  (void)ok;
  return to_hex_lower(digest, size);
}

SignedRequest sign_v4(const SignableRequest& request, const AwsCredentials& credentials, const std::string& region,
                      const std::string& service, std::chrono::system_clock::time_point now) {
  const std::string date_time = amz_date(now);
  const std::string date = date_time.substr(0, 8);
  const std::string scope = date + "/" + region + "/" + service + "/aws4_request";

  SignedRequest signed_request;

  // Canonical query: every name and value encoded with '/' encoded too, sorted by encoded name then encoded value
  // (byte order), "name=" for an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [name, value] : request.query) {
    query.emplace_back(s3_uri_encode(name, true), s3_uri_encode(value, true));
  }
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size(); ++i) {
    if (i > 0) signed_request.canonical_query += '&';
    signed_request.canonical_query += query[i].first;
    signed_request.canonical_query += '=';
    signed_request.canonical_query += query[i].second;
  }

  // The headers to send: the caller's (minus any it should not set itself), then ours.
  for (const auto& header : request.headers) {
    if (!is_generated_header(ascii_lower(header.first))) signed_request.headers.push_back(header);
  }
  signed_request.headers.emplace_back("Host", request.host);
  signed_request.headers.emplace_back("x-amz-date", date_time);
  signed_request.headers.emplace_back("x-amz-content-sha256", request.payload_sha256_hex);
  if (!credentials.session_token.empty()) {
    signed_request.headers.emplace_back("x-amz-security-token", credentials.session_token);
  }

  // Canonical headers: lower-case names sorted; the values of a repeated name joined by ',' in the order sent.
  std::vector<std::pair<std::string, std::string>> canonical;  // (lower name, trimmed value), stable-sorted by name
  canonical.reserve(signed_request.headers.size());
  for (const auto& [name, value] : signed_request.headers) canonical.emplace_back(ascii_lower(name), trim_all(value));
  std::stable_sort(canonical.begin(), canonical.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  std::string signed_headers;
  for (size_t i = 0; i < canonical.size(); ++i) {
    if (i > 0 && canonical[i].first == canonical[i - 1].first) {
      canonical_headers.back() = ',';  // replaces the previous value's '\n'
    } else {
      if (!signed_headers.empty()) signed_headers += ';';
      signed_headers += canonical[i].first;
      canonical_headers += canonical[i].first;
      canonical_headers += ':';
    }
    canonical_headers += canonical[i].second;
    canonical_headers += '\n';
  }

  std::string& cr = signed_request.canonical_request;
  cr.reserve(256 + request.encoded_path.size() + signed_request.canonical_query.size() + canonical_headers.size());
  cr += request.method;
  cr += '\n';
  cr += request.encoded_path.empty() ? std::string("/") : request.encoded_path;
  cr += '\n';
  cr += signed_request.canonical_query;
  cr += '\n';
  cr += canonical_headers;
  cr += '\n';
  cr += signed_headers;
  cr += '\n';
  cr += request.payload_sha256_hex;

  signed_request.string_to_sign =
      std::string(kAlgorithm) + "\n" + date_time + "\n" + scope + "\n" + sha256_hex(signed_request.canonical_request);

  const std::string secret_seed = "AWS4" + credentials.secret_access_key;
  Digest key(secret_seed.begin(), secret_seed.end());
  key = hmac_sha256(key, date);
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, service);
  key = hmac_sha256(key, "aws4_request");
  const Digest signature = hmac_sha256(key, signed_request.string_to_sign);
  signed_request.signature = to_hex_lower(signature.data(), signature.size());

  signed_request.headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" + scope +
                           ",SignedHeaders=" + signed_headers + ",Signature=" + signed_request.signature);
  return signed_request;
}

}  // namespace pgs3
