// The `pgs3 reload TASK.json --table schema.table [--table ...]` command (DMS's reload-table): asks a CDC task to
// load the named tables again, each whole, in a snapshot of its own; its other tables keep their files (their stream
// waits while the tables load).
//
// It writes one reload request per table into the task's state folder (state/reload_requests.h) and returns; it does
// not touch the checkpoint or the source. A running task takes the requests up at its next catalog check (within
// about 10 s: requests are polled every 5 s off the loop; the stream ends, the task starts again in the same
// process and loads the tables before streaming on); a stopped task at its next start. Each table must be one of
// the task's (in its checkpoint, not dropped).
// Exit codes: 0 requested, 1 the target failed, 2 bad task file, not a CDC task, no checkpoint yet, unknown table.
#pragma once

#include <string>
#include <vector>

namespace pgs3 {

struct ReloadOptions {
  std::vector<std::string> tables;  // "schema.table" as given
};

int run_reload_command(const std::string& task_file, const ReloadOptions& options);

}  // namespace pgs3
