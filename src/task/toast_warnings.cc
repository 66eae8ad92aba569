#include "task/toast_warnings.h"

#include "base/log.h"

namespace pgs3 {

bool ToastWarnings::due(const void* writer, uint64_t total) const {
  auto it = warned_.find(writer);
  const uint64_t warned = it == warned_.end() ? 0 : it->second;
  return total > warned && (warned == 0 || total >= 2 * warned);
}

void ToastWarnings::warn(const void* writer, uint64_t total, const std::map<std::string, uint64_t>& by_column,
                         const std::string& where, const std::string& fix) {
  uint64_t& warned = warned_[writer];
  std::string columns;
  for (const auto& [name, count] : by_column) {
    columns += (columns.empty() ? "" : ", ") + name + " (" + std::to_string(count) + ")";
  }
  log_warn(where + ": " + std::to_string(total) +
           " unchanged TOAST value(s) written as NULL in update rows, because the source does not send a large value "
           "an UPDATE did not change; columns: " +
           columns + ". Run " + fix + " so that pgs3 receives the old values");
  warned = total;
}

}  // namespace pgs3
