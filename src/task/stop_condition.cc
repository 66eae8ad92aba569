#include "task/stop_condition.h"

#include "base/log.h"

namespace pgs3 {

StopCondition::StopCondition(CdcStopPosition stop, WalInsertLsn wal_insert_lsn)
    : stop_(stop), wal_insert_lsn_(std::move(wal_insert_lsn)) {}

bool StopCondition::reached_at_start(uint64_t start_lsn) const {
  return stop_.kind == CdcStopPosition::Kind::kLsn && stop_.lsn <= start_lsn;
}

bool StopCondition::reached_at_begin(const TransactionBegin& begin) const {
  switch (stop_.kind) {
    case CdcStopPosition::Kind::kNone: return false;
    case CdcStopPosition::Kind::kLsn: return begin.final_lsn >= stop_.lsn;
    case CdcStopPosition::Kind::kServerTime:
    case CdcStopPosition::Kind::kCommitTime: return begin.commit_time_us > stop_.time_us;
  }
  return false;
}

bool StopCondition::reached_idle(const ReplicationEvent& keepalive) {
  switch (stop_.kind) {
    case CdcStopPosition::Kind::kNone: return false;
    case CdcStopPosition::Kind::kLsn: return keepalive.wal_end.value() >= stop_.lsn;
    case CdcStopPosition::Kind::kServerTime:
    case CdcStopPosition::Kind::kCommitTime:
      if (!time_stop_lsn_ && keepalive.server_time_us > stop_.time_us && wal_insert_lsn_) {
        Result<uint64_t> lsn = wal_insert_lsn_();
        if (lsn.is_ok()) {
          time_stop_lsn_ = *lsn;
        } else {
          log_warn("cannot read the server's WAL position for the CDC stop position (will retry): " +
                   lsn.status().message());
        }
      }
      return time_stop_lsn_ && keepalive.wal_end.value() >= *time_stop_lsn_;
  }
  return false;
}

}  // namespace pgs3
