// The `pgs3 run TASK.json` command: reads a task file, checks the source and target, and runs the task (a full load
// here; CDC through task/cdc_task.h), serving Prometheus /metrics and /healthz while it runs when asked.
//
// Everything that can be found wrong before data moves is checked first (task file, connection, selection,
// privileges), so that a bad-input failure leaves the target untouched and exits 2.
//
// Thread-safety: runs on the main thread only.
#pragma once

#include <string>

#include "task/run_options.h"

namespace pgs3 {

// Returns the process exit code: 0 done, 1 runtime failure, 2 bad configuration or bad input.
int run_task_file(const std::string& task_file, const RunOptions& options);

}  // namespace pgs3
