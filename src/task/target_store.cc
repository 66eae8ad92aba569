#include "task/target_store.h"

#include <algorithm>
#include <cctype>

#include "base/log.h"
#include "sink/object_keys.h"
#include "store/guarded_store.h"
#include "store/local_store.h"
#include "store/s3_store.h"
#include "store/s3_target_check.h"
#include "task/cancellation.h"

namespace pgs3 {
namespace {

// DMS's CannedAclForObjects values are S3's x-amz-acl values in upper case with underscores.
std::string acl_header_value(const std::string& dms_value) {
  if (dms_value == "NONE") return "";
  std::string out;
  for (char c : dms_value) out += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

S3Addressing addressing(const std::string& style) {
  if (style == "path") return S3Addressing::kPath;
  if (style == "virtual") return S3Addressing::kVirtualHosted;
  return S3Addressing::kAuto;
}

}  // namespace

S3StoreConfig s3_store_config(const TaskConfig& config) {
  const TargetConfig& t = config.target;
  const S3Settings& s = t.s3;
  S3StoreConfig store_config;
  store_config.client.endpoint_url = t.endpoint_url;
  store_config.client.region = t.region.empty() ? "us-east-1" : t.region;
  store_config.client.bucket = s.bucket_name;
  store_config.client.addressing = addressing(t.addressing);
  store_config.client.expected_bucket_owner = s.expected_bucket_owner;
  store_config.http.ca_bundle = t.ca_bundle;
  store_config.http.stall_timeout = std::chrono::seconds(t.stall_timeout_s);
  // A stop past its grace does not wait on S3 (task/cancellation.h).
  store_config.http.abandon_stalled = stop_grace_over;
  store_config.retry.give_up = stop_grace_over;
  // SSE_S3 is S3's own default since 2023; the header is sent on AWS, and on other services only when the task asks
  // for it by name (MinIO, for one, refuses it unless a KMS is configured).
  if (s.encryption_mode == EncryptionMode::kSseKms) {
    store_config.put.server_side_encryption = "aws:kms";
    store_config.put.kms_key_id = s.server_side_encryption_kms_key_id;
  } else if (t.endpoint_url.empty() || s.encryption_mode_explicit) {
    store_config.put.server_side_encryption = "AES256";
  }
  store_config.put.canned_acl = acl_header_value(s.canned_acl);
  store_config.put.content_type = s.data_format == DataFormat::kParquet ? "application/vnd.apache.parquet"
                                  : s.compression == Compression::kGzip ? "application/gzip"
                                                                        : "text/csv";
  return store_config;
}

namespace {

// Where this task writes: its state, its transaction files, its tables' folders. Leftovers of a killed run (open
// multipart uploads, local temporaries) are cleaned up only there: other writers may share the BucketFolder.
std::vector<std::string> task_prefixes(const TaskConfig& config, const std::vector<SourceTable>& tables) {
  const S3Settings& s = config.target.s3;
  std::vector<std::string> ours = {task_state_prefix(s, config.task_id)};
  if (s.preserve_transactions) ours.push_back(transaction_prefix(s));
  for (const SourceTable& t : tables) ours.push_back(table_prefix(s, t.schema, t.name));
  return ours;
}

// The checks of store/s3_target_check.h on an S3 target (they write and remove a probe object); on a directory, a
// warning for the S3-only add-tag rules.
Status check_target(ObjectStore& store, const TaskConfig& config) {
  auto* s3 = dynamic_cast<S3Store*>(&store);
  if (s3 == nullptr) {
    if (!config.tagging_rules.empty()) {
      log_warn(
          "tableMappings: post-processing add-tag rules have no effect on a local target (tags are an S3 "
          "feature)");
    }
    return Status::ok();
  }
  std::vector<S3TargetCheck> checks =
      check_s3_target(*s3, task_state_prefix(config.target.s3, config.task_id), !config.tagging_rules.empty());
  for (const auto& c : checks) {
    if (c.passed && !c.warning) log_debug("target check " + c.name + ": " + c.detail);
  }
  return s3_target_status(checks);
}

// What a killed earlier run of the task left in the target besides objects: open multipart uploads (S3), temporary
// files (a directory). Only under the task's own prefixes, and only once this process holds the lease (a live
// holder's uploads are not leftovers).
Status clean_leftovers(ObjectStore& store, const TaskConfig& config, const std::vector<SourceTable>& tables) {
  const std::vector<std::string> ours = task_prefixes(config, tables);
  if (auto* s3 = dynamic_cast<S3Store*>(&store)) {
    std::string folder = config.target.s3.bucket_folder;
    while (!folder.empty() && folder.front() == '/') folder.erase(0, 1);
    auto stale = s3->abort_stale_uploads(folder, [&ours](const std::string& key) {
      return std::any_of(ours.begin(), ours.end(), [&key](const std::string& p) { return key.rfind(p, 0) == 0; });
    });
    if (!stale.is_ok()) {
      log_warn("could not list the multipart uploads left open under " + store.describe() + "/" + folder + ": " +
               stale.status().message());
    }
    return Status::ok();
  }
  auto& local = dynamic_cast<LocalStore&>(store);
  int removed = 0;
  for (const std::string& prefix : ours) {
    PGS3_ASSIGN_OR_RETURN(int n, local.remove_stale_temporaries(prefix));
    removed += n;
  }
  if (removed > 0)
    log_info("removed " + std::to_string(removed) + " temporary file(s) a killed run left in the target");
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> open_target_store_without_checks(const TaskConfig& config) {
  if (config.target.type == TargetType::kS3) {
    PGS3_ASSIGN_OR_RETURN(auto store, S3Store::open(s3_store_config(config)));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  return std::unique_ptr<ObjectStore>(std::make_unique<LocalStore>(config.target.path));
}

Result<std::unique_ptr<ObjectStore>> open_target_store(const TaskConfig& config) {
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, open_target_store_without_checks(config));
  PGS3_RETURN_IF_ERROR(check_target(*store, config));
  return store;
}

Result<TaskTarget> open_task_target(const TaskConfig& config) {
  TaskTarget target;
  PGS3_ASSIGN_OR_RETURN(target.raw, open_target_store_without_checks(config));
  // The lease first: a task that another pgs3 runs is not even probed. A lease that cannot be read is reported
  // after the checks, which name the cause better (a missing bucket, a denied permission).
  Status free = TaskLease::peek(*target.raw, task_state_prefix(config.target.s3, config.task_id), config.task_id);
  if (free.code() == StatusCode::kConflict) return free;
  PGS3_RETURN_IF_ERROR(check_target(*target.raw, config));
  PGS3_RETURN_IF_ERROR(free);
  return target;
}

Status take_task_lease(TaskTarget& target, const TaskConfig& config) {
  PGS3_ASSIGN_OR_RETURN(
      target.lease, TaskLease::acquire(*target.raw, task_state_prefix(config.target.s3, config.task_id), config.task_id,
                                       std::chrono::seconds(config.target.lease_s)));
  TaskLease* lease = target.lease.get();
  target.store = std::make_unique<GuardedStore>(*target.raw, [lease] { return lease->check(); });
  return Status::ok();
}

Status clean_task_leftovers(TaskTarget& target, const TaskConfig& config, const std::vector<SourceTable>& tables) {
  PGS3_RETURN_IF_ERROR(target.lease->check());
  return clean_leftovers(*target.raw, config, tables);
}

TaskTarget::~TaskTarget() {
  if (lease != nullptr) (void)lease->release();
}

std::vector<std::pair<std::string, uint64_t>> store_retry_counts(const ObjectStore& store) {
  const auto* guarded = dynamic_cast<const GuardedStore*>(&store);
  const auto* s3 = dynamic_cast<const S3Store*>(guarded != nullptr ? &guarded->inner() : &store);
  return s3 != nullptr ? s3->retry_counts() : std::vector<std::pair<std::string, uint64_t>>{};
}

}  // namespace pgs3
