// ReplicationSource: what the replication loop reads from — a stream of pgoutput messages and keepalives, and the
// standby status updates it answers with (protocol-replication: CopyBoth, XLogData 'w', keepalive 'k', standby
// status update 'r').
//
// ReplicationConnection (pg/replication_connection.h) is the real one, a walsender connection; unit tests give the
// loop a scripted source. The contract the loop relies on is the walsender's:
//   - transactions arrive whole and in commit order; a message's payload is valid until the next call of next();
//   - the flush position sent with send_status() is what the slot may confirm: after a restart, the server resends
//     every transaction whose commit record starts at or after the confirmed flush position (DESIGN.md §3.3);
//   - a keepalive with reply_requested must be answered soon, or the server ends the connection.
//
// Errors: a lost connection is kUnavailable. Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "model/lsn.h"

namespace pgs3 {

enum class ReplicationEventKind { kXLogData, kKeepalive, kTimeout };

struct ReplicationEvent {
  ReplicationEventKind kind = ReplicationEventKind::kTimeout;
  Lsn wal_start;                 // kXLogData: where the payload's WAL starts (for pgoutput: the message's record)
  Lsn wal_end;                   // the server's current end of WAL
  int64_t server_time_us = 0;    // the server's clock, microseconds since 2000-01-01 UTC
  bool reply_requested = false;  // kKeepalive: answer now
  std::string_view payload;      // kXLogData: one pgoutput message; valid until the next call of next()
};

class ReplicationSource {
 public:
  virtual ~ReplicationSource() = default;

  // The next message from the server, waiting at most `timeout` (then kTimeout).
  virtual Result<ReplicationEvent> next(std::chrono::milliseconds timeout) = 0;
  // Standby status update: positions received/written, flushed (durable: the slot's confirmed flush), applied.
  // reply_requested asks the server to answer with a keepalive.
  virtual Status send_status(Lsn write, Lsn flush, Lsn apply, bool reply_requested = false) = 0;
  // Ends streaming (CopyDone) and drains what the server still sends, for at most `timeout`.
  virtual Status stop(std::chrono::milliseconds timeout = std::chrono::seconds(10)) = 0;
  virtual bool streaming() const = 0;
};

}  // namespace pgs3
