// The checks an S3 target must pass before a task writes to it (DMS's "test connection" for an S3 endpoint, and
// the requirements of the user's runbook: same region, write, delete and tagging permissions, no versioning).
//
// In order: the bucket exists and these credentials reach it (HeadBucket); it is in the task's region; pgs3 may put
// an object with the task's encryption, ACL and tags, tag it, and delete it (a small probe object under
// `probe_prefix`, removed afterwards); versioning is not enabled (a warning, with DMS's advice). Each failure names
// the bucket, the action denied and the fix. Sends requests but leaves nothing behind.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "store/s3_store.h"

namespace pgs3 {

struct S3TargetCheck {
  std::string name;    // "bucket", "region", "put", "tag", "delete", "versioning"
  bool passed = true;  // false: the task cannot run
  bool warning = false;
  std::string detail;  // what was found, and the fix when it failed
};

// Runs every check, stopping at the first failure that makes the next ones meaningless. `tagging` says whether the
// task tags objects (then the put carries tags and PutObjectTagging is probed).
std::vector<S3TargetCheck> check_s3_target(S3Store& store, const std::string& probe_prefix, bool tagging);

// The first failed check as a kBadInput Status, or OK; warnings are logged.
Status s3_target_status(const std::vector<S3TargetCheck>& checks);

}  // namespace pgs3
