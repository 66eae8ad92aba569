// S3Store: the ObjectStore of an S3 bucket (AWS S3 or any S3-compatible service).
//
// An object smaller than the part size is sent with one PutObject at commit(). A larger one becomes a multipart
// upload while it is still being written: each time the buffer reaches the part size it is uploaded as the next
// part, so memory per writer stays near one part whatever the file size. commit() uploads the last part and
// completes the upload, which is when the object appears, whole (S3 never shows a partial multipart object).
// abort(), a failed part, a failed completion, or destroying an uncommitted writer abort the upload, so no
// incomplete upload is left behind to be billed; stale ones from a killed process are removed by
// abort_stale_uploads(). Every object carries the store's SSE and ACL settings and the tags and metadata of its
// ObjectOptions.
//
// Owns its HTTP client, credentials and retry policy. Thread-safe; each writer is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "store/aws_credentials.h"
#include "store/http_client.h"
#include "store/object_store.h"
#include "store/retry_policy.h"
#include "store/s3_client.h"

namespace pgs3 {

struct S3StoreConfig {
  S3ClientOptions client;
  HttpClientOptions http;
  RetryPolicyOptions retry;
  S3PutOptions put;                      // SSE and ACL for every object (tags and metadata come per object)
  uint64_t part_size = 8 * 1024 * 1024;  // at least 5 MiB (S3's minimum for every part but the last)
};

class S3Store final : public ObjectStore {
 public:
  // Finds credentials (the standard chain, store/aws_credentials.h) but sends no request yet: check_s3_target()
  // (store/s3_target_check.h) is what proves the bucket is usable.
  static Result<std::unique_ptr<S3Store>> open(S3StoreConfig config, const EnvLookup& env = process_environment());
  ~S3Store() override;

  std::string describe() const override { return client_->describe(); }
  using ObjectStore::create;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions& options) override;
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override;
  Result<std::optional<std::string>> get(const std::string& key) override;
  Status remove(const std::string& key) override;
  Result<std::optional<VersionedObject>> get_versioned(const std::string& key) override;
  Result<std::string> put_if(const std::string& key, std::string_view bytes, const std::string& expected_etag) override;
  Status remove_all(const std::vector<std::string>& keys) override;
  // Requests retried so far, by cause ("throttled", "server_error", ...), for metrics.
  std::vector<std::pair<std::string, uint64_t>> retry_counts() const;

  // Aborts the multipart uploads under `prefix` whose key `ours` accepts (null: all of them), that a killed process
  // left open. Returns how many.
  Result<int> abort_stale_uploads(const std::string& prefix, const std::function<bool(const std::string&)>& ours);

  S3Client& client() { return *client_; }
  const RetryPolicy& retry_policy() const { return *retry_; }
  const S3StoreConfig& config() const { return config_; }

 private:
  S3Store(S3StoreConfig config, std::unique_ptr<HttpClient> http, std::unique_ptr<CredentialsProvider> credentials);

  S3StoreConfig config_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<CredentialsProvider> credentials_;
  std::unique_ptr<RetryPolicy> retry_;
  std::unique_ptr<S3Client> client_;
};

// S3's x-amz-tagging header value for a tag set: "k1=v1&k2=v2", each part percent-encoded (RFC 3986).
std::string s3_tagging_header(const std::vector<std::pair<std::string, std::string>>& tags);

}  // namespace pgs3
