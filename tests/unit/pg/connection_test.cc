#include "pg/connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace pgs3 {
namespace {

TEST(QuoteTest, IdentifiersAreAlwaysQuotedWithQuotesDoubled) {
  EXPECT_EQ(quote_ident("orders"), "\"orders\"");
  EXPECT_EQ(quote_ident("Order Items"), "\"Order Items\"");
  EXPECT_EQ(quote_ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_ident(""), "\"\"");
  EXPECT_EQ(quote_qualified("Sales Data", "x"), "\"Sales Data\".\"x\"");
}

TEST(QuoteTest, LiteralsDoubleQuotesAndEscapeBackslashes) {
  EXPECT_EQ(quote_literal("abc"), "'abc'");
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
  EXPECT_EQ(quote_literal("a\\b'c"), "E'a\\\\b''c'");
  EXPECT_EQ(quote_literal("00000003-0000001B-1"), "'00000003-0000001B-1'");
}

// A local TCP port with nothing listening: bind an ephemeral port, then close it.
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

TEST(PgConnectionTest, ConnectFailureNamesServerButNeverThePassword) {
  ScopedEnv env("PGPASSWORD", "EnvSecret-7f3a");
  ScopedEnv connect_timeout("PGCONNECT_TIMEOUT", "5");
  int port = closed_port();
  std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port) + " user=loader dbname=warehouse password=ConnSecret-91bc";
  auto result = PgConnection::open(conninfo);
  ASSERT_FALSE(result.is_ok());
  const std::string& m = result.status().message();
  EXPECT_EQ(result.status().code(), StatusCode::kBadInput);
  EXPECT_NE(m.find("host 127.0.0.1"), std::string::npos) << m;
  EXPECT_NE(m.find("port " + std::to_string(port)), std::string::npos) << m;
  EXPECT_NE(m.find("user loader"), std::string::npos) << m;
  EXPECT_NE(m.find("database warehouse"), std::string::npos) << m;
  EXPECT_NE(m.find("refused"), std::string::npos) << m;  // libpq's reason
  EXPECT_EQ(m.find("ConnSecret"), std::string::npos) << m;
  EXPECT_EQ(m.find("EnvSecret"), std::string::npos) << m;
}

TEST(PgConnectionTest, UriFailureNeverShowsThePassword) {
  int port = closed_port();
  auto result =
      PgConnection::open("postgresql://loader:UriSecret-55aa@127.0.0.1:" + std::to_string(port) + "/warehouse");
  ASSERT_FALSE(result.is_ok());
  const std::string& m = result.status().message();
  EXPECT_NE(m.find("user loader"), std::string::npos) << m;
  EXPECT_NE(m.find("database warehouse"), std::string::npos) << m;
  EXPECT_EQ(m.find("UriSecret"), std::string::npos) << m;
}

TEST(PgConnectionTest, MalformedConnectionStringNeverEchoesItsPieces) {
  // An unquoted password with a space: libpq complains about the fragment after the space.
  auto result = PgConnection::open("host=127.0.0.1 password=abc Frag-Secret-42");
  ASSERT_FALSE(result.is_ok());
  const std::string& m = result.status().message();
  EXPECT_EQ(result.status().code(), StatusCode::kBadInput);
  EXPECT_NE(m.find("connection string is invalid"), std::string::npos) << m;
  EXPECT_EQ(m.find("Frag-Secret"), std::string::npos) << m;
}

}  // namespace
}  // namespace pgs3
