// The `pgs3 status TASK.json [--json]` command: where a task stands, from its checkpoint in the target and from the
// source server. Read-only: it writes nothing to the target (no probe object) and changes nothing on the server.
//
// Printed: the checkpoint (phase, sequence, confirmed LSN) and, per table, DMS's table statistics (full-load rows,
// inserts, updates, deletes, DDLs, truncates, files, last file, last change time); the slot (active and by which
// PID, wal_status, restart_lsn, confirmed_flush_lsn, lag = current WAL LSN - confirmed_flush_lsn in bytes, WAL
// retained = current WAL LSN - restart_lsn, lag in seconds = now - the newest commit time made durable, when the
// slot is behind) and the publication. --json prints the same as one JSON document.
//
// Exit codes: 0 when both parts were read, including a task that has not run yet (no checkpoint: it says so, and the
// server part is printed); 1 when the server or the target could not be read (what could be read is still printed,
// with what failed); 2 for a task file that cannot be used.
//
// Thread-safety: runs on the main thread only.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "rules/task_config.h"
#include "store/object_store.h"

namespace pgs3 {

struct StatusOptions {
  bool json = false;  // print one JSON document instead of text
};

int run_status_command(const std::string& task_file, const StatusOptions& options);

}  // namespace pgs3
