// Heartbeat: DMS's HeartbeatEnable / HeartbeatFrequency — every HeartbeatFrequency minutes a
// pg_logical_emit_message(false, 'pgs3-heartbeat', '') on a normal connection, so that an idle database with busy
// neighbours (other databases of the cluster writing WAL) still moves the slot: the message's position lets the
// loop confirm past WAL it does not need. A failure does not stop the task (the slot still advances on keepalives
// whenever the server writes WAL): it is warned once per outage, retried with backoff (5 s doubling, at most the
// frequency), and the heartbeat's recovery is logged.
//
// Not thread-safe: the loop's thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "pg/connection.h"

namespace pgs3 {

class Heartbeat {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kFirstRetry{5};

  // `emit` runs the statement (null: no heartbeat).
  Heartbeat(std::chrono::minutes every, std::function<Status()> emit);

  void start(Clock::time_point now) { next_ = now + every_; }
  void tick(Clock::time_point now);

 private:
  std::chrono::minutes every_;
  std::function<Status()> emit_;
  Clock::time_point next_{};
  std::chrono::milliseconds retry_{kFirstRetry};
  int failures_ = 0;  // consecutive failed attempts: > 0 during an outage
};

// The heartbeat's own connection: opened at the first emit() and opened again at the emit() after any failure (a
// terminated backend, a restarted server, a network cut), so one lost connection does not end the heartbeats for
// the rest of the run. Opening blocks the loop for at most connect_timeout (10 s unless the user set it:
// pg/connection_defaults.h), far below wal_sender_timeout.
class HeartbeatSession {
 public:
  explicit HeartbeatSession(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  Status emit();

 private:
  std::string conninfo_;
  std::unique_ptr<PgConnection> conn_;
};

}  // namespace pgs3
