// Cancellation: the process-wide "stop now" flag, set by SIGINT/SIGTERM and polled by the workers.
//
// request_cancel() is async-signal-safe (it only stores to lock-free atomics and reads CLOCK_MONOTONIC). Long
// operations poll cancel_requested() between batches and stop with Status::cancelled.
//
// Stop grace. A stop still flushes, uploads and checkpoints what it holds (DESIGN.md §2), and a transient S3 failure
// during that flush is retried as usual — for kStopGrace after the first signal. Past it, or at once after a second
// signal, stop_grace_over() is true: the object store gives up its retry waits and the transfers that move no byte
// for 1 s, and once one was given up sends no more requests (store/retry_policy.h, store/http_client.h: the S3 store
// is built with this predicate), so a stop with an unreachable S3 ends within a few seconds. What became durable before
// is checkpointed; the rest is not confirmed to PostgreSQL and comes again on the next run. A transfer that makes
// progress is never cut.
#pragma once

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace pgs3 {

inline constexpr std::chrono::seconds kStopGrace{2};

inline std::atomic<int> g_cancel_signal{0};
inline std::atomic<int> g_cancel_count{0};
inline std::atomic<int64_t> g_cancel_at_ms{0};  // CLOCK_MONOTONIC milliseconds of the first request
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<int64_t>::is_always_lock_free);

inline int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

inline void request_cancel(int signal_number) {
  int64_t unset = 0;
  g_cancel_at_ms.compare_exchange_strong(unset, monotonic_ms());
  g_cancel_count.fetch_add(1);
  g_cancel_signal.store(signal_number == 0 ? -1 : signal_number);
}
inline bool cancel_requested() { return g_cancel_signal.load(std::memory_order_relaxed) != 0; }

// True once a stop's grace is over (see the file comment): kStopGrace after the first request, or a second request.
inline bool stop_grace_over() {
  if (!cancel_requested()) return false;
  if (g_cancel_count.load() >= 2) return true;
  return monotonic_ms() - g_cancel_at_ms.load() >= std::chrono::milliseconds(kStopGrace).count();
}

}  // namespace pgs3
