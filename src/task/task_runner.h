// The `pgs3 run` command: reads a task file, checks the source and target, and runs the task.
//
// Everything that can be found wrong before data moves is checked first (task file, connection, selection,
// privileges), so that a bad-input failure leaves the target untouched and exits 2.
#pragma once

#include <string>

namespace pgs3 {

struct RunOptions {
  bool live_progress = true;  // draw per-table progress lines when stderr is a terminal
  // --metrics-listen HOST:PORT: serve Prometheus /metrics and /healthz there while the task runs ("" = off).
  std::string metrics_listen;
  // --cdc-stop-position: overrides the task file's cdcStopPosition (rules/cdc_stop_position.h forms).
  std::string cdc_stop_position;
};

// Returns the process exit code: 0 done, 1 runtime failure, 2 bad configuration or bad input.
int run_task_file(const std::string& task_file, const RunOptions& options);

}  // namespace pgs3
