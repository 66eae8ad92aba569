#include "task/slot_identity.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

class SlotIdentityTest : public ::testing::Test {
 protected:
  SlotIdentityTest() {
    config_.task_id = "orders";
    config_.migration_type = MigrationType::kFullLoadAndCdc;
    config_.source.slot_name = "pgs3_orders";
    system_.system_id = "7311234567890123456";
    system_.database = "app";
    checkpoint_.task_id = "orders";
    checkpoint_.slot_name = "pgs3_orders";
    checkpoint_.system_identifier = system_.system_id;
    checkpoint_.database = "app";
    checkpoint_.phase = CheckpointPhase::kCdc;
    checkpoint_.confirmed_lsn = 0x5000;
    slot_.slot_name = "pgs3_orders";
    slot_.confirmed_flush_lsn = Lsn(0x5000);
  }

  TaskConfig config_;
  SystemIdentity system_;
  Checkpoint checkpoint_;
  SlotInfo slot_;
};

TEST_F(SlotIdentityTest, TheTasksOwnSlotAtOrBehindTheCheckpointPasses) {
  EXPECT_TRUE(check_slot_identity(config_, checkpoint_, true, system_, slot_).is_ok());
  slot_.confirmed_flush_lsn = Lsn(0x4000);  // a checkpoint saved, its confirmation not sent yet
  EXPECT_TRUE(check_slot_identity(config_, checkpoint_, true, system_, slot_).is_ok());
}

TEST_F(SlotIdentityTest, ASlotPastTheCheckpointIsAGapAndSaysSo) {
  slot_.confirmed_flush_lsn = Lsn(0x6000);
  Status st = check_slot_identity(config_, checkpoint_, true, system_, slot_);
  EXPECT_EQ(st.code(), StatusCode::kSlotLost);
  EXPECT_NE(st.message().find("0/6000"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("0/5000"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("full load"), std::string::npos) << st.message();
}

TEST_F(SlotIdentityTest, AnotherDatabaseSystemOrDatabaseIsRefusedNamingBoth) {
  SystemIdentity other = system_;
  other.system_id = "7399999999999999999";
  Status st = check_slot_identity(config_, checkpoint_, true, other, slot_);
  EXPECT_EQ(st.code(), StatusCode::kBadInput);
  EXPECT_NE(st.message().find("7311234567890123456"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("7399999999999999999"), std::string::npos) << st.message();
  other = system_;
  other.database = "app_copy";
  st = check_slot_identity(config_, checkpoint_, true, other, slot_);
  EXPECT_EQ(st.code(), StatusCode::kBadInput);
  EXPECT_NE(st.message().find("\"app_copy\""), std::string::npos) << st.message();
  // A checkpoint written before the identity was recorded is taken as it is.
  checkpoint_.system_identifier.clear();
  checkpoint_.database.clear();
  EXPECT_TRUE(check_slot_identity(config_, checkpoint_, true, other, slot_).is_ok());
}

TEST_F(SlotIdentityTest, AnExistingSlotWithoutACheckpointIsAnotherTasksAndIsNotDropped) {
  Checkpoint fresh;
  Status st = check_slot_identity(config_, fresh, false, system_, slot_);
  EXPECT_EQ(st.code(), StatusCode::kBadInput);
  EXPECT_NE(st.message().find("pg_drop_replication_slot('pgs3_orders')"), std::string::npos) << st.message();
  // No slot: it will be created. A cdc task reuses a slot made for it (its documented start).
  EXPECT_TRUE(check_slot_identity(config_, fresh, false, system_, std::nullopt).is_ok());
  config_.migration_type = MigrationType::kCdc;
  EXPECT_TRUE(check_slot_identity(config_, fresh, false, system_, slot_).is_ok());
  // The task's own full-load checkpoint (saved before it created the slot) claims it.
  Checkpoint loading = checkpoint_;
  loading.phase = CheckpointPhase::kFullLoad;
  config_.migration_type = MigrationType::kFullLoadAndCdc;
  slot_.confirmed_flush_lsn = Lsn(0x9000);
  EXPECT_TRUE(check_slot_identity(config_, loading, true, system_, slot_).is_ok());
}

}  // namespace
}  // namespace pgs3
