#include "pg/connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace pgs3 {
namespace {

// The server's (or libpq's) message on one line: libpq ends messages with "\n" and joins several (one per host
// tried) with newlines.
std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  bool pending_space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += "; ";
      pending_space = false;
    }
    out += c;
  }
  return out;
}

void replace_all(std::string& text, std::string_view secret, std::string_view with) {
  if (secret.empty()) return;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + with.size())) {
    text.replace(at, secret.size(), with);
  }
}

// Defence in depth: libpq does not echo passwords, but a message must never carry one whatever libpq does, so any
// occurrence of the password given in the connection string or in PGPASSWORD is blotted out. (Very short passwords
// are left alone: blotting every "a" out of a message would make it unreadable and hide nothing.)
std::string redact(std::string message, const std::string& conninfo_password) {
  constexpr size_t kMinRedacted = 3;
  if (conninfo_password.size() >= kMinRedacted) replace_all(message, conninfo_password, "***");
  const char* env = std::getenv("PGPASSWORD");
  if (env != nullptr && std::strlen(env) >= kMinRedacted) replace_all(message, env, "***");
  return message;
}

// libpq's parse errors quote pieces of the connection string ('missing "=" after "xyz"'), which could be part of a
// password. Keep only quoted pieces that are option names or single characters.
std::string redact_parse_error(const std::string& message) {
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    size_t open = message.find('"', i);
    if (open == std::string::npos) break;
    size_t close = message.find('"', open + 1);
    if (close == std::string::npos) break;
    std::string piece = message.substr(open + 1, close - open - 1);
    bool keep = piece.size() <= 1;
    if (!keep) {
      PQconninfoOption* defaults = PQconndefaults();
      for (PQconninfoOption* o = defaults; o != nullptr && o->keyword != nullptr; ++o) {
        if (piece == o->keyword) keep = true;
      }
      PQconninfoFree(defaults);
    }
    out.append(message, i, open - i);
    out += '"';
    out += keep ? piece : "...";
    out += '"';
    i = close + 1;
  }
  out.append(message, i, std::string::npos);
  return out;
}

std::string or_default(const char* value) { return value != nullptr && *value != '\0' ? value : "(default)"; }

std::string describe_conn(const PGconn* conn) {
  return "host " + or_default(PQhost(conn)) + " port " + or_default(PQport(conn)) + " user " +
         or_default(PQuser(conn)) + " database " + or_default(PQdb(conn));
}

StatusCode code_for_sqlstate(const std::string& sqlstate) {
  if (sqlstate.empty()) return StatusCode::kUnavailable;
  std::string_view cls = std::string_view(sqlstate).substr(0, 2);
  if (sqlstate == "57014") return StatusCode::kCancelled;                           // query_canceled
  if (cls == "08" || cls == "53" || cls == "57") return StatusCode::kUnavailable;   // connection, resources, shutdown
  if (sqlstate == "40001" || sqlstate == "40P01") return StatusCode::kUnavailable;  // serialization, deadlock
  if (cls == "22") return StatusCode::kDataError;
  if (cls == "XX") return StatusCode::kInternal;
  return StatusCode::kBadInput;
}

}  // namespace

// ---- PgResult ----

PgResult::PgResult(PGresult* result) : result_(result) {}
PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}
PgResult::PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

int PgResult::rows() const { return result_ == nullptr ? 0 : PQntuples(result_); }
int PgResult::columns() const { return result_ == nullptr ? 0 : PQnfields(result_); }
int PgResult::column_index(const char* name) const { return result_ == nullptr ? -1 : PQfnumber(result_, name); }
bool PgResult::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
std::string_view PgResult::get(int row, int column) const {
  return std::string_view(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
}
int64_t PgResult::get_int64(int row, int column, int64_t fallback) const {
  if (is_null(row, column)) return fallback;
  std::string_view v = get(row, column);
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size() ? out : fallback;
}
double PgResult::get_double(int row, int column, double fallback) const {
  if (is_null(row, column)) return fallback;
  std::string_view v = get(row, column);
  double out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size() ? out : fallback;
}
bool PgResult::get_bool(int row, int column) const { return !is_null(row, column) && get(row, column) == "t"; }

// ---- PgConnection ----

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& conninfo) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string reason = parse_error != nullptr ? one_line(parse_error) : "out of memory";
    if (parse_error != nullptr) PQfreemem(parse_error);
    return Status::bad_input("the PostgreSQL connection string is invalid: " + redact(redact_parse_error(reason), ""));
  }
  std::string password;
  std::vector<ConnectionOption> given;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "password") == 0) password = o->val;
    given.push_back({o->keyword, o->val});
  }
  PQconninfoFree(parsed);
  std::vector<ConnectionOption> added = connection_defaults(given, process_environment);

  // pgs3's defaults come first: keywords are applied in order and the last value wins, so everything the
  // connection string sets overrides them. expand_dbname = 1: the "dbname" value is a whole connection string or
  // URI. fallback_application_name names us unless the user named the application.
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const ConnectionOption& o : added) {
    keywords.push_back(o.keyword.c_str());
    values.push_back(o.value.c_str());
  }
  keywords.insert(keywords.end(), {"dbname", "fallback_application_name", nullptr});
  values.insert(values.end(), {conninfo.c_str(), "pgs3", nullptr});
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn == nullptr) return Status::unavailable("cannot connect to PostgreSQL: libpq is out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message =
        "cannot connect to PostgreSQL (" + describe_conn(conn) + "): " + one_line(PQerrorMessage(conn));
    for (const ConnectionOption& o : added) {
      // "server does not support SSL, but SSL was required", a certificate that does not verify, ...
      if (o.keyword == "sslmode" && message.find("SSL") != std::string::npos) {
        message += " (pgs3 connects to a remote host with sslmode=" + o.value +
                   " when source.connection and PGSSLMODE name none: enable TLS on the server, or set sslmode in "
                   "source.connection)";
      }
    }
    PQfinish(conn);
    return Status::bad_input(redact(std::move(message), password));
  }
  std::unique_ptr<PgConnection> c(new PgConnection(conn, std::move(added)));
  // Every value PostgreSQL sends in text then has one known form (README "Type mapping": DateStyle ISO,
  // IntervalStyle postgres); extra_float_digits 3 makes float text exact on servers before 12.
  Status s = c->exec(
      "SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET TimeZone = 'UTC'; "
      "SET client_encoding = 'UTF8'");
  if (!s.is_ok()) return s.with_context("cannot set up the session on " + c->describe());
  return c;
}

PgConnection::PgConnection(PGconn* conn, std::vector<ConnectionOption> added)
    : conn_(conn), cancel_(PQgetCancel(conn)), added_(std::move(added)) {}

PgConnection::~PgConnection() {
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgConnection::failure(const PGresult* result, const std::string& what) {
  last_sqlstate_.clear();
  if (result == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
    std::string reason = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_);
    return Status::unavailable(what + ": lost the connection to PostgreSQL (" + describe() + "): " + one_line(reason));
  }
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (sqlstate != nullptr) last_sqlstate_ = sqlstate;
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = what + ": " + (primary != nullptr ? primary : one_line(PQresultErrorMessage(result)));
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) message += " (" + one_line(detail) + ")";
  if (const char* hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT)) message += " HINT: " + one_line(hint);
  if (!last_sqlstate_.empty()) message += " [SQLSTATE " + last_sqlstate_ + "]";
  return Status::of(code_for_sqlstate(last_sqlstate_), std::move(message));
}

Result<PgResult> PgConnection::query(const std::string& sql, const std::vector<std::string>& params) {
  PGresult* raw_result;
  if (params.empty()) {
    raw_result = PQexec(conn_, sql.c_str());
  } else {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    raw_result =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  }
  PgResult result(raw_result);
  ExecStatusType st = raw_result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw_result);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return failure(raw_result, "query failed");
  last_sqlstate_.clear();
  return result;
}

Status PgConnection::exec(const std::string& sql) {
  // PQexec runs every statement of a multi-statement string and returns the last result, or the first error.
  PGresult* raw_result = PQexec(conn_, sql.c_str());
  PgResult owner(raw_result);
  ExecStatusType st = raw_result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw_result);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return failure(raw_result, "statement failed");
  last_sqlstate_.clear();
  return Status::ok();
}

void PgConnection::cancel() {
  cancelled_.store(true);
  char errbuf[256];
  if (cancel_ != nullptr) PQcancel(cancel_, errbuf, sizeof(errbuf));
}

Status PgConnection::drain_after_copy_failure() {
  char errbuf[256];
  if (cancel_ != nullptr) PQcancel(cancel_, errbuf, sizeof(errbuf));
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(conn_, &buf, 0);
    if (buf != nullptr) PQfreemem(buf);
    if (n < 0) break;
  }
  while (PGresult* r = PQgetResult(conn_)) PQclear(r);
  return Status::ok();
}

Status PgConnection::copy_out(const std::string& sql, const std::function<Status(std::string_view)>& on_data,
                              uint64_t* bytes_received) {
  if (cancelled_.load()) return Status::cancelled("cancelled before the COPY started on " + describe());
  {
    PGresult* start = PQexec(conn_, sql.c_str());
    PgResult owner(start);
    ExecStatusType st = start == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(start);
    if (st != PGRES_COPY_OUT) {
      if (st != PGRES_FATAL_ERROR && st != PGRES_NONFATAL_ERROR) {
        return Status::internal("COPY did not start a COPY OUT: " + sql.substr(0, 80));
      }
      Status s = failure(start, "COPY failed");
      return cancelled_.load() ? Status::cancelled("COPY cancelled on " + describe()) : s;
    }
  }
  for (;;) {
    if (cancelled_.load()) {
      (void)drain_after_copy_failure();
      return Status::cancelled("COPY cancelled on " + describe());
    }
    char* buf = nullptr;
    int n = PQgetCopyData(conn_, &buf, 0);
    if (n > 0) {
      if (bytes_received != nullptr) *bytes_received += static_cast<uint64_t>(n);
      Status s = on_data(std::string_view(buf, static_cast<size_t>(n)));
      PQfreemem(buf);
      if (!s.is_ok()) {
        (void)drain_after_copy_failure();
        return s;
      }
      continue;
    }
    if (buf != nullptr) PQfreemem(buf);
    if (n == -1) break;  // COPY done: the final result follows
    // -2: an error; PQgetResult has the reason.
    break;
  }
  // Collect the final result (CommandComplete or the error that ended the COPY), then the end of results.
  Status status;
  bool have_final = false;
  while (PGresult* r = PQgetResult(conn_)) {
    PgResult owner(r);
    if (have_final) continue;
    have_final = true;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) status = failure(r, "COPY failed");
  }
  if (!have_final) status = failure(nullptr, "COPY failed");
  if (!status.is_ok() && cancelled_.load()) return Status::cancelled("COPY cancelled on " + describe());
  return status;
}

int PgConnection::server_version_num() const { return PQserverVersion(conn_); }

std::string PgConnection::describe() const { return describe_conn(conn_); }

ConnectionSettings PgConnection::settings() const {
  ConnectionSettings out;
  // Only these keywords are read: PQconninfo's list also holds the password.
  constexpr const char* kShown[] = {"sslmode",         "sslrootcert",         "connect_timeout",  "keepalives",
                                    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"};
  PQconninfoOption* options = PQconninfo(conn_);
  for (const char* keyword : kShown) {
    std::string value;
    for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
      if (std::strcmp(o->keyword, keyword) == 0 && o->val != nullptr) value = o->val;
    }
    if (std::strcmp(keyword, "sslmode") == 0) out.sslmode = value;
    if (value.empty() && std::strcmp(keyword, "sslrootcert") == 0) continue;
    if (!out.text.empty()) out.text += ", ";
    out.text += std::string(keyword) + "=" + (value.empty() ? "(none)" : value);
    for (const ConnectionOption& o : added_) {
      if (o.keyword == keyword && o.value == value) {
        out.text += o.keyword == "sslmode" ? " (pgs3's default for a remote host)" : " (pgs3's default)";
      }
    }
    if (std::strcmp(keyword, "sslmode") == 0) {
      out.tls_in_use = PQsslInUse(conn_) != 0;
      const char* protocol = out.tls_in_use ? PQsslAttribute(conn_, "protocol") : nullptr;
      out.text += out.tls_in_use ? std::string(", TLS ") + (protocol != nullptr ? protocol : "in use") : ", no TLS";
    }
  }
  if (options != nullptr) PQconninfoFree(options);
  out.server_verified = out.tls_in_use && sslmode_verifies_server(out.sslmode);
  return out;
}

std::string ConnectionSettings::unverified_reason() const {
  if (server_verified) return "";
  return std::string("the PostgreSQL server's certificate is not verified (sslmode=") + sslmode +
         (tls_in_use ? ", TLS without a certificate check" : ", no TLS: the data travels in plaintext") +
         "): a machine on the network path could impersonate the server, or read and change the replicated data";
}

std::string PgConnection::user() const {
  const char* u = PQuser(conn_);
  return u != nullptr ? u : "";
}

// ---- quoting ----

std::string quote_ident(std::string_view identifier) {
  std::string out;
  out.reserve(identifier.size() + 2);
  out += '"';
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string quote_literal(std::string_view value) {
  bool backslash = value.find('\\') != std::string_view::npos;
  std::string out;
  out.reserve(value.size() + 3);
  // With a backslash, E'' syntax with doubled backslashes means the same whatever standard_conforming_strings is
  // (as PQescapeLiteral does).
  if (backslash) out += 'E';
  out += '\'';
  for (char c : value) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  out += '\'';
  return out;
}

std::string quote_qualified(std::string_view schema, std::string_view name) {
  return quote_ident(schema) + "." + quote_ident(name);
}

}  // namespace pgs3
