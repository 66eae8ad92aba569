#include "base/process_alive.h"

#include <signal.h>

#include <cerrno>

namespace pgs3 {

bool process_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::optional<long> leading_pid(std::string_view text) {
  long pid = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (pid > 100000000) return std::nullopt;  // no PID is that large
    pid = pid * 10 + (text[i] - '0');
  }
  if (i == 0 || i >= text.size() || text[i] != '-') return std::nullopt;
  return pid;
}

}  // namespace pgs3
