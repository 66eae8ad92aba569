#include "state/task_lease.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/guarded_store.h"
#include "store/local_store.h"

namespace pgs3 {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr char kPrefix[] = "raw/_pgs3/t1/";
constexpr char kKey[] = "raw/_pgs3/t1/lease.json";

class TaskLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-task-lease-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    store_ = std::make_unique<LocalStore>(root_.string());
  }
  void TearDown() override { fs::remove_all(root_); }

  LeaseRecord stored() {
    auto object = store_->get_versioned(kKey);
    EXPECT_TRUE(object.is_ok() && object->has_value());
    auto record = parse_lease((*object)->bytes, kKey);
    EXPECT_TRUE(record.is_ok()) << record.status().message();
    return record.is_ok() ? *record : LeaseRecord{};
  }

  // What a successor does once the lease looks expired to it: rewrites it with its own holder.
  void take_over_as_another_process() {
    auto object = store_->get_versioned(kKey);
    ASSERT_TRUE(object.is_ok() && object->has_value());
    auto record = parse_lease((*object)->bytes, kKey);
    ASSERT_TRUE(record.is_ok());
    LeaseRecord next = *record;
    next.generation += 1;
    next.holder.host = "other-host";
    next.holder.pid = 4242;
    next.holder.token = "successor";
    ASSERT_TRUE(store_->put_if(kKey, lease_to_json(next), (*object)->etag).is_ok());
  }

  // Polls check() until it fails (the renewal thread notices the takeover within a quarter of the duration).
  static Status first_failed_check(TaskLease& lease) {
    const auto until = std::chrono::steady_clock::now() + seconds(15);
    while (std::chrono::steady_clock::now() < until) {
      Status st = lease.check();
      if (!st.is_ok()) return st;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::ok();
  }

  fs::path root_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(TaskLeaseTest, FirstAcquireWritesGenerationOneWithThisProcessAsHolder) {
  auto lease = TaskLease::acquire(*store_, kPrefix, "t1", seconds(60));
  ASSERT_TRUE(lease.is_ok()) << lease.status().message();
  EXPECT_EQ((*lease)->generation(), 1u);
  EXPECT_TRUE((*lease)->check().is_ok());
  const LeaseRecord r = stored();
  EXPECT_EQ(r.generation, 1u);
  EXPECT_EQ(r.holder.pid, ::getpid());
  EXPECT_EQ(r.duration_s, 60);
  EXPECT_FALSE(r.released);
}

TEST_F(TaskLeaseTest, SecondProcessIsRefusedNamingTheHolder) {
  auto holder = TaskLease::acquire(*store_, kPrefix, "t1", seconds(60));
  ASSERT_TRUE(holder.is_ok());
  auto second = TaskLease::acquire(*store_, kPrefix, "t1", seconds(60));
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), StatusCode::kConflict);
  const std::string& m = second.status().message();
  EXPECT_NE(m.find("PID " + std::to_string(::getpid())), std::string::npos) << m;
  EXPECT_NE(m.find(this_process_holder().host), std::string::npos) << m;
  EXPECT_NE(m.find("since"), std::string::npos) << m;
  EXPECT_EQ(stored().generation, 1u);  // the refused process wrote nothing
}

TEST_F(TaskLeaseTest, ReleasedLeaseIsTakenAtOnceWithTheNextGeneration) {
  {
    auto first = TaskLease::acquire(*store_, kPrefix, "t1", seconds(60));
    ASSERT_TRUE(first.is_ok());
    ASSERT_TRUE((*first)->release().is_ok());
    EXPECT_TRUE(stored().released);
    EXPECT_FALSE((*first)->check().is_ok()) << "nothing may be written after the release";
  }
  auto second = TaskLease::acquire(*store_, kPrefix, "t1", seconds(60));
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  EXPECT_EQ((*second)->generation(), 2u);
}

TEST_F(TaskLeaseTest, TakenOverLeaseFailsCheckForGoodAndGuardedWritesStop) {
  auto lease = TaskLease::acquire(*store_, kPrefix, "t1", seconds(5));
  ASSERT_TRUE(lease.is_ok());
  TaskLease* held = lease->get();
  GuardedStore guarded(*store_, [held] { return held->check(); });
  auto writer = guarded.create("raw/public/orders/20260101-000000001.csv");
  ASSERT_TRUE(writer.is_ok());
  ASSERT_TRUE((*writer)->append("Op,id\nI,1\n").is_ok());

  take_over_as_another_process();
  Status st = first_failed_check(*held);
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.message();
  EXPECT_NE(st.message().find("other-host"), std::string::npos) << st.message();
  EXPECT_EQ(held->check().code(), StatusCode::kConflict) << "a lost lease stays lost";

  EXPECT_EQ((*writer)->commit().code(), StatusCode::kConflict);
  auto object = store_->get("raw/public/orders/20260101-000000001.csv");
  ASSERT_TRUE(object.is_ok());
  EXPECT_FALSE(object->has_value()) << "a process that lost its lease committed an object";
  EXPECT_EQ(guarded.remove("raw/_pgs3/t1/lease.json").code(), StatusCode::kConflict);
  EXPECT_EQ(stored().holder.host, "other-host") << "the successor's lease must stay";
}

TEST_F(TaskLeaseTest, RenewalsRewriteTheLeaseWhileItIsHeld) {
  auto lease = TaskLease::acquire(*store_, kPrefix, "t1", seconds(5));
  ASSERT_TRUE(lease.is_ok());
  const auto until = std::chrono::steady_clock::now() + seconds(10);
  while (stored().renewals < 2 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(stored().renewals, 2u);
  EXPECT_TRUE((*lease)->check().is_ok());
  EXPECT_EQ(stored().generation, 1u);
}

TEST_F(TaskLeaseTest, RaisedGenerationIsStored) {
  auto lease = TaskLease::acquire(*store_, kPrefix, "t1", seconds(60));
  ASSERT_TRUE(lease.is_ok());
  ASSERT_TRUE((*lease)->raise_generation(9).is_ok());
  EXPECT_EQ((*lease)->generation(), 9u);
  EXPECT_EQ(stored().generation, 9u);
  ASSERT_TRUE((*lease)->raise_generation(3).is_ok());  // never lowered
  EXPECT_EQ((*lease)->generation(), 9u);
}

TEST(JudgeLeaseTest, FreeWhenReleasedExpiredOrItsHolderIsGone) {
  LeaseRecord r;
  r.generation = 4;
  r.holder.host = "db-etl-1";
  r.holder.pid = 77;
  r.since = "2026-12-02T10:00:00.000Z";
  r.duration_s = 120;
  auto alive = [](const LeaseHolder&) { return true; };
  auto gone = [](const LeaseHolder&) { return false; };

  LeaseVerdict live = judge_lease(r, seconds(30), alive);
  EXPECT_FALSE(live.free);
  EXPECT_NE(live.why.find("host db-etl-1, PID 77"), std::string::npos) << live.why;
  EXPECT_NE(live.why.find("since 2026-12-02T10:00:00.000Z"), std::string::npos) << live.why;
  EXPECT_NE(live.why.find("renewed 30 s ago"), std::string::npos) << live.why;

  EXPECT_TRUE(judge_lease(r, seconds(120), alive).free);  // not renewed for its whole duration
  EXPECT_FALSE(judge_lease(r, seconds(119), alive).free);
  EXPECT_TRUE(judge_lease(r, seconds(1), gone).free);
  r.released = true;
  EXPECT_TRUE(judge_lease(r, seconds(1), alive).free);
}

TEST(JudgeLeaseTest, HolderOfThisMachineIsAliveOnlyWithItsPidAndStartTime) {
  LeaseHolder me = this_process_holder();
  EXPECT_TRUE(holder_may_run(me));
  LeaseHolder reused = me;
  reused.started += 1;  // the PID now belongs to a process started at another time
  EXPECT_FALSE(holder_may_run(reused));
  LeaseHolder rebooted = me;
  rebooted.boot = "another-boot";
  EXPECT_FALSE(holder_may_run(rebooted));
  LeaseHolder elsewhere = reused;
  elsewhere.host = "another-host";
  EXPECT_TRUE(holder_may_run(elsewhere)) << "a holder on another machine can only expire";
}

TEST(LeaseJsonTest, RoundTripsAndRefusesMalformed) {
  LeaseRecord r;
  r.generation = 12;
  r.holder = this_process_holder();
  r.since = "2026-12-02T10:00:00.000Z";
  r.duration_s = 90;
  r.renewals = 5;
  auto parsed = parse_lease(lease_to_json(r), "x");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().message();
  EXPECT_EQ(parsed->generation, 12u);
  EXPECT_EQ(parsed->holder, r.holder);
  EXPECT_EQ(parsed->renewals, 5u);
  auto bad = parse_lease("{\"format\":\"pgs3-task-lease\",\"version\":1}", "raw/_pgs3/t1/lease.json");
  EXPECT_EQ(bad.status().code(), StatusCode::kDataError);
  EXPECT_NE(bad.status().message().find("raw/_pgs3/t1/lease.json"), std::string::npos);
}

}  // namespace
}  // namespace pgs3
