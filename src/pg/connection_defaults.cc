#include "pg/connection_defaults.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace pgs3 {
namespace {

// pgs3's values; see the header for why each.
constexpr const char* kConnectTimeoutSeconds = "10";
constexpr const char* kKeepalivesIdleSeconds = "30";
constexpr const char* kKeepalivesIntervalSeconds = "10";
constexpr const char* kKeepalivesCount = "3";
constexpr const char* kTcpUserTimeoutMillis = "60000";

const std::string* find(const std::vector<ConnectionOption>& given, std::string_view keyword) {
  for (const ConnectionOption& o : given) {
    if (o.keyword == keyword && !o.value.empty()) return &o.value;
  }
  return nullptr;
}

// The option's value from the connection string, else from its environment variable (libpq-envars), as libpq
// resolves it.
std::optional<std::string> chosen(const std::vector<ConnectionOption>& given, std::string_view keyword,
                                  const char* envvar, const EnvironmentLookup& env) {
  if (const std::string* v = find(given, keyword)) return *v;
  if (envvar != nullptr) return env(envvar);
  return std::nullopt;
}

std::vector<std::string> split_commas(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = list.find(',', start);
    out.emplace_back(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

// True when every server libpq may try is on this machine. Host and hostaddr are parallel comma-separated lists
// (libpq-connect "hostaddr"): an entry's hostaddr, when given, is where libpq connects.
bool all_hosts_local(const std::vector<ConnectionOption>& given, const EnvironmentLookup& env) {
  std::vector<std::string> hosts = split_commas(chosen(given, "host", "PGHOST", env).value_or(""));
  std::vector<std::string> addrs = split_commas(chosen(given, "hostaddr", "PGHOSTADDR", env).value_or(""));
  const size_t n = std::max(hosts.size(), addrs.size());
  for (size_t i = 0; i < n; ++i) {
    const std::string host = i < hosts.size() ? hosts[i] : "";
    const std::string addr = i < addrs.size() ? addrs[i] : "";
    if (!is_local_host(addr.empty() ? host : addr)) return false;
  }
  return true;
}

bool equals_lower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> process_environment(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

bool is_local_host(std::string_view host) {
  if (host.empty() || host.front() == '/' || host.front() == '@') return true;
  if (equals_lower(host, "localhost")) return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool sslmode_verifies_server(std::string_view sslmode) { return sslmode == "verify-ca" || sslmode == "verify-full"; }

std::vector<ConnectionOption> connection_defaults(const std::vector<ConnectionOption>& given,
                                                  const EnvironmentLookup& env) {
  std::vector<ConnectionOption> out;
  // A service file may set any option; pgs3 does not read it, so it overrides nothing it might set.
  if (chosen(given, "service", "PGSERVICE", env)) return out;
  const bool sslmode_chosen = chosen(given, "sslmode", "PGSSLMODE", env).has_value() ||
                              chosen(given, "requiressl", "PGREQUIRESSL", env).has_value();
  if (!sslmode_chosen && !all_hosts_local(given, env)) {
    const bool have_ca = chosen(given, "sslrootcert", "PGSSLROOTCERT", env).has_value();
    out.push_back({"sslmode", have_ca ? "verify-full" : "require"});
  }
  if (!chosen(given, "connect_timeout", "PGCONNECT_TIMEOUT", env)) {
    out.push_back({"connect_timeout", kConnectTimeoutSeconds});
  }
  // The keepalive and TCP options have no environment variables (libpq-envars).
  const std::pair<const char*, const char*> tcp[] = {{"keepalives", "1"},
                                                     {"keepalives_idle", kKeepalivesIdleSeconds},
                                                     {"keepalives_interval", kKeepalivesIntervalSeconds},
                                                     {"keepalives_count", kKeepalivesCount},
                                                     {"tcp_user_timeout", kTcpUserTimeoutMillis}};
  for (const auto& [keyword, value] : tcp) {
    if (find(given, keyword) == nullptr) out.push_back({keyword, value});
  }
  return out;
}

}  // namespace pgs3
