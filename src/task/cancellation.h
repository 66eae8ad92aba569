// Cancellation: the process-wide "stop now" flag, set by SIGINT/SIGTERM and polled by the workers.
//
// request_cancel() is async-signal-safe (it only stores to a lock-free atomic). Long operations poll
// cancel_requested() between batches and stop with Status::cancelled.
#pragma once

#include <atomic>

namespace pgs3 {

inline std::atomic<int> g_cancel_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

inline void request_cancel(int signal_number) { g_cancel_signal.store(signal_number == 0 ? -1 : signal_number); }
inline bool cancel_requested() { return g_cancel_signal.load(std::memory_order_relaxed) != 0; }

}  // namespace pgs3
