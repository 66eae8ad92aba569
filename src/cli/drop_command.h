// The `pgs3 drop TASK.json [--yes] [--purge-target]` command: removes what a task leaves on the source server — its
// replication slot (which otherwise keeps WAL forever) and its publication — and, with --purge-target, what it wrote
// to the target: every object under the prefixes of the tables it selects (<BucketFolder>/<schema>/<table>/, for
// the tables its selection rules match and the tables its checkpoint names) and its state (<BucketFolder>/_pgs3/
// <taskId>/, the checkpoint last).
//
// Safety:
// - An active slot is never dropped: the PID of the walsender holding it is printed and the command refuses
//   (exit 1) — stop that pgs3 first. A slot whose holder has just exited is waited for a few seconds.
// - Confirmation: without --yes, the command prints what it will remove and asks for the task id on the terminal;
//   anything else cancels (exit 2). Without --yes and without a terminal on stdin it refuses at once (exit 2),
//   before connecting anywhere.
// It prints each thing it removed or found absent. Exit codes: 0 done (absent things are fine: drop is idempotent),
// 1 a failure on the server or the target (what was removed before it is printed), 2 bad task file, not confirmed.
//
// Thread-safety: runs on the main thread only.
#pragma once

#include <string>

namespace pgs3 {

struct DropOptions {
  bool yes = false;           // do not ask for confirmation
  bool purge_target = false;  // also remove the task's files and checkpoint from the target
};

int run_drop_command(const std::string& task_file, const DropOptions& options);

}  // namespace pgs3
