// The standard provider chain that finds AWS credentials (the value itself: aws_credential_value.h).
//
// The chain tries, in order (the order of the AWS SDKs and CLI):
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN;
//   2. shared files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials) and AWS_CONFIG_FILE (default
//      ~/.aws/config), profile AWS_PROFILE (default "default"; "[profile NAME]" sections in the config file);
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME) through STS
//      AssumeRoleWithWebIdentity (endpoint https://sts.<region>.amazonaws.com, overridable by AWS_ENDPOINT_URL_STS);
//   4. container: AWS_CONTAINER_CREDENTIALS_FULL_URI (or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against
//      169.254.170.2), with AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
//   5. instance metadata, IMDSv2 (PUT /latest/api/token, then the role's credentials), endpoint
//      AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254); skipped when AWS_EC2_METADATA_DISABLED=true.
// The first source that is configured wins; a configured source that fails is an error naming that source (it does
// not fall through to the next, so a broken setup is never silently replaced by another identity).
//
// Temporary credentials (with an expiration) are refreshed when less than 5 minutes remain. No secret is ever put
// in a Status message or a log line: messages name the source, the profile, the file or the endpoint only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/aws_credential_value.h"

namespace pgs3 {

class HttpClient;

// Returns the value of an environment variable, or nullopt. Injected so tests can describe an environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Valid credentials (refreshed when needed). Thread-safe.
  virtual Result<AwsCredentials> get() = 0;
};

// The standard chain described above. `http` is used for STS, container and instance metadata requests and must
// outlive the provider; `region` picks the STS endpoint. Fails (kBadInput) when no source is configured at all, with
// a message listing what was looked for.
Result<std::unique_ptr<CredentialsProvider>> make_default_credentials_chain(
    HttpClient& http, const std::string& region, const EnvLookup& env = process_environment());

// An ISO 8601 UTC time as STS, ECS and IMDS write expirations ("2026-11-30T12:00:00Z", with optional fractional
// seconds or a numeric offset such as "+00:00"), or nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_aws_timestamp(std::string_view text);

}  // namespace pgs3
