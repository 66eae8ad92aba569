// The object store a task writes to, opened from its target configuration and checked before any data is written.
//
// target.type "local": a directory (store/local_store.h); S3-only settings that are set (tags, encryption, ACL,
// ExpectedBucketOwner) are reported as having no effect. target.type "s3": store/s3_store.h with DMS's S3 settings
// (EncryptionMode, ServerSideEncryptionKmsKeyId, CannedAclForObjects, ExpectedBucketOwner), after the checks of
// store/s3_target_check.h pass.
#pragma once

#include <memory>

#include "base/status.h"
#include "pg/catalog.h"
#include "rules/task_config.h"
#include "state/task_lease.h"
#include "store/object_store.h"
#include "store/s3_store.h"

namespace pgs3 {

// The S3 store configuration of a task's target (endpoint, region, addressing, TLS, SSE, ACL, content type), shared
// by `pgs3 run` and `pgs3 preflight` so the probe object is written exactly as the task's files will be.
S3StoreConfig s3_store_config(const TaskConfig& config);

// The task's target store, opened and checked (kBadInput, exit code 2, nothing written, when it cannot be used).
Result<std::unique_ptr<ObjectStore>> open_target_store(const TaskConfig& config);
// The same store opened without writing anything: no target check (it puts a probe object). For `pgs3 status` and
// `pgs3 drop`, and the first step of open_task_target().
Result<std::unique_ptr<ObjectStore>> open_target_store_without_checks(const TaskConfig& config);

// The target of a task that runs (`pgs3 run`), in two steps, so that a start refused by a check writes nothing:
// open_task_target() opens and checks the store and checks that no other process holds the task's lease
// (state/task_lease.h: kConflict, exit code 2, naming the holder), writing nothing; take_task_lease() then takes the
// lease (kConflict when another process took it meanwhile). From then on everything the task writes goes through
// `store`, which checks the lease before every change (store/guarded_store.h). Destroying it releases the lease.
struct TaskTarget {
  TaskTarget() = default;
  TaskTarget(TaskTarget&&) = default;
  TaskTarget& operator=(TaskTarget&&) = default;
  ~TaskTarget();

  std::unique_ptr<ObjectStore> raw;
  std::unique_ptr<TaskLease> lease;
  std::unique_ptr<ObjectStore> store;  // a GuardedStore over `raw`, once the lease is taken
};
Result<TaskTarget> open_task_target(const TaskConfig& config);
Status take_task_lease(TaskTarget& target, const TaskConfig& config);

// What a killed earlier run of the task left besides objects — multipart uploads left open (S3) or temporary files
// (a directory) — removed, only under the task's own folders (`tables`: its selected tables; with its state and
// transaction files), so that other writers under the same BucketFolder are left alone. Only while the lease is
// held: a live holder's uploads are not leftovers.
Status clean_task_leftovers(TaskTarget& target, const TaskConfig& config, const std::vector<SourceTable>& tables);

// The requests `store` retried so far, by cause, for metrics: an S3 store's (S3Store::retry_counts()); none for a
// local directory.
std::vector<std::pair<std::string, uint64_t>> store_retry_counts(const ObjectStore& store);

}  // namespace pgs3
