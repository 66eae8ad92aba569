// HttpClient: HTTP/1.1 requests over libcurl, for the S3 client and the AWS credential providers.
//
// One client is shared by every thread of a task: send() is thread-safe. It keeps a small pool of curl easy handles,
// so connections are kept alive and reused between requests (one connection per concurrent request). HTTPS always
// verifies the server certificate, against the CA bundle of the options or the system's; there is no option to turn
// verification off.
//
// send() makes one attempt: retries belong to the caller (store/retry_policy.h), which knows what is safe to repeat.
// A transport failure (refused, reset, DNS, TLS, timeout, stalled transfer) is Status kUnavailable naming the host
// (kCancelled for a transfer given up by HttpClientOptions::abandon_stalled);
// any HTTP status, 5xx included, is a successful send() with that status in the response. Messages never carry
// request headers (they hold signatures and tokens).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace pgs3 {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // GET, PUT, POST, DELETE, HEAD
  std::string url;     // scheme://host[:port]/path[?query], already percent-encoded; sent exactly as given
  HttpHeaders headers;
  std::string_view body;  // not owned; must outlive send()
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  // names as the server sent them
  std::string body;     // empty for HEAD
  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

struct HttpClientOptions {
  std::string ca_bundle;  // a PEM file of trusted CAs; "" = the system's bundle
  std::chrono::milliseconds connect_timeout{10000};
  // A transfer that moves no byte for this long is abandoned (kUnavailable, "stalled"), so a hung server cannot
  // hold a task forever.
  std::chrono::milliseconds stall_timeout{30000};
  // The whole request may not take longer than this (0 = no limit beyond the stall timeout).
  std::chrono::milliseconds total_timeout{0};
  // While this returns true (the task is stopping and its grace is over: task/cancellation.h), a transfer that has
  // moved no byte for `abandon_after` is abandoned (kCancelled) instead of waiting for the stall timeout, so a stop
  // does not wait on an unreachable or stalled server, and once one was, later requests are not even sent
  // (kCancelled at once): each would wait as long. A transfer that moves bytes goes on. Null: never.
  std::function<bool()> abandon_stalled;
  std::chrono::milliseconds abandon_after{1000};
};

// "scheme://host:port" of a URL, without user info, path or query (they can hold capabilities): what a message may
// show. The port is the scheme's default when the URL names none.
std::string url_origin(std::string_view url);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> send(const HttpRequest& request);

 private:
  struct Pool;
  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
  std::atomic<bool> gave_up_{false};  // a transfer was abandoned by options_.abandon_stalled
};

}  // namespace pgs3
