// ConnectFailure: why libpq could not open a session, for the fix a preflight check suggests.
//
// A connection that fails has no PGresult, hence no SQLSTATE: libpq gives only its error text (PQerrorMessage,
// libpq-connect), which carries the server's FATAL message when the server refused the session. This is therefore the
// one place in pgs3 that reads PostgreSQL's words to decide something; everything else decides on Status codes and
// SQLSTATEs. What it reads is the stable wording of the server's authentication and startup errors
// (src/backend/libpq/auth.c, postinit.c, walsender.c): "no pg_hba.conf entry for host \"...\", user \"...\", database
// \"...\"", "password authentication failed", "database \"...\" does not exist", "must be superuser or replication
// role", "number of requested standby connections exceeds max_wal_senders".
//
// Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pgs3 {

enum class ConnectFailureKind {
  kHbaRejected,         // no pg_hba.conf line accepts this client, user and database
  kBadPassword,         // the password is wrong or missing
  kNotFound,            // the database or the role does not exist
  kNotReplicationRole,  // a replication connection by a role without REPLICATION
  kNoWalSenders,        // max_wal_senders reached (or 0)
  kOther,               // not reached, refused, timed out, or anything else
};

struct ConnectFailure {
  ConnectFailureKind kind = ConnectFailureKind::kOther;
  // From a pg_hba.conf rejection, when the message names them ("" otherwise).
  std::string client_host;
  std::string user;
  std::string database;
};

ConnectFailure classify_connect_failure(std::string_view libpq_message);

}  // namespace pgs3
