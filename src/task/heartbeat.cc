#include "task/heartbeat.h"

#include <algorithm>

#include "base/log.h"

namespace pgs3 {

Heartbeat::Heartbeat(std::chrono::minutes every, std::function<Status()> emit)
    : every_(every), emit_(std::move(emit)) {}

void Heartbeat::tick(Clock::time_point now) {
  if (!emit_ || now < next_) return;
  Status st = emit_();
  if (st.is_ok()) {
    if (failures_ > 0) {
      log_info("heartbeat resumed (HeartbeatEnable) after " + std::to_string(failures_) + " failed attempt(s)");
    }
    failures_ = 0;
    retry_ = kFirstRetry;
    next_ = now + every_;
    return;
  }
  if (failures_ == 0) {
    log_warn("heartbeat failed (HeartbeatEnable): " + st.message() +
             "; retrying with backoff — the slot still advances on keepalives whenever the server writes WAL");
  }
  ++failures_;
  const auto wait = std::min<std::chrono::milliseconds>(retry_, every_);
  next_ = now + wait;
  retry_ = std::min<std::chrono::milliseconds>(retry_ * 2, every_);
}

Status HeartbeatSession::emit() {
  if (conn_ == nullptr) {
    auto opened = PgConnection::open(conninfo_);
    if (!opened.is_ok()) return opened.status().with_context("cannot open the heartbeat connection");
    conn_ = std::move(opened).value();
  }
  Status st = conn_->exec("SELECT pg_catalog.pg_logical_emit_message(false, 'pgs3-heartbeat', '')");
  // Whatever went wrong, the next attempt starts from a new connection (a broken one never recovers by itself).
  if (!st.is_ok()) conn_.reset();
  return st;
}

}  // namespace pgs3
