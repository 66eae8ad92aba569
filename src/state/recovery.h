// Recovery: on start, before anything is written, settles the journal's intents into the checkpoint, so that files
// a crash left out of the checkpoint are adopted and files never uploaded are forgotten (state/file_journal.h tells
// the protocol; DESIGN.md §3, invariant 2).
//
// Thread-safety: runs on the task's thread before the stream starts.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "state/checkpoint.h"
#include "store/object_store.h"

namespace pgs3 {

// What recover() did.
struct RecoveryReport {
  std::vector<std::string> adopted;    // keys of files adopted into the checkpoint
  std::vector<std::string> covered;    // keys of files the checkpoint already included
  std::vector<std::string> discarded;  // keys of files never uploaded
  std::vector<std::string> fenced;     // keys of files removed: written by a process whose lease was taken over
  bool checkpoint_saved = false;
  size_t intents_removed = 0;
};

// Settles the intents under `prefix` into `checkpoint` (the one loaded from the target, or a fresh one with the
// task id and slot name when there is none), in sequence order: a file that exists is adopted (apply_committed_file,
// state/progress_ledger.h) unless the checkpoint already covers it; a file that does not exist is dropped (its
// changes come again from the slot, since confirmed_lsn never passed them). An intent of a lease generation below the
// checkpoint's lease_generation was written by a process after its successor's recovery had settled the journal
// (that process had lost its lease: state/task_lease.h); its file, if any, holds changes the successor wrote too,
// and is removed. Saves the checkpoint when a file was adopted, then removes the intents. On failure nothing is lost:
// the intents left are settled by the next recovery. `checkpoint` must be the one the task goes on with (its sequence
// and saved state move on with the save).
Result<RecoveryReport> recover(ObjectStore& store, const std::string& prefix, Checkpoint& checkpoint);

}  // namespace pgs3
