// The heartbeat against a real PostgreSQL 15 (wal_level logical): its messages are counted in a pgoutput slot, and
// its backend is terminated to show that heartbeats resume on a new connection.
#include "task/heartbeat.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "pg/connection.h"
#include "testing/throwaway_postgres.h"

namespace pgs3 {
namespace {

using Clock = Heartbeat::Clock;
using std::chrono::minutes;
using std::chrono::seconds;

class HeartbeatTest : public testing::Test {
 public:
  static void SetUpTestSuite() {
    server_ = new test_support::ThrowawayPostgres();
    ASSERT_EQ(server_->start("-c wal_level=logical"), "");
    auto conn = PgConnection::open(server_->conninfo());
    ASSERT_TRUE(conn.is_ok()) << conn.status().message();
    // Two statements: a slot cannot be created in a transaction that has written.
    for (const char* sql :
         {"CREATE PUBLICATION hb_pub", "SELECT pg_create_logical_replication_slot('hb_slot', 'pgoutput')"}) {
      Status s = (*conn)->exec(sql);
      ASSERT_TRUE(s.is_ok()) << s.message();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

 protected:
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->started());
    auto conn = PgConnection::open(server_->conninfo("application_name=heartbeat_test"));
    ASSERT_TRUE(conn.is_ok()) << conn.status().message();
    admin_ = std::move(conn).value();
  }

  // The heartbeat messages ('M' in pgoutput) in the slot, once there are `expected` (or 5 s have passed): a
  // non-transactional message reaches the decodable WAL when the WAL writer flushes it (wal_writer_delay).
  int64_t messages(int64_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(5);
    int64_t n = count_messages();
    while (n != expected && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      n = count_messages();
    }
    return n;
  }

  int64_t count_messages() {
    auto r = admin_->query(
        "SELECT count(*) FROM pg_logical_slot_peek_binary_changes('hb_slot', NULL, NULL, 'proto_version', '1', "
        "'publication_names', 'hb_pub', 'messages', 'true') WHERE get_byte(data, 0) = ascii('M')");
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? r->get_int64(0, 0, -1) : -1;
  }

  // The PID of the backend that runs the heartbeat (application_name pgs3), or 0.
  int64_t heartbeat_pid() {
    auto r = admin_->query(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgs3' AND backend_type = 'client backend'");
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() && r->rows() == 1 ? r->get_int64(0, 0) : 0;
  }

  static inline test_support::ThrowawayPostgres* server_ = nullptr;
  std::unique_ptr<PgConnection> admin_;
};

TEST_F(HeartbeatTest, HeartbeatsResumeOnANewConnectionAfterTheBackendIsTerminated) {
  HeartbeatSession session(server_->conninfo());
  Heartbeat heartbeat(minutes(1), [&session] { return session.emit(); });
  const Clock::time_point t0 = Clock::now();
  heartbeat.start(t0);
  heartbeat.tick(t0 + seconds(30));
  EXPECT_EQ(messages(0), 0) << "not due before HeartbeatFrequency";
  heartbeat.tick(t0 + minutes(1));
  ASSERT_EQ(messages(1), 1);

  const int64_t first_pid = heartbeat_pid();
  ASSERT_NE(first_pid, 0);
  auto killed = admin_->query("SELECT pg_terminate_backend($1::int, 5000)", {std::to_string(first_pid)});
  ASSERT_TRUE(killed.is_ok()) << killed.status().message();

  // The next heartbeat finds the connection dead; the retry after the backoff opens a new one.
  heartbeat.tick(t0 + minutes(2));
  EXPECT_EQ(messages(1), 1);
  heartbeat.tick(t0 + minutes(2) + seconds(1));
  EXPECT_EQ(messages(1), 1) << "retried only after the backoff";
  heartbeat.tick(t0 + minutes(2) + Heartbeat::kFirstRetry);
  EXPECT_EQ(messages(2), 2);
  const int64_t second_pid = heartbeat_pid();
  EXPECT_NE(second_pid, 0);
  EXPECT_NE(second_pid, first_pid);

  // Back to the normal rhythm.
  heartbeat.tick(t0 + minutes(2) + Heartbeat::kFirstRetry + seconds(59));
  EXPECT_EQ(messages(2), 2);
  heartbeat.tick(t0 + minutes(3) + Heartbeat::kFirstRetry);
  EXPECT_EQ(messages(3), 3);
}

TEST(HeartbeatBackoffTest, FailedHeartbeatsAreRetriedWithBackoffUpToTheFrequency) {
  int attempts = 0;
  bool fail = true;
  Heartbeat heartbeat(minutes(1), [&] {
    ++attempts;
    return fail ? Status::unavailable("connection refused") : Status::ok();
  });
  const Clock::time_point t0 = Clock::now();
  heartbeat.start(t0);
  Clock::time_point t = t0 + minutes(1);
  heartbeat.tick(t);
  int expected = 1;
  ASSERT_EQ(attempts, expected);
  for (int wait : {5, 10, 20, 40, 60, 60}) {
    heartbeat.tick(t + seconds(wait) - std::chrono::milliseconds(1));
    EXPECT_EQ(attempts, expected) << "retried before its " << wait << " s backoff";
    t += seconds(wait);
    heartbeat.tick(t);
    EXPECT_EQ(attempts, ++expected) << "not retried after " << wait << " s";
  }
  fail = false;
  t += minutes(1);
  heartbeat.tick(t);
  EXPECT_EQ(attempts, ++expected);
  // Recovered: the next one is a whole frequency later, and a new outage starts the backoff at 5 s again.
  heartbeat.tick(t + seconds(59));
  EXPECT_EQ(attempts, expected);
  fail = true;
  t += minutes(1);
  heartbeat.tick(t);
  EXPECT_EQ(attempts, ++expected);
  heartbeat.tick(t + Heartbeat::kFirstRetry);
  EXPECT_EQ(attempts, ++expected);
}

}  // namespace
}  // namespace pgs3
