// Source preflight: the read-only checks that tell, before a task runs, whether a PostgreSQL source can serve it —
// and, for each problem, the exact fix (the setting and its value; on RDS the DB parameter group parameter and
// whether the instance must be rebooted).
//
// For every migration type: the connection, the server version and SELECT on every selected table. For cdc and
// full-load-and-cdc also (AWS DMS User Guide, "Using a PostgreSQL database as a source", and the requirements of
// PostgreSQL's logical replication): wal_level (rds.logical_replication on RDS), max_replication_slots and
// max_wal_senders against what is already taken, wal_sender_timeout (0, or 10 s to 5 min), the REPLICATION privilege
// (superuser, rds_superuser, rds_replication or the REPLICATION attribute), the right to create the publication
// (ownership of every selected table, unless the publication exists), a replication connection (replication=database,
// IDENTIFY_SYSTEM), the slot (usable or creatable), inactive slots that hold WAL, and per selected table its replica
// identity, its TOAST-able columns and its columns written as text.
//
// RDS is recognised by the rds_superuser role or any rds.* setting. Nothing on the server is changed: only catalog
// queries, SHOW-like reads and IDENTIFY_SYSTEM run.
//
// Thread-safety: check_source() is a free function; each call opens its own connections.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pg/catalog.h"

namespace pgs3 {

enum class CheckStatus { kPass, kInfo, kWarn, kFail };

// "pass", "info", "warn", "fail".
const char* check_status_name(CheckStatus status);

// One line of the preflight report.
struct PreflightCheck {
  std::string name;  // stable identifier, e.g. "wal_level", "replica_identity"
  CheckStatus status = CheckStatus::kPass;
  std::string detail;  // what was found
  std::string fix;     // what to change, for a warning or failure ("" when there is nothing to do)
  // A failure that may clear by itself within seconds: the task's slot held by a process under the application_name
  // pgs3 connects with (most likely an earlier run whose walsender has not yet noticed it is gone). `pgs3 run` waits
  // for such a failure; every other failure stops it at once.
  bool transient = false;
};

struct SourcePreflightOptions {
  std::string conninfo;  // libpq connection string or URI, without the password
  bool cdc = false;      // the task replicates changes (cdc, full-load-and-cdc)
  std::string slot_name;
  std::string publication_name;
  // The task's selection rules: true when the table is selected. The rules live in the caller (pg knows no rules).
  std::function<bool(const SourceTable&)> is_selected;
};

// Runs every source check that applies. Checks that depend on an earlier failure (no connection) are not run; the
// earlier failure says why.
std::vector<PreflightCheck> check_source(const SourcePreflightOptions& options);

// The pg_hba.conf line a replication=database connection needs: PostgreSQL matches such a (logical replication)
// connection against the database column like any other connection — the `replication` keyword only matches
// physical replication (client-auth, pg_hba.conf "database" field). `client_address` is an IP address; /32 or /128
// is added. Exposed for tests.
std::string replication_hba_line(const std::string& database, const std::string& user,
                                 const std::string& client_address);

}  // namespace pgs3
