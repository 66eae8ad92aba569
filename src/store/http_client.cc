#include "store/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>

namespace pgs3 {
namespace {

// Idle handles kept for reuse; a burst of more concurrent requests than this still works, the extra handles (and
// their connections) are closed when returned.
constexpr size_t kMaxIdleHandles = 32;

// Hosts that never go through a proxy: loopback and the link-local metadata endpoints of EC2, ECS and EKS (the AWS
// SDKs do the same; a proxy cannot reach them).
constexpr const char* kNeverProxied =
    "localhost,127.0.0.1,::1,169.254.169.254,169.254.170.2,169.254.170.23,fd00:ec2::254,fd00:ec2::23";

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string url_origin(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "(invalid URL)";
  std::string scheme(url.substr(0, scheme_end));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  // The port follows the last ':' unless that ':' is inside an IPv6 literal ("[::1]").
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  bool has_port = colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  std::string origin = scheme + "://" + std::string(authority);
  if (!has_port) origin += scheme == "https" ? ":443" : ":80";
  return origin;
}

namespace {

// The upload side of a request: the body is read from the caller's string_view, and may be re-read from the start
// when curl must resend it (a kept-alive connection the server had closed).
struct UploadCursor {
  std::string_view body;
  size_t offset = 0;
};

size_t read_body(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* cursor = static_cast<UploadCursor*>(userdata);
  size_t n = std::min(size * nitems, cursor->body.size() - cursor->offset);
  std::memcpy(buffer, cursor->body.data() + cursor->offset, n);
  cursor->offset += n;
  return n;
}

int seek_body(void* userdata, curl_off_t offset, int origin) {
  auto* cursor = static_cast<UploadCursor*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > cursor->body.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  cursor->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// The request body comes from `cursor`, rewindable for a resend.
void read_body_from(CURL* curl, UploadCursor* cursor) {
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
  curl_easy_setopt(curl, CURLOPT_READDATA, cursor);
  curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_body);
  curl_easy_setopt(curl, CURLOPT_SEEKDATA, cursor);
}

size_t write_body(char* data, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(data, size * nmemb);
  return size * nmemb;
}

size_t write_header(char* data, size_t size, size_t nitems, void* userdata) {
  auto* headers = static_cast<HttpHeaders*>(userdata);
  std::string_view line(data, size * nitems);
  // Each status line starts a new response (an interim 1xx, or the final one): only the final response's headers
  // are kept.
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    headers->clear();
    return size * nitems;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    headers->emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  return size * nitems;
}

// Stall detection to the millisecond. libcurl's own low-speed check (also set, as a backstop) averages the speed over
// a window of several seconds, so after a burst it notices a stall only seconds late.
struct StallWatch {
  std::chrono::milliseconds limit;
  const std::function<bool()>* abandon = nullptr;  // HttpClientOptions::abandon_stalled
  std::chrono::milliseconds abandon_after{0};
  std::chrono::steady_clock::time_point last_progress = std::chrono::steady_clock::now();
  curl_off_t downloaded = 0;
  curl_off_t uploaded = 0;
  bool stalled = false;
  bool abandoned = false;
};

int watch_progress(void* userdata, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* watch = static_cast<StallWatch*>(userdata);
  auto now = std::chrono::steady_clock::now();
  if (dlnow != watch->downloaded || ulnow != watch->uploaded) {
    watch->downloaded = dlnow;
    watch->uploaded = ulnow;
    watch->last_progress = now;
    return 0;
  }
  if (now - watch->last_progress > watch->limit) {
    watch->stalled = true;
    return 1;  // aborts the transfer with CURLE_ABORTED_BY_CALLBACK
  }
  if (*watch->abandon && now - watch->last_progress >= watch->abandon_after && (*watch->abandon)()) {
    watch->abandoned = true;
    return 1;
  }
  return 0;
}

std::string no_proxy_list() {
  const char* env = std::getenv("no_proxy");
  if (env == nullptr || *env == '\0') env = std::getenv("NO_PROXY");
  if (env == nullptr || *env == '\0') return kNeverProxied;
  if (std::string_view(env) == "*") return "*";
  return std::string(env) + "," + kNeverProxied;
}

class HeaderList {
 public:
  ~HeaderList() { curl_slist_free_all(list_); }
  void add(const std::string& line) { list_ = curl_slist_append(list_, line.c_str()); }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

struct HttpClient::Pool {
  std::mutex mu;
  std::vector<CURL*> idle;  // guarded by mu

  ~Pool() {
    for (CURL* handle : idle) curl_easy_cleanup(handle);
  }

  CURL* acquire() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        CURL* handle = idle.back();
        idle.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  void release(CURL* handle) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (idle.size() < kMaxIdleHandles) {
        idle.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }
};

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  init_curl_once();
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  const std::string origin = url_origin(request.url);
  const std::string what = request.method + " " + origin;
  if (request.url.find("://") == std::string::npos) return Status::bad_input(what + ": not an absolute URL");
  if (gave_up_.load() && options_.abandon_stalled && options_.abandon_stalled()) {
    return Status::cancelled(what + ": not sent: the task is stopping and an earlier request was given up");
  }

  CURL* curl = pool_->acquire();
  if (curl == nullptr) return Status::internal(what + ": curl_easy_init failed");
  struct Releaser {
    Pool* pool;
    CURL* handle;
    ~Releaser() { pool->release(handle); }
  } releaser{pool_.get(), curl};

  // curl_easy_reset() restores the default options but keeps the handle's live connections, so the next request to
  // the same host reuses them.
  curl_easy_reset(curl);
  char error_text[CURL_ERROR_SIZE] = {0};
  HttpResponse response;
  UploadCursor upload{request.body, 0};
  const std::string no_proxy = no_proxy_list();

  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  // S3 signs the path exactly as sent: keep "/./" and "/../" segments (keys may contain them) instead of letting
  // curl collapse them (RFC 3986 5.2.4), which would break the SigV4 signature.
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  // A transfer that moves no byte for the stall time is abandoned: by watch_progress, and by libcurl's low-speed check
  // (below 1 byte/s, in whole seconds) as a backstop.
  long stall_seconds = static_cast<long>((options_.stall_timeout.count() + 999) / 1000);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, std::max(1L, stall_seconds));
  StallWatch watch{std::max(options_.stall_timeout, std::chrono::milliseconds(1)), &options_.abandon_stalled,
                   options_.abandon_after};
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, watch_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &watch);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  if (options_.total_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  HeaderList headers;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
      return Status::internal(what + ": header \"" + name + "\" contains a line break or a colon in its name");
    }
    if (iequals(name, "Content-Type")) has_content_type = true;
    // "Name;" is libcurl's syntax for a header with an empty value ("Name:" would remove the header).
    headers.add(value.empty() ? name + ";" : name + ": " + value);
  }
  // An empty "Expect:" stops libcurl from sending "Expect: 100-continue" and waiting for the interim response.
  headers.add("Expect:");

  const std::string& method = request.method;
  if (method == "GET" && request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    read_body_from(curl, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (method == "DELETE" && request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else {
    // POST, and any other method with a body: libcurl's POST machinery sends it with an exact Content-Length.
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    read_body_from(curl, &upload);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    // libcurl would add "Content-Type: application/x-www-form-urlencoded" to a POST; an empty header removes it.
    if (!has_content_type) headers.add("Content-Type:");
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  CURLcode rc = curl_easy_perform(curl);
  // The header list and the error buffer die with this frame: the pooled handle must not point at them.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK && watch.abandoned) {
      gave_up_ = true;
      return Status::cancelled(what + ": given up because the task is stopping (no byte moved for " +
                               std::to_string(watch.abandon_after.count()) + " ms)");
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK && watch.stalled) {
      long long ms = watch.limit.count();
      detail = "stalled: no byte moved for " +
               (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms");
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      if (detail.find("too slow") != std::string::npos) {
        detail = "stalled: no byte moved for " + std::to_string(std::max(1L, stall_seconds)) + " s (" + detail + ")";
      } else {
        detail = "timed out (" + detail + ")";
      }
    }
    // A certificate that does not verify will not verify on the next attempt either: say what to fix, no retry.
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
      return Status::bad_input(what + ": the server's TLS certificate cannot be verified (" + detail +
                               "); if the endpoint uses a private CA, set target.caBundle to a PEM file holding it");
    }
    return Status::unavailable(what + ": " + detail);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace pgs3
