// LoopbackHttpServer: a scripted HTTP/1.1 server on 127.0.0.1 for the HTTP client and credential provider tests.
//
// It binds 127.0.0.1 on a free port and serves from one thread, which polls the listening socket and every open
// connection, so a client holding an idle kept-alive connection never blocks another. Each complete request is
// recorded (method, target, headers, body) and answered by the handler given at construction. A response can be
// made to stall (send part, then nothing) or to close the connection mid-response. Requests must carry their body
// with Content-Length (what HttpClient sends); chunked bodies are not supported.
//
// Thread-safety: requests() and connections_accepted() may be called from any thread; the handler runs on the
// server thread. The destructor stops the thread (it polls every 20 ms) and closes every connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace pgs3::test_support {

class LoopbackHttpServer {
 public:
  struct Request {
    std::string method;
    std::string target;  // path and query, as sent
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int connection = 0;  // 1 for the first accepted connection, 2 for the second, ...

    std::optional<std::string> header(std::string_view name) const {
      for (const auto& [n, v] : headers) {
        if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
            })) {
          return v;
        }
      }
      return std::nullopt;
    }
    std::string path() const { return target.substr(0, target.find('?')); }
  };

  enum class Behavior {
    kNormal,
    kStall,             // send the status line, the headers and stall_after_body_bytes of the body, then nothing
    kCloseMidBody,      // send the headers and half of the body, then close the connection
    kCloseWithoutReply  // close the connection without a byte
  };

  struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    Behavior behavior = Behavior::kNormal;
    size_t stall_after_body_bytes = 0;
    bool close_connection = false;  // "Connection: close", then close after the response
    bool interim_continue = false;  // send "HTTP/1.1 100 Continue" (with an X-Interim header) before the response
  };

  using Handler = std::function<Response(const Request&)>;

  explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listen_fd_, 16) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("bind/listen on 127.0.0.1: " + std::string(std::strerror(errno)));
    }
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }

  ~LoopbackHttpServer() {
    stop_ = true;
    thread_.join();
    for (auto& [fd, connection] : connections_) ::close(fd);
    ::close(listen_fd_);
  }

  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int connections_accepted() const { return accepted_.load(); }

 private:
  struct Connection {
    int id = 0;
    std::string buffer;
    size_t needed = 0;     // bytes of buffer that make the pending request, once its head is parsed
    bool stalled = false;  // a stalled connection is neither read nor answered again
  };

  void run() {
    while (!stop_) {
      std::vector<pollfd> fds;
      fds.push_back({listen_fd_, POLLIN, 0});
      for (auto& [fd, connection] : connections_) {
        if (!connection.stalled) fds.push_back({fd, POLLIN, 0});
      }
      int ready = ::poll(fds.data(), fds.size(), 20);
      if (ready <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) connections_[fd].id = ++accepted_;
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (!serve_readable(fds[i].fd)) {
          ::close(fds[i].fd);
          connections_.erase(fds[i].fd);
        }
      }
    }
  }

  // Reads what arrived and answers every complete request. False when the connection is to be closed.
  bool serve_readable(int fd) {
    Connection& connection = connections_[fd];
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    connection.buffer.append(chunk, static_cast<size_t>(n));
    while (true) {
      if (connection.needed > 0 && connection.buffer.size() < connection.needed) return true;
      // Not HTTP (e.g. a TLS ClientHello): answer in plain HTTP and close, as a plain server would.
      if (!connection.buffer.empty() && !std::isupper(static_cast<unsigned char>(connection.buffer[0]))) {
        send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return false;
      }
      size_t header_end = connection.buffer.find("\r\n\r\n");
      if (header_end == std::string::npos) return true;
      Request request = parse_head(connection.buffer.substr(0, header_end));
      size_t content_length = 0;
      if (auto value = request.header("Content-Length")) content_length = std::stoul(*value);
      connection.needed = header_end + 4 + content_length;
      if (connection.buffer.size() < connection.needed) return true;
      connection.needed = 0;
      request.body = connection.buffer.substr(header_end + 4, content_length);
      request.connection = connection.id;
      connection.buffer.erase(0, header_end + 4 + content_length);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      Response response = handler_(request);
      if (!respond(fd, request, response, &connection)) return false;
      if (connection.stalled) return true;
    }
  }

  static Request parse_head(const std::string& head) {
    Request request;
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.find(' ', sp1 + 1);
    request.method = request_line.substr(0, sp1);
    request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t value_start = line.find_first_not_of(' ', colon + 1);
        request.headers.emplace_back(line.substr(0, colon),
                                     value_start == std::string::npos ? "" : line.substr(value_start));
      }
      pos = end + 2;
    }
    return request;
  }

  static bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool respond(int fd, const Request& request, const Response& response, Connection* connection) {
    if (response.behavior == Behavior::kCloseWithoutReply) return false;
    std::string head;
    if (response.interim_continue) head = "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n";
    head += "HTTP/1.1 " + std::to_string(response.status) + " Scripted\r\n";
    head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
    if (response.close_connection) head += "Connection: close\r\n";
    head += "\r\n";
    std::string_view body = request.method == "HEAD" ? std::string_view() : std::string_view(response.body);
    switch (response.behavior) {
      case Behavior::kStall:
        send_all(fd, head + std::string(body.substr(0, response.stall_after_body_bytes)));
        connection->stalled = true;
        return true;
      case Behavior::kCloseMidBody:
        send_all(fd, head + std::string(body.substr(0, body.size() / 2)));
        return false;
      default:
        break;
    }
    if (!send_all(fd, head) || !send_all(fd, body)) return false;
    return !response.close_connection;
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::map<int, Connection> connections_;  // server thread only (and the destructor, after the join)
  mutable std::mutex mu_;
  std::vector<Request> requests_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace pgs3::test_support
