// RunOptions: the command-line options of `pgs3 run` that reach the task (cli/run_command.h passes them to
// run_cdc_task()).
#pragma once

#include <string>

namespace pgs3 {

struct RunOptions {
  bool live_progress = true;  // draw per-table progress lines when stderr is a terminal
  // --metrics-listen HOST:PORT: serve Prometheus /metrics and /healthz there while the task runs ("" = off).
  std::string metrics_listen;
  // --cdc-stop-position: overrides the task file's cdcStopPosition (rules/cdc_stop_position.h forms).
  std::string cdc_stop_position;
  // --reload-target (DMS's reload-target start mode): a CDC task loads every table again at start, each in the
  // snapshot of a temporary slot, and streams on from its checkpoint.
  bool reload_target = false;
};

}  // namespace pgs3
