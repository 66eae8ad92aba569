#include "pg/connection_defaults.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace pgs3 {
namespace {

using Env = std::map<std::string, std::string>;

EnvironmentLookup env_of(const Env& env) {
  return [env](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

std::optional<std::string> added(const std::vector<ConnectionOption>& given, const Env& env,
                                 const std::string& keyword) {
  for (const ConnectionOption& o : connection_defaults(given, env_of(env))) {
    if (o.keyword == keyword) return o.value;
  }
  return std::nullopt;
}

TEST(ConnectionDefaultsTest, RemoteHostWithoutSslmodeGetsRequire) {
  EXPECT_EQ(added({{"host", "db.internal"}}, {}, "sslmode"), "require");
  EXPECT_EQ(added({{"host", "10.0.0.5"}}, {}, "sslmode"), "require");
  EXPECT_EQ(added({{"hostaddr", "192.0.2.1"}}, {}, "sslmode"), "require");
  EXPECT_EQ(added({{"host", "2001:db8::1"}}, {}, "sslmode"), "require");
}

TEST(ConnectionDefaultsTest, RemoteHostWithRootCertGetsVerifyFull) {
  EXPECT_EQ(added({{"host", "db.internal"}, {"sslrootcert", "/etc/ca.pem"}}, {}, "sslmode"), "verify-full");
  EXPECT_EQ(added({{"host", "db.internal"}}, {{"PGSSLROOTCERT", "/etc/ca.pem"}}, "sslmode"), "verify-full");
}

TEST(ConnectionDefaultsTest, LoopbackAndUnixSocketsKeepLibpqsSslmode) {
  for (const char* host : {"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1",
                           "::ffff:127.0.0.1", "/var/run/postgresql", "@abstract", ""}) {
    EXPECT_EQ(added({{"host", host}}, {}, "sslmode"), std::nullopt) << host;
  }
  EXPECT_EQ(added({}, {}, "sslmode"), std::nullopt) << "no host: libpq's default Unix socket";
  EXPECT_EQ(added({{"host", "localhost,/tmp"}}, {}, "sslmode"), std::nullopt);
  // Not loopback: 128.0.0.1, a name that merely starts with localhost, ::2.
  EXPECT_EQ(added({{"host", "128.0.0.1"}}, {}, "sslmode"), "require");
  EXPECT_EQ(added({{"host", "localhost.example.com"}}, {}, "sslmode"), "require");
  EXPECT_EQ(added({{"host", "::2"}}, {}, "sslmode"), "require");
}

TEST(ConnectionDefaultsTest, AnyRemoteHostInAListGetsRequire) {
  EXPECT_EQ(added({{"host", "localhost,db.internal"}}, {}, "sslmode"), "require");
}

TEST(ConnectionDefaultsTest, HostaddrDecidesWhereLibpqConnects) {
  // An SSH tunnel: the name is for the certificate, the address is loopback.
  EXPECT_EQ(added({{"host", "db.internal"}, {"hostaddr", "127.0.0.1"}}, {}, "sslmode"), std::nullopt);
  EXPECT_EQ(added({{"host", "localhost"}, {"hostaddr", "192.0.2.1"}}, {}, "sslmode"), "require");
}

TEST(ConnectionDefaultsTest, EnvironmentHostCountsAsLibpqReadsIt) {
  EXPECT_EQ(added({}, {{"PGHOST", "db.internal"}}, "sslmode"), "require");
  EXPECT_EQ(added({}, {{"PGHOSTADDR", "192.0.2.1"}}, "sslmode"), "require");
  EXPECT_EQ(added({{"host", "localhost"}}, {{"PGHOST", "db.internal"}}, "sslmode"), std::nullopt)
      << "the connection string's host wins over PGHOST";
}

TEST(ConnectionDefaultsTest, UsersSslmodeIsNeverOverridden) {
  EXPECT_EQ(added({{"host", "db.internal"}, {"sslmode", "disable"}}, {}, "sslmode"), std::nullopt);
  EXPECT_EQ(added({{"host", "db.internal"}, {"sslmode", "prefer"}}, {}, "sslmode"), std::nullopt);
  EXPECT_EQ(added({{"host", "db.internal"}}, {{"PGSSLMODE", "allow"}}, "sslmode"), std::nullopt);
  EXPECT_EQ(added({{"host", "db.internal"}}, {{"PGREQUIRESSL", "1"}}, "sslmode"), std::nullopt);
  EXPECT_EQ(added({{"host", "db.internal"}, {"requiressl", "0"}}, {}, "sslmode"), std::nullopt);
}

TEST(ConnectionDefaultsTest, TimeoutsAndKeepalivesAreAddedUnlessGiven) {
  const std::vector<ConnectionOption> expected = {{"connect_timeout", "10"}, {"keepalives", "1"},
                                                  {"keepalives_idle", "30"}, {"keepalives_interval", "10"},
                                                  {"keepalives_count", "3"}, {"tcp_user_timeout", "60000"}};
  EXPECT_EQ(connection_defaults({{"host", "127.0.0.1"}}, env_of({})), expected);
  EXPECT_EQ(added({{"connect_timeout", "3"}}, {}, "connect_timeout"), std::nullopt);
  EXPECT_EQ(added({}, {{"PGCONNECT_TIMEOUT", "3"}}, "connect_timeout"), std::nullopt);
  EXPECT_EQ(added({{"keepalives_idle", "5"}}, {}, "keepalives_idle"), std::nullopt);
  EXPECT_EQ(added({{"keepalives_idle", "5"}}, {}, "keepalives_count"), "3");
  EXPECT_EQ(added({{"tcp_user_timeout", "0"}}, {}, "tcp_user_timeout"), std::nullopt);
  EXPECT_EQ(added({{"keepalives", "0"}}, {}, "keepalives"), std::nullopt);
}

TEST(ConnectionDefaultsTest, AServiceFileMaySetAnythingSoNothingIsAdded) {
  EXPECT_TRUE(connection_defaults({{"service", "lake"}, {"host", "db.internal"}}, env_of({})).empty());
  EXPECT_TRUE(connection_defaults({{"host", "db.internal"}}, env_of({{"PGSERVICE", "lake"}})).empty());
}

TEST(ConnectionDefaultsTest, OnlyVerifyModesVerifyTheServer) {
  EXPECT_TRUE(sslmode_verifies_server("verify-full"));
  EXPECT_TRUE(sslmode_verifies_server("verify-ca"));
  for (const char* mode : {"disable", "allow", "prefer", "require", ""}) EXPECT_FALSE(sslmode_verifies_server(mode));
}

}  // namespace
}  // namespace pgs3
