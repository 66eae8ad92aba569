#include "store/retry_policy.h"

#include <algorithm>
#include <random>
#include <thread>

namespace pgs3 {

std::string_view retry_cause_name(RetryCause cause) {
  switch (cause) {
    case RetryCause::kTransport: return "transport";
    case RetryCause::kThrottled: return "throttled";
    case RetryCause::kServerError: return "server_error";
    case RetryCause::kTimeout: return "timeout";
    case RetryCause::kClockSkew: return "clock_skew";
    case RetryCause::kCount: break;
  }
  return "unknown";
}

std::chrono::milliseconds RetryPolicy::delay_before(int attempt) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int exponent = std::clamp(attempt - 2, 0, 30);
  const int64_t ceiling = std::min<int64_t>(options_.max_delay.count(),
                                            options_.base_delay.count() * (int64_t{1} << std::min(exponent, 20)));
  std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(ceiling, 1));
  return std::chrono::milliseconds(pick(rng));
}

bool RetryPolicy::wait(std::chrono::milliseconds delay) const {
  constexpr auto kStep = std::chrono::milliseconds(50);
  const auto until = std::chrono::steady_clock::now() + delay;
  while (true) {
    if (giving_up()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kStep, until - now));
  }
}

bool retryable_s3_error(long status, std::string_view code, RetryCause* cause) {
  RetryCause c;
  if (code == "SlowDown" || status == 429 || code == "Throttling" || code == "ThrottlingException") {
    c = RetryCause::kThrottled;
  } else if (code == "RequestTimeout") {
    c = RetryCause::kTimeout;
  } else if (code == "RequestTimeTooSkewed") {
    c = RetryCause::kClockSkew;
  } else if (status == 500 || status == 502 || status == 503 || status == 504 || code == "InternalError") {
    c = RetryCause::kServerError;
  } else {
    return false;
  }
  if (cause != nullptr) *cause = c;
  return true;
}

}  // namespace pgs3
