#include "sink/memory_budget.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pgs3 {
namespace {

// A consumer whose spill() brings its bytes down to `floor` (what it cannot move), recording that it was asked.
class FakeConsumer final : public MemoryConsumer {
 public:
  FakeConsumer(MemoryBudget& budget, std::string name, std::vector<std::string>* log)
      : budget_(budget), name_(std::move(name)), log_(log) {
    budget_.add(this);
  }
  ~FakeConsumer() override { budget_.remove(this); }

  Status hold(uint64_t bytes) {
    bytes_ = bytes;
    return budget_.update(this, bytes_);
  }
  uint64_t memory_bytes() const override { return bytes_; }
  Status spill() override {
    log_->push_back(name_);
    if (!failure.is_ok()) return failure;
    if (bytes_ > floor) {
      budget_.record_spill(bytes_ - floor, 1);
      bytes_ = floor;
    }
    return Status::ok();
  }

  uint64_t floor = 0;
  Status failure;

 private:
  MemoryBudget& budget_;
  std::string name_;
  std::vector<std::string>* log_;
  uint64_t bytes_ = 0;
};

TEST(MemoryBudgetTest, UnderTheLimitNothingSpills) {
  MemoryBudget budget(1000);
  std::vector<std::string> log;
  FakeConsumer a(budget, "a", &log);
  FakeConsumer b(budget, "b", &log);
  ASSERT_TRUE(a.hold(600).is_ok());
  ASSERT_TRUE(b.hold(400).is_ok());
  EXPECT_EQ(budget.bytes_in_memory(), 1000u) << "reaching the limit is not passing it";
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(budget.spill_rounds(), 0u);
  EXPECT_EQ(budget.consumers(), 2u);
}

TEST(MemoryBudgetTest, PassingTheLimitSpillsTheLargestUntilUnderTheTarget) {
  MemoryBudget budget(1000);  // target 750
  EXPECT_EQ(budget.target(), 750u);
  std::vector<std::string> log;
  FakeConsumer a(budget, "a", &log);
  FakeConsumer b(budget, "b", &log);
  FakeConsumer c(budget, "c", &log);
  ASSERT_TRUE(a.hold(300).is_ok());
  ASSERT_TRUE(b.hold(400).is_ok());
  ASSERT_TRUE(c.hold(200).is_ok());
  ASSERT_TRUE(c.hold(350).is_ok());  // 1050 > 1000
  EXPECT_EQ(log, (std::vector<std::string>{"b"})) << "the largest holder alone brings 1050 down to 650";
  EXPECT_EQ(budget.bytes_in_memory(), 650u);
  EXPECT_EQ(budget.peak_bytes(), 1050u);
  EXPECT_EQ(budget.spilled_bytes(), 400u);
  EXPECT_EQ(budget.spill_files(), 1u);

  b.floor = 600;
  ASSERT_TRUE(b.hold(700).is_ok());  // 1350: b moves only 100, then c (350) and a (300) are asked
  EXPECT_EQ(log, (std::vector<std::string>{"b", "b", "c", "a"}));
  EXPECT_EQ(budget.bytes_in_memory(), 600u);
  EXPECT_EQ(budget.spill_files(), 4u);
  EXPECT_EQ(budget.spilled_bytes(), 400u + 100u + 350u + 300u);
}

TEST(MemoryBudgetTest, WhatCannotBeSpilledStaysCountedAndEveryoneIsAskedOnce) {
  MemoryBudget budget(1000);
  std::vector<std::string> log;
  FakeConsumer a(budget, "a", &log);
  FakeConsumer b(budget, "b", &log);
  a.floor = 700;
  b.floor = 500;
  ASSERT_TRUE(a.hold(600).is_ok());
  ASSERT_TRUE(b.hold(600).is_ok());
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(budget.bytes_in_memory(), 1100u) << "a could move nothing, b only 100";
  EXPECT_EQ(budget.spill_rounds(), 1u);
}

TEST(MemoryBudgetTest, LoweringBytesNeverSpills) {
  MemoryBudget budget(1000);
  std::vector<std::string> log;
  FakeConsumer a(budget, "a", &log);
  FakeConsumer b(budget, "b", &log);
  a.floor = 1200;
  b.floor = 300;
  ASSERT_TRUE(b.hold(300).is_ok());
  ASSERT_TRUE(a.hold(1200).is_ok());  // 1500: both asked, nothing moves
  log.clear();
  ASSERT_TRUE(a.hold(1100).is_ok());  // still over the limit, but lower
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(budget.bytes_in_memory(), 1400u);
}

TEST(MemoryBudgetTest, OnlyTheCallersOwnSpillFailureIsReturned) {
  MemoryBudget budget(1000);
  std::vector<std::string> log;
  FakeConsumer a(budget, "a", &log);
  FakeConsumer b(budget, "b", &log);
  a.failure = Status::unavailable("disk full");
  ASSERT_TRUE(a.hold(900).is_ok());
  Status st = b.hold(200);  // a is asked first and fails: a's problem, not b's
  EXPECT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));

  Status own = a.hold(1100);
  EXPECT_EQ(own.code(), StatusCode::kUnavailable);
  EXPECT_EQ(own.message(), "disk full");
}

TEST(MemoryBudgetTest, WhatCannotMoveDoesNotStartARoundOnEveryChange) {
  MemoryBudget budget(1000);  // target 750
  std::vector<std::string> log;
  FakeConsumer a(budget, "a", &log);
  a.floor = 900;  // above the target: a round cannot reach it
  ASSERT_TRUE(a.hold(1100).is_ok());
  EXPECT_EQ(budget.spill_rounds(), 1u);
  EXPECT_EQ(budget.bytes_in_memory(), 900u);
  // Growing by less than limit - target (250) past what the round left asks nobody.
  for (uint64_t bytes : {1000u, 1100u, 1150u}) ASSERT_TRUE(a.hold(bytes).is_ok());
  EXPECT_EQ(budget.spill_rounds(), 1u);
  EXPECT_EQ(log.size(), 1u);
  ASSERT_TRUE(a.hold(1200).is_ok());
  EXPECT_EQ(budget.spill_rounds(), 2u) << "the total grew past 900 + 250";
  a.floor = 0;
  ASSERT_TRUE(a.hold(1300).is_ok());  // 900 + 250 passed again: this round reaches the target
  EXPECT_EQ(budget.bytes_in_memory(), 0u);
  ASSERT_TRUE(a.hold(1001).is_ok());  // and the next one starts at the limit again
  EXPECT_EQ(budget.bytes_in_memory(), 0u);
}

TEST(MemoryBudgetTest, RemovedConsumersNoLongerCount) {
  MemoryBudget budget(1000);
  std::vector<std::string> log;
  auto a = std::make_unique<FakeConsumer>(budget, "a", &log);
  FakeConsumer b(budget, "b", &log);
  ASSERT_TRUE(a->hold(800).is_ok());
  ASSERT_TRUE(b.hold(100).is_ok());
  a.reset();
  EXPECT_EQ(budget.bytes_in_memory(), 100u);
  EXPECT_EQ(budget.consumers(), 1u);
  ASSERT_TRUE(b.hold(900).is_ok());
  EXPECT_TRUE(log.empty());
}

}  // namespace
}  // namespace pgs3
