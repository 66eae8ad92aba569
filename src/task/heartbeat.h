// Heartbeat: DMS's HeartbeatEnable / HeartbeatFrequency — every HeartbeatFrequency minutes a
// pg_logical_emit_message(false, 'pgs3-heartbeat', '') on a normal connection, so that an idle database with busy
// neighbours (other databases of the cluster writing WAL) still moves the slot: the message's position lets the
// loop confirm past WAL it does not need. A failure is warned once and does not stop the task: the slot still
// advances on keepalives whenever the server writes WAL.
//
// Not thread-safe: the loop's thread.
#pragma once

#include <chrono>
#include <functional>

#include "base/status.h"

namespace pgs3 {

class Heartbeat {
 public:
  using Clock = std::chrono::steady_clock;
  // `emit` runs the statement (null: no heartbeat).
  Heartbeat(std::chrono::minutes every, std::function<Status()> emit);

  void start(Clock::time_point now) { last_ = now; }
  void tick(Clock::time_point now);

 private:
  std::chrono::minutes every_;
  std::function<Status()> emit_;
  Clock::time_point last_{};
  bool warned_ = false;
};

}  // namespace pgs3
