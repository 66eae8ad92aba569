// UTC wall-clock time as text, for log lines and DMS's timestamp column.
#pragma once

#include <chrono>
#include <string>

namespace pgs3 {

enum class UtcTimeStyle {
  kIso8601Millis,  // "2024-02-29T13:45:00.123Z" (log lines)
  kDmsMicros,      // "2024-02-29 13:45:00.123456" (DMS's yyyy-MM-dd HH:mm:ss.SSSSSS)
};

std::string utc_time_text(std::chrono::system_clock::time_point t, UtcTimeStyle style);
inline std::string utc_now_text(UtcTimeStyle style) { return utc_time_text(std::chrono::system_clock::now(), style); }

}  // namespace pgs3
