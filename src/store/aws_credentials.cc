#include "store/aws_credentials.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>
#include <string_view>
#include <vector>

#include "store/http_client.h"
#include "store/sigv4.h"

namespace pgs3 {
namespace {

using Clock = std::chrono::system_clock;

// Temporary credentials are replaced when less than this remains (the AWS SDKs use the same margin).
constexpr auto kRefreshMargin = std::chrono::minutes(5);
// Fetched credentials that carry no expiration are fetched again after this.
constexpr auto kRefreshWithoutExpiration = std::chrono::hours(1);
// After a failed refresh, still-valid credentials are served for this long before the next attempt, so a source that
// is down is not asked again on every request.
constexpr auto kRetryAfterFailedRefresh = std::chrono::seconds(10);

constexpr const char* kDefaultImdsEndpoint = "http://169.254.169.254";
constexpr const char* kDefaultImdsEndpointIpv6 = "http://[fd00:ec2::254]";
constexpr const char* kEcsContainerHost = "http://169.254.170.2";

std::optional<std::string> env_value(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> v = env(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string strip_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

Result<std::string> read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::bad_input("cannot read " + what + " " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A token file (web identity, container authorization) is read again at each fetch: the platform rotates it.
Result<std::string> read_token_file(const std::string& path, const std::string& variable) {
  PGS3_ASSIGN_OR_RETURN(std::string text, read_text_file(path, "the token file named by " + variable + ","));
  std::string token(trim(text));
  if (token.empty()) return Status::bad_input("the token file " + path + " named by " + variable + " is empty");
  return token;
}

// Removes `secret` from a text that came from a server, in case it echoes what it was sent.
std::string scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "<redacted>");
  }
  return text;
}

}  // namespace

std::optional<Clock::time_point> parse_aws_timestamp(std::string_view text) {
  text = trim(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > text.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  if (!digits(0, 4, &y) || text.size() < 19 || text[4] != '-' || !digits(5, 2, &mo) || text[7] != '-' ||
      !digits(8, 2, &d) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(11, 2, &h) ||
      text[13] != ':' || !digits(14, 2, &mi) || text[16] != ':' || !digits(17, 2, &s)) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                   std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  size_t pos = 19;
  std::chrono::microseconds fraction{0};
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    int64_t micros = 0;
    int scale = 0;
    size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (scale < 6) {
        micros = micros * 10 + (text[pos] - '0');
        ++scale;
      }
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (; scale < 6; ++scale) micros *= 10;
    fraction = std::chrono::microseconds(micros);
  }
  std::chrono::minutes offset{0};
  if (pos < text.size()) {
    char zone = text[pos];
    if ((zone == 'Z' || zone == 'z') && pos + 1 == text.size()) {
      // UTC
    } else if (zone == '+' || zone == '-') {
      int oh = 0, om = 0;
      if (!digits(pos + 1, 2, &oh)) return std::nullopt;
      size_t mpos = pos + 3;
      if (mpos < text.size() && text[mpos] == ':') ++mpos;
      if (!digits(mpos, 2, &om) || mpos + 2 != text.size()) return std::nullopt;
      offset = std::chrono::minutes(oh * 60 + om);
      if (zone == '-') offset = -offset;
    } else {
      return std::nullopt;
    }
  }
  Clock::time_point t =
      std::chrono::sys_days(date) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s);
  return std::chrono::time_point_cast<Clock::duration>(t + fraction - offset);
}

namespace {

// ---------------------------------------------------------------------------------------------------------------
// Providers.

// Long-term credentials found once (environment, shared files).
class FixedProvider : public CredentialsProvider {
 public:
  explicit FixedProvider(AwsCredentials credentials) : credentials_(std::move(credentials)) {}
  Result<AwsCredentials> get() override { return credentials_; }

 private:
  const AwsCredentials credentials_;
};

// Temporary credentials fetched from a service, cached, and fetched again when less than kRefreshMargin remains.
// get() is thread-safe: one thread fetches while the others wait for its result.
class RefreshingProvider : public CredentialsProvider {
 public:
  using Fetch = std::function<Result<AwsCredentials>()>;
  RefreshingProvider(Fetch fetch, std::optional<AwsCredentials> first) : fetch_(std::move(fetch)) {
    if (first) store(std::move(*first), Clock::now());
  }

  Result<AwsCredentials> get() override {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point now = Clock::now();
    if (cached_ && now + kRefreshMargin < refresh_at_) return *cached_;
    // A failed refresh keeps serving credentials that are still valid for a while, so a passing outage of STS or
    // the metadata service does not fail requests that would have been signed correctly.
    bool usable = cached_ && cached_->expiration && now + std::chrono::minutes(1) < *cached_->expiration;
    if (usable && last_failure_ && now < *last_failure_ + kRetryAfterFailedRefresh) return *cached_;
    Result<AwsCredentials> fresh = fetch_();
    if (!fresh.is_ok()) {
      if (usable) {
        last_failure_ = now;
        return *cached_;
      }
      return fresh.status();
    }
    store(std::move(fresh).value(), now);
    return *cached_;
  }

 private:
  void store(AwsCredentials credentials, Clock::time_point now) {
    refresh_at_ = credentials.expiration ? *credentials.expiration : now + kRefreshWithoutExpiration + kRefreshMargin;
    cached_ = std::move(credentials);
    last_failure_.reset();
  }

  const Fetch fetch_;
  std::mutex mu_;
  std::optional<AwsCredentials> cached_;           // guarded by mu_
  Clock::time_point refresh_at_;                   // guarded by mu_; cached_ is replaced kRefreshMargin before
  std::optional<Clock::time_point> last_failure_;  // guarded by mu_
};

// Reads the credential fields common to the container and instance metadata JSON documents.
Result<AwsCredentials> credentials_from_json(const std::string& body, const std::string& source) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::data_error(source + ": the response is not a JSON object");
  auto text = [&](const char* key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  AwsCredentials credentials;
  credentials.access_key_id = text("AccessKeyId");
  credentials.secret_access_key = text("SecretAccessKey");
  credentials.session_token = text("Token");
  credentials.source = source;
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::data_error(source + ": the response has no AccessKeyId or SecretAccessKey");
  }
  std::string expiration = text("Expiration");
  if (!expiration.empty()) {
    credentials.expiration = parse_aws_timestamp(expiration);
    if (!credentials.expiration) {
      return Status::data_error(source + ": cannot read the Expiration \"" + expiration + "\" as an ISO 8601 time");
    }
  }
  return credentials;
}

// An HTTP status from a credential service: 5xx and throttling are worth retrying, the rest needs a fix.
Status http_failure(long status, const std::string& source, const std::string& detail) {
  std::string msg = source + ": HTTP " + std::to_string(status) + (detail.empty() ? "" : " " + detail);
  if (status >= 500 || status == 429) return Status::unavailable(msg);
  return Status::bad_input(msg);
}

// --- web identity (STS AssumeRoleWithWebIdentity) ---

struct WebIdentityConfig {
  std::string token_file;
  std::string role_arn;
  std::string session_name;
  std::string endpoint;  // "https://sts.eu-west-1.amazonaws.com", no trailing '/'
};

Result<AwsCredentials> fetch_web_identity(HttpClient& http, const WebIdentityConfig& config) {
  const std::string source = "web identity credentials (role " + config.role_arn + ", token file " + config.token_file +
                             ", STS AssumeRoleWithWebIdentity at " + url_origin(config.endpoint) + ")";
  PGS3_ASSIGN_OR_RETURN(std::string token, read_token_file(config.token_file, "AWS_WEB_IDENTITY_TOKEN_FILE"));
  // AssumeRoleWithWebIdentity is not signed: the token is the proof (STS API reference, Query API form).
  std::string body =
      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + s3_uri_encode(config.role_arn, true) +
      "&RoleSessionName=" + s3_uri_encode(config.session_name, true) +
      "&WebIdentityToken=" + s3_uri_encode(token, true);
  HttpRequest request{
      "POST",
      config.endpoint + "/",
      {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, {"Accept", "application/xml"}},
      body};
  Result<HttpResponse> response = http.send(request);
  if (!response.is_ok()) return response.status().with_context(source);

  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(response->body.data(), response->body.size());
  if (response->status != 200) {
    pugi::xml_node error = doc.child("ErrorResponse").child("Error");
    std::string code = error.child_value("Code");
    std::string message = scrub(error.child_value("Message"), token);
    if (message.size() > 300) message = message.substr(0, 300) + "...";
    std::string detail = code.empty() ? "" : code + (message.empty() ? "" : ": " + message);
    if (code == "Throttling" || code == "IDPCommunicationError") {
      return Status::unavailable(source + ": HTTP " + std::to_string(response->status) + " " + detail);
    }
    return http_failure(response->status, source, detail);
  }
  if (!parsed) return Status::data_error(source + ": the response is not XML (" + parsed.description() + ")");
  pugi::xml_node node =
      doc.child("AssumeRoleWithWebIdentityResponse").child("AssumeRoleWithWebIdentityResult").child("Credentials");
  AwsCredentials credentials;
  credentials.access_key_id = node.child_value("AccessKeyId");
  credentials.secret_access_key = node.child_value("SecretAccessKey");
  credentials.session_token = node.child_value("SessionToken");
  credentials.source = source;
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty() || credentials.session_token.empty()) {
    return Status::data_error(source + ": the response has no AssumeRoleWithWebIdentityResult/Credentials");
  }
  std::string expiration = node.child_value("Expiration");
  credentials.expiration = parse_aws_timestamp(expiration);
  if (!credentials.expiration) {
    return Status::data_error(source + ": cannot read the Expiration \"" + expiration + "\" as an ISO 8601 time");
  }
  return credentials;
}

// --- container (ECS task role, EKS Pod Identity) ---

struct ContainerConfig {
  std::string url;
  std::string variable;                   // which variable gave the URL, for messages
  std::optional<std::string> token;       // AWS_CONTAINER_AUTHORIZATION_TOKEN
  std::optional<std::string> token_file;  // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (wins over the token)
};

Result<AwsCredentials> fetch_container(HttpClient& http, const ContainerConfig& config) {
  const std::string source = "container credentials (" + config.variable + " at " + url_origin(config.url) + ")";
  HttpRequest request{"GET", config.url, {{"Accept", "application/json"}}, {}};
  std::optional<std::string> token = config.token;
  if (config.token_file) {
    PGS3_ASSIGN_OR_RETURN(token, read_token_file(*config.token_file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
  }
  if (token) {
    if (token->find_first_of("\r\n") != std::string::npos) {
      return Status::bad_input(source + ": the authorization token contains a line break");
    }
    request.headers.emplace_back("Authorization", *token);
  }
  Result<HttpResponse> response = http.send(request);
  if (!response.is_ok()) return response.status().with_context(source);
  if (response->status != 200) return http_failure(response->status, source, "");
  return credentials_from_json(response->body, source);
}

bool http_allowed_for_container(const std::string& url) {
  std::string origin = lower(url_origin(url));
  if (origin.rfind("https://", 0) == 0) return true;
  if (origin.rfind("http://", 0) != 0) return false;
  std::string host = origin.substr(7);
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') == std::string::npos ? std::string::npos : host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" || host == "169.254.170.2" ||
         host == "169.254.170.23" || host == "fd00:ec2::23";
}

// --- instance metadata (IMDSv2) ---

// `reached` tells whether the metadata service answered at all: off EC2 it does not, and that is not an error of a
// configured source but the absence of any.
Result<AwsCredentials> fetch_imds(HttpClient& http, const std::string& endpoint, bool* reached) {
  const std::string source = "instance metadata credentials (IMDSv2 at " + url_origin(endpoint) + ")";
  Result<HttpResponse> token =
      http.send({"PUT", endpoint + "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, {}});
  if (!token.is_ok()) return token.status().with_context(source);
  if (reached) *reached = true;
  if (token->status != 200) return http_failure(token->status, source, "for PUT /latest/api/token");
  const std::string session(trim(token->body));
  HttpHeaders headers = {{"X-aws-ec2-metadata-token", session}};

  const std::string base = endpoint + "/latest/meta-data/iam/security-credentials/";
  Result<HttpResponse> roles = http.send({"GET", base, headers, {}});
  if (!roles.is_ok()) return roles.status().with_context(source);
  if (roles->status == 404) {
    return Status::bad_input(source + ": the instance has no IAM role (instance profile) attached");
  }
  if (roles->status != 200) return http_failure(roles->status, source, "listing the instance's IAM role");
  std::string_view listing = trim(roles->body);
  std::string role(trim(listing.substr(0, listing.find('\n'))));
  if (role.empty()) return Status::bad_input(source + ": the instance has no IAM role (instance profile) attached");

  Result<HttpResponse> document = http.send({"GET", base + s3_uri_encode(role, true), headers, {}});
  if (!document.is_ok()) return document.status().with_context(source);
  if (document->status != 200) return http_failure(document->status, source, "for the credentials of role " + role);
  const std::string role_source =
      "instance metadata credentials (IMDSv2 at " + url_origin(endpoint) + ", role " + role + ")";
  nlohmann::json doc = nlohmann::json::parse(document->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("Code") && doc["Code"].is_string() && doc["Code"] != "Success") {
    return Status::unavailable(role_source + ": the metadata service answered Code " + doc["Code"].get<std::string>());
  }
  return credentials_from_json(document->body, role_source);
}

// ---------------------------------------------------------------------------------------------------------------
// Shared credentials and config files.

// One INI file: profile name -> (lower-case key -> value).
struct ProfileFile {
  std::string path;     // as opened
  std::string display;  // for messages: "~/.aws/credentials" when under $HOME
  bool exists = false;
  std::map<std::string, std::map<std::string, std::string>> profiles;
};

// Parses the AWS shared-file INI dialect: "[name]" sections (in the config file "[profile name]", and "[default]"),
// "key = value" lines, full-line comments starting with '#' or ';', and inline comments after whitespace. Indented
// lines under a key are sub-settings (e.g. "s3 =" followed by "  max_concurrent_requests = 20") and are skipped.
Result<ProfileFile> read_profile_file(const std::string& path, const std::string& display, bool is_config) {
  ProfileFile file;
  file.path = path;
  file.display = display;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return file;
  file.exists = true;
  PGS3_ASSIGN_OR_RETURN(std::string text, read_text_file(path, "the AWS shared file"));
  std::map<std::string, std::string>* section = nullptr;
  bool in_nested = false;
  std::istringstream lines(text);
  std::string raw;
  while (std::getline(lines, raw)) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      in_nested = false;
      size_t close = line.find(']');
      if (close == std::string_view::npos) {
        return Status::bad_input("AWS shared file " + display +
                                 ": section header without ']': " + std::string(line.substr(0, 60)));
      }
      std::string name(trim(line.substr(1, close - 1)));
      section = nullptr;
      if (is_config) {
        if (name == "default") {
          section = &file.profiles["default"];
        } else if (name.rfind("profile", 0) == 0 && name.size() > 7 &&
                   std::isspace(static_cast<unsigned char>(name[7]))) {
          section = &file.profiles[std::string(trim(std::string_view(name).substr(8)))];
        }
        // Other config sections ([sso-session x], [services x]) hold no profile.
      } else {
        section = &file.profiles[name];
      }
      continue;
    }
    bool indented = std::isspace(static_cast<unsigned char>(raw.front()));
    if (indented && in_nested) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || section == nullptr) continue;
    std::string key = lower(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    for (size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && std::isspace(static_cast<unsigned char>(value[i - 1]))) {
        value = trim(value.substr(0, i));
        break;
      }
    }
    in_nested = value.empty();
    if (!in_nested) (*section)[key] = std::string(value);
  }
  return file;
}

std::string expand_home(const std::string& path, const std::optional<std::string>& home) {
  if (home && (path == "~" || path.rfind("~/", 0) == 0)) return *home + path.substr(1);
  return path;
}

std::string display_path(const std::string& path, const std::optional<std::string>& home) {
  if (home && !home->empty() && path.rfind(*home + "/", 0) == 0) return "~" + path.substr(home->size());
  return path;
}

// What the chain learned while looking, for the final "no AWS credentials" message.
struct Findings {
  std::vector<std::string> notes;
};

// The profile's long-term keys, nullopt when the shared files do not configure credentials for it, or an error
// when they configure them wrongly or in a way pgs3 does not support.
Result<std::optional<AwsCredentials>> credentials_from_profile(const EnvLookup& env, Findings* findings) {
  std::optional<std::string> home = env_value(env, "HOME");
  std::optional<std::string> credentials_path = env_value(env, "AWS_SHARED_CREDENTIALS_FILE");
  std::optional<std::string> config_path = env_value(env, "AWS_CONFIG_FILE");
  if (!credentials_path && home) credentials_path = *home + "/.aws/credentials";
  if (!config_path && home) config_path = *home + "/.aws/config";

  std::optional<std::string> profile_variable = env_value(env, "AWS_PROFILE");
  std::string variable_name = "AWS_PROFILE";
  if (!profile_variable) {
    profile_variable = env_value(env, "AWS_DEFAULT_PROFILE");  // the AWS CLI's older name
    variable_name = "AWS_DEFAULT_PROFILE";
  }
  const bool explicit_profile = profile_variable.has_value();
  const std::string profile = profile_variable.value_or("default");

  std::vector<ProfileFile> files;  // credentials first: its keys win over the config file's
  if (credentials_path) {
    std::string path = expand_home(*credentials_path, home);
    PGS3_ASSIGN_OR_RETURN(ProfileFile file, read_profile_file(path, display_path(path, home), false));
    files.push_back(std::move(file));
  }
  if (config_path) {
    std::string path = expand_home(*config_path, home);
    PGS3_ASSIGN_OR_RETURN(ProfileFile file, read_profile_file(path, display_path(path, home), true));
    files.push_back(std::move(file));
  }
  std::string looked_in;
  for (const ProfileFile& file : files) {
    looked_in += (looked_in.empty() ? "" : " and ") + file.display + (file.exists ? "" : " (absent)");
  }
  if (looked_in.empty()) looked_in = "no file (HOME is not set)";

  // key -> (value, file it came from)
  std::map<std::string, std::pair<std::string, std::string>> settings;
  bool found = false;
  for (auto file = files.rbegin(); file != files.rend(); ++file) {
    auto it = file->profiles.find(profile);
    if (it == file->profiles.end()) continue;
    found = true;
    for (const auto& [key, value] : it->second) settings[key] = {value, file->display};
  }
  if (!found) {
    if (explicit_profile) {
      return Status::bad_input(variable_name + " names the profile \"" + profile + "\", which is in neither " +
                               looked_in + ": add it, or fix " + variable_name);
    }
    findings->notes.push_back("no [default] profile in " + looked_in);
    return std::optional<AwsCredentials>();
  }

  const std::string where = "profile " + profile;
  for (const char* key : {"role_arn", "source_profile", "credential_source", "web_identity_token_file", "sso_session",
                          "sso_start_url", "sso_account_id", "sso_role_name"}) {
    auto it = settings.find(key);
    if (it != settings.end()) {
      return Status::bad_input(where + " in " + it->second.second + " uses " + key +
                               ", which pgs3 does not support: give the profile aws_access_key_id and "
                               "aws_secret_access_key, or use environment variables, web identity, container or "
                               "instance credentials");
    }
  }
  auto key_id = settings.find("aws_access_key_id");
  if (key_id == settings.end()) {
    auto process = settings.find("credential_process");
    if (process != settings.end()) {
      return Status::bad_input(where + " in " + process->second.second +
                               " uses credential_process, which pgs3 does not support: give the profile "
                               "aws_access_key_id and aws_secret_access_key");
    }
    findings->notes.push_back(where + " has no aws_access_key_id in " + looked_in);
    return std::optional<AwsCredentials>();
  }
  auto secret = settings.find("aws_secret_access_key");
  if (secret == settings.end()) {
    return Status::bad_input(where + " in " + key_id->second.second +
                             " has aws_access_key_id but no aws_secret_access_key");
  }
  AwsCredentials credentials;
  credentials.access_key_id = key_id->second.first;
  credentials.secret_access_key = secret->second.first;
  auto token = settings.find("aws_session_token");
  if (token != settings.end()) credentials.session_token = token->second.first;
  credentials.source = where + " in " + key_id->second.second;
  return std::optional<AwsCredentials>(std::move(credentials));
}

std::string sts_endpoint(const EnvLookup& env, const std::string& region_argument) {
  if (auto url = env_value(env, "AWS_ENDPOINT_URL_STS")) return strip_trailing_slash(*url);
  std::string region = region_argument;
  if (region.empty()) region = env_value(env, "AWS_REGION").value_or(env_value(env, "AWS_DEFAULT_REGION").value_or(""));
  if (region.empty()) return "https://sts.amazonaws.com";
  std::string suffix = region.rfind("cn-", 0) == 0 ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://sts." + region + suffix;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<std::unique_ptr<CredentialsProvider>> make_default_credentials_chain(HttpClient& http, const std::string& region,
                                                                            const EnvLookup& env) {
  using ProviderPtr = std::unique_ptr<CredentialsProvider>;

  // 1. Environment.
  std::optional<std::string> key_id = env_value(env, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
  if (key_id || secret) {
    if (!key_id) return Status::bad_input("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both");
    if (!secret) return Status::bad_input("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both");
    AwsCredentials credentials;
    credentials.access_key_id = *key_id;
    credentials.secret_access_key = *secret;
    credentials.session_token = env_value(env, "AWS_SESSION_TOKEN").value_or("");
    credentials.source = "environment";
    return ProviderPtr(std::make_unique<FixedProvider>(std::move(credentials)));
  }

  // 2. Shared credentials and config files.
  Findings findings;
  PGS3_ASSIGN_OR_RETURN(std::optional<AwsCredentials> from_profile, credentials_from_profile(env, &findings));
  if (from_profile) return ProviderPtr(std::make_unique<FixedProvider>(std::move(*from_profile)));

  // 3. Web identity.
  if (auto token_file = env_value(env, "AWS_WEB_IDENTITY_TOKEN_FILE")) {
    std::optional<std::string> role_arn = env_value(env, "AWS_ROLE_ARN");
    if (!role_arn) {
      return Status::bad_input("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: set the role to assume");
    }
    WebIdentityConfig config;
    config.token_file = *token_file;
    config.role_arn = *role_arn;
    config.session_name =
        env_value(env, "AWS_ROLE_SESSION_NAME")
            .value_or(
                "pgs3-" +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count()));
    config.endpoint = sts_endpoint(env, region);
    HttpClient* client = &http;
    return ProviderPtr(std::make_unique<RefreshingProvider>(
        [client, config] { return fetch_web_identity(*client, config); }, std::nullopt));
  }

  // 4. Container. The relative URI wins over the full one (AWS SDKs and Tools reference, container provider).
  std::optional<std::string> relative_uri = env_value(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  std::optional<std::string> full_uri = env_value(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (relative_uri || full_uri) {
    ContainerConfig config;
    if (relative_uri) {
      config.url = std::string(kEcsContainerHost) + (relative_uri->front() == '/' ? "" : "/") + *relative_uri;
      config.variable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    } else {
      config.url = *full_uri;
      config.variable = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
      if (!http_allowed_for_container(config.url)) {
        return Status::bad_input("AWS_CONTAINER_CREDENTIALS_FULL_URI " + url_origin(config.url) +
                                 ": plain http is allowed only to a loopback address or the ECS/EKS agent "
                                 "(169.254.170.2, 169.254.170.23); use https");
      }
    }
    config.token = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    config.token_file = env_value(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    HttpClient* client = &http;
    return ProviderPtr(std::make_unique<RefreshingProvider>(
        [client, config] { return fetch_container(*client, config); }, std::nullopt));
  }

  // 5. Instance metadata: the last resort, tried only when nothing else is configured, since off EC2 it cannot be
  // told apart from a network problem except by not answering.
  std::string looked_for =
      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in "
      "~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE), or AWS_WEB_IDENTITY_TOKEN_FILE and "
      "AWS_ROLE_ARN, or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI, or run on EC2 "
      "with an instance profile";
  for (const std::string& note : findings.notes) looked_for += "; " + note;
  if (lower(env_value(env, "AWS_EC2_METADATA_DISABLED").value_or("")) == "true") {
    return Status::bad_input(looked_for + "; instance metadata is disabled by AWS_EC2_METADATA_DISABLED");
  }
  std::string endpoint = kDefaultImdsEndpoint;
  if (auto configured = env_value(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    endpoint = strip_trailing_slash(*configured);
  } else if (lower(env_value(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("")) == "ipv6") {
    endpoint = kDefaultImdsEndpointIpv6;
  }
  // Its own client: off EC2 the address is unreachable and the probe must give up quickly, whatever the shared
  // client's timeouts are.
  HttpClientOptions imds_options;
  imds_options.connect_timeout = std::chrono::seconds(1);
  imds_options.stall_timeout = std::chrono::seconds(2);
  imds_options.total_timeout = std::chrono::seconds(5);
  std::shared_ptr<HttpClient> imds_client = std::make_shared<HttpClient>(imds_options);
  bool reached = false;
  Result<AwsCredentials> first = fetch_imds(*imds_client, endpoint, &reached);
  if (!first.is_ok()) {
    if (!reached) {
      return Status::bad_input(looked_for + "; the instance metadata service did not answer (" +
                               first.status().message() + ")");
    }
    return first.status();
  }
  return ProviderPtr(std::make_unique<RefreshingProvider>(
      [imds_client, endpoint] { return fetch_imds(*imds_client, endpoint, nullptr); }, std::move(first).value()));
}

}  // namespace pgs3
