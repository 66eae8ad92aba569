// Connection defaults: the libpq options pgs3 adds to source.connection when the user did not choose them, so that a
// remote server is reached over TLS and a silent network cannot keep pgs3 waiting forever.
//
// libpq's own defaults are sslmode=prefer (TLS if the server offers it, no certificate check, and silently plaintext
// if it does not) and no timeouts at all. For every connection pgs3 opens (normal, replication, heartbeat, preflight,
// status, drop) PgConnection::open adds, unless the connection string, libpq's environment variable or a service
// file (libpq-pgservice) sets it:
//   - sslmode=require when some host is neither loopback (127.0.0.0/8, ::1, localhost) nor a Unix socket, and
//     sslmode=verify-full when sslrootcert is given as well (the user gave a CA to check the server against);
//   - connect_timeout=10 (s): a host that does not answer is given up on, and the next one (or a retry) is tried;
//   - keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3: an idle connection whose peer
//     vanished (a failover, a dropped NAT entry) is found dead after 30 + 3 x 10 = 60 s — the time after which the
//     server, by wal_sender_timeout's default, gives up on a silent replication client — and pgs3 reconnects;
//   - tcp_user_timeout=60000 (ms): data sent and never acknowledged ends the connection after 60 s too (keepalives
//     only probe an idle connection; without this a write to a dead peer is retransmitted for ~15 minutes).
// libpq ignores the keepalive and TCP options on a Unix socket. A connection that names a service (`service=` or
// PGSERVICE) may take any of these from the service file, which pgs3 does not read: it then adds nothing and libpq's
// values apply (the start-up log still says which and warns when the certificate is not verified).
//
// Stateless and thread-safe; the environment is read through the function passed in.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgs3 {

struct ConnectionOption {
  std::string keyword;
  std::string value;
  bool operator==(const ConnectionOption&) const = default;
};

// Returns the value of an environment variable, or nullopt when it is unset (or empty: libpq ignores those).
using EnvironmentLookup = std::function<std::optional<std::string>(const char* name)>;
// The process environment (getenv).
std::optional<std::string> process_environment(const char* name);

// The options to add, given the options the connection string sets (keyword and value, as PQconninfoParse returns
// them: only those given) and the environment. In libpq's keyword order.
std::vector<ConnectionOption> connection_defaults(const std::vector<ConnectionOption>& given,
                                                  const EnvironmentLookup& env);

// True for a host entry that never leaves the machine: a Unix socket directory ("/..." or "@..." abstract), the
// empty host (libpq's default socket), "localhost", an IPv4 address in 127.0.0.0/8, ::1 (or ::ffff:127.x.x.x).
bool is_local_host(std::string_view host);

// True for the sslmodes under which libpq checks the server's certificate (verify-ca, verify-full).
bool sslmode_verifies_server(std::string_view sslmode);

}  // namespace pgs3
