// What every command that takes a task file does alike: load it, and turn a failure into the exit code.
//
// Exit codes (DESIGN.md §2): 0 done, 1 runtime failure, 2 bad configuration, bad input or failed preflight.
// Thread-safety: stateless functions.
#pragma once

#include <string>

#include "base/status.h"
#include "rules/task_config.h"

namespace pgs3 {

// parse_task_file(), with the path added to a failure's message: "tasks/orders.json: taskId: required: ...". The
// parser's messages never name the file, so this is the one place that does (each message names it exactly once).
Result<TaskConfig> load_task_file(const std::string& path);

// 0 for ok, 2 when the user must act before running again (Status::needs_user_action(): bad configuration or input,
// a missing or lost replication slot), 1 for every other failure.
int exit_code_for(const Status& status);

}  // namespace pgs3
