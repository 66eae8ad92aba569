// RetryPolicy: which failed S3 requests are worth repeating, and how long to wait before the next attempt.
//
// Transient failures are retried with exponential backoff and full jitter (a random wait in [0, min(cap, base·2^n)]):
// transport errors (refused, reset, timeout, stalled transfer), HTTP 500/502/503/504, 429, S3's SlowDown,
// RequestTimeout, InternalError and RequestTimeTooSkewed (the request is re-signed on the next attempt). Anything
// else (AccessDenied, NoSuchBucket, ...) cannot succeed by repeating it and is not retried.
//
// The counters record retries by cause for logs and metrics. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace pgs3 {

enum class RetryCause { kTransport, kThrottled, kServerError, kTimeout, kClockSkew, kCount };
std::string_view retry_cause_name(RetryCause cause);

struct RetryPolicyOptions {
  int max_attempts = 8;  // the first attempt included
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{20000};
  // While this returns true (the task is stopping and its grace is over: task/cancellation.h), no retry is made and
  // a wait in progress ends early: wait() returns false. Null: never.
  std::function<bool()> give_up;
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryPolicyOptions options = {}) : options_(std::move(options)) {}

  int max_attempts() const { return options_.max_attempts; }
  // The wait before attempt number `attempt` (2 for the first retry), jittered.
  std::chrono::milliseconds delay_before(int attempt) const;
  // Sleeps `delay` in short steps; false (at once, or as soon as it turns true) when options' give_up() is true.
  bool wait(std::chrono::milliseconds delay) const;
  bool giving_up() const { return options_.give_up && options_.give_up(); }
  void count(RetryCause cause) { counts_[static_cast<size_t>(cause)].fetch_add(1, std::memory_order_relaxed); }
  uint64_t retries(RetryCause cause) const { return counts_[static_cast<size_t>(cause)].load(); }

 private:
  RetryPolicyOptions options_;
  std::array<std::atomic<uint64_t>, static_cast<size_t>(RetryCause::kCount)> counts_{};
};

// The cause that makes an S3 answer worth retrying, or nothing. `status` is the HTTP status, `code` S3's error code
// from the XML body ("" when there is none).
bool retryable_s3_error(long status, std::string_view code, RetryCause* cause);

}  // namespace pgs3
