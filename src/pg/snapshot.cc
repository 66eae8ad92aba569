#include "pg/snapshot.h"

#include "pg/connection.h"

namespace pgs3 {

// READ ONLY: the full load never writes, and a read-only transaction cannot take a snapshot-breaking action by
// mistake. REPEATABLE READ: every statement of the transaction sees the one snapshot (transaction-iso.html).
constexpr const char* kBegin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

Result<std::string> export_snapshot(PgConnection& conn) {
  Status s = conn.exec(kBegin);
  if (!s.is_ok()) return s.with_context("cannot begin the snapshot transaction on " + conn.describe());
  auto result = conn.query("SELECT pg_export_snapshot()");
  if (!result.is_ok()) {
    (void)conn.exec("ROLLBACK");
    return result.status().with_context("cannot export a snapshot on " + conn.describe());
  }
  if (result->rows() != 1 || result->is_null(0, 0)) {
    (void)conn.exec("ROLLBACK");
    return Status::internal("pg_export_snapshot() returned no snapshot name");
  }
  return std::string(result->get(0, 0));
}

Status import_snapshot(PgConnection& conn, const std::string& snapshot_name) {
  Status s = conn.exec(kBegin);
  if (!s.is_ok()) return s.with_context("cannot begin the snapshot transaction on " + conn.describe());
  // SET TRANSACTION SNAPSHOT must be the transaction's first statement after BEGIN, and takes a literal only.
  s = conn.exec("SET TRANSACTION SNAPSHOT " + quote_literal(snapshot_name));
  if (!s.is_ok()) {
    std::string sqlstate = conn.last_sqlstate();
    (void)conn.exec("ROLLBACK");
    if (sqlstate == "22023" || s.code() == StatusCode::kBadInput || s.code() == StatusCode::kDataError) {
      // invalid_parameter_value: "snapshot ... does not exist" (its exporting transaction or replication command
      // has ended).
      return Status::bad_input("cannot import snapshot " + quote_literal(snapshot_name) + " on " + conn.describe() +
                               ": " + s.message());
    }
    return s.with_context("cannot import snapshot " + quote_literal(snapshot_name));
  }
  return Status::ok();
}

Status begin_read_only(PgConnection& conn) {
  Status s = conn.exec(kBegin);
  if (!s.is_ok()) return s.with_context("cannot begin a read-only transaction on " + conn.describe());
  return Status::ok();
}

Status end_transaction(PgConnection& conn) {
  Status s = conn.exec("COMMIT");
  if (!s.is_ok()) return s.with_context("cannot end the transaction on " + conn.describe());
  return Status::ok();
}

}  // namespace pgs3
