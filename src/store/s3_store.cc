#include "store/s3_store.h"

#include "base/log.h"
#include "store/sigv4.h"

namespace pgs3 {
namespace {

constexpr uint64_t kMinPartSize = 5 * 1024 * 1024;
constexpr int kMaxParts = 10000;  // S3's limit on the parts of one upload

class S3ObjectWriter final : public ObjectWriter {
 public:
  S3ObjectWriter(S3Client& client, std::string key, S3PutOptions put, uint64_t part_size)
      : client_(client), key_(std::move(key)), put_(std::move(put)), part_size_(part_size) {}
  ~S3ObjectWriter() override { abort(); }

  Status append(std::string_view bytes) override {
    if (done_) return Status::internal("write to a closed object " + key_);
    buffer_.append(bytes);
    position_ += bytes.size();
    if (buffer_.size() >= part_size_) {
      Status s = upload_buffer_as_part();
      if (!s.is_ok()) abort();
      return s;
    }
    return Status::ok();
  }

  uint64_t position() const override { return position_; }

  Status commit() override {
    if (done_) return Status::internal("commit of a closed object " + key_);
    Status s = upload_id_.empty() ? client_.put_object(key_, buffer_, put_).status() : finish_multipart();
    if (!s.is_ok()) {
      abort();
      return s;
    }
    done_ = true;
    std::string().swap(buffer_);
    return Status::ok();
  }

  void abort() override {
    if (done_) return;
    done_ = true;
    std::string().swap(buffer_);
    if (upload_id_.empty()) return;
    Status s = client_.abort_multipart_upload(key_, upload_id_);
    if (!s.is_ok()) {
      log_warn("could not abort the multipart upload of " + key_ +
               " (it will be aborted on the next start): " + s.message());
    }
  }

 private:
  Status upload_buffer_as_part() {
    if (upload_id_.empty()) {
      PGS3_ASSIGN_OR_RETURN(upload_id_, client_.create_multipart_upload(key_, put_));
    }
    const int number = static_cast<int>(parts_.size()) + 1;
    if (number > kMaxParts) {
      return Status::bad_input("object " + key_ + " needs more than " + std::to_string(kMaxParts) +
                               " parts: lower MaxFileSize");
    }
    PGS3_ASSIGN_OR_RETURN(std::string etag, client_.upload_part(key_, upload_id_, number, buffer_));
    parts_.push_back({number, std::move(etag)});
    buffer_.clear();
    return Status::ok();
  }

  Status finish_multipart() {
    if (!buffer_.empty()) PGS3_RETURN_IF_ERROR(upload_buffer_as_part());
    return client_.complete_multipart_upload(key_, upload_id_, parts_, position_);
  }

  S3Client& client_;
  std::string key_;
  S3PutOptions put_;
  uint64_t part_size_;
  std::string buffer_;
  uint64_t position_ = 0;
  std::string upload_id_;
  std::vector<S3CompletedPart> parts_;
  bool done_ = false;
};

}  // namespace

std::string s3_tagging_header(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string out;
  for (const auto& [k, v] : tags) {
    if (!out.empty()) out += '&';
    out += s3_uri_encode(k, true) + "=" + s3_uri_encode(v, true);
  }
  return out;
}

Result<std::unique_ptr<S3Store>> S3Store::open(S3StoreConfig config, const EnvLookup& env) {
  if (config.part_size < kMinPartSize) config.part_size = kMinPartSize;
  auto http = std::make_unique<HttpClient>(config.http);
  PGS3_ASSIGN_OR_RETURN(auto credentials, make_default_credentials_chain(*http, config.client.region, env));
  return std::unique_ptr<S3Store>(new S3Store(std::move(config), std::move(http), std::move(credentials)));
}

S3Store::S3Store(S3StoreConfig config, std::unique_ptr<HttpClient> http,
                 std::unique_ptr<CredentialsProvider> credentials)
    : config_(std::move(config)),
      http_(std::move(http)),
      credentials_(std::move(credentials)),
      retry_(std::make_unique<RetryPolicy>(config_.retry)),
      client_(std::make_unique<S3Client>(config_.client, *http_, *credentials_, *retry_)) {}

S3Store::~S3Store() = default;

Result<std::unique_ptr<ObjectWriter>> S3Store::create(const std::string& key, const ObjectOptions& options) {
  S3PutOptions put = config_.put;
  put.metadata = options.metadata;
  put.tagging = s3_tagging_header(options.tags);
  return std::unique_ptr<ObjectWriter>(new S3ObjectWriter(*client_, key, std::move(put), config_.part_size));
}

Result<std::vector<ObjectInfo>> S3Store::list(const std::string& prefix) { return client_->list_objects(prefix); }

Result<std::optional<std::string>> S3Store::get(const std::string& key) { return client_->get_object(key); }

Status S3Store::remove(const std::string& key) { return client_->delete_object(key); }

Result<std::optional<VersionedObject>> S3Store::get_versioned(const std::string& key) {
  return client_->get_object_versioned(key);
}

Result<std::string> S3Store::put_if(const std::string& key, std::string_view bytes, const std::string& expected_etag) {
  // A failed precondition is read back: the object may hold these very bytes (a retried attempt whose first answer
  // was lost), or be unchanged (409: a concurrent conditional write that did not win either), worth one more try.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    PGS3_ASSIGN_OR_RETURN(std::optional<std::string> etag,
                          client_->put_object_if(key, bytes, config_.put, expected_etag));
    if (etag) return *etag;
    PGS3_ASSIGN_OR_RETURN(std::optional<VersionedObject> now, client_->get_object_versioned(key));
    if (now && now->bytes == bytes) return now->etag;
    const bool unchanged = now ? now->etag == expected_etag : expected_etag.empty();
    if (!unchanged || attempt == kAttempts) {
      return Status::conflict("s3://" + config_.client.bucket + "/" + key +
                              (expected_etag.empty()
                                   ? " exists already"
                                   : (now ? " was changed by another writer" : " was removed by another writer")));
    }
  }
}

std::vector<std::pair<std::string, uint64_t>> S3Store::retry_counts() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (size_t i = 0; i < static_cast<size_t>(RetryCause::kCount); ++i) {
    const auto cause = static_cast<RetryCause>(i);
    out.emplace_back(std::string(retry_cause_name(cause)), retry_->retries(cause));
  }
  return out;
}

Status S3Store::remove_all(const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::ok();
  if (keys.size() == 1) return client_->delete_object(keys[0]);
  return client_->delete_objects(keys);
}

Result<int> S3Store::abort_stale_uploads(const std::string& prefix,
                                         const std::function<bool(const std::string&)>& ours) {
  PGS3_ASSIGN_OR_RETURN(auto uploads, client_->list_multipart_uploads(prefix));
  int aborted = 0;
  for (const auto& u : uploads) {
    if (ours && !ours(u.key)) continue;
    log_info("aborting the multipart upload of " + u.key + " left open by an earlier run");
    PGS3_RETURN_IF_ERROR(client_->abort_multipart_upload(u.key, u.upload_id));
    ++aborted;
  }
  return aborted;
}

}  // namespace pgs3
