#include "store/http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "loopback_http_server.h"

namespace pgs3 {
namespace {

using test_support::LoopbackHttpServer;
using ::testing::HasSubstr;
using ::testing::Not;
using Behavior = LoopbackHttpServer::Behavior;

// A server that answers every request with `response`.
LoopbackHttpServer::Handler always(LoopbackHttpServer::Response response) {
  return [response](const LoopbackHttpServer::Request&) { return response; };
}

std::string pattern_bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

TEST(HttpClient, GetSendsHeadersAndReturnsStatusHeadersAndBody) {
  LoopbackHttpServer server(always({200, {{"X-Answer", "forty two"}, {"ETag", "\"abc\""}}, "hello"}));
  HttpClient client;
  auto response = client.send({"GET",
                               server.url() + "/bucket/some%20key?list-type=2&prefix=a%2Fb",
                               {{"X-Custom", "value 1"}, {"x-amz-empty", ""}},
                               {}});
  ASSERT_TRUE(response.is_ok()) << response.status().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->header("x-answer"), "forty two");
  EXPECT_EQ(response->header("ETAG"), "\"abc\"");
  EXPECT_EQ(response->header("X-Missing"), std::nullopt);

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/bucket/some%20key?list-type=2&prefix=a%2Fb");
  EXPECT_EQ(requests[0].header("X-Custom"), "value 1");
  EXPECT_EQ(requests[0].header("x-amz-empty"), "");
  EXPECT_EQ(requests[0].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(requests[0].body, "");
}

TEST(HttpClient, PutSendsA20MegabyteBodyWithContentLengthAndNoExpect) {
  LoopbackHttpServer server(always({200, {{"ETag", "\"e\""}}, ""}));
  HttpClient client;
  const std::string body = pattern_bytes(20 * 1024 * 1024);
  auto response = client.send({"PUT", server.url() + "/big", {{"Content-Type", "application/octet-stream"}}, body});
  ASSERT_TRUE(response.is_ok()) << response.status().message();
  EXPECT_EQ(response->status, 200);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(requests[0].header("Expect"), std::nullopt);
  EXPECT_EQ(requests[0].header("Transfer-Encoding"), std::nullopt);
  EXPECT_EQ(requests[0].header("Content-Type"), "application/octet-stream");
  EXPECT_TRUE(requests[0].body == body) << "the body arrived altered (" << requests[0].body.size() << " bytes)";
}

TEST(HttpClient, GetReceivesA20MegabyteBody) {
  const std::string body = pattern_bytes(20 * 1024 * 1024 + 3);
  LoopbackHttpServer server(always({200, {}, body}));
  HttpClient client;
  auto response = client.send({"GET", server.url() + "/big", {}, {}});
  ASSERT_TRUE(response.is_ok()) << response.status().message();
  EXPECT_TRUE(response->body == body) << "received " << response->body.size() << " bytes";
}

TEST(HttpClient, PutWithEmptyBodySendsContentLengthZero) {
  LoopbackHttpServer server(always({200, {}, ""}));
  HttpClient client;
  auto response = client.send({"PUT", server.url() + "/empty", {}, {}});
  ASSERT_TRUE(response.is_ok()) << response.status().message();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].header("Content-Length"), "0");
  EXPECT_EQ(requests[0].body, "");
}

TEST(HttpClient, PostSendsBodyAndNoContentTypeUnlessGiven) {
  LoopbackHttpServer server(always({200, {}, "<ok/>"}));
  HttpClient client;
  const std::string xml = "<Delete><Object><Key>a</Key></Object></Delete>";
  auto plain = client.send({"POST", server.url() + "/bucket?delete", {{"Content-MD5", "x"}}, xml});
  ASSERT_TRUE(plain.is_ok()) << plain.status().message();
  EXPECT_EQ(plain->body, "<ok/>");
  auto typed =
      client.send({"POST", server.url() + "/form", {{"Content-Type", "application/x-www-form-urlencoded"}}, "a=1&b=2"});
  ASSERT_TRUE(typed.is_ok()) << typed.status().message();
  auto empty = client.send({"POST", server.url() + "/bucket/key?uploads", {}, {}});
  ASSERT_TRUE(empty.is_ok()) << empty.status().message();

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/bucket?delete");
  EXPECT_EQ(requests[0].body, xml);
  EXPECT_EQ(requests[0].header("Content-Length"), std::to_string(xml.size()));
  EXPECT_EQ(requests[0].header("Content-Type"), std::nullopt);
  EXPECT_EQ(requests[0].header("Expect"), std::nullopt);
  EXPECT_EQ(requests[1].header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[1].body, "a=1&b=2");
  EXPECT_EQ(requests[2].header("Content-Length"), "0");
  EXPECT_EQ(requests[2].body, "");
}

TEST(HttpClient, HeadReturnsHeadersAndNoBody) {
  LoopbackHttpServer server(always({200, {{"x-amz-meta-k", "v"}}, "12345"}));
  HttpClient client;
  auto response = client.send({"HEAD", server.url() + "/object", {}, {}});
  ASSERT_TRUE(response.is_ok()) << response.status().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(response->header("Content-Length"), "5");
  EXPECT_EQ(response->header("x-amz-meta-k"), "v");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].method, "HEAD");
}

TEST(HttpClient, DeleteAndHttpErrorStatusesAreSuccessfulSends) {
  LoopbackHttpServer server([](const LoopbackHttpServer::Request& request) {
    if (request.method == "DELETE") return LoopbackHttpServer::Response{204, {}, ""};
    return LoopbackHttpServer::Response{503, {{"Retry-After", "1"}}, "<Error><Code>SlowDown</Code></Error>"};
  });
  HttpClient client;
  auto deleted = client.send({"DELETE", server.url() + "/bucket/key?uploadId=7", {}, {}});
  ASSERT_TRUE(deleted.is_ok()) << deleted.status().message();
  EXPECT_EQ(deleted->status, 204);
  auto busy = client.send({"GET", server.url() + "/bucket/key", {}, {}});
  ASSERT_TRUE(busy.is_ok()) << busy.status().message();
  EXPECT_EQ(busy->status, 503);
  EXPECT_THAT(busy->body, HasSubstr("SlowDown"));
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.requests()[0].method, "DELETE");
  EXPECT_EQ(server.requests()[0].target, "/bucket/key?uploadId=7");
}

TEST(HttpClient, KeepsOnlyTheFinalResponseHeadersAfterAnInterimResponse) {
  LoopbackHttpServer::Response response{200, {{"X-Final", "1"}}, "done"};
  response.interim_continue = true;
  LoopbackHttpServer server(always(response));
  HttpClient client;
  auto result = client.send({"PUT", server.url() + "/k", {}, "data"});
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "done");
  EXPECT_EQ(result->header("X-Final"), "1");
  EXPECT_EQ(result->header("X-Interim"), std::nullopt);
}

TEST(HttpClient, ReusesTheConnectionBetweenRequests) {
  LoopbackHttpServer server(always({200, {}, "ok"}));
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    auto response =
        client.send({i == 1 ? "PUT" : "GET", server.url() + "/r" + std::to_string(i), {}, i == 1 ? "x" : ""});
    ASSERT_TRUE(response.is_ok()) << response.status().message();
  }
  EXPECT_EQ(server.connections_accepted(), 1);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) EXPECT_EQ(request.connection, 1);
}

TEST(HttpClient, ReconnectsWhenTheServerClosedTheConnection) {
  LoopbackHttpServer::Response closing{200, {}, "ok"};
  closing.close_connection = true;
  LoopbackHttpServer server(always(closing));
  HttpClient client;
  for (int i = 0; i < 2; ++i) {
    auto response = client.send({"PUT", server.url() + "/k", {}, "body"});
    ASSERT_TRUE(response.is_ok()) << response.status().message();
  }
  EXPECT_EQ(server.connections_accepted(), 2);
  EXPECT_EQ(server.requests()[1].body, "body");
}

TEST(HttpClient, ConcurrentRequestsFromManyThreadsAllSucceed) {
  LoopbackHttpServer server([](const LoopbackHttpServer::Request& request) {
    return LoopbackHttpServer::Response{200, {}, request.body};
  });
  HttpClient client;
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string body = "thread " + std::to_string(t) + " request " + std::to_string(i);
        auto response = client.send({"POST", server.url() + "/echo", {}, body});
        if (!response.is_ok() || response->body != body) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
  EXPECT_EQ(server.requests().size(), 40u);
  EXPECT_LE(server.connections_accepted(), 4);
}

TEST(HttpClient, StalledResponseIsUnavailableAndSaysStalled) {
  LoopbackHttpServer::Response stalled{200, {}, std::string(1000, 'x')};
  stalled.behavior = Behavior::kStall;
  stalled.stall_after_body_bytes = 10;
  LoopbackHttpServer server(always(stalled));
  HttpClientOptions options;
  options.stall_timeout = std::chrono::seconds(1);
  HttpClient client(options);
  auto start = std::chrono::steady_clock::now();
  auto response = client.send({"GET", server.url() + "/slow?X-Amz-Signature=abc", {}, {}});
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("stalled"));
  EXPECT_THAT(response.status().message(), HasSubstr("GET http://127.0.0.1:" + std::to_string(server.port())));
  EXPECT_THAT(response.status().message(), Not(HasSubstr("X-Amz-Signature")));
  // The configured 1 s stall timeout applied, not the 30 s default (a bound on a hang, not a speed check).
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

TEST(HttpClient, ServerThatNeverAnswersIsStalled) {
  LoopbackHttpServer::Response silent{200, {}, "never"};
  silent.behavior = Behavior::kStall;
  LoopbackHttpServer server(always(silent));
  HttpClientOptions options;
  options.stall_timeout = std::chrono::seconds(1);
  HttpClient client(options);
  auto response = client.send({"PUT", server.url() + "/k", {}, "payload"});
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("stalled"));
}

TEST(HttpClient, StoppingAbandonsAStalledTransferButNotOneThatMovesBytes) {
  LoopbackHttpServer::Response silent{200, {}, "never"};
  silent.behavior = Behavior::kStall;
  LoopbackHttpServer server(always(silent));
  std::atomic<bool> stopping{false};
  HttpClientOptions options;
  options.stall_timeout = std::chrono::seconds(60);
  options.abandon_stalled = [&stopping] { return stopping.load(); };
  options.abandon_after = std::chrono::milliseconds(200);
  HttpClient client(options);
  std::thread stop([&stopping] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stopping = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto response = client.send({"PUT", server.url() + "/k", {}, "payload"});
  auto elapsed = std::chrono::steady_clock::now() - start;
  stop.join();
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kCancelled);
  EXPECT_THAT(response.status().message(), HasSubstr("stopping"));
  // Given up once the stop came, not after the 60 s stall timeout (a bound on a hang, not a speed check).
  EXPECT_LT(elapsed, std::chrono::seconds(30));

  // Once a transfer was given up, later requests are not sent while stopping: each would wait as long.
  LoopbackHttpServer fine(always(LoopbackHttpServer::Response{200, {}, pattern_bytes(4 << 20)}));
  auto next = client.send({"GET", fine.url() + "/big", {}, {}});
  EXPECT_EQ(next.status().code(), StatusCode::kCancelled);
  EXPECT_THAT(next.status().message(), HasSubstr("not sent"));
  EXPECT_EQ(fine.requests().size(), 0u);

  // A transfer that keeps moving bytes is not cut while stopping.
  HttpClient fresh(options);
  auto big = fresh.send({"GET", fine.url() + "/big", {}, {}});
  ASSERT_TRUE(big.is_ok()) << big.status().message();
  EXPECT_EQ(big->body.size(), size_t{4} << 20);
}

TEST(HttpClient, TotalTimeoutIsUnavailableAndSaysTimedOut) {
  LoopbackHttpServer::Response silent{200, {}, "never"};
  silent.behavior = Behavior::kStall;
  LoopbackHttpServer server(always(silent));
  HttpClientOptions options;
  options.total_timeout = std::chrono::seconds(1);
  HttpClient client(options);
  auto response = client.send({"GET", server.url() + "/k", {}, {}});
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("timed out"));
}

TEST(HttpClient, ConnectionClosedMidResponseIsUnavailable) {
  LoopbackHttpServer::Response cut{200, {}, std::string(100000, 'y')};
  cut.behavior = Behavior::kCloseMidBody;
  LoopbackHttpServer server(always(cut));
  HttpClient client;
  auto response = client.send({"GET", server.url() + "/k", {}, {}});
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("127.0.0.1:" + std::to_string(server.port())));
}

TEST(HttpClient, ConnectionClosedWithoutReplyIsUnavailable) {
  LoopbackHttpServer::Response nothing;
  nothing.behavior = Behavior::kCloseWithoutReply;
  LoopbackHttpServer server(always(nothing));
  HttpClient client;
  auto response = client.send({"GET", server.url() + "/k", {}, {}});
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
}

TEST(HttpClient, ConnectionRefusedNamesHostAndPortButNoHeaderOrQuery) {
  int port = 0;
  {
    LoopbackHttpServer closed(always({}));
    port = closed.port();
  }
  HttpClient client;
  auto response = client.send({"PUT",
                               "http://127.0.0.1:" + std::to_string(port) + "/b/k?partNumber=1&uploadId=SECRETID",
                               {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, Signature=deadbeef"}},
                               "body"});
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  const std::string& message = response.status().message();
  EXPECT_THAT(message, HasSubstr("PUT http://127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(message, Not(HasSubstr("SECRETID")));
  EXPECT_THAT(message, Not(HasSubstr("deadbeef")));
  EXPECT_THAT(message, Not(HasSubstr("AKIDEXAMPLE")));
}

TEST(HttpClient, HttpsToAPlainHttpServerFails) {
  LoopbackHttpServer server(always({200, {}, "plain"}));
  HttpClientOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.stall_timeout = std::chrono::seconds(5);
  HttpClient client(options);
  auto response = client.send({"GET", "https://127.0.0.1:" + std::to_string(server.port()) + "/k", {}, {}});
  ASSERT_FALSE(response.is_ok()) << "got HTTP " << response->status;
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("https://127.0.0.1:" + std::to_string(server.port())));
}

TEST(HttpClient, UrlWithoutSchemeIsRejected) {
  HttpClient client;
  auto response = client.send({"GET", "127.0.0.1/k", {}, {}});
  ASSERT_FALSE(response.is_ok());
}

}  // namespace
}  // namespace pgs3
