// ReplicationConnection: a logical replication (walsender) connection to the source database
// (protocol-replication, protocol-logical-replication).
//
// open() connects with the user's libpq connection string or URI plus replication=database (the password comes from
// libpq's own sources, as for PgConnection; messages never contain it) and fixes the session as PgConnection does
// (DateStyle ISO, IntervalStyle postgres, extra_float_digits 3, TimeZone UTC, client_encoding UTF8) plus
// bytea_output hex: pgoutput prints text-mode values with the walsender's settings, and TupleDecoder parses those
// forms.
//
// Before start(), the connection runs replication commands (IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT) and SQL
// (slot_info()). create_slot(..., export_snapshot = true) returns the name of a snapshot that other connections can
// import (pg/snapshot.h) for the full load; that snapshot exists only until this connection runs its next command
// (any command: slot_info(), start(), another create_slot()), so import it everywhere first.
//
// start() enters CopyBoth mode; then next() returns XLogData, keepalives, or a timeout, and send_status() reports
// positions. Per DESIGN.md §3.3 the flush position sent must be the end of what is durable in the target; pass
// the same value for write and apply unless you know better. A keepalive with reply_requested must be answered
// (answer_keepalive() resends the last positions) or the server drops the connection after wal_sender_timeout.
// stop() ends streaming cleanly; the destructor closes the connection without it.
//
// Errors: a slot held by another process is kBadInput naming the slot and that process's PID; a slot whose WAL
// was removed (wal_status lost) is kSlotLost saying a new full load is needed; a missing slot is kNotFound; a lost
// connection is kUnavailable.
//
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/lsn.h"
#include "pg/connection.h"
#include "pg/replication_source.h"

namespace pgs3 {

struct SystemIdentity {
  std::string system_id;
  int timeline = 0;
  Lsn xlog_pos;          // the current WAL flush location
  std::string database;  // the database of this connection
};

struct CreatedSlot {
  std::string slot_name;
  Lsn consistent_point;       // streaming from here sees exactly the transactions the snapshot does not
  std::string snapshot_name;  // empty unless exported; valid until the next command on this connection
};

// A row of pg_replication_slots.
struct SlotInfo {
  std::string slot_name;
  std::string plugin;
  std::string slot_type;  // "logical" or "physical"
  std::string database;
  bool active = false;
  int active_pid = 0;  // 0 when not active
  Lsn restart_lsn;
  Lsn confirmed_flush_lsn;
  std::string wal_status;  // reserved, extended, unreserved, lost ("" before PostgreSQL 13)
};

struct StartOptions {
  std::string slot;
  Lsn start_lsn;  // 0/0: from the slot's confirmed flush position
  std::vector<std::string> publications;
  int proto_version = 1;
  bool binary = false;   // honoured on PostgreSQL 14 and later, ignored (text) before
  bool messages = true;  // pg_logical_emit_message() messages (PostgreSQL 14 and later)
};

class ReplicationConnection final : public ReplicationSource {
 public:
  static Result<std::unique_ptr<ReplicationConnection>> open(const std::string& conninfo);
  ~ReplicationConnection() override;
  ReplicationConnection(const ReplicationConnection&) = delete;
  ReplicationConnection& operator=(const ReplicationConnection&) = delete;

  Result<SystemIdentity> identify_system();
  // CREATE_REPLICATION_SLOT "name" [TEMPORARY] LOGICAL pgoutput, exporting a snapshot or not (NOEXPORT_SNAPSHOT).
  // A temporary slot is dropped when this connection closes. A slot that exists already is kBadInput naming it.
  Result<CreatedSlot> create_slot(const std::string& name, bool export_snapshot, bool temporary = false);
  // The slot's row of pg_replication_slots, or nullopt when there is no such slot.
  Result<std::optional<SlotInfo>> slot_info(const std::string& name);
  // DROP_REPLICATION_SLOT "name" WAIT (waits while another process holds it).
  Status drop_slot(const std::string& name);
  // Checks the slot (exists, logical pgoutput, not lost, not active elsewhere) and enters streaming.
  Status start(const StartOptions& options);
  // The next message from the server, waiting at most `timeout`.
  Result<ReplicationEvent> next(std::chrono::milliseconds timeout) override;
  // Standby status update ('r'): positions received/written, flushed (durable: the slot's confirmed flush),
  // applied. reply_requested asks the server to answer with a keepalive.
  Status send_status(Lsn write, Lsn flush, Lsn apply, bool reply_requested = false) override;
  // Sends the last positions given to send_status() again (or the start position): the answer to a keepalive.
  Status answer_keepalive() { return send_status(last_write_, last_flush_, last_apply_, false); }
  // Ends streaming (CopyDone) and drains what the server still sends, for at most `timeout`. The connection can
  // run commands again afterwards.
  Status stop(std::chrono::milliseconds timeout = std::chrono::seconds(10)) override;

  bool streaming() const override { return streaming_; }
  Lsn last_flush() const { return last_flush_; }
  int server_version_num() const { return conn_->server_version_num(); }
  std::string describe() const { return conn_->describe(); }
  PgConnection& connection() { return *conn_; }

 private:
  explicit ReplicationConnection(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}
  Status lost(const std::string& what);
  Status check_slot_usable(const std::string& slot);
  void free_buffer();

  std::unique_ptr<PgConnection> conn_;
  bool streaming_ = false;
  char* buffer_ = nullptr;  // the last CopyData libpq gave us; the payload of the last event points into it
  Lsn last_write_;
  Lsn last_flush_;
  Lsn last_apply_;
};

// The conninfo for the replication connection: every option of `conninfo` (a key=value string or a URI) plus
// replication=database, as a key=value string. Exposed for tests. An unparsable conninfo is returned unchanged
// (PgConnection::open then reports it without echoing secrets).
std::string replication_conninfo(const std::string& conninfo);

// Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch) of the system clock.
int64_t pg_now_micros();

}  // namespace pgs3
