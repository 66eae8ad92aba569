// The `pgs3 preflight TASK.json [--json]` command: checks the source (pg/preflight.h) and then the target of a task
// without changing either, and prints one line per check — pass, info, warn or fail — with the fix for each warning
// and failure. With --json it prints one JSON document instead: {"checks": [{name, status, detail, fix}], "ok"}.
//
// Target checks: an S3 target gets the checks of store/s3_target_check.h (bucket, region, put/tag/delete of a probe
// object that is removed at once, versioning); a local target's directory must exist and be writable, or be
// creatable under a writable parent (nothing is created).
//
// Thread-safety: runs on the main thread only.
#pragma once

#include <string>

namespace pgs3 {

struct PreflightOptions {
  bool json = false;  // print one JSON document instead of text lines
};

// Returns the process exit code: 0 when no check failed (warnings allowed), 2 otherwise (including an unreadable
// task file).
int run_preflight_file(const std::string& task_file, const PreflightOptions& options);

}  // namespace pgs3
