#include "cli/task_file.h"

namespace pgs3 {

Result<TaskConfig> load_task_file(const std::string& path) {
  Result<TaskConfig> config = parse_task_file(path);
  if (!config.is_ok()) return config.status().with_context(path);
  return config;
}

int exit_code_for(const Status& status) {
  if (status.is_ok()) return 0;
  return status.needs_user_action() ? 2 : 1;
}

}  // namespace pgs3
