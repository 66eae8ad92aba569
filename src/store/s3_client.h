// S3Client: the S3 operations pgs3 needs, as signed HTTP requests with retries.
//
// Every request is signed with SigV4 (store/sigv4.h) using credentials from a CredentialsProvider, carries
// x-amz-expected-bucket-owner when the task sets ExpectedBucketOwner, and is retried by the RetryPolicy when the
// failure is transient. Failures that cannot succeed by retrying come back as Status values written for the user:
// AccessDenied names the action and the object, NoSuchBucket the bucket and the endpoint, a region mismatch the
// bucket's real region. Nothing secret is ever in a message.
//
// Addressing: path-style (`https://endpoint/bucket/key`) or virtual-hosted (`https://bucket.endpoint/key`). kAuto
// picks virtual-hosted for AWS's own endpoints and DNS-compatible bucket names, path-style for a custom endpointUrl
// (MinIO, Ceph, a test server), which is what those services support best.
//
// Thread-safe: one client serves every worker of a task.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/aws_credentials.h"
#include "store/clock_skew.h"
#include "store/http_client.h"
#include "store/object_store.h"
#include "store/retry_policy.h"

namespace pgs3 {

enum class S3Addressing { kAuto, kPath, kVirtualHosted };

struct S3ClientOptions {
  std::string endpoint_url;  // "" = https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  std::string bucket;
  S3Addressing addressing = S3Addressing::kAuto;
  std::string expected_bucket_owner;  // "" = not sent
};

// Headers that shape a new object: SSE, ACL, tags, user metadata, content type.
struct S3PutOptions {
  std::string content_type = "application/octet-stream";
  std::string server_side_encryption;  // "" (bucket default), "AES256" or "aws:kms"
  std::string kms_key_id;              // with aws:kms; "" = the account's default key
  std::string canned_acl;              // "" or an x-amz-acl value ("private", "bucket-owner-full-control", ...)
  std::string tagging;                 // an x-amz-tagging value ("k1=v1&k2=v2"), "" = none
  std::vector<std::pair<std::string, std::string>> metadata;  // x-amz-meta-<name>: value
};

struct S3ObjectHead {
  uint64_t size = 0;
  std::string etag;
  std::map<std::string, std::string> metadata;  // x-amz-meta-* without the prefix, names lower-case
  std::string server_side_encryption;
};

struct S3CompletedPart {
  int part_number = 0;
  std::string etag;
};

struct S3MultipartUpload {
  std::string key;
  std::string upload_id;
};

class S3Client {
 public:
  S3Client(S3ClientOptions options, HttpClient& http, CredentialsProvider& credentials, RetryPolicy& retry);

  const S3ClientOptions& options() const { return options_; }
  // The offset to S3's clock learnt from RequestTimeTooSkewed answers (0 until then): requests are signed with
  // the local clock plus it (store/clock_skew.h).
  std::chrono::milliseconds clock_offset() const { return clock_skew_.offset(); }
  // "s3://bucket" (and the endpoint when it is not AWS's), for messages.
  std::string describe() const;

  // The bucket's region (HeadBucket's x-amz-bucket-region). kBadInput when the bucket does not exist or may not be
  // reached with these credentials.
  Result<std::string> head_bucket();
  // "Enabled", "Suspended" or "" (never enabled).
  Result<std::string> get_bucket_versioning();

  Result<std::string> put_object(const std::string& key, std::string_view body, const S3PutOptions& options);
  // PutObject with If-Match: `expected_etag`, or If-None-Match: * when it is empty (S3 conditional writes). The new
  // ETag, or nullopt when the precondition failed (412; 409 ConditionalRequestConflict, a concurrent conditional
  // write; 404 to If-Match, the object is gone) — the retry of an attempt whose answer was lost fails so too.
  Result<std::optional<std::string>> put_object_if(const std::string& key, std::string_view body,
                                                   const S3PutOptions& options, const std::string& expected_etag);
  Result<std::string> create_multipart_upload(const std::string& key, const S3PutOptions& options);
  Result<std::string> upload_part(const std::string& key, const std::string& upload_id, int part_number,
                                  std::string_view body);
  // `size`: the bytes of all parts. A NoSuchUpload answer to a retry is success when the object exists with that
  // size and the parts' multipart ETag (the first attempt completed it and its answer was lost).
  Status complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                   const std::vector<S3CompletedPart>& parts, uint64_t size);
  Status abort_multipart_upload(const std::string& key, const std::string& upload_id);
  Result<std::vector<S3MultipartUpload>> list_multipart_uploads(const std::string& prefix);

  // The object's bytes, or nullopt when there is no such key.
  Result<std::optional<std::string>> get_object(const std::string& key);
  Result<std::optional<S3ObjectHead>> head_object(const std::string& key);
  // The object's bytes, ETag and age (the answer's Date less its Last-Modified; 0 when either is missing), or
  // nullopt when there is no such key.
  Result<std::optional<VersionedObject>> get_object_versioned(const std::string& key);
  // Every object under `prefix`, following continuation tokens, in key order.
  Result<std::vector<ObjectInfo>> list_objects(const std::string& prefix);
  Status delete_object(const std::string& key);
  // DeleteObjects in batches of 1000; fails naming the first key S3 refused.
  Status delete_objects(const std::vector<std::string>& keys);
  Status put_object_tagging(const std::string& key, const std::vector<std::pair<std::string, std::string>>& tags);

 private:
  struct Request {
    std::string action;  // S3's API name, for messages and errors: "PutObject"
    std::string method;
    std::string key;  // "" = the bucket itself
    std::vector<std::pair<std::string, std::string>> query;
    HttpHeaders headers;
    std::string_view body;
    // A 404 other than NoSuchBucket is an answer (the object or upload is not there), not an error.
    bool not_found_is_answer = false;
    bool forbidden_is_answer = false;     // a 403 is returned as a response, for the caller to explain
    bool precondition_is_answer = false;  // a 412 or 409 is returned as a response (a conditional write)
  };
  Result<HttpResponse> execute(const Request& request);
  Status error_status(const Request& request, const HttpResponse& response, std::string_view code,
                      std::string_view message) const;

  S3ClientOptions options_;
  std::string scheme_;         // "https" or "http"
  std::string endpoint_host_;  // host[:port] of the endpoint
  bool virtual_hosted_ = false;
  HttpClient& http_;
  CredentialsProvider& credentials_;
  RetryPolicy& retry_;
  ClockSkew clock_skew_;  // S3's clock less ours, once S3 said RequestTimeTooSkewed
};

}  // namespace pgs3
