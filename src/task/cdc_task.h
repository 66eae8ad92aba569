// CdcTask: a "cdc" or "full-load-and-cdc" task from start to end — preflight, publication and slot, the full load in
// the slot's snapshot, recovery from the target's checkpoint, the replication loop (task/cdc_stream.h), reconnects.
//
// Start (DESIGN.md §3). A start refused before it takes the lease (step 1, step 2 up to the lease) writes nothing:
//   1. The target is opened and checked, and the task's lease read (task/target_store.h, state/task_lease.h):
//      another live pgs3 on the task stops this one at once, exit 2, naming it. Then the source preflight
//      (pg/preflight.h) runs; a failed check stops the task with its fix (exit 2). A slot held under pgs3's own
//      application_name (a pgs3 killed or stalled a moment ago, whose walsender has not noticed yet) is waited for,
//      up to 30 seconds; a slot held by another program stops the task at once.
//   2. The selected tables are listed. The slot is checked against the task's checkpoint as found (its name, its
//      identity: task/slot_identity.h; a "cdc" checkpoint's slot must exist: if it is gone, the changes since the
//      checkpoint are lost and the task says so, exit 2: drop the task and run it again, with a full load).
//      Then the lease is taken (exit 2 when another process took it meanwhile) and what a killed run left in the
//      target is cleaned up.
//      Under the lease the checkpoint is loaded again, the journal's intents are settled (state/recovery.h: files a
//      crash left out are adopted, files a fenced process wrote are removed) and the checkpoint is saved with the
//      lease's generation (the claim: a process of an older generation can save no checkpoint any more).
//      With a "cdc" checkpoint, the selected tables are checked against its tables (task/table_watch.h): a table it
//      does not know, a renamed table or a changed partition stops the task (exit 2: reload it); a table dropped
//      while the task was stopped goes to the stream, which writes its last changes before HandleSourceTableDropped.
//   3. The publication is created, or checked (pg/publication.h).
//   4. No checkpoint in phase "cdc" yet:
//      - full-load-and-cdc: the slot is created with an exported snapshot (an existing slot of the same name is
//        dropped first: with no CDC checkpoint, nothing depends on it), a "full-load" checkpoint is saved, and
//        the full load reads every table in that snapshot (its LOAD files replace those of an unfinished earlier
//        load: task/load_file_writer.h). The stream then
//        starts at the slot's consistent point: each change is either in the snapshot or in the stream, never both
//        (invariant 4). A crash during the load leaves the "full-load" checkpoint: the next run starts the load
//        over with a new slot.
//      - cdc: the slot is reused when it exists (streaming starts at its confirmed position) or created.
//      The "cdc" checkpoint is saved with the start position; the slot is checked again against the checkpoint
//      read under the lease.
//   5. The loop streams. A lost connection (PostgreSQL restarted, network) closes the open files, saves a
//      checkpoint and reconnects with backoff (1 s doubling to 30 s, without limit; SIGTERM still ends it), resuming
//      from the checkpoint. SIGTERM/SIGINT or the CdcStopPosition end the task: files closed, checkpoint saved,
//      position confirmed, exit 0.
//
// Thread-safety: runs on the main thread.
#pragma once

#include "rules/task_config.h"
#include "task/run_options.h"

namespace pgs3 {

class TaskMetrics;

// Runs the task until it stops. Ok when it stopped cleanly (a signal, the stop position); otherwise the failure,
// whose code tells the exit code (Status::needs_user_action(): bad configuration, failed preflight, a lost slot).
// `metrics` (may be null) receives the task's figures (obs/task_metrics.h).
Status run_cdc_task(const TaskConfig& config, const RunOptions& options, TaskMetrics* metrics);

}  // namespace pgs3
