#include "store/s3_client.h"

#include <openssl/evp.h>

#include <charconv>
#include <chrono>
#include <optional>
#include <pugixml.hpp>

#include "base/log.h"
#include "base/utc_time.h"
#include "store/sigv4.h"

namespace pgs3 {
namespace {

struct S3Error {
  std::string code;
  std::string message;
  std::string region;       // <Region> of AuthorizationHeaderMalformed / PermanentRedirect
  std::string server_time;  // <ServerTime> of RequestTimeTooSkewed
};

// S3 answers errors as <Error><Code>..</Code><Message>..</Message>..</Error>; HEAD answers have no body.
S3Error parse_error(const HttpResponse& response) {
  S3Error e;
  pugi::xml_document doc;
  if (!response.body.empty() && doc.load_buffer(response.body.data(), response.body.size())) {
    pugi::xml_node error = doc.child("Error");
    e.code = error.child_value("Code");
    e.message = error.child_value("Message");
    e.region = error.child_value("Region");
    e.server_time = error.child_value("ServerTime");
  }
  if (e.region.empty()) e.region = response.header("x-amz-bucket-region").value_or("");
  if (e.code.empty()) {
    switch (response.status) {
      case 301: e.code = "PermanentRedirect"; break;
      case 403: e.code = "AccessDenied"; break;
      case 404: e.code = "NotFound"; break;
      case 503: e.code = "SlowDown"; break;
      default: break;
    }
  }
  return e;
}

std::string base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string content_md5(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), digest, &len, EVP_md5(), nullptr);
  return base64(digest, len);
}

// S3's ETag of a completed multipart upload: the MD5 of the parts' binary MD5s (their ETags), then "-<parts>", in
// lower-case hex. "" when a part's ETag is not a hex MD5.
std::string multipart_etag(const std::vector<S3CompletedPart>& parts) {
  std::string md5s;
  for (const S3CompletedPart& p : parts) {
    std::string_view hex = p.etag;
    if (hex.size() >= 2 && hex.front() == '"' && hex.back() == '"') hex = hex.substr(1, hex.size() - 2);
    if (hex.size() != 32) return "";
    for (size_t i = 0; i < 32; i += 2) {
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      const int hi = nibble(hex[i]);
      const int lo = nibble(hex[i + 1]);
      if (hi < 0 || lo < 0) return "";
      md5s += static_cast<char>(hi * 16 + lo);
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(md5s.data(), md5s.size(), digest, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out + "-" + std::to_string(parts.size());
}

// A decimal byte count as S3 sends it (Size, Content-Length); nullopt for anything else (empty, a sign, other
// characters, more than 64 bits), so that a malformed answer is an error, never an exception.
std::optional<uint64_t> parse_byte_count(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

bool dns_compatible_bucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string object_url_for_messages(const std::string& bucket, const std::string& key) {
  return "s3://" + bucket + (key.empty() ? "" : "/" + key);
}

// The IAM action behind an S3 API call, for AccessDenied messages.
std::string iam_action(std::string_view action) {
  if (action == "CreateMultipartUpload" || action == "UploadPart" || action == "CompleteMultipartUpload") {
    return "s3:PutObject";
  }
  if (action == "HeadObject") return "s3:GetObject";
  if (action == "HeadBucket") return "s3:ListBucket";
  if (action == "ListObjectsV2") return "s3:ListBucket";
  if (action == "DeleteObjects") return "s3:DeleteObject";
  if (action == "ListMultipartUploads") return "s3:ListBucketMultipartUploads";
  return "s3:" + std::string(action);
}

}  // namespace

S3Client::S3Client(S3ClientOptions options, HttpClient& http, CredentialsProvider& credentials, RetryPolicy& retry)
    : options_(std::move(options)), http_(http), credentials_(credentials), retry_(retry) {
  std::string endpoint = options_.endpoint_url;
  const bool aws_endpoint = endpoint.empty();
  if (aws_endpoint) endpoint = "https://s3." + options_.region + ".amazonaws.com";
  const size_t scheme_end = endpoint.find("://");
  scheme_ = endpoint.substr(0, scheme_end);
  endpoint_host_ = endpoint.substr(scheme_end + 3);
  if (size_t slash = endpoint_host_.find('/'); slash != std::string::npos) endpoint_host_.resize(slash);
  // A default port in the URL is not part of the Host header (and so not of the signature).
  auto strip_suffix = [&](std::string_view suffix) {
    if (endpoint_host_.size() > suffix.size() && endpoint_host_.ends_with(suffix)) {
      endpoint_host_.resize(endpoint_host_.size() - suffix.size());
    }
  };
  strip_suffix(scheme_ == "https" ? ":443" : ":80");
  switch (options_.addressing) {
    case S3Addressing::kPath: virtual_hosted_ = false; break;
    case S3Addressing::kVirtualHosted: virtual_hosted_ = true; break;
    case S3Addressing::kAuto:
      virtual_hosted_ =
          (aws_endpoint || endpoint_host_.ends_with(".amazonaws.com")) && dns_compatible_bucket(options_.bucket);
      break;
  }
}

std::string S3Client::describe() const {
  std::string s = "s3://" + options_.bucket;
  if (!options_.endpoint_url.empty()) s += " at " + scheme_ + "://" + endpoint_host_;
  return s;
}

Status S3Client::error_status(const Request& request, const HttpResponse& response, std::string_view code,
                              std::string_view message) const {
  const std::string object = object_url_for_messages(options_.bucket, request.key);
  const std::string what = "S3 " + request.action + " " + object;
  S3Error e = parse_error(response);
  if (code == "NoSuchBucket" || (request.key.empty() && response.status == 404)) {
    return Status::bad_input("bucket \"" + options_.bucket + "\" does not exist at " + scheme_ + "://" +
                             endpoint_host_ + ": create it, or fix target.s3Settings.BucketName");
  }
  if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || response.status == 301 ||
      (!e.region.empty() && e.region != options_.region && (response.status == 400 || response.status == 403))) {
    if (!e.region.empty() && e.region != options_.region) {
      return Status::bad_input("bucket \"" + options_.bucket + "\" is in region " + e.region + ", not " +
                               options_.region + ": set target.region to \"" + e.region + "\"");
    }
  }
  if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
      code == "InvalidToken") {
    return Status::bad_input(what + " was refused (" + std::string(code) +
                             "): the AWS credentials are not valid for this endpoint; check the access key id and "
                             "secret (or the profile or role they come from)");
  }
  if (code == "AccessDenied" || response.status == 403) {
    std::string action = iam_action(request.action);
    for (const auto& [name, value] : request.headers) {
      // Tags sent with the object need a second permission (S3: PutObject with x-amz-tagging).
      if (name == "x-amz-tagging") action += " and s3:PutObjectTagging";
    }
    std::string msg =
        what + ": access denied (" + std::string(code) + "): the credentials may not " + action + " on " + object;
    if (!options_.expected_bucket_owner.empty()) {
      msg += " (or the bucket is not owned by ExpectedBucketOwner " + options_.expected_bucket_owner + ")";
    }
    return Status::bad_input(msg + "; grant " + action + " on arn:aws:s3:::" + options_.bucket +
                             (request.key.empty() ? "" : "/*") + " to them");
  }
  std::string detail = std::string(code.empty() ? "HTTP " + std::to_string(response.status) : std::string(code));
  if (!message.empty()) detail += ": " + std::string(message);
  if (response.status >= 400 && response.status < 500) return Status::bad_input(what + " failed: " + detail);
  return Status::unavailable(what + " failed: " + detail);
}

Result<HttpResponse> S3Client::execute(const Request& request) {
  const std::string payload_hash = sha256_hex(request.body);
  std::string host = virtual_hosted_ ? options_.bucket + "." + endpoint_host_ : endpoint_host_;
  std::string path = "/";
  if (!virtual_hosted_) path += s3_uri_encode(options_.bucket, true) + (request.key.empty() ? "" : "/");
  path += s3_uri_encode(request.key, false);

  Status last;
  for (int attempt = 1;; ++attempt) {
    PGS3_ASSIGN_OR_RETURN(AwsCredentials creds, credentials_.get());
    SignableRequest signable{request.method, host, path, request.query, request.headers, payload_hash};
    if (!options_.expected_bucket_owner.empty()) {
      signable.headers.emplace_back("x-amz-expected-bucket-owner", options_.expected_bucket_owner);
    }
    SignedRequest signed_request = sign_v4(signable, creds, options_.region, "s3", clock_skew_.now());
    HttpRequest http_request;
    http_request.method = request.method;
    http_request.url = scheme_ + "://" + host + path +
                       (signed_request.canonical_query.empty() ? "" : "?" + signed_request.canonical_query);
    http_request.headers = std::move(signed_request.headers);
    http_request.body = request.body;

    Result<HttpResponse> response = http_.send(http_request);
    RetryCause cause = RetryCause::kTransport;
    if (response.is_ok()) {
      HttpResponse& r = *response;
      // CompleteMultipartUpload can answer 200 with an <Error> body (S3 API reference): treat it as the error.
      const bool error_in_200 =
          r.status == 200 && request.action == "CompleteMultipartUpload" && r.body.find("<Error>") != std::string::npos;
      if (r.status < 300 && !error_in_200) return response;
      S3Error e = parse_error(r);
      if (r.status == 404 && request.not_found_is_answer && e.code != "NoSuchBucket") return response;
      if (r.status == 403 && request.forbidden_is_answer) return response;
      if ((r.status == 412 || r.status == 409) && request.precondition_is_answer) return response;
      // The retry would fail the same way with the same clock: sign the next attempts with S3's.
      if (e.code == "RequestTimeTooSkewed") clock_skew_.observe(r.header("date"), e.server_time);
      if (!retryable_s3_error(error_in_200 ? 500 : r.status, e.code, &cause)) {
        return error_status(request, r, e.code, e.message);
      }
      last = error_status(request, r, e.code, e.message);
    } else {
      last = response.status();
    }
    auto given_up = [&] {
      return Status::cancelled("S3 " + request.action + " " + object_url_for_messages(options_.bucket, request.key) +
                               " given up because the task is stopping; last error: " + last.message());
    };
    if (last.code() == StatusCode::kCancelled || retry_.giving_up()) return given_up();
    if (attempt >= retry_.max_attempts()) {
      return Status::unavailable("S3 " + request.action + " " + object_url_for_messages(options_.bucket, request.key) +
                                 " failed after " + std::to_string(attempt) +
                                 " attempts; last error: " + last.message());
    }
    retry_.count(cause);
    auto wait = retry_.delay_before(attempt + 1);
    if (attempt == 1) {
      log_warn("S3 " + request.action + " " + object_url_for_messages(options_.bucket, request.key) + ": " +
               last.message() + "; retrying (" + std::string(retry_cause_name(cause)) + ")");
    } else {
      log_debug("S3 " + request.action + " retry " + std::to_string(attempt) + " after " +
                std::to_string(wait.count()) + " ms: " + last.message());
    }
    if (!retry_.wait(wait)) return given_up();
  }
}

Result<std::string> S3Client::head_bucket() {
  Request r{"HeadBucket", "HEAD", "", {}, {}, {}};
  r.forbidden_is_answer = true;
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  if (response.status != 403) return response.header("x-amz-bucket-region").value_or(options_.region);
  // A HEAD answer has no body, so a refusal does not say why (a wrong secret and a missing permission both look like
  // 403). The same question as a GET returns S3's error code, which makes the message name the right fix.
  Request list{"ListObjectsV2", "GET", "", {{"list-type", "2"}, {"max-keys", "0"}}, {}, {}};
  PGS3_RETURN_IF_ERROR(execute(list).status());
  // The GET was allowed: the HEAD's 403 may have been a clock S3 has corrected us on since (a HEAD's refusal has no
  // code to tell RequestTimeTooSkewed apart), so it is asked once more.
  PGS3_ASSIGN_OR_RETURN(HttpResponse again, execute(r));
  if (again.status != 403) return again.header("x-amz-bucket-region").value_or(options_.region);
  return error_status(r, again, "AccessDenied", "");
}

Result<std::string> S3Client::get_bucket_versioning() {
  Request r{"GetBucketVersioning", "GET", "", {{"versioning", ""}}, {}, {}};
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  pugi::xml_document doc;
  if (!doc.load_buffer(response.body.data(), response.body.size())) return std::string();
  return std::string(doc.child("VersioningConfiguration").child_value("Status"));
}

namespace {
void add_put_headers(const S3PutOptions& o, HttpHeaders* h) {
  if (!o.content_type.empty()) h->emplace_back("content-type", o.content_type);
  if (!o.server_side_encryption.empty()) h->emplace_back("x-amz-server-side-encryption", o.server_side_encryption);
  if (!o.kms_key_id.empty()) h->emplace_back("x-amz-server-side-encryption-aws-kms-key-id", o.kms_key_id);
  if (!o.canned_acl.empty()) h->emplace_back("x-amz-acl", o.canned_acl);
  if (!o.tagging.empty()) h->emplace_back("x-amz-tagging", o.tagging);
  for (const auto& [name, value] : o.metadata) h->emplace_back("x-amz-meta-" + name, value);
}
}  // namespace

Result<std::string> S3Client::put_object(const std::string& key, std::string_view body, const S3PutOptions& options) {
  Request r{"PutObject", "PUT", key, {}, {}, body};
  add_put_headers(options, &r.headers);
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  return response.header("etag").value_or("");
}

Result<std::optional<std::string>> S3Client::put_object_if(const std::string& key, std::string_view body,
                                                           const S3PutOptions& options,
                                                           const std::string& expected_etag) {
  Request r{"PutObject", "PUT", key, {}, {}, body};
  add_put_headers(options, &r.headers);
  if (expected_etag.empty()) {
    r.headers.emplace_back("if-none-match", "*");
  } else {
    r.headers.emplace_back("if-match", expected_etag);
    r.not_found_is_answer = true;
  }
  r.precondition_is_answer = true;
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  if (response.status >= 300) return std::optional<std::string>();
  auto etag = response.header("etag");
  if (!etag || etag->empty()) return Status::unavailable("S3 PutObject " + key + ": no ETag in the answer");
  return std::optional<std::string>(*etag);
}

Result<std::string> S3Client::create_multipart_upload(const std::string& key, const S3PutOptions& options) {
  Request r{"CreateMultipartUpload", "POST", key, {{"uploads", ""}}, {}, {}};
  add_put_headers(options, &r.headers);
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  pugi::xml_document doc;
  std::string id;
  if (doc.load_buffer(response.body.data(), response.body.size())) {
    id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  }
  if (id.empty()) return Status::unavailable("S3 CreateMultipartUpload " + key + ": no UploadId in the answer");
  return id;
}

Result<std::string> S3Client::upload_part(const std::string& key, const std::string& upload_id, int part_number,
                                          std::string_view body) {
  Request r{"UploadPart", "PUT", key, {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}}, {}, body};
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  auto etag = response.header("etag");
  if (!etag || etag->empty()) return Status::unavailable("S3 UploadPart " + key + ": no ETag in the answer");
  return *etag;
}

Status S3Client::complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                           const std::vector<S3CompletedPart>& parts, uint64_t size) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& p : parts) {
    xml += "<Part><PartNumber>" + std::to_string(p.part_number) + "</PartNumber><ETag>" + xml_escape(p.etag) +
           "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  Request r{
      "CompleteMultipartUpload", "POST", key, {{"uploadId", upload_id}}, {{"content-type", "application/xml"}}, xml};
  r.not_found_is_answer = true;  // NoSuchUpload: see below
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  if (response.status != 404) return Status::ok();
  // NoSuchUpload after a retry: the first attempt may have completed the upload and lost its answer (a reset, a
  // timeout). The object is then there, with the size written and the ETag S3 gives these parts; object keys are
  // never reused for other content, so that object is this upload's. Anything else is the error it says.
  const S3Error e = parse_error(response);
  if (e.code == "NoSuchUpload") {
    PGS3_ASSIGN_OR_RETURN(std::optional<S3ObjectHead> head, head_object(key));
    const std::string expected = multipart_etag(parts);
    if (head && head->size == size && !expected.empty() && unquoted(head->etag) == expected) {
      log_info("S3 CompleteMultipartUpload " + object_url_for_messages(options_.bucket, key) +
               ": the upload was completed by an earlier attempt whose answer was lost (the object has the expected "
               "size and ETag)");
      return Status::ok();
    }
  }
  return error_status(r, response, e.code, e.message);
}

Status S3Client::abort_multipart_upload(const std::string& key, const std::string& upload_id) {
  // An upload that is already gone (aborted by an earlier attempt whose answer was lost) is what we wanted.
  Request r{"AbortMultipartUpload", "DELETE", key, {{"uploadId", upload_id}}, {}, {}, true};
  return execute(r).status();
}

Result<std::vector<S3MultipartUpload>> S3Client::list_multipart_uploads(const std::string& prefix) {
  std::vector<S3MultipartUpload> out;
  std::string key_marker, upload_marker;
  for (;;) {
    Request r{"ListMultipartUploads", "GET", "", {{"uploads", ""}, {"prefix", prefix}}, {}, {}};
    if (!key_marker.empty()) r.query.emplace_back("key-marker", key_marker);
    if (!upload_marker.empty()) r.query.emplace_back("upload-id-marker", upload_marker);
    PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
    pugi::xml_document doc;
    if (!doc.load_buffer(response.body.data(), response.body.size())) {
      return Status::unavailable("S3 ListMultipartUploads: the answer is not XML");
    }
    pugi::xml_node result = doc.child("ListMultipartUploadsResult");
    for (pugi::xml_node u : result.children("Upload")) out.push_back({u.child_value("Key"), u.child_value("UploadId")});
    if (std::string_view(result.child_value("IsTruncated")) != "true") break;
    key_marker = result.child_value("NextKeyMarker");
    upload_marker = result.child_value("NextUploadIdMarker");
    if (key_marker.empty() && upload_marker.empty()) break;
  }
  return out;
}

Result<std::optional<std::string>> S3Client::get_object(const std::string& key) {
  Request r{"GetObject", "GET", key, {}, {}, {}, true};
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  if (response.status == 404) return std::optional<std::string>();
  return std::optional<std::string>(std::move(response.body));
}

Result<std::optional<VersionedObject>> S3Client::get_object_versioned(const std::string& key) {
  Request r{"GetObject", "GET", key, {}, {}, {}, true};
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  if (response.status == 404) return std::optional<VersionedObject>();
  VersionedObject out;
  out.etag = response.header("etag").value_or("");
  if (out.etag.empty()) return Status::unavailable("S3 GetObject " + key + ": no ETag in the answer");
  const auto now = parse_http_date(response.header("date").value_or(""));
  const auto written = parse_http_date(response.header("last-modified").value_or(""));
  if (now && written && *now > *written) out.age = std::chrono::duration_cast<std::chrono::seconds>(*now - *written);
  out.bytes = std::move(response.body);
  return std::optional<VersionedObject>(std::move(out));
}

Result<std::optional<S3ObjectHead>> S3Client::head_object(const std::string& key) {
  Request r{"HeadObject", "HEAD", key, {}, {}, {}, true};
  PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
  if (response.status == 404) return std::optional<S3ObjectHead>();
  S3ObjectHead head;
  const std::optional<uint64_t> size = parse_byte_count(response.header("content-length").value_or("0"));
  if (!size) {
    return Status::unavailable("S3 HeadObject " + object_url_for_messages(options_.bucket, key) +
                               ": the answer's Content-Length is not a byte count");
  }
  head.size = *size;
  head.etag = response.header("etag").value_or("");
  head.server_side_encryption = response.header("x-amz-server-side-encryption").value_or("");
  for (const auto& [name, value] : response.headers) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("x-amz-meta-", 0) == 0) head.metadata[lower.substr(11)] = value;
  }
  return std::optional<S3ObjectHead>(std::move(head));
}

Result<std::vector<ObjectInfo>> S3Client::list_objects(const std::string& prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  for (;;) {
    Request r{"ListObjectsV2", "GET", "", {{"list-type", "2"}, {"prefix", prefix}}, {}, {}};
    if (!token.empty()) r.query.emplace_back("continuation-token", token);
    PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
    pugi::xml_document doc;
    if (!doc.load_buffer(response.body.data(), response.body.size())) {
      return Status::unavailable("S3 ListObjectsV2 " + describe() + ": the answer is not XML");
    }
    pugi::xml_node result = doc.child("ListBucketResult");
    for (pugi::xml_node c : result.children("Contents")) {
      const std::optional<uint64_t> size = parse_byte_count(c.child_value("Size"));
      if (!size) {
        return Status::unavailable("S3 ListObjectsV2 " + describe() + ": the answer gives object \"" +
                                   c.child_value("Key") + "\" a Size that is not a byte count (\"" +
                                   c.child_value("Size") + "\")");
      }
      out.push_back({c.child_value("Key"), *size});
    }
    if (std::string_view(result.child_value("IsTruncated")) != "true") break;
    token = result.child_value("NextContinuationToken");
    if (token.empty()) return Status::unavailable("S3 ListObjectsV2: truncated answer without a continuation token");
  }
  return out;
}

Status S3Client::delete_object(const std::string& key) {
  Request r{"DeleteObject", "DELETE", key, {}, {}, {}};
  return execute(r).status();
}

Status S3Client::delete_objects(const std::vector<std::string>& keys) {
  for (size_t begin = 0; begin < keys.size(); begin += 1000) {
    std::string xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
    for (size_t i = begin; i < std::min(keys.size(), begin + 1000); ++i) {
      xml += "<Object><Key>" + xml_escape(keys[i]) + "</Key></Object>";
    }
    xml += "</Delete>";
    // DeleteObjects requires an integrity header (Content-MD5) in S3's API.
    Request r{"DeleteObjects",
              "POST",
              "",
              {{"delete", ""}},
              {{"content-md5", content_md5(xml)}, {"content-type", "application/xml"}},
              xml};
    PGS3_ASSIGN_OR_RETURN(HttpResponse response, execute(r));
    pugi::xml_document doc;
    if (doc.load_buffer(response.body.data(), response.body.size())) {
      pugi::xml_node error = doc.child("DeleteResult").child("Error");
      if (error) {
        return Status::bad_input("S3 DeleteObjects s3://" + options_.bucket + "/" + error.child_value("Key") +
                                 " refused: " + error.child_value("Code") + " " + error.child_value("Message"));
      }
    }
  }
  return Status::ok();
}

Status S3Client::put_object_tagging(const std::string& key,
                                    const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string xml = "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>";
  for (const auto& [k, v] : tags)
    xml += "<Tag><Key>" + xml_escape(k) + "</Key><Value>" + xml_escape(v) + "</Value></Tag>";
  xml += "</TagSet></Tagging>";
  Request r{"PutObjectTagging",
            "PUT",
            key,
            {{"tagging", ""}},
            {{"content-md5", content_md5(xml)}, {"content-type", "application/xml"}},
            xml};
  return execute(r).status();
}

}  // namespace pgs3
