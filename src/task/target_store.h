// The object store a task writes to, opened from its target configuration and checked before any data is written.
//
// target.type "local": a directory (store/local_store.h); S3-only settings that are set (tags, encryption, ACL,
// ExpectedBucketOwner) are reported as having no effect. target.type "s3": store/s3_store.h with DMS's S3 settings
// (EncryptionMode, ServerSideEncryptionKmsKeyId, CannedAclForObjects, ExpectedBucketOwner), after the checks of
// store/s3_target_check.h pass; multipart uploads that a killed earlier run of this task left open are aborted.
#pragma once

#include <memory>

#include "base/status.h"
#include "pg/catalog.h"
#include "rules/task_config.h"
#include "store/object_store.h"
#include "store/s3_store.h"

namespace pgs3 {

// The S3 store configuration of a task's target (endpoint, region, addressing, TLS, SSE, ACL, content type), shared
// by `pgs3 run` and `pgs3 preflight` so the probe object is written exactly as the task's files will be.
S3StoreConfig s3_store_config(const TaskConfig& config);

// Fails with kBadInput (exit code 2, nothing written) when the target cannot be used. `tables`: the task's selected
// tables, whose folders (with the task's state and transaction files) are where uploads a killed run left open are
// aborted; uploads of other writers under the same BucketFolder are left alone.
Result<std::unique_ptr<ObjectStore>> open_target_store(const TaskConfig& config,
                                                       const std::vector<SourceTable>& tables);

// The requests `store` retried so far, by cause, for metrics: an S3 store's (S3Store::retry_counts()); none for a
// local directory.
std::vector<std::pair<std::string, uint64_t>> store_retry_counts(const ObjectStore& store);

}  // namespace pgs3
