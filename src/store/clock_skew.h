// ClockSkew: the difference between S3's clock and this machine's, learnt from S3's answers, so that a machine whose
// clock is off by more than S3's 15 minutes (RequestTimeTooSkewed) still signs requests S3 accepts.
//
// SigV4 signs x-amz-date, and S3 refuses a request whose date is more than 15 minutes from its own clock (403
// RequestTimeTooSkewed, with MaxAllowedSkewMilliseconds 900000). Retrying with the same clock fails the same way, so
// on that error S3Client calls observe() with the answer's Date header (RFC 9110 IMF-fixdate) — or, without one, the
// error document's <ServerTime> (ISO 8601) — and signs every later request with now() = local clock + offset. The
// first offset learnt is logged once (with the fix: synchronise the machine's clock); later corrections at debug.
//
// Thread-safe: the offset is an atomic, read by every request of every thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/utc_time.h"  // parse_http_date()

namespace pgs3 {

// "2015-06-04T22:26:16Z" or with fractional seconds "2015-06-04T22:26:16.123Z"; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view text);

class ClockSkew {
 public:
  using Clock = std::chrono::system_clock;

  // Local clock + the offset learnt so far: the time to sign with.
  Clock::time_point now() const { return Clock::now() + offset(); }
  std::chrono::milliseconds offset() const { return std::chrono::milliseconds(offset_ms_.load()); }

  // Learns the offset from a RequestTimeTooSkewed answer received at `received` (local clock). False when neither
  // time could be read (the offset stays).
  bool observe(const std::optional<std::string>& date_header, std::string_view server_time,
               Clock::time_point received = Clock::now());

 private:
  std::atomic<int64_t> offset_ms_{0};
  std::atomic<bool> logged_{false};
};

}  // namespace pgs3
