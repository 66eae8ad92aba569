#include "state/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "state/progress_ledger.h"
#include "store/local_store.h"
#include "testing/versioned_store.h"

namespace pgs3 {
namespace {

namespace fs = std::filesystem;

constexpr char kPrefix[] = "raw/app/_pgs3/orders-to-lake/";
constexpr char kKey[] = "raw/app/_pgs3/orders-to-lake/checkpoint.json";

// A LocalStore whose create() fails while `fail_create` is set (a network failure during the save).
class FlakyStore final : public ObjectStore {
 public:
  explicit FlakyStore(ObjectStore& inner) : inner_(inner) {}
  std::string describe() const override { return inner_.describe(); }
  using ObjectStore::create;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions& options) override {
    if (fail_create) return Status::unavailable("injected failure creating " + key);
    return inner_.create(key, options);
  }
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override { return inner_.list(prefix); }
  Result<std::optional<std::string>> get(const std::string& key) override { return inner_.get(key); }
  Status remove(const std::string& key) override { return inner_.remove(key); }
  Result<std::optional<VersionedObject>> get_versioned(const std::string& key) override {
    return test_support::get_versioned_via(*this, key);
  }
  Result<std::string> put_if(const std::string& key, std::string_view bytes, const std::string& expected) override {
    return test_support::put_if_via(*this, key, bytes, expected);
  }
  bool fail_create = false;

 private:
  ObjectStore& inner_;
};

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-checkpoint-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    store_ = std::make_unique<LocalStore>(root_.string());
  }
  void TearDown() override { fs::remove_all(root_); }

  void put(const std::string& key, const std::string& text) {
    auto writer = store_->create(key);
    ASSERT_TRUE(writer.is_ok()) << writer.status().message();
    ASSERT_TRUE((*writer)->append(text).is_ok());
    ASSERT_TRUE((*writer)->commit().is_ok());
  }

  static Checkpoint sample() {
    Checkpoint c;
    c.task_id = "orders-to-lake";
    c.slot_name = "pgs3_orders";
    c.system_identifier = "7311234567890123456";
    c.database = "app";
    c.slot_created_lsn = 0x16A0000;
    c.phase = CheckpointPhase::kCdc;
    c.confirmed_lsn = 0x16B6C50;
    TableCheckpoint& orders = c.table_entry(16384, "public", "orders");
    orders.durable_position = ChangePosition{0x16B6C50, 3};
    orders.snapshot_lsn = 0x16A0000;
    orders.full_load_done = true;
    orders.reload_requested = true;
    orders.last_change_file = "20261130-233000123.parquet";
    orders.statistics = {.full_load_rows = 1000,
                         .inserts = 5,
                         .updates = 2,
                         .deletes = 1,
                         .ddls = 1,
                         .truncates = 0,
                         .files = 3,
                         .last_file_key = "raw/app/public/orders/20261130-233000123.parquet",
                         .last_commit_time_us = 817813800123456};
    TableCheckpoint& odd = c.table_entry(16390, "Vendas é", "Order \"Items\"");
    odd.statistics.full_load_rows = 7;                                   // loaded, no change yet: no position, no file
    TableCheckpoint& events = c.table_entry(16400, "public", "events");  // partitioned
    events.partitions = std::vector<PartitionCheckpoint>{{16401, 16401}, {16405, 17000}};
    TableCheckpoint& gone = c.table_entry(16410, "public", "gone");
    gone.dropped = true;
    return c;
  }

  // The error load() gives for a checkpoint object holding `text`.
  Status load_error(const std::string& text) {
    put(kKey, text);
    auto loaded = Checkpoint::load(*store_, kPrefix);
    EXPECT_FALSE(loaded.is_ok()) << "accepted: " << text;
    return loaded.is_ok() ? Status::ok() : loaded.status();
  }

  fs::path root_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(CheckpointTest, MissingCheckpointLoadsAsNullopt) {
  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(CheckpointTest, SaveThenLoadRoundTripsEveryField) {
  Checkpoint c = sample();
  ASSERT_TRUE(c.save(*store_, kPrefix).is_ok());
  EXPECT_EQ(c.sequence(), 1u);
  EXPECT_EQ(Checkpoint::object_key(kPrefix), kKey);

  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  ASSERT_TRUE(loaded->has_value());
  const Checkpoint& back = **loaded;
  EXPECT_TRUE(back.same_content(c));
  EXPECT_EQ(back.sequence(), 1u);
  EXPECT_EQ(back.task_id, "orders-to-lake");
  EXPECT_EQ(back.slot_name, "pgs3_orders");
  EXPECT_EQ(back.system_identifier, "7311234567890123456");
  EXPECT_EQ(back.database, "app");
  EXPECT_EQ(back.slot_created_lsn, 0x16A0000u);
  EXPECT_EQ(back.phase, CheckpointPhase::kCdc);
  EXPECT_EQ(back.confirmed_lsn, 0x16B6C50u);
  ASSERT_EQ(back.tables.size(), 4u);
  EXPECT_EQ(back.tables[0], c.tables[0]);
  EXPECT_FALSE(back.tables[0].partitions.has_value());
  EXPECT_FALSE(back.tables[0].dropped);
  EXPECT_EQ(back.tables[2], c.tables[2]);
  EXPECT_EQ(back.tables[3], c.tables[3]);
  EXPECT_EQ(back.tables[1].schema, "Vendas é");
  EXPECT_EQ(back.tables[1].table, "Order \"Items\"");
  EXPECT_FALSE(back.tables[1].durable_position.has_value());
  EXPECT_FALSE(back.tables[1].snapshot_lsn.has_value());
  EXPECT_FALSE(back.tables[1].full_load_done);
  EXPECT_TRUE(back.tables[0].full_load_done);
  EXPECT_TRUE(back.tables[0].reload_requested);
  EXPECT_FALSE(back.tables[1].reload_requested);
  EXPECT_FALSE(back.tables[1].statistics.last_commit_time_us.has_value());

  // Positions and LSNs are stored as PostgreSQL prints them, for a person reading the object.
  auto text = store_->get(kKey);
  ASSERT_TRUE(text.is_ok() && text->has_value());
  EXPECT_NE((*text)->find("\"0/16B6C50:3\""), std::string::npos) << **text;
  EXPECT_NE((*text)->find("\"confirmed_lsn\": \"0/16B6C50\""), std::string::npos) << **text;
  EXPECT_NE((*text)->find("\"phase\": \"cdc\""), std::string::npos) << **text;
}

// A checkpoint written before "partitions" and "dropped" existed still loads: they are optional.
TEST_F(CheckpointTest, TableEntriesWithoutPartitionsOrDroppedLoad) {
  put(kKey, R"({"format": "pgs3-checkpoint", "version": 1, "sequence": 3, "task_id": "t", "phase": "cdc",
               "confirmed_lsn": "0/10", "tables": [{"schema": "public", "table": "a", "relation_oid": 5}]})");
  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  ASSERT_EQ((*loaded)->tables.size(), 1u);
  EXPECT_FALSE((*loaded)->tables[0].partitions.has_value());
  EXPECT_FALSE((*loaded)->tables[0].dropped);
  EXPECT_NE(load_error(R"({"format": "pgs3-checkpoint", "version": 1, "sequence": 3, "task_id": "t", "phase": "cdc",
                           "confirmed_lsn": "0/10", "tables": [{"schema": "public", "table": "a", "relation_oid": 5,
                           "partitions": [{"oid": 6}]}]})")
                .message()
                .find("tables[0].partitions[0].relfilenode is missing"),
            std::string::npos);
}

TEST_F(CheckpointTest, SequenceGrowsWithEverySaveAndContinuesAfterLoad) {
  Checkpoint c = sample();
  ASSERT_TRUE(c.save(*store_, kPrefix).is_ok());
  ASSERT_TRUE(c.save(*store_, kPrefix).is_ok());
  EXPECT_EQ(c.sequence(), 2u);
  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok() && loaded->has_value());
  Checkpoint next = **loaded;
  EXPECT_EQ(next.sequence(), 2u);
  next.confirmed_lsn += 0x100;
  ASSERT_TRUE(next.save(*store_, kPrefix).is_ok());
  EXPECT_EQ(next.sequence(), 3u);
}

TEST_F(CheckpointTest, ConfirmedLsnGoingBackwardsIsRefusedAsABug) {
  Checkpoint c = sample();
  ASSERT_TRUE(c.save(*store_, kPrefix).is_ok());
  c.confirmed_lsn -= 1;
  Status st = c.save(*store_, kPrefix);
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("0/16B6C50"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("0/16B6C4F"), std::string::npos) << st.message();
  EXPECT_EQ(c.sequence(), 1u);

  // Nothing was written, and a checkpoint loaded from the target is held to the same rule.
  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->confirmed_lsn, 0x16B6C50u);
  Checkpoint again = **loaded;
  again.confirmed_lsn = 0x10;
  EXPECT_EQ(again.save(*store_, kPrefix).code(), StatusCode::kInternal);
  again.confirmed_lsn = 0x16B6C50;  // the same LSN again is fine
  EXPECT_TRUE(again.save(*store_, kPrefix).is_ok());
}

TEST_F(CheckpointTest, FreshCheckpointDoesNotOverwriteOneItHasNotLoaded) {
  Checkpoint c = sample();
  ASSERT_TRUE(c.save(*store_, kPrefix).is_ok());
  Checkpoint fresh;
  fresh.task_id = "orders-to-lake";
  Status st = fresh.save(*store_, kPrefix);
  EXPECT_EQ(st.code(), StatusCode::kConflict);
  EXPECT_NE(st.message().find(kKey), std::string::npos) << st.message();
  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok() && loaded->has_value());
  EXPECT_TRUE((*loaded)->same_content(c));
}

// Two processes on one task: the one that loaded the checkpoint last and saved it wins; the other's next save is
// refused (its version is gone) and leaves the winner's checkpoint in place.
TEST_F(CheckpointTest, SaveAfterAnotherWritersSaveIsAConflict) {
  Checkpoint stale = sample();
  ASSERT_TRUE(stale.save(*store_, kPrefix).is_ok());
  auto successor = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(successor.is_ok() && successor->has_value());
  Checkpoint& winner = **successor;
  winner.lease_generation = 7;
  winner.confirmed_lsn += 100;
  ASSERT_TRUE(winner.save(*store_, kPrefix).is_ok());

  stale.confirmed_lsn += 50;
  Status st = stale.save(*store_, kPrefix);
  EXPECT_EQ(st.code(), StatusCode::kConflict) << st.message();
  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok() && loaded->has_value());
  EXPECT_TRUE((*loaded)->same_content(winner));
  EXPECT_EQ((*loaded)->lease_generation, 7u);
  // The winner goes on saving.
  winner.confirmed_lsn += 1;
  EXPECT_TRUE(winner.save(*store_, kPrefix).is_ok());
}

TEST_F(CheckpointTest, FailedSaveKeepsSequenceAndCanBeRetried) {
  FlakyStore flaky(*store_);
  Checkpoint c = sample();
  ASSERT_TRUE(c.save(flaky, kPrefix).is_ok());
  c.confirmed_lsn += 8;
  flaky.fail_create = true;
  Status st = c.save(flaky, kPrefix);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find(kKey), std::string::npos) << st.message();
  EXPECT_EQ(c.sequence(), 1u);
  flaky.fail_create = false;
  ASSERT_TRUE(c.save(flaky, kPrefix).is_ok());
  EXPECT_EQ(c.sequence(), 2u);
  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->sequence(), 2u);
  EXPECT_EQ((*loaded)->confirmed_lsn, 0x16B6C58u);
}

TEST_F(CheckpointTest, MalformedCheckpointIsADataErrorNamingTheObject) {
  const std::string valid = sample().to_json();
  const std::vector<std::string> bad = {
      "",
      "{not json",
      "[]",
      R"({"version": 1})",
      R"({"format": "pgs3-checkpoint", "version": "1"})",
      R"({"format": "pgs3-checkpoint", "version": 1, "sequence": 1, "phase": "cdc", "confirmed_lsn": "0/1",
          "tables": []})",  // no task_id
      R"({"format": "pgs3-checkpoint", "version": 1, "sequence": 1, "task_id": "t", "phase": "cdc",
          "confirmed_lsn": "0/1/2", "tables": []})",
      R"({"format": "pgs3-checkpoint", "version": 1, "sequence": 1, "task_id": "t", "phase": "streaming",
          "confirmed_lsn": "0/1", "tables": []})",
      R"({"format": "pgs3-checkpoint", "version": 1, "sequence": -1, "task_id": "t", "phase": "cdc",
          "confirmed_lsn": "0/1", "tables": []})",
      R"({"format": "pgs3-checkpoint", "version": 1, "sequence": 1, "task_id": "t", "phase": "cdc",
          "confirmed_lsn": "0/1", "tables": [{"schema": "s", "table": "t", "durable_position": "0/1"}]})",
      R"({"format": "pgs3-checkpoint", "version": 1, "sequence": 1, "task_id": "t", "phase": "cdc",
          "confirmed_lsn": "0/1", "tables": [{"schema": "s", "table": "t", "statistics": {"inserts": "5"}}]})",
      R"({"format": "pgs3-checkpoint", "version": 1, "sequence": 1, "task_id": "t", "phase": "cdc",
          "confirmed_lsn": "0/1", "tables": [{"schema": "s", "table": "t"}, {"schema": "s", "table": "t"}]})",
  };
  for (const std::string& text : bad) {
    Status st = load_error(text);
    EXPECT_EQ(st.code(), StatusCode::kDataError) << text;
    EXPECT_NE(st.message().find(kKey), std::string::npos) << st.message();
  }
  // The message says which field is wrong.
  EXPECT_NE(load_error(bad[9]).message().find("tables[0].durable_position"), std::string::npos);
  EXPECT_NE(load_error(bad[10]).message().find("tables[0].statistics.inserts"), std::string::npos);
  EXPECT_NE(load_error(bad[5]).message().find("task_id is missing"), std::string::npos);
}

TEST_F(CheckpointTest, NewerFormatVersionIsRefusedNamingObjectAndVersion) {
  std::string text = sample().to_json();
  const std::string from = "\"version\": 1";
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, from.size(), "\"version\": 2");
  Status st = load_error(text);
  EXPECT_EQ(st.code(), StatusCode::kDataError);
  EXPECT_NE(st.message().find(kKey), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("version 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("newer pgs3"), std::string::npos) << st.message();
}

TEST_F(CheckpointTest, UnknownFieldsOfTheSameVersionAreIgnored) {
  std::string text = sample().to_json();
  text.insert(1, "\"written_by\": \"pgs3 0.2\", ");
  put(kKey, text);
  auto loaded = Checkpoint::load(*store_, kPrefix);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_TRUE((*loaded)->same_content(sample()));
}

TEST_F(CheckpointTest, TablesAreFoundByOidAcrossRenamesAndByNameOtherwise) {
  Checkpoint c = sample();
  ASSERT_NE(c.find_table(16384, "public", "orders_renamed"), nullptr);
  EXPECT_EQ(c.find_table(16384, "public", "orders_renamed")->table, "orders");
  EXPECT_EQ(c.find_table(0, "public", "orders"), &c.tables[0]);
  // Same name, another OID: the table was dropped and created again; it is a new table.
  EXPECT_EQ(c.find_table(20000, "public", "orders"), nullptr);
  const size_t before = c.tables.size();
  TableCheckpoint& recreated = c.table_entry(20000, "public", "orders");
  EXPECT_EQ(c.tables.size(), before + 1);
  EXPECT_EQ(recreated.relation_oid, 20000u);
  // And both entries survive a round trip.
  auto back = Checkpoint::parse(c.to_json(), "test");
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->tables.size(), before + 1);
}

TEST(ConfirmableLsnTest, IsTheProcessedEndWhenNothingIsPending) {
  EXPECT_EQ(confirmable_lsn({std::nullopt, std::nullopt}, 0x5000, 0x1000), 0x5000u);
  EXPECT_EQ(confirmable_lsn({}, 0x5000, 0x1000), 0x5000u);
}

TEST(ConfirmableLsnTest, StaysStrictlyBelowTheOldestPendingCommit) {
  EXPECT_EQ(confirmable_lsn({0x3000, std::nullopt, 0x2000}, 0x5000, 0x1000), 0x1FFFu);
  // A pending transaction later than the processed end does not let the result pass the processed end.
  EXPECT_EQ(confirmable_lsn({0x6000}, 0x5000, 0x1000), 0x5000u);
}

TEST(ConfirmableLsnTest, NeverGoesBelowWhatWasAlreadyConfirmed) {
  // The pending commit record starts right where the confirmed transaction ended.
  EXPECT_EQ(confirmable_lsn({0x2000}, 0x5000, 0x2000), 0x2000u);
  EXPECT_EQ(confirmable_lsn({}, 0x1000, 0x2000), 0x2000u);
}

}  // namespace
}  // namespace pgs3
