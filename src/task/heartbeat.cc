#include "task/heartbeat.h"

#include "base/log.h"

namespace pgs3 {

Heartbeat::Heartbeat(std::chrono::minutes every, std::function<Status()> emit)
    : every_(every), emit_(std::move(emit)) {}

void Heartbeat::tick(Clock::time_point now) {
  if (!emit_ || now - last_ < every_) return;
  last_ = now;
  Status st = emit_();
  if (!st.is_ok() && !warned_) {
    warned_ = true;
    log_warn("heartbeat failed (HeartbeatEnable): " + st.message() +
             "; the slot still advances on keepalives whenever the server writes WAL");
  }
}

}  // namespace pgs3
