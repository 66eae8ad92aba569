#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/utc_time.h"

namespace pgs3 {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kAuto};
std::mutex g_mutex;
TerminalOverlay* g_overlay = nullptr;  // guarded by g_mutex

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
void set_log_format(LogFormat format) { g_format = format; }
bool log_enabled(LogLevel level) { return level >= g_level.load(); }
bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  LogFormat format = g_format.load();
  if (format == LogFormat::kAuto) format = stderr_is_terminal() ? LogFormat::kText : LogFormat::kJson;
  std::string line;
  if (format == LogFormat::kJson) {
    nlohmann::json j = {{"time", utc_now_text(UtcTimeStyle::kIso8601Millis)},
                        {"level", level_name(level)},
                        {"msg", std::string(message)}};
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    line = utc_now_text(UtcTimeStyle::kIso8601Millis) + " " + level_name(level) + ": " + std::string(message) + "\n";
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_overlay) g_overlay->erase();
  std::fputs(line.c_str(), stderr);
  if (g_overlay) g_overlay->redraw();
  std::fflush(stderr);
}

void set_terminal_overlay(TerminalOverlay* overlay) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_overlay = overlay;
}

void with_log_lock(void (*draw)(void*), void* arg) {
  std::lock_guard<std::mutex> lock(g_mutex);
  draw(arg);
  std::fflush(stderr);
}

}  // namespace pgs3
