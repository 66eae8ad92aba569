// MetricsServer: the HTTP endpoint of `pgs3 run --metrics-listen HOST:PORT`, served by libmicrohttpd (Debian's
// libmicrohttpd12) from a thread of its own.
//
//   GET /metrics   200, the registry's Prometheus text format (Content-Type: text/plain; version=0.0.4)
//   GET /healthz   200 "ok" when the health check passes, 503 "unhealthy: <reason>" otherwise
//   anything else  404 (405 for a method other than GET or HEAD)
//
// The address must name a host: "127.0.0.1:9187", "[::1]:9187", "localhost:9187"; ":9187" (every interface) is
// refused, so exposing metrics beyond the host is a deliberate choice ("0.0.0.0:9187"). Port 0 picks a free port,
// which port() reports. A bad address or a port that cannot be bound is kBadInput naming --metrics-listen.
//
// Thread-safety: the registry and the health check are called from the server's thread, concurrently with the rest
// of the process; both must be thread-safe (MetricsRegistry is) and must not throw. The destructor stops the server
// and waits for its thread; after it returns neither is called again. start(), port() and the destructor are for
// one owning thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "obs/metrics.h"

struct MHD_Daemon;

namespace pgs3 {

class MetricsServer {
 public:
  // Returns true when healthy; when not, may set *reason (one line, no secret) for the 503 body.
  using HealthCheck = std::function<bool(std::string* reason)>;

  // `healthy` may be empty: then /healthz always answers 200.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& listen, MetricsRegistry& registry,
                                                      std::function<bool()> healthy);
  static Result<std::unique_ptr<MetricsServer>> start_with_reason(const std::string& listen, MetricsRegistry& registry,
                                                                  HealthCheck healthy);

  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port bound (the one picked when the address asked for port 0).
  uint16_t port() const { return port_; }
  // "127.0.0.1:9187" / "[::1]:9187": the address served, with the real port.
  const std::string& address() const { return address_; }

  // What the server answers to one request (called on the server's thread; public for tests).
  struct Response {
    unsigned status = 200;
    std::string content_type;
    std::string body;
  };
  Response answer(const std::string& method, const std::string& url) const;

 private:
  MetricsServer(MetricsRegistry& registry, HealthCheck healthy) : registry_(registry), healthy_(std::move(healthy)) {}

  MetricsRegistry& registry_;
  HealthCheck healthy_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  std::string address_;
};

// Splits "HOST:PORT" / "[V6]:PORT" into host and port; kBadInput naming --metrics-listen otherwise (no host, no
// port, a port outside 0..65535).
Result<std::pair<std::string, uint16_t>> parse_listen_address(const std::string& listen);

}  // namespace pgs3
