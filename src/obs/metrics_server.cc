#include "obs/metrics_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace pgs3 {
namespace {

constexpr char kOption[] = "--metrics-listen";

Status bad_listen(const std::string& listen, const std::string& why) {
  return Status::bad_input(std::string(kOption) + " " + listen + ": " + why);
}

// The access handler (libmicrohttpd calls it on its thread, for every request). A GET has no body, so the answer is
// queued on the first call.
MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char* /*version*/, const char* /*upload_data*/, size_t* /*upload_data_size*/,
                      void** /*con_cls*/) {
  const auto* server = static_cast<const MetricsServer*>(cls);
  MetricsServer::Response r = server->answer(method ? method : "", url ? url : "");
  MHD_Response* response = MHD_create_response_from_buffer(r.body.size(), r.body.data(), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
  if (r.status == 405) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  MHD_Result result = MHD_queue_response(connection, r.status, response);
  MHD_destroy_response(response);
  return result;
}

// libmicrohttpd's own messages (accept failures and the like) go to the debug log.
void on_mhd_log(void* /*cls*/, const char* fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  log_debug("metrics server: " + line);
}

}  // namespace

Result<std::pair<std::string, uint16_t>> parse_listen_address(const std::string& listen) {
  std::string host;
  std::string port_text;
  if (!listen.empty() && listen.front() == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return bad_listen(listen, "expected HOST:PORT, e.g. 127.0.0.1:9187 or [::1]:9187");
    }
    host = listen.substr(1, close - 1);
    port_text = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return bad_listen(listen, "expected HOST:PORT, e.g. 127.0.0.1:9187");
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return bad_listen(listen, "an IPv6 address goes in brackets: [::1]:9187");
    }
  }
  if (host.empty()) {
    return bad_listen(listen,
                      "the host is missing: give the address to listen on, e.g. 127.0.0.1:9187 (0.0.0.0:9187 for "
                      "every interface)");
  }
  if (port_text.empty() || port_text.size() > 5) return bad_listen(listen, "the port must be a number 0..65535");
  unsigned port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return bad_listen(listen, "the port must be a number 0..65535");
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return bad_listen(listen, "the port must be a number 0..65535");
  return std::make_pair(host, static_cast<uint16_t>(port));
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& listen, MetricsRegistry& registry,
                                                            std::function<bool()> healthy) {
  HealthCheck check;
  if (healthy) check = [healthy = std::move(healthy)](std::string*) { return healthy(); };
  return start_with_reason(listen, registry, std::move(check));
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start_with_reason(const std::string& listen,
                                                                        MetricsRegistry& registry,
                                                                        HealthCheck healthy) {
  PGS3_ASSIGN_OR_RETURN(auto host_port, parse_listen_address(listen));
  const auto& [host, port] = host_port;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (gai != 0 || found == nullptr) {
    return bad_listen(listen, "cannot resolve host \"" + host + "\": " + ::gai_strerror(gai));
  }
  // The first address the resolver gives ("localhost" may give both; one is enough for a scrape target).
  const int family = found->ai_family;
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    ::freeaddrinfo(found);
    return bad_listen(listen, std::string("cannot create a socket: ") + std::strerror(err));
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // restart at once after a stop (TIME_WAIT)
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
    int err = errno;
    ::freeaddrinfo(found);
    ::close(fd);
    std::string why = err == EADDRINUSE      ? "the port is already in use (another pgs3 or another server): choose "
                                               "another port"
                      : err == EADDRNOTAVAIL ? "the address is not one of this host's"
                      : err == EACCES        ? "permission denied (ports below 1024 need privileges)"
                                             : std::strerror(err);
    return bad_listen(listen, "cannot listen: " + why);
  }
  ::freeaddrinfo(found);
  if (::listen(fd, 32) != 0) {
    int err = errno;
    ::close(fd);
    return bad_listen(listen, std::string("cannot listen: ") + std::strerror(err));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  char text[INET6_ADDRSTRLEN] = "";
  uint16_t bound_port = 0;
  if (bound.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&bound);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    bound_port = ntohs(a->sin6_port);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&bound);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    bound_port = ntohs(a->sin_port);
  }

  std::unique_ptr<MetricsServer> server(new MetricsServer(registry, std::move(healthy)));
  server->port_ = bound_port;
  // Appended, not "[" + std::string: GCC 12 at -O3 reports a false -Wrestrict on operator+(const char*,
  // std::string&&) (GCC bug 105329).
  std::string address = family == AF_INET6 ? std::string("[") : std::string();
  address += text;
  if (family == AF_INET6) address += ']';
  address += ':';
  address += std::to_string(bound_port);
  server->address_ = std::move(address);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
  if (family == AF_INET6) flags |= MHD_USE_IPv6;
  server->daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &on_request, server.get(), MHD_OPTION_EXTERNAL_LOGGER,
                                     &on_mhd_log, nullptr, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
                                     32u, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    ::close(fd);
    return bad_listen(listen, "the HTTP server (libmicrohttpd) did not start");
  }
  return server;
}

MetricsServer::~MetricsServer() {
  // Stops the thread and closes the listening socket and every connection.
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

MetricsServer::Response MetricsServer::answer(const std::string& method, const std::string& url) const {
  Response r;
  r.content_type = "text/plain; charset=utf-8";
  if (method != "GET" && method != "HEAD") {
    r.status = 405;
    r.body = "method not allowed: use GET\n";
    return r;
  }
  if (url == "/metrics") {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = registry_.render();
    return r;
  }
  if (url == "/healthz") {
    std::string reason;
    if (!healthy_ || healthy_(&reason)) {
      r.body = "ok\n";
    } else {
      r.status = 503;
      r.body = "unhealthy" + (reason.empty() ? std::string() : ": " + reason) + "\n";
    }
    return r;
  }
  r.status = 404;
  r.body = "not found: try /metrics or /healthz\n";
  return r;
}

}  // namespace pgs3
