// UploadQueue: lanes run in order and one job at a time, different lanes at once, done() only on the collecting
// thread, the bounds that make the loop wait, and shutdown.
#include "sink/upload_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pgs3 {
namespace {

using std::chrono::milliseconds;

// A gate jobs wait at until the test opens it.
class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void pass() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Collects until `n` jobs were collected in all (a bound of 10 s on a hang, not a speed check).
void collect_until(UploadQueue& q, size_t n, size_t& collected) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (collected < n && std::chrono::steady_clock::now() < until) {
    q.wait(milliseconds(50));
    collected += q.collect();
  }
}

TEST(UploadQueue, JobsOfALaneRunOneAtATimeInOrderAndTheirDoneRunsInThatOrder) {
  UploadQueue q(UploadQueueOptions{.workers = 4});
  int lane = 0;
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::vector<int> ran;  // written by workers one at a time (the lane runs one job at a time)
  std::vector<int> done;
  for (int i = 0; i < 20; ++i) {
    q.submit(
        &lane,
        [&, i] {
          const int now = ++running;
          most = std::max(most.load(), now);
          ran.push_back(i);
          std::this_thread::sleep_for(milliseconds(1));
          --running;
          return Status::ok();
        },
        [&, i](const Status& st) {
          EXPECT_TRUE(st.is_ok());
          done.push_back(i);
        });
  }
  size_t collected = 0;
  collect_until(q, 20, collected);
  ASSERT_EQ(collected, 20u);
  EXPECT_EQ(most.load(), 1) << "two jobs of one lane ran at once";
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = i;
  EXPECT_EQ(ran, expected);
  EXPECT_EQ(done, expected);
  EXPECT_EQ(q.outstanding(), 0u);
}

TEST(UploadQueue, DifferentLanesRunAtOnceAndABlockedLaneDoesNotHoldTheOthers) {
  UploadQueue q(UploadQueueOptions{.workers = 2});
  int slow_lane = 0;
  int fast_lane = 0;
  Gate gate;
  std::atomic<int> fast_done{0};
  q.submit(&slow_lane, [&] {
    gate.pass();
    return Status::ok();
  }, [](const Status&) {});
  for (int i = 0; i < 5; ++i) {
    q.submit(&fast_lane, [] { return Status::ok(); }, [&](const Status&) { ++fast_done; });
  }
  size_t collected = 0;
  collect_until(q, 5, collected);
  EXPECT_EQ(fast_done.load(), 5) << "the fast lane waited for the blocked one";
  EXPECT_EQ(q.outstanding(&slow_lane), 1u);
  EXPECT_EQ(q.outstanding(&fast_lane), 0u);
  gate.open();
  collect_until(q, 6, collected);
  EXPECT_EQ(q.outstanding(), 0u);
}

TEST(UploadQueue, DoneRunsOnTheCollectingThreadWithTheWorksStatus) {
  UploadQueue q(UploadQueueOptions{.workers = 3});
  int lane = 0;
  std::thread::id work_thread;
  std::thread::id done_thread;
  std::string message;
  q.submit(&lane, [&] {
    work_thread = std::this_thread::get_id();
    return Status::unavailable("S3 down");
  }, [&](const Status& st) {
    done_thread = std::this_thread::get_id();
    message = st.message();
  });
  size_t collected = 0;
  collect_until(q, 1, collected);
  ASSERT_EQ(collected, 1u);
  EXPECT_NE(work_thread, std::this_thread::get_id());
  EXPECT_EQ(done_thread, std::this_thread::get_id());
  EXPECT_EQ(message, "S3 down");
}

TEST(UploadQueue, FullByJobsOrByMemoryUntilCollected) {
  UploadQueue q(UploadQueueOptions{.workers = 1, .max_jobs = 3, .max_memory_bytes = 1000});
  int a = 0;
  int b = 0;
  Gate gate;
  q.submit(&a, [&] {
    gate.pass();
    return Status::ok();
  }, [](const Status&) {}, 10);
  EXPECT_FALSE(q.full());
  q.submit(&b, [] { return Status::ok(); }, [](const Status&) {}, 995);
  EXPECT_TRUE(q.full()) << "1005 bytes held against 1000";
  EXPECT_EQ(q.memory_bytes(), 1005u);
  gate.open();
  size_t collected = 0;
  collect_until(q, 2, collected);
  EXPECT_FALSE(q.full());
  EXPECT_EQ(q.memory_bytes(), 0u);
  for (int i = 0; i < 3; ++i) q.submit(&a, [] { return Status::ok(); }, [](const Status&) {});
  EXPECT_TRUE(q.full()) << "three jobs against max_jobs 3, until collected";
  collect_until(q, 5, collected);
  EXPECT_FALSE(q.full());
}

TEST(UploadQueue, WithoutWorkersSubmitRunsWorkAndDoneAtOnce) {
  UploadQueue q(UploadQueueOptions{.workers = 0});
  int lane = 0;
  bool worked = false;
  bool done = false;
  q.submit(&lane, [&] {
    worked = true;
    return Status::ok();
  }, [&](const Status&) { done = true; });
  EXPECT_TRUE(worked);
  EXPECT_TRUE(done);
  EXPECT_EQ(q.outstanding(), 0u);
}

TEST(UploadQueue, CancelPendingDropsJobsNotStartedAndTheDestructorWaitsForTheRunningOne) {
  std::atomic<int> ran{0};
  std::atomic<bool> running_finished{false};
  Gate gate;
  {
    UploadQueue q(UploadQueueOptions{.workers = 1});
    int lane = 0;
    std::atomic<bool> started{false};
    q.submit(&lane, [&] {
      started = true;
      gate.pass();
      std::this_thread::sleep_for(milliseconds(50));
      running_finished = true;
      ++ran;
      return Status::ok();
    }, [](const Status&) { ADD_FAILURE() << "done() of a job never collected"; });
    for (int i = 0; i < 5; ++i) {
      q.submit(&lane, [&] {
        ++ran;
        return Status::ok();
      }, [](const Status&) {});
    }
    while (!started) std::this_thread::sleep_for(milliseconds(1));
    q.cancel_pending();
    EXPECT_EQ(q.outstanding(), 1u) << "only the running job is left";
    gate.open();
  }
  EXPECT_TRUE(running_finished.load()) << "the destructor returned before the running job ended";
  EXPECT_EQ(ran.load(), 1) << "jobs dropped by cancel_pending() ran";
}

}  // namespace
}  // namespace pgs3
