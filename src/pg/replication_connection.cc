#include "pg/replication_connection.h"

#include <libpq-fe.h>
#include <sys/select.h>

#include <cerrno>
#include <cstring>

namespace pgs3 {
namespace {

// 2000-01-01 00:00:00 UTC in microseconds since 1970 (PostgreSQL's epoch, used by every replication timestamp).
constexpr int64_t kPgEpochUnixMicros = 946684800LL * 1000000LL;

std::string one_line(std::string_view message) {
  std::string out;
  for (char c : message) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

uint64_t be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void put64(uint64_t v, char* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
}

// Slot names are lower-case letters, digits and underscores (ReplicationSlotValidateName), at most NAMEDATALEN-1.
bool valid_slot_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Status bad_slot_name(const std::string& name) {
  return Status::bad_input("replication slot name \"" + name +
                           "\" is invalid: use 1 to 63 lower-case letters, digits and underscores");
}

std::string quote_conninfo_value(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

std::string replication_conninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    if (error != nullptr) PQfreemem(error);
    return conninfo;
  }
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::strcmp(o->keyword, "replication") == 0) continue;
    out += o->keyword;
    out += '=';
    out += quote_conninfo_value(o->val);
    out += ' ';
  }
  PQconninfoFree(options);
  // "database": a walsender for logical replication, connected to the database named in the connection string,
  // that accepts SQL as well as replication commands (protocol-replication).
  out += "replication=database";
  return out;
}

int64_t pg_now_micros() {
  auto since_unix =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch());
  return since_unix.count() - kPgEpochUnixMicros;
}

Result<std::unique_ptr<ReplicationConnection>> ReplicationConnection::open(const std::string& conninfo) {
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::open(replication_conninfo(conninfo)));
  // pgoutput prints text-mode values with the walsender's settings; PgConnection::open set the others.
  Status s = conn->exec("SET bytea_output = 'hex'");
  if (!s.is_ok()) return s.with_context("cannot set up the replication session on " + conn->describe());
  return std::unique_ptr<ReplicationConnection>(new ReplicationConnection(std::move(conn)));
}

ReplicationConnection::~ReplicationConnection() { free_buffer(); }

void ReplicationConnection::free_buffer() {
  if (buffer_ != nullptr) PQfreemem(buffer_);
  buffer_ = nullptr;
}

Status ReplicationConnection::lost(const std::string& what) {
  streaming_ = false;
  return Status::unavailable(what + ": lost the replication connection to PostgreSQL (" + conn_->describe() +
                             "): " + one_line(PQerrorMessage(conn_->raw())));
}

Result<SystemIdentity> ReplicationConnection::identify_system() {
  PGS3_ASSIGN_OR_RETURN(PgResult r, conn_->query("IDENTIFY_SYSTEM"));
  if (r.rows() != 1 || r.columns() < 4) {
    return Status::data_error("IDENTIFY_SYSTEM on " + conn_->describe() + " returned an unexpected result");
  }
  SystemIdentity id;
  id.system_id = std::string(r.get(0, 0));
  id.timeline = static_cast<int>(r.get_int64(0, 1));
  std::optional<Lsn> pos = Lsn::parse(r.get(0, 2));
  if (!pos) return Status::data_error("IDENTIFY_SYSTEM returned an invalid xlogpos");
  id.xlog_pos = *pos;
  id.database = std::string(r.get(0, 3));
  return id;
}

Result<CreatedSlot> ReplicationConnection::create_slot(const std::string& name, bool export_snapshot, bool temporary) {
  if (!valid_slot_name(name)) return bad_slot_name(name);
  std::string sql = "CREATE_REPLICATION_SLOT \"" + name + "\"" + (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput";
  if (conn_->server_version_num() >= 150000) {
    sql += export_snapshot ? " (SNAPSHOT 'export')" : " (SNAPSHOT 'nothing')";
  } else {
    sql += export_snapshot ? " EXPORT_SNAPSHOT" : " NOEXPORT_SNAPSHOT";
  }
  Result<PgResult> r = conn_->query(sql);
  if (!r.is_ok()) {
    if (conn_->last_sqlstate() == "42710") {  // duplicate_object
      return Status::bad_input("replication slot \"" + name + "\" already exists on " + conn_->describe() +
                               "; drop it (SELECT pg_drop_replication_slot('" + name +
                               "')) or use it instead of creating it");
    }
    return r.status().with_context("cannot create replication slot \"" + name + "\"");
  }
  // Columns: slot_name, consistent_point, snapshot_name, output_plugin.
  if (r->rows() != 1 || r->columns() < 3) {
    return Status::data_error("CREATE_REPLICATION_SLOT returned an unexpected result");
  }
  CreatedSlot slot;
  slot.slot_name = std::string(r->get(0, 0));
  std::optional<Lsn> point = Lsn::parse(r->get(0, 1));
  if (!point) return Status::data_error("CREATE_REPLICATION_SLOT returned an invalid consistent point");
  slot.consistent_point = *point;
  if (!r->is_null(0, 2)) slot.snapshot_name = std::string(r->get(0, 2));
  return slot;
}

Result<std::optional<SlotInfo>> ReplicationConnection::slot_info(const std::string& name) {
  // Simple query protocol only (a walsender has no extended protocol), hence the literal.
  PGS3_ASSIGN_OR_RETURN(PgResult r,
                        conn_->query("SELECT slot_name, plugin, slot_type, database, active, active_pid, restart_lsn, "
                                     "confirmed_flush_lsn, " +
                                     std::string(conn_->server_version_num() >= 130000 ? "wal_status" : "''::text") +
                                     " FROM pg_catalog.pg_replication_slots WHERE slot_name = " + quote_literal(name)));
  if (r.rows() == 0) return std::optional<SlotInfo>();
  SlotInfo info;
  info.slot_name = std::string(r.get(0, 0));
  info.plugin = std::string(r.get(0, 1));
  info.slot_type = std::string(r.get(0, 2));
  info.database = std::string(r.get(0, 3));
  info.active = r.get_bool(0, 4);
  info.active_pid = static_cast<int>(r.get_int64(0, 5));
  info.restart_lsn = Lsn::parse(r.get(0, 6)).value_or(Lsn());
  info.confirmed_flush_lsn = Lsn::parse(r.get(0, 7)).value_or(Lsn());
  info.wal_status = std::string(r.get(0, 8));
  return std::optional<SlotInfo>(std::move(info));
}

Status ReplicationConnection::drop_slot(const std::string& name) {
  if (!valid_slot_name(name)) return bad_slot_name(name);
  return conn_->exec("DROP_REPLICATION_SLOT \"" + name + "\" WAIT")
      .with_context("cannot drop replication slot \"" + name + "\"");
}

Status ReplicationConnection::check_slot_usable(const std::string& slot) {
  PGS3_ASSIGN_OR_RETURN(std::optional<SlotInfo> info, slot_info(slot));
  if (!info) {
    return Status::not_found("replication slot \"" + slot + "\" does not exist on " + conn_->describe() +
                             "; create it (a full-load-and-cdc task does) or fix the slot name");
  }
  if (info->slot_type != "logical" || info->plugin != "pgoutput") {
    return Status::bad_input("replication slot \"" + slot + "\" is a " + info->slot_type + " slot of plugin \"" +
                             info->plugin + "\"; pgs3 needs a logical slot of plugin pgoutput");
  }
  if (info->wal_status == "lost") {
    return Status::slot_lost("replication slot \"" + slot +
                             "\" is lost: the WAL it needs was removed (max_slot_wal_keep_size); the changes since "
                             "its last confirmed position are gone, so a new full load is needed: run `pgs3 drop "
                             "TASK.json --purge-target` (it drops the slot, the publication, the task's files and "
                             "checkpoint), then run the task again as full-load-and-cdc");
  }
  if (info->active && info->active_pid != 0) {
    return Status::bad_input(
        "replication slot \"" + slot + "\" is in use by another process (PID " + std::to_string(info->active_pid) +
        "); stop that consumer, or end it with SELECT pg_terminate_backend(" + std::to_string(info->active_pid) + ")");
  }
  return Status::ok();
}

Status ReplicationConnection::start(const StartOptions& options) {
  if (streaming_) return Status::internal("start() called while streaming");
  if (!valid_slot_name(options.slot)) return bad_slot_name(options.slot);
  if (options.publications.empty()) return Status::bad_input("no publication given for logical replication");
  PGS3_RETURN_IF_ERROR(check_slot_usable(options.slot));

  // publication_names is a list of identifiers, each double-quoted, inside one string literal
  // (protocol-logical-replication, "Logical Streaming Replication Parameters").
  std::string names;
  for (const auto& p : options.publications) {
    if (!names.empty()) names += ',';
    names += quote_ident(p);
  }
  bool v14 = conn_->server_version_num() >= 140000;
  std::string sql = "START_REPLICATION SLOT \"" + options.slot + "\" LOGICAL " + options.start_lsn.to_string() +
                    " (proto_version '" + std::to_string(options.proto_version) + "', publication_names " +
                    quote_literal(names);
  if (v14 && options.binary) sql += ", binary 'true'";
  if (v14 && options.messages) sql += ", messages 'true'";
  sql += ")";

  PGresult* raw = PQexec(conn_->raw(), sql.c_str());
  PgResult owner(raw);
  if (raw != nullptr && PQresultStatus(raw) == PGRES_COPY_BOTH) {
    streaming_ = true;
    last_write_ = last_flush_ = last_apply_ = options.start_lsn;
    return Status::ok();
  }
  if (raw == nullptr || PQstatus(conn_->raw()) == CONNECTION_BAD) return lost("START_REPLICATION");
  const char* sqlstate = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  std::string message = one_line(PQresultErrorMessage(raw));
  if (sqlstate != nullptr && std::strcmp(sqlstate, "55006") == 0) {
    // object_in_use: another process took the slot between the check and the command; name it.
    Status again = check_slot_usable(options.slot);
    if (!again.is_ok()) return again;
  }
  return Status::bad_input("cannot start logical replication from slot \"" + options.slot + "\" on " +
                           conn_->describe() + ": " + message);
}

Result<ReplicationEvent> ReplicationConnection::next(std::chrono::milliseconds timeout) {
  if (!streaming_) return Status::internal("next() called while not streaming");
  free_buffer();
  PGconn* pg = conn_->raw();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int n = PQgetCopyData(pg, &buffer_, 1);
    if (n > 0) {
      ReplicationEvent e;
      const char* b = buffer_;
      // XLogData: Byte1('w'), Int64 start, Int64 end of WAL, Int64 send time, Byten data. Primary keepalive:
      // Byte1('k'), Int64 end of WAL, Int64 send time, Byte1 reply requested (protocol-replication).
      if (b[0] == 'w' && n >= 25) {
        e.kind = ReplicationEventKind::kXLogData;
        e.wal_start = Lsn(be64(b + 1));
        e.wal_end = Lsn(be64(b + 9));
        e.server_time_us = static_cast<int64_t>(be64(b + 17));
        e.payload = std::string_view(b + 25, static_cast<size_t>(n - 25));
        return e;
      }
      if (b[0] == 'k' && n >= 18) {
        e.kind = ReplicationEventKind::kKeepalive;
        e.wal_end = Lsn(be64(b + 1));
        e.server_time_us = static_cast<int64_t>(be64(b + 9));
        e.reply_requested = b[17] != 0;
        return e;
      }
      return Status::data_error("the replication stream sent an unknown message (type byte " +
                                std::to_string(static_cast<uint8_t>(b[0])) + ", " + std::to_string(n) + " bytes)");
    }
    if (n == -2) return lost("reading the replication stream");
    if (n == -1) {
      // The server ended the COPY: its reason is in the result that follows.
      streaming_ = false;
      std::string reason = "the server ended replication";
      while (PGresult* r = PQgetResult(pg)) {
        if (PQresultStatus(r) == PGRES_FATAL_ERROR) reason = one_line(PQresultErrorMessage(r));
        PQclear(r);
      }
      if (PQstatus(pg) == CONNECTION_BAD) return lost("reading the replication stream");
      return Status::unavailable("logical replication stopped on " + conn_->describe() + ": " + reason);
    }
    // Nothing buffered: wait for the socket.
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return ReplicationEvent{};
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    int fd = PQsocket(pg);
    if (fd < 0) return lost("reading the replication stream");
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    timeval tv{static_cast<time_t>(left.count() / 1000000), static_cast<suseconds_t>(left.count() % 1000000)};
    int ready = select(fd + 1, &readable, nullptr, nullptr, &tv);
    if (ready < 0 && errno != EINTR) {
      return Status::unavailable(std::string("waiting for the replication stream: select failed: ") +
                                 std::strerror(errno));
    }
    if (ready > 0 && PQconsumeInput(pg) == 0) return lost("reading the replication stream");
  }
}

Status ReplicationConnection::send_status(Lsn write, Lsn flush, Lsn apply, bool reply_requested) {
  if (!streaming_) return Status::internal("send_status() called while not streaming");
  // Standby status update: Byte1('r'), then Int64 each for written, flushed and applied ("the location of the last
  // WAL byte + 1": for a transaction, the end LSN of its commit), Int64 client clock (microseconds since
  // 2000-01-01), Byte1 reply requested (protocol-replication).
  char msg[34];
  msg[0] = 'r';
  put64(write.value(), msg + 1);
  put64(flush.value(), msg + 9);
  put64(apply.value(), msg + 17);
  put64(static_cast<uint64_t>(pg_now_micros()), msg + 25);
  msg[33] = reply_requested ? 1 : 0;
  PGconn* pg = conn_->raw();
  if (PQputCopyData(pg, msg, sizeof msg) != 1 || PQflush(pg) != 0) return lost("sending a standby status update");
  last_write_ = write;
  last_flush_ = flush;
  last_apply_ = apply;
  return Status::ok();
}

Status ReplicationConnection::stop(std::chrono::milliseconds timeout) {
  if (!streaming_) return Status::ok();
  free_buffer();
  PGconn* pg = conn_->raw();
  streaming_ = false;
  if (PQputCopyEnd(pg, nullptr) != 1 || PQflush(pg) != 0) return lost("ending replication");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait = [&]() -> Status {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Status::unavailable("the server did not end replication within " + std::to_string(timeout.count()) +
                                 " ms on " + conn_->describe());
    }
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    int fd = PQsocket(pg);
    if (fd < 0) return lost("ending replication");
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    timeval tv{static_cast<time_t>(left.count() / 1000000), static_cast<suseconds_t>(left.count() % 1000000)};
    int ready = select(fd + 1, &readable, nullptr, nullptr, &tv);
    if (ready > 0 && PQconsumeInput(pg) == 0) return lost("ending replication");
    return Status::ok();
  };
  // The server may still send data it had queued before our CopyDone; it answers with its own CopyDone.
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(pg, &buf, 1);
    if (buf != nullptr) PQfreemem(buf);
    if (n > 0) continue;
    if (n == -1) break;
    if (n == -2) return lost("ending replication");
    PGS3_RETURN_IF_ERROR(wait());
  }
  std::string error;
  for (;;) {
    while (PQisBusy(pg)) PGS3_RETURN_IF_ERROR(wait());
    PGresult* r = PQgetResult(pg);
    if (r == nullptr) break;
    if (PQresultStatus(r) == PGRES_FATAL_ERROR) error = one_line(PQresultErrorMessage(r));
    PQclear(r);
  }
  if (!error.empty()) return Status::unavailable("ending replication on " + conn_->describe() + ": " + error);
  return Status::ok();
}

}  // namespace pgs3
