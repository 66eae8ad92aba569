// StopCondition: when the replication loop has reached the task's CdcStopPosition (rules/cdc_stop_position.h:
// DMS's server_time: / commit_time: forms, or an LSN).
//
//   reached_at_begin()  a transaction that begins at or past the stop position: the loop stops before it, so
//                       nothing of it is written.
//   reached_idle()      a keepalive while no transaction is open: the server has sent everything before its WAL
//                       end. For an LSN, that is every transaction committed before it. For a time, the keepalive's
//                       clock is the server's now, not the time of the WAL being sent (a backlog may still be on its
//                       way): once that clock passes the stop time, the WAL insert position read then (through
//                       `wal_insert_lsn`) bounds every transaction committed before it, and the loop stops once the
//                       stream has passed that position.
//   reached_at_start()  a stop LSN at or before the start: every transaction committed before it was handled
//                       already (waiting for a keepalive to say so can take wal_sender_timeout / 2).
//
// Not thread-safe: the loop's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "base/status.h"
#include "pg/pgoutput_decoder.h"
#include "pg/replication_source.h"
#include "rules/cdc_stop_position.h"

namespace pgs3 {

class StopCondition {
 public:
  // The server's current WAL insert position (pg_current_wal_insert_lsn()); asked only for a time stop position.
  using WalInsertLsn = std::function<Result<uint64_t>()>;

  StopCondition(CdcStopPosition stop, WalInsertLsn wal_insert_lsn);

  bool is_set() const { return stop_.kind != CdcStopPosition::Kind::kNone; }
  bool reached_at_start(uint64_t start_lsn) const;
  bool reached_at_begin(const TransactionBegin& begin) const;
  // A failure to read the WAL insert position is logged and retried on the next keepalive.
  bool reached_idle(const ReplicationEvent& keepalive);

 private:
  CdcStopPosition stop_;
  WalInsertLsn wal_insert_lsn_;
  std::optional<uint64_t> time_stop_lsn_;  // for a time stop: the WAL insert position once the clock passed it
};

}  // namespace pgs3
