#include "store/aws_credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "loopback_http_server.h"
#include "store/http_client.h"

namespace pgs3 {
namespace {

namespace fs = std::filesystem;
using test_support::LoopbackHttpServer;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::system_clock;

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kSessionToken = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN+/==";
constexpr const char* kWebToken = "eyJhbGciOiJSUzI1NiJ9.WEBIDENTITYTOKEN.sig";

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string iso8601(Clock::time_point t) {
  std::time_t seconds = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The value of one field of an application/x-www-form-urlencoded body, still encoded.
std::string form_field(const std::string& body, const std::string& name) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    std::string pair = body.substr(pos, end - pos);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    pos = end + 1;
  }
  return "<absent>";
}

std::string sts_success(const std::string& key_id, Clock::time_point expiration) {
  return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
         "  <AssumeRoleWithWebIdentityResult>\n"
         "    <SubjectFromWebIdentityToken>system:serviceaccount:ns:app</SubjectFromWebIdentityToken>\n"
         "    <Credentials>\n"
         "      <SessionToken>" +
         std::string(kSessionToken) + "</SessionToken>\n      <SecretAccessKey>" + kSecret +
         "</SecretAccessKey>\n      <Expiration>" + iso8601(expiration) + "</Expiration>\n      <AccessKeyId>" +
         key_id +
         "</AccessKeyId>\n"
         "    </Credentials>\n"
         "  </AssumeRoleWithWebIdentityResult>\n"
         "  <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>\n"
         "</AssumeRoleWithWebIdentityResponse>\n";
}

std::string credentials_json(const std::string& key_id, Clock::time_point expiration) {
  return "{\"Code\": \"Success\", \"LastUpdated\": \"2026-01-01T00:00:00Z\", \"Type\": \"AWS-HMAC\", "
         "\"AccessKeyId\": \"" +
         key_id + "\", \"SecretAccessKey\": \"" + kSecret + "\", \"Token\": \"" + kSessionToken +
         "\", \"Expiration\": \"" + iso8601(expiration) + "\"}";
}

class AwsCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pgs3-credentials-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / ".aws");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& relative, const std::string& text) {
    fs::path path = dir_ / relative;
    std::ofstream(path) << text;
    return path.string();
  }

  // An environment with HOME in the temporary directory and instance metadata off, plus `vars`.
  EnvLookup env(std::map<std::string, std::string> vars) {
    vars.emplace("HOME", dir_.string());
    vars.emplace("AWS_EC2_METADATA_DISABLED", "true");
    return env_of(std::move(vars));
  }

  Result<AwsCredentials> resolve(const EnvLookup& lookup, const std::string& region = "eu-west-1") {
    auto chain = make_default_credentials_chain(http_, region, lookup);
    if (!chain.is_ok()) return chain.status();
    return (*chain)->get();
  }

  fs::path dir_;
  HttpClient http_;
};

void expect_no_secret(const Status& status) {
  EXPECT_THAT(status.message(), Not(HasSubstr(kSecret)));
  EXPECT_THAT(status.message(), Not(HasSubstr(kSessionToken)));
  EXPECT_THAT(status.message(), Not(HasSubstr(kWebToken)));
}

// --- environment ---

TEST_F(AwsCredentialsTest, EnvironmentVariablesComeFirst) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = filesecret\n");
  auto credentials = resolve(env(
      {{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", kSessionToken}}));
  ASSERT_TRUE(credentials.is_ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "AKIAENV");
  EXPECT_EQ(credentials->secret_access_key, kSecret);
  EXPECT_EQ(credentials->session_token, kSessionToken);
  EXPECT_EQ(credentials->source, "environment");
  EXPECT_FALSE(credentials->expiration.has_value());
}

TEST_F(AwsCredentialsTest, EnvironmentWithHalfAKeyIsAnErrorWithoutTheSecret) {
  auto only_secret = resolve(env({{"AWS_SECRET_ACCESS_KEY", kSecret}}));
  ASSERT_FALSE(only_secret.is_ok());
  EXPECT_EQ(only_secret.status().code(), StatusCode::kBadInput);
  EXPECT_THAT(only_secret.status().message(), HasSubstr("AWS_ACCESS_KEY_ID"));
  expect_no_secret(only_secret.status());
  auto only_id = resolve(env({{"AWS_ACCESS_KEY_ID", "AKIAENV"}}));
  ASSERT_FALSE(only_id.is_ok());
  EXPECT_THAT(only_id.status().message(), HasSubstr("AWS_SECRET_ACCESS_KEY"));
}

TEST(AwsCredentials, ProcessEnvironmentReadsTheRealEnvironment) {
  EnvLookup lookup = process_environment();
  const char* path = std::getenv("PATH");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(lookup("PATH"), std::string(path));
  EXPECT_EQ(lookup("PGS3_SURELY_NOT_SET_ANYWHERE_1234"), std::nullopt);
}

// --- shared files ---

TEST_F(AwsCredentialsTest, DefaultProfileFromTheCredentialsFile) {
  write(".aws/credentials",
        "# a comment\n"
        "; another comment\n"
        "\n"
        "[other]\n"
        "aws_access_key_id=AKIAOTHER\n"
        "aws_secret_access_key=othersecret\n"
        "  [ default ]  \n"
        "  aws_access_key_id   =   AKIADEFAULT   \n"
        "\taws_secret_access_key\t=\t" +
            std::string(kSecret) +
            "  # inline comment\n"
            "AWS_SESSION_TOKEN = " +
            kSessionToken + "\n");
  auto credentials = resolve(env({}));
  ASSERT_TRUE(credentials.is_ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "AKIADEFAULT");
  EXPECT_EQ(credentials->secret_access_key, kSecret);
  EXPECT_EQ(credentials->session_token, kSessionToken);
  EXPECT_EQ(credentials->source, "profile default in ~/.aws/credentials");
}

TEST_F(AwsCredentialsTest, AwsProfileSelectsTheProfile) {
  write(".aws/credentials",
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n"
        "[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = s2\naws_session_token = t2\n");
  auto credentials = resolve(env({{"AWS_PROFILE", "prod"}}));
  ASSERT_TRUE(credentials.is_ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "AKIAPROD");
  EXPECT_EQ(credentials->secret_access_key, "s2");
  EXPECT_EQ(credentials->session_token, "t2");
  EXPECT_EQ(credentials->source, "profile prod in ~/.aws/credentials");
}

TEST_F(AwsCredentialsTest, ConfigFileUsesProfilePrefixedSections) {
  std::string config = write("custom-config",
                             "[default]\nregion = eu-west-1\n"
                             "[analytics]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong\n"
                             "[profile   analytics]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 20\n"
                             "aws_access_key_id = AKIACONFIG\naws_secret_access_key = configsecret\n");
  std::string credentials_file = write("custom-credentials", "[default]\naws_access_key_id = AKIAD\n");
  auto credentials = resolve(env(
      {{"AWS_PROFILE", "analytics"}, {"AWS_CONFIG_FILE", config}, {"AWS_SHARED_CREDENTIALS_FILE", credentials_file}}));
  ASSERT_TRUE(credentials.is_ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "AKIACONFIG");
  EXPECT_EQ(credentials->secret_access_key, "configsecret");
  EXPECT_EQ(credentials->source, "profile analytics in ~/custom-config");
}

TEST_F(AwsCredentialsTest, CredentialsFileWinsOverConfigFileForTheSameProfile) {
  write(".aws/config", "[default]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = configsecret\n");
  write(".aws/credentials", "[default]\naws_access_key_id = AKIACREDS\naws_secret_access_key = credssecret\n");
  auto credentials = resolve(env({}));
  ASSERT_TRUE(credentials.is_ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "AKIACREDS");
  EXPECT_EQ(credentials->secret_access_key, "credssecret");
}

TEST_F(AwsCredentialsTest, MissingNamedProfileIsAnErrorNamingProfileAndFiles) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIAD\naws_secret_access_key = " + std::string(kSecret));
  auto credentials = resolve(env({{"AWS_PROFILE", "staging"}}));
  ASSERT_FALSE(credentials.is_ok());
  EXPECT_EQ(credentials.status().code(), StatusCode::kBadInput);
  EXPECT_THAT(credentials.status().message(), HasSubstr("\"staging\""));
  EXPECT_THAT(credentials.status().message(), HasSubstr("~/.aws/credentials"));
  EXPECT_THAT(credentials.status().message(), HasSubstr("~/.aws/config"));
  expect_no_secret(credentials.status());
}

TEST_F(AwsCredentialsTest, ProfilesThatAssumeRolesOrRunProcessesAreNotSupported) {
  write(".aws/config",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = default\n"
        "[profile process]\ncredential_process = /usr/bin/get-creds\n"
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n");
  write(".aws/credentials", "[role]\naws_access_key_id = AKIAROLE\naws_secret_access_key = " + std::string(kSecret));
  for (const auto& [profile, key] : std::vector<std::pair<std::string, std::string>>{
           {"role", "role_arn"}, {"process", "credential_process"}, {"sso", "sso_"}}) {
    auto credentials = resolve(env({{"AWS_PROFILE", profile}}));
    ASSERT_FALSE(credentials.is_ok()) << profile;
    EXPECT_EQ(credentials.status().code(), StatusCode::kBadInput);
    EXPECT_THAT(credentials.status().message(), HasSubstr("profile " + profile));
    EXPECT_THAT(credentials.status().message(), HasSubstr(key));
    EXPECT_THAT(credentials.status().message(), HasSubstr("not support"));
    expect_no_secret(credentials.status());
  }
}

TEST_F(AwsCredentialsTest, ProfileWithKeyIdButNoSecretIsAnError) {
  write(".aws/credentials", "[default]\naws_access_key_id = AKIAHALF\n");
  auto credentials = resolve(env({}));
  ASSERT_FALSE(credentials.is_ok());
  EXPECT_EQ(credentials.status().code(), StatusCode::kBadInput);
  EXPECT_THAT(credentials.status().message(), HasSubstr("aws_secret_access_key"));
}

TEST_F(AwsCredentialsTest, NothingConfiguredIsBadInputListingWhatWasLookedFor) {
  write(".aws/config", "[default]\nregion = eu-west-1\n");
  auto chain = make_default_credentials_chain(http_, "eu-west-1", env({}));
  ASSERT_FALSE(chain.is_ok());
  EXPECT_EQ(chain.status().code(), StatusCode::kBadInput);
  const std::string& message = chain.status().message();
  EXPECT_THAT(message, HasSubstr("no AWS credentials"));
  EXPECT_THAT(message, HasSubstr("AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(message, HasSubstr("AWS_PROFILE"));
  EXPECT_THAT(message, HasSubstr("AWS_WEB_IDENTITY_TOKEN_FILE"));
  EXPECT_THAT(message, HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
  EXPECT_THAT(message, HasSubstr("AWS_EC2_METADATA_DISABLED"));
  EXPECT_THAT(message, HasSubstr("profile default has no aws_access_key_id"));
}

TEST_F(AwsCredentialsTest, NothingConfiguredAndNoMetadataServiceIsBadInput) {
  int port = 0;
  {
    LoopbackHttpServer closed([](const LoopbackHttpServer::Request&) { return LoopbackHttpServer::Response{}; });
    port = closed.port();
  }
  auto chain = make_default_credentials_chain(
      http_, "eu-west-1",
      env_of({{"HOME", dir_.string()},
              {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:" + std::to_string(port) + "/"}}));
  ASSERT_FALSE(chain.is_ok());
  EXPECT_EQ(chain.status().code(), StatusCode::kBadInput);
  EXPECT_THAT(chain.status().message(), HasSubstr("no AWS credentials"));
  EXPECT_THAT(chain.status().message(), HasSubstr("did not answer"));
  EXPECT_THAT(chain.status().message(), HasSubstr("127.0.0.1:" + std::to_string(port)));
}

// --- web identity ---

TEST_F(AwsCredentialsTest, WebIdentityAssumesTheRoleThroughSts) {
  const Clock::time_point expiration = Clock::now() + std::chrono::hours(1);
  LoopbackHttpServer sts([&](const LoopbackHttpServer::Request&) {
    return LoopbackHttpServer::Response{200, {{"Content-Type", "text/xml"}}, sts_success("ASIAWEB", expiration)};
  });
  std::string token_file = write("token", std::string(kWebToken) + "\n");
  auto credentials = resolve(env({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                  {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pgs3 writer"},
                                  {"AWS_ROLE_SESSION_NAME", "pgs3-test"},
                                  {"AWS_ENDPOINT_URL_STS", sts.url()}}));
  ASSERT_TRUE(credentials.is_ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "ASIAWEB");
  EXPECT_EQ(credentials->secret_access_key, kSecret);
  EXPECT_EQ(credentials->session_token, kSessionToken);
  ASSERT_TRUE(credentials->expiration.has_value());
  EXPECT_EQ(Clock::to_time_t(*credentials->expiration), Clock::to_time_t(expiration));
  EXPECT_THAT(credentials->source, HasSubstr("web identity"));

  auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path(), "/");
  EXPECT_THAT(request.header("Content-Type").value_or(""), HasSubstr("application/x-www-form-urlencoded"));
  EXPECT_EQ(request.header("Authorization"), std::nullopt);
  EXPECT_EQ(form_field(request.body, "Action"), "AssumeRoleWithWebIdentity");
  EXPECT_EQ(form_field(request.body, "Version"), "2011-06-15");
  EXPECT_EQ(form_field(request.body, "RoleArn"), "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fpgs3%20writer");
  EXPECT_EQ(form_field(request.body, "RoleSessionName"), "pgs3-test");
  EXPECT_EQ(form_field(request.body, "WebIdentityToken"), "eyJhbGciOiJSUzI1NiJ9.WEBIDENTITYTOKEN.sig");
}

TEST_F(AwsCredentialsTest, WebIdentityStsErrorNamesTheCodeButNotTheToken) {
  LoopbackHttpServer sts([](const LoopbackHttpServer::Request&) {
    return LoopbackHttpServer::Response{
        400,
        {{"Content-Type", "text/xml"}},
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
        "<Code>InvalidIdentityToken</Code><Message>Token " +
            std::string(kWebToken) +
            " has an incorrect audience</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"};
  });
  std::string token_file = write("token", kWebToken);
  auto credentials = resolve(env({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                  {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"},
                                  {"AWS_ENDPOINT_URL_STS", sts.url() + "/"}}));
  ASSERT_FALSE(credentials.is_ok());
  EXPECT_EQ(credentials.status().code(), StatusCode::kBadInput);
  EXPECT_THAT(credentials.status().message(), HasSubstr("InvalidIdentityToken"));
  EXPECT_THAT(credentials.status().message(), HasSubstr("web identity"));
  expect_no_secret(credentials.status());
}

TEST_F(AwsCredentialsTest, WebIdentityNeedsARoleArnAndAReadableTokenFile) {
  auto no_role = make_default_credentials_chain(http_, "eu-west-1",
                                                env({{"AWS_WEB_IDENTITY_TOKEN_FILE", write("token", kWebToken)}}));
  ASSERT_FALSE(no_role.is_ok());
  EXPECT_THAT(no_role.status().message(), HasSubstr("AWS_ROLE_ARN"));

  auto chain = make_default_credentials_chain(http_, "eu-west-1",
                                              env({{"AWS_WEB_IDENTITY_TOKEN_FILE", (dir_ / "missing").string()},
                                                   {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"},
                                                   {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"}}));
  ASSERT_TRUE(chain.is_ok()) << chain.status().message();
  auto credentials = (*chain)->get();
  ASSERT_FALSE(credentials.is_ok());
  EXPECT_THAT(credentials.status().message(), HasSubstr((dir_ / "missing").string()));
}

// --- container ---

TEST_F(AwsCredentialsTest, ContainerCredentialsSendTheTokenFromTheTokenFile) {
  const Clock::time_point expiration = Clock::now() + std::chrono::hours(6);
  LoopbackHttpServer agent([&](const LoopbackHttpServer::Request& request) {
    if (request.header("Authorization") != "pod-identity-token") return LoopbackHttpServer::Response{401, {}, ""};
    return LoopbackHttpServer::Response{200, {}, credentials_json("ASIACONTAINER", expiration)};
  });
  auto credentials =
      resolve(env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url() + "/v1/credentials"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "the-file-wins"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", write("eks-token", "pod-identity-token\n")}}));
  ASSERT_TRUE(credentials.is_ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "ASIACONTAINER");
  EXPECT_EQ(credentials->secret_access_key, kSecret);
  EXPECT_EQ(credentials->session_token, kSessionToken);
  ASSERT_TRUE(credentials->expiration.has_value());
  EXPECT_EQ(Clock::to_time_t(*credentials->expiration), Clock::to_time_t(expiration));
  auto requests = agent.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1/credentials");
}

TEST_F(AwsCredentialsTest, ContainerErrorStatusNamesTheSourceWithoutSecrets) {
  LoopbackHttpServer agent([](const LoopbackHttpServer::Request&) {
    return LoopbackHttpServer::Response{403, {}, std::string("{\"Message\":\"denied ") + kSecret + "\"}"};
  });
  auto credentials = resolve(env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url() + "/creds"},
                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kSessionToken}}));
  ASSERT_FALSE(credentials.is_ok());
  EXPECT_THAT(credentials.status().message(), HasSubstr("container credentials"));
  EXPECT_THAT(credentials.status().message(), HasSubstr("403"));
  expect_no_secret(credentials.status());
}

TEST_F(AwsCredentialsTest, ContainerFullUriOverPlainHttpMustBeLocal) {
  auto chain = make_default_credentials_chain(
      http_, "eu-west-1", env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://credentials.example.com/creds"}}));
  ASSERT_FALSE(chain.is_ok());
  EXPECT_EQ(chain.status().code(), StatusCode::kBadInput);
  EXPECT_THAT(chain.status().message(), HasSubstr("https"));
}

// --- instance metadata ---

LoopbackHttpServer::Handler imds_handler(std::function<std::string()> document) {
  return [document](const LoopbackHttpServer::Request& request) {
    using Response = LoopbackHttpServer::Response;
    if (request.method == "PUT" && request.target == "/latest/api/token") {
      if (request.header("X-aws-ec2-metadata-token-ttl-seconds") != "21600") return Response{400, {}, ""};
      return Response{200, {}, "SESSIONTOKEN=="};
    }
    if (request.header("X-aws-ec2-metadata-token") != "SESSIONTOKEN==") return Response{401, {}, ""};
    if (request.method == "GET" && request.target == "/latest/meta-data/iam/security-credentials/") {
      return Response{200, {}, "pgs3-instance-role\n"};
    }
    if (request.method == "GET" && request.target == "/latest/meta-data/iam/security-credentials/pgs3-instance-role") {
      return Response{200, {}, document()};
    }
    return Response{404, {}, ""};
  };
}

TEST_F(AwsCredentialsTest, InstanceMetadataUsesImdsV2TokenFirst) {
  const Clock::time_point expiration = Clock::now() + std::chrono::hours(6);
  LoopbackHttpServer imds(imds_handler([&] { return credentials_json("ASIAINSTANCE", expiration); }));
  auto credentials = resolve(env_of({{"HOME", dir_.string()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}));
  ASSERT_TRUE(credentials.is_ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "ASIAINSTANCE");
  EXPECT_EQ(credentials->secret_access_key, kSecret);
  EXPECT_EQ(credentials->session_token, kSessionToken);
  EXPECT_THAT(credentials->source, HasSubstr("pgs3-instance-role"));
  auto requests = imds.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/latest/api/token");
  for (size_t i = 1; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].method, "GET");
    EXPECT_EQ(requests[i].header("X-aws-ec2-metadata-token"), "SESSIONTOKEN==");
  }
}

TEST_F(AwsCredentialsTest, InstanceWithoutRoleIsAnErrorNamingTheMetadataService) {
  LoopbackHttpServer imds([](const LoopbackHttpServer::Request& request) {
    if (request.method == "PUT") return LoopbackHttpServer::Response{200, {}, "T"};
    return LoopbackHttpServer::Response{404, {}, ""};
  });
  auto chain = make_default_credentials_chain(
      http_, "eu-west-1", env_of({{"HOME", dir_.string()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}));
  ASSERT_FALSE(chain.is_ok());
  EXPECT_EQ(chain.status().code(), StatusCode::kBadInput);
  EXPECT_THAT(chain.status().message(), HasSubstr("instance metadata"));
  EXPECT_THAT(chain.status().message(), HasSubstr("no IAM role"));
}

TEST_F(AwsCredentialsTest, InstanceMetadataFailureCodeHidesTheSecret) {
  LoopbackHttpServer imds(imds_handler([] {
    return std::string("{\"Code\": \"AssumeRoleUnauthorizedAccess\", \"SecretAccessKey\": \"") + kSecret + "\"}";
  }));
  auto chain = make_default_credentials_chain(
      http_, "eu-west-1", env_of({{"HOME", dir_.string()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}}));
  ASSERT_FALSE(chain.is_ok());
  EXPECT_THAT(chain.status().message(), HasSubstr("AssumeRoleUnauthorizedAccess"));
  expect_no_secret(chain.status());
}

// --- refresh ---

// A container agent that hands out credentials numbered by request, valid for `lifetime`.
class CountingAgent {
 public:
  explicit CountingAgent(std::chrono::seconds lifetime)
      : server_([this, lifetime](const LoopbackHttpServer::Request&) {
          int n = ++served_;
          if (fail_) return LoopbackHttpServer::Response{500, {}, "down"};
          return LoopbackHttpServer::Response{
              200, {}, credentials_json("ASIA" + std::to_string(n), Clock::now() + lifetime)};
        }) {}
  std::string url() const { return server_.url() + "/creds"; }
  int served() const { return served_; }
  void fail() { fail_ = true; }

 private:
  std::atomic<int> served_{0};
  std::atomic<bool> fail_{false};
  LoopbackHttpServer server_;
};

TEST_F(AwsCredentialsTest, CredentialsExpiringInTwoMinutesAreFetchedAgain) {
  CountingAgent agent(std::chrono::minutes(2));
  auto chain =
      make_default_credentials_chain(http_, "eu-west-1", env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url()}}));
  ASSERT_TRUE(chain.is_ok()) << chain.status().message();
  auto first = (*chain)->get();
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(first->access_key_id, "ASIA1");
  auto second = (*chain)->get();
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  EXPECT_EQ(second->access_key_id, "ASIA2");
  EXPECT_EQ(agent.served(), 2);
}

TEST_F(AwsCredentialsTest, CredentialsExpiringInAnHourAreCachedAcrossThreads) {
  CountingAgent agent(std::chrono::hours(1));
  auto chain =
      make_default_credentials_chain(http_, "eu-west-1", env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url()}}));
  ASSERT_TRUE(chain.is_ok()) << chain.status().message();
  CredentialsProvider* provider = chain->get();
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto credentials = provider->get();
        if (!credentials.is_ok() || credentials->access_key_id != "ASIA1") ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(agent.served(), 1);
}

TEST_F(AwsCredentialsTest, AFailedRefreshKeepsCredentialsThatAreStillValid) {
  CountingAgent agent(std::chrono::minutes(3));
  auto chain =
      make_default_credentials_chain(http_, "eu-west-1", env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url()}}));
  ASSERT_TRUE(chain.is_ok()) << chain.status().message();
  ASSERT_TRUE((*chain)->get().is_ok());
  agent.fail();
  auto kept = (*chain)->get();
  ASSERT_TRUE(kept.is_ok()) << kept.status().message();
  EXPECT_EQ(kept->access_key_id, "ASIA1");
  EXPECT_EQ(agent.served(), 2);
}

// --- timestamps ---

TEST(AwsCredentials, ParsesIso8601Expirations) {
  auto plain = parse_aws_timestamp("2026-11-30T12:00:00Z");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(Clock::to_time_t(*plain), 1796040000);
  auto fractional = parse_aws_timestamp("2026-11-30T12:00:00.250Z");
  ASSERT_TRUE(fractional.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*fractional - *plain).count(), 250);
  auto offset = parse_aws_timestamp("2026-11-30T14:00:00+02:00");
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(*offset, *plain);
  auto leap_day = parse_aws_timestamp("2024-02-29T00:00:00Z");
  ASSERT_TRUE(leap_day.has_value());
  EXPECT_EQ(Clock::to_time_t(*leap_day), 1709164800);
  for (const char* bad : {"", "2026-11-30", "2026-11-30T12:00Z", "2026-02-30T12:00:00Z", "2026-11-30T12:00:00.Z",
                          "2026-11-30T12:00:00Zjunk", "tomorrow"}) {
    EXPECT_FALSE(parse_aws_timestamp(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace pgs3
