// Snapshots shared between connections, so that parallel COPYs read one consistent image of the database.
//
// The coordinator opens a REPEATABLE READ READ ONLY transaction and exports its snapshot (pg_export_snapshot());
// workers open the same kind of transaction and adopt it (SET TRANSACTION SNAPSHOT). The exporting transaction must
// stay open until every worker has imported the snapshot (functions-admin.html, "Snapshot Synchronization Functions").
// import_snapshot() takes any snapshot name, so the one returned by CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT works
// as well (that snapshot lives until the replication connection runs its next command).
//
// Thread-safety: free functions over a connection, which is used by one thread at a time.
#pragma once

#include <string>

#include "base/status.h"

namespace pgs3 {

class PgConnection;

// BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot(). Returns the snapshot name; the
// transaction stays open on `conn`.
Result<std::string> export_snapshot(PgConnection& conn);

// BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '<name>'. The transaction stays open.
// A snapshot that no longer exists is kBadInput naming it.
Status import_snapshot(PgConnection& conn, const std::string& snapshot_name);

// BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY, without a shared snapshot (a table read on its own).
Status begin_read_only(PgConnection& conn);

// COMMIT (ends a transaction begun by one of the above).
Status end_transaction(PgConnection& conn);

}  // namespace pgs3
