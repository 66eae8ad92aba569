// UTC wall-clock time as text, for log lines and DMS's timestamp column.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pgs3 {

enum class UtcTimeStyle {
  kIso8601Millis,  // "2024-02-29T13:45:00.123Z" (log lines)
  kDmsMicros,      // "2024-02-29 13:45:00.123456" (DMS's yyyy-MM-dd HH:mm:ss.SSSSSS)
};

std::string utc_time_text(std::chrono::system_clock::time_point t, UtcTimeStyle style);
inline std::string utc_now_text(UtcTimeStyle style) { return utc_time_text(std::chrono::system_clock::now(), style); }
// An HTTP date in the IMF-fixdate form every HTTP/1.1 server sends (RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37
// GMT"), as S3's Date and Last-Modified headers are; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);
// Seconds since 1970-01-01 00:00:00 UTC, with a fraction: what Prometheus gauges of a time hold.
inline double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace pgs3
