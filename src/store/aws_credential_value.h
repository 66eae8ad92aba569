// One set of AWS credentials: what SigV4 signs with (sigv4.h) and what the provider chain finds
// (aws_credentials.h). A plain value; it holds secrets, so never log or format one.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace pgs3 {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // where they came from, for messages: "environment", "profile default in ~/.aws/credentials"
};

}  // namespace pgs3
