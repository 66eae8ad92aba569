#include "base/utc_time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace pgs3 {

std::string utc_time_text(std::chrono::system_clock::time_point t, UtcTimeStyle style) {
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  // Floor division, so that times before 1970 keep a non-negative fraction.
  int64_t secs_floor = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  us -= secs_floor * 1000000;
  std::time_t secs = static_cast<std::time_t>(secs_floor);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  if (style == UtcTimeStyle::kIso8601Millis) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(us / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(us));
  }
  return buf;
}

}  // namespace pgs3
