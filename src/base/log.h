// Log: the process-wide logger. Human-readable lines on a terminal, JSON lines otherwise.
//
// Thread-safe: each line is written whole under a lock. Messages must never contain secrets; callers pass only
// names, numbers and server messages (libpq and S3 messages never echo passwords or keys).
#pragma once

#include <string>
#include <string_view>

namespace pgs3 {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kAuto, kText, kJson };

void set_log_level(LogLevel level);
void set_log_format(LogFormat format);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message);

inline void log_debug(std::string_view m) { log(LogLevel::kDebug, m); }
inline void log_info(std::string_view m) { log(LogLevel::kInfo, m); }
inline void log_warn(std::string_view m) { log(LogLevel::kWarn, m); }
inline void log_error(std::string_view m) { log(LogLevel::kError, m); }

// Something drawn on the terminal below the log (the live progress lines). While one is installed, log() erases it
// before writing a line and redraws it after, under the same lock, so lines never interleave.
class TerminalOverlay {
 public:
  virtual ~TerminalOverlay() = default;
  virtual void erase() = 0;   // called with the log lock held
  virtual void redraw() = 0;  // called with the log lock held
};
void set_terminal_overlay(TerminalOverlay* overlay);  // nullptr removes it
// Runs `draw` under the log lock (for the overlay's own periodic redraws).
void with_log_lock(void (*draw)(void*), void* arg);

// True when stderr is a terminal (progress lines are redrawn in place only then).
bool stderr_is_terminal();

}  // namespace pgs3
