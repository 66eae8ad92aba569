#include "obs/metrics_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>

namespace pgs3 {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// One HTTP/1.0 request over a raw socket (the server closes the connection after the answer).
HttpReply http_request(int family, uint16_t port, const std::string& method, const std::string& path) {
  HttpReply reply;
  int fd = ::socket(family, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int rc;
  if (family == AF_INET6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    ::close(fd);
    return reply;
  }
  std::string request = method + " " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string all;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t end = all.find("\r\n\r\n");
  if (all.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) return reply;
  reply.status = std::stoi(all.substr(9, 3));
  reply.headers = all.substr(0, end);
  reply.body = all.substr(end + 4);
  return reply;
}

TEST(MetricsServerTest, ServesMetricsAndHealthOnAPickedPort) {
  MetricsRegistry registry;
  registry.counter("pgs3_test_total", "A test counter", {{"table", "public.orders"}}).add(41);
  std::atomic<bool> healthy{true};
  auto server = MetricsServer::start("127.0.0.1:0", registry, [&healthy] { return healthy.load(); });
  ASSERT_TRUE(server.is_ok()) << server.status().message();
  uint16_t port = (*server)->port();
  ASSERT_NE(port, 0);
  EXPECT_EQ((*server)->address(), "127.0.0.1:" + std::to_string(port));

  HttpReply m = http_request(AF_INET, port, "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_THAT(m.headers, HasSubstr("text/plain; version=0.0.4"));
  EXPECT_EQ(m.body, registry.render());
  EXPECT_THAT(m.body, HasSubstr("pgs3_test_total{table=\"public.orders\"} 41\n"));

  // The endpoint reads the live values.
  registry.counter("pgs3_test_total", "A test counter", {{"table", "public.orders"}}).add();
  EXPECT_THAT(http_request(AF_INET, port, "GET", "/metrics").body, HasSubstr("} 42\n"));

  HttpReply h = http_request(AF_INET, port, "GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok\n");
  healthy = false;
  h = http_request(AF_INET, port, "GET", "/healthz");
  EXPECT_EQ(h.status, 503);
  EXPECT_THAT(h.body, StartsWith("unhealthy"));

  EXPECT_EQ(http_request(AF_INET, port, "GET", "/").status, 404);
  EXPECT_EQ(http_request(AF_INET, port, "GET", "/metrics/x").status, 404);
  EXPECT_EQ(http_request(AF_INET, port, "POST", "/metrics").status, 405);
  HttpReply head = http_request(AF_INET, port, "HEAD", "/metrics");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST(MetricsServerTest, HealthReasonIsInThe503Body) {
  MetricsRegistry registry;
  auto server = MetricsServer::start_with_reason("127.0.0.1:0", registry, [](std::string* reason) {
    *reason = "no message from PostgreSQL for 120 s";
    return false;
  });
  ASSERT_TRUE(server.is_ok()) << server.status().message();
  HttpReply h = http_request(AF_INET, (*server)->port(), "GET", "/healthz");
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(h.body, "unhealthy: no message from PostgreSQL for 120 s\n");
}

TEST(MetricsServerTest, NoHealthCheckMeansHealthy) {
  MetricsRegistry registry;
  auto server = MetricsServer::start("127.0.0.1:0", registry, nullptr);
  ASSERT_TRUE(server.is_ok()) << server.status().message();
  EXPECT_EQ(http_request(AF_INET, (*server)->port(), "GET", "/healthz").status, 200);
}

TEST(MetricsServerTest, BusyPortIsBadInputNamingTheOption) {
  MetricsRegistry registry;
  auto first = MetricsServer::start("127.0.0.1:0", registry, nullptr);
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  std::string listen = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsServer::start(listen, registry, nullptr);
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBadInput);
  EXPECT_THAT(second.status().message(), HasSubstr("--metrics-listen " + listen));
  EXPECT_THAT(second.status().message(), HasSubstr("already in use"));
}

TEST(MetricsServerTest, StoppingReleasesThePort) {
  MetricsRegistry registry;
  uint16_t port;
  {
    auto server = MetricsServer::start("127.0.0.1:0", registry, nullptr);
    ASSERT_TRUE(server.is_ok()) << server.status().message();
    port = (*server)->port();
    EXPECT_EQ(http_request(AF_INET, port, "GET", "/healthz").status, 200);
  }
  EXPECT_EQ(http_request(AF_INET, port, "GET", "/healthz").status, 0);  // nothing listens any more
  auto again = MetricsServer::start("127.0.0.1:" + std::to_string(port), registry, nullptr);
  EXPECT_TRUE(again.is_ok()) << again.status().message();
}

TEST(MetricsServerTest, BadAddressesAreBadInputNamingTheOption) {
  MetricsRegistry registry;
  for (const char* listen : {":9187", "9187", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http",
                             "[::1", "[::1]9187", "::1:9187", "no-such-host.invalid:9187", "192.0.2.1:0"}) {
    auto server = MetricsServer::start(listen, registry, nullptr);
    ASSERT_FALSE(server.is_ok()) << listen;
    EXPECT_EQ(server.status().code(), StatusCode::kBadInput) << listen;
    EXPECT_THAT(server.status().message(), StartsWith(std::string("--metrics-listen ") + listen + ": ")) << listen;
  }
}

TEST(MetricsServerTest, ParsesHostAndPort) {
  auto v4 = parse_listen_address("127.0.0.1:9187");
  ASSERT_TRUE(v4.is_ok());
  EXPECT_EQ(v4->first, "127.0.0.1");
  EXPECT_EQ(v4->second, 9187);
  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6.is_ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 0);
  auto name = parse_listen_address("localhost:65535");
  ASSERT_TRUE(name.is_ok());
  EXPECT_EQ(name->first, "localhost");
  EXPECT_EQ(name->second, 65535);
}

TEST(MetricsServerTest, Ipv6LoopbackServesOrFailsAsBadInput) {
  MetricsRegistry registry;
  registry.gauge("g", "g").set(1);
  auto server = MetricsServer::start("[::1]:0", registry, nullptr);
  if (server.is_ok()) {
    EXPECT_EQ((*server)->address(), "[::1]:" + std::to_string((*server)->port()));
    HttpReply m = http_request(AF_INET6, (*server)->port(), "GET", "/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_THAT(m.body, HasSubstr("\ng 1\n"));
  } else {
    // A host without IPv6 (some containers): the failure still names the option.
    EXPECT_EQ(server.status().code(), StatusCode::kBadInput);
    EXPECT_THAT(server.status().message(), StartsWith("--metrics-listen [::1]:0: "));
  }
}

}  // namespace
}  // namespace pgs3
