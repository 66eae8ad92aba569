// The start-up line that says how pgs3 reaches the source: the effective sslmode, whether TLS is in use, and the
// connect, keepalive and TCP timeouts (pg/connection_defaults.h) — logged once per run, from the first connection,
// with a warning when the server's certificate is not verified. Every connection of the run is opened from the same
// connection string and environment, so this one line speaks for all of them. Holds no secret.
//
// Thread-safety: a free function (log() is thread-safe).
#pragma once

#include "pg/connection.h"

namespace pgs3 {

// `warn_unverified` false when the warning was already given (a CDC run's preflight reports it as check "tls").
void log_source_connection(const PgConnection& connection, bool warn_unverified);

}  // namespace pgs3
