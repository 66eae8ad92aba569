// CdcStopPosition: where a CDC task ends by itself (DMS's StartReplicationTask --cdc-stop-position).
//
// Forms accepted (DMS's two, plus a plain LSN):
//   "server_time:2026-11-30T12:00:00[.ffffff]"  stop once the stream has reached WAL the server wrote at that time:
//                                               the first transaction committed after it is not written
//   "commit_time:2026-11-30T12:00:00[.ffffff]"  stop before the first transaction committed after that time
//   "0/16B6C50"                                  stop before the first transaction whose commit LSN is at or past it
// Times are UTC (a trailing "Z" is accepted). In every form, pgs3 stops only once each earlier change is durable in
// the target and confirmed; it exits 0.
//
// A value type; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace pgs3 {

struct CdcStopPosition {
  enum class Kind { kNone, kLsn, kServerTime, kCommitTime };
  Kind kind = Kind::kNone;
  uint64_t lsn = 0;     // kLsn
  int64_t time_us = 0;  // kServerTime, kCommitTime: microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch)
};

// "" gives kNone. A malformed value is kBadInput saying which forms are accepted.
Result<CdcStopPosition> parse_cdc_stop_position(const std::string& text);

}  // namespace pgs3
