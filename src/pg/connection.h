// PgConnection: one libpq connection to the source database, with the session settings pgs3's decoders rely on.
//
// open() connects with a libpq connection string or URI (the password comes from libpq's own sources: PGPASSWORD,
// ~/.pgpass, PGPASSFILE; pgs3 never handles it) and then fixes the session so that every value PostgreSQL sends has
// one known form: DateStyle ISO, IntervalStyle postgres, extra_float_digits 3, TimeZone UTC, client_encoding UTF8.
// application_name defaults to "pgs3" (libpq's fallback_application_name: a name given in the connection string
// wins). Unless the user chose them, pgs3 also sets sslmode (require for a remote host), connect_timeout, TCP
// keepalives and tcp_user_timeout (pg/connection_defaults.h); settings() tells what the connection ended up with.
//
// Failures are Status values whose messages name the server (describe()) and carry the server's own message; they
// never contain the password. The code follows the SQLSTATE: connection problems (08), resources (53), server
// shutdowns (57), serialization failures and deadlocks are kUnavailable; query_canceled (57014) kCancelled; data
// exceptions (22) kDataError; internal errors (XX) kInternal; everything else, insufficient_privilege (42501)
// included, kBadInput. last_sqlstate() gives the exact code.
//
// Thread-safety: a connection is used by one thread at a time, except cancel(), which any thread may call (and
// which is safe in a signal handler) to stop the statement that is running.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "pg/connection_defaults.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef struct pg_cancel PGcancel;

namespace pgs3 {

// The rows of one query result, all in text format. Move-only; owns the libpq result.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result);
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  int columns() const;
  // Index of the column named `name`, or -1.
  int column_index(const char* name) const;
  bool is_null(int row, int column) const;
  // The value's text ("" for NULL). Valid while this PgResult lives.
  std::string_view get(int row, int column) const;
  // Convenience parsers for catalog values; a NULL or unparsable value gives `fallback`.
  int64_t get_int64(int row, int column, int64_t fallback = 0) const;
  double get_double(int row, int column, double fallback = 0) const;
  // PostgreSQL's boolean text: "t" is true.
  bool get_bool(int row, int column) const;

 private:
  PGresult* result_ = nullptr;
};

// How a connection is protected and timed: the effective libpq values, wherever they came from (the connection
// string, libpq's environment variables or service file, pgs3's defaults, libpq's defaults). Holds no secret.
struct ConnectionSettings {
  std::string sslmode;
  bool tls_in_use = false;
  bool server_verified = false;  // TLS in use with sslmode verify-ca or verify-full
  // "sslmode=require (pgs3's default for a remote host), TLS TLSv1.3, connect_timeout=10, keepalives=1, ..."
  std::string text;
  // For a connection whose server is not verified: what that exposes ("" when verified); kVerifyFix says what to do.
  std::string unverified_reason() const;
  static constexpr const char* kVerifyFix =
      "set sslmode=verify-full and sslrootcert=<the server's CA file> in source.connection (or PGSSLMODE and "
      "PGSSLROOTCERT)";
};

class PgConnection {
 public:
  // Connects and applies the session settings above. A failure to connect is kBadInput with a message
  // "cannot connect to PostgreSQL (host H port P user U database D): <libpq's reason>".
  static Result<std::unique_ptr<PgConnection>> open(const std::string& conninfo);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement that returns rows (or none). `params` are bound as text $1, $2, ... (no quoting needed).
  Result<PgResult> query(const std::string& sql, const std::vector<std::string>& params = {});
  // Runs one or more statements that return no rows we need (SET, BEGIN, COMMIT, ...).
  Status exec(const std::string& sql);

  // Runs `sql`, a COPY ... TO STDOUT, and hands every CopyData message to `on_data` in order, as libpq delivers it
  // (the bytes are valid only during the call). If on_data fails, or cancel() is called, the COPY is cancelled on
  // the server, the connection is drained back to idle (still usable, though an enclosing transaction is then
  // aborted), and that failure (or kCancelled) is returned. `bytes_received`, if given, counts the payload bytes.
  Status copy_out(const std::string& sql, const std::function<Status(std::string_view)>& on_data,
                  uint64_t* bytes_received = nullptr);

  // Asks the server to cancel the statement that is running (if any) and makes the current or next copy_out
  // return kCancelled. Thread-safe and async-signal-safe.
  void cancel();
  // Forgets an earlier cancel() so the connection can run statements again.
  void reset_cancel() { cancelled_.store(false); }

  // PostgreSQL's server_version_num, e.g. 150004.
  int server_version_num() const;
  // "host H port P user U database D", from libpq's view of the connection; never the password.
  std::string describe() const;
  // The effective TLS mode and timeouts, for the start-up log.
  ConnectionSettings settings() const;
  // The role name the connection logged in as.
  std::string user() const;
  // The SQLSTATE of the last failed statement ("" if the last statement succeeded or failed without one).
  const std::string& last_sqlstate() const { return last_sqlstate_; }

  // The underlying libpq connection, for protocol work (replication) that this class does not wrap.
  PGconn* raw() { return conn_; }

 private:
  PgConnection(PGconn* conn, std::vector<ConnectionOption> added);
  // Builds the Status for a failed result (or a connection failure when result is null) and records its SQLSTATE.
  Status failure(const PGresult* result, const std::string& what);
  Status drain_after_copy_failure();

  PGconn* conn_ = nullptr;
  PGcancel* cancel_ = nullptr;
  std::atomic<bool> cancelled_{false};
  std::string last_sqlstate_;
  std::vector<ConnectionOption> added_;  // the options pgs3 added to the user's (connection_defaults)
};

// SQL quoting with PostgreSQL's rules (standard_conforming_strings on, the default since 9.1).
// quote_ident("Order Items") == "\"Order Items\"", embedded double quotes doubled; always quoted.
std::string quote_ident(std::string_view identifier);
// quote_literal("it's") == "'it''s'"; a value with a backslash becomes E'...' with backslashes doubled.
std::string quote_literal(std::string_view value);
// quote_ident(schema) + "." + quote_ident(name).
std::string quote_qualified(std::string_view schema, std::string_view name);

}  // namespace pgs3
