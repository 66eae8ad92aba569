#include "state/file_journal.h"
#include "state/recovery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/local_store.h"
#include "testing/versioned_store.h"

namespace pgs3 {
namespace {

namespace fs = std::filesystem;

constexpr char kPrefix[] = "raw/app/_pgs3/t1/";
constexpr char kTableDir[] = "raw/app/public/orders/";
constexpr uint32_t kOid = 16384;

// A store over a LocalStore that fails on demand, to stop a sequence of steps where a crash would: every create()
// of a key containing `fail_create_containing`, every remove() of a key containing `fail_remove_containing`.
class CrashingStore final : public ObjectStore {
 public:
  explicit CrashingStore(ObjectStore& inner) : inner_(inner) {}
  std::string describe() const override { return inner_.describe(); }
  using ObjectStore::create;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions& options) override {
    if (!fail_create_containing.empty() && key.find(fail_create_containing) != std::string::npos) {
      return Status::unavailable("injected crash creating " + key);
    }
    return inner_.create(key, options);
  }
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override { return inner_.list(prefix); }
  Result<std::optional<std::string>> get(const std::string& key) override { return inner_.get(key); }
  Status remove(const std::string& key) override {
    if (!fail_remove_containing.empty() && key.find(fail_remove_containing) != std::string::npos) {
      return Status::unavailable("injected crash removing " + key);
    }
    return inner_.remove(key);
  }
  Result<std::optional<VersionedObject>> get_versioned(const std::string& key) override {
    return test_support::get_versioned_via(*this, key);
  }
  Result<std::string> put_if(const std::string& key, std::string_view bytes, const std::string& expected) override {
    return test_support::put_if_via(*this, key, bytes, expected);
  }
  std::string fail_create_containing;
  std::string fail_remove_containing;

 private:
  ObjectStore& inner_;
};

class FileJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-file-journal-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    local_ = std::make_unique<LocalStore>(root_.string());
    store_ = std::make_unique<CrashingStore>(*local_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void put(const std::string& key, const std::string& text) {
    auto writer = local_->create(key);
    ASSERT_TRUE(writer.is_ok()) << writer.status().message();
    ASSERT_TRUE((*writer)->append(text).is_ok());
    ASSERT_TRUE((*writer)->commit().is_ok());
  }

  // A change file of "public"."orders" holding the changes of commit LSNs first_lsn..last_lsn (seq 1 each).
  static FileIntent intent(const std::string& stem, uint64_t first_lsn, uint64_t last_lsn, uint64_t rows = 2) {
    FileIntent i;
    i.key = std::string(kTableDir) + stem + ".csv";
    i.schema = "public";
    i.table = "orders";
    i.relation_oid = kOid;
    i.first = {first_lsn, 1};
    i.last = {last_lsn, 1};
    i.rows = rows;
    i.inserts = rows;
    i.last_commit_time_us = 1000 + static_cast<int64_t>(last_lsn);
    return i;
  }

  // The checkpoint of a task that has written "public"."orders" through 0/100:1, saved.
  Checkpoint saved_checkpoint() {
    Checkpoint c;
    c.task_id = "t1";
    c.slot_name = "pgs3_t1";
    c.phase = CheckpointPhase::kCdc;
    c.confirmed_lsn = 0x100;
    TableCheckpoint& t = c.table_entry(kOid, "public", "orders");
    t.durable_position = ChangePosition{0x100, 1};
    t.last_change_file = "20260101-000000000.csv";
    t.statistics.files = 1;
    t.statistics.inserts = 4;
    EXPECT_TRUE(c.save(*store_, kPrefix).is_ok());
    return c;
  }

  Checkpoint load() {
    auto loaded = Checkpoint::load(*store_, kPrefix);
    EXPECT_TRUE(loaded.is_ok()) << loaded.status().message();
    EXPECT_TRUE(loaded.is_ok() && loaded->has_value());
    return loaded.is_ok() && loaded->has_value() ? **loaded : Checkpoint{};
  }

  size_t intents_left() {
    auto entries = FileJournal::read_all(*store_, kPrefix);
    EXPECT_TRUE(entries.is_ok()) << entries.status().message();
    return entries.is_ok() ? entries->size() : 0;
  }

  FileJournal open_journal() {
    auto journal = FileJournal::open(*store_, kPrefix);
    EXPECT_TRUE(journal.is_ok()) << journal.status().message();
    return std::move(journal).value();
  }

  fs::path root_;
  std::unique_ptr<LocalStore> local_;
  std::unique_ptr<CrashingStore> store_;
};

TEST_F(FileJournalTest, IntentKeysAreZeroPaddedSoKeyOrderIsSequenceOrder) {
  EXPECT_EQ(FileJournal::intent_key(kPrefix, 42), "raw/app/_pgs3/t1/journal/00000000000000000042.json");
  EXPECT_EQ(FileJournal::intent_key(kPrefix, UINT64_MAX), "raw/app/_pgs3/t1/journal/18446744073709551615.json");
}

TEST_F(FileJournalTest, IntentRoundTripsThroughJson) {
  FileIntent i = intent("20260101-000000001", 0x200, 0x300);
  i.schema = "Vendas é";
  i.updates = 3;
  i.deletes = 1;
  auto back = parse_intent(intent_to_json(i), "x");
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(*back, i);
  i.last_commit_time_us.reset();
  back = parse_intent(intent_to_json(i), "x");
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(*back, i);
}

TEST_F(FileJournalTest, MalformedIntentIsADataErrorNamingTheObject) {
  put(FileJournal::intent_key(kPrefix, 3), R"({"format": "pgs3-file-intent", "version": 1, "key": "k"})");
  auto entries = FileJournal::read_all(*store_, kPrefix);
  ASSERT_FALSE(entries.is_ok());
  EXPECT_EQ(entries.status().code(), StatusCode::kDataError);
  EXPECT_NE(entries.status().message().find("journal/00000000000000000003.json"), std::string::npos)
      << entries.status().message();
  Checkpoint c = saved_checkpoint();
  EXPECT_EQ(recover(*store_, kPrefix, c).status().code(), StatusCode::kDataError);
}

TEST_F(FileJournalTest, OpenContinuesAfterTheHighestIntentAndIgnoresOtherObjects) {
  put(FileJournal::intent_key(kPrefix, 7), intent_to_json(intent("20260101-000000001", 0x200, 0x300)));
  put(std::string(kPrefix) + "journal/notes.txt", "not an intent");
  put(std::string(kPrefix) + "journal/sub/00000000000000000099.json", "not an intent either");
  FileJournal journal = open_journal();
  EXPECT_EQ(journal.next_sequence(), 8u);
  auto seq = journal.record(intent("20260101-000000002", 0x400, 0x500));
  ASSERT_TRUE(seq.is_ok()) << seq.status().message();
  EXPECT_EQ(*seq, 8u);
  auto entries = FileJournal::read_all(*store_, kPrefix);
  ASSERT_TRUE(entries.is_ok()) << entries.status().message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].sequence, 7u);
  EXPECT_EQ((*entries)[1].sequence, 8u);
  EXPECT_EQ((*entries)[1].intent, intent("20260101-000000002", 0x400, 0x500));
}

TEST_F(FileJournalTest, ReleaseRemovesOnlyIntentsTheCheckpointIncludes) {
  Checkpoint c = saved_checkpoint();
  FileJournal journal = open_journal();
  ASSERT_TRUE(journal.record(intent("20260101-000000001", 0x200, 0x300)).is_ok());
  ASSERT_TRUE(journal.record(intent("20260101-000000002", 0x400, 0x500)).is_ok());
  c.table_entry(kOid, "public", "orders").durable_position = ChangePosition{0x300, 1};
  ASSERT_TRUE(c.save(*store_, kPrefix).is_ok());
  ASSERT_TRUE(journal.release(c).is_ok());
  ASSERT_EQ(journal.outstanding().size(), 1u);
  EXPECT_EQ(journal.outstanding()[0].sequence, 2u);
  EXPECT_EQ(intents_left(), 1u);

  // A failed removal keeps the intent outstanding; the next release retries it.
  c.table_entry(kOid, "public", "orders").durable_position = ChangePosition{0x500, 1};
  store_->fail_remove_containing = "journal/";
  EXPECT_FALSE(journal.release(c).is_ok());
  EXPECT_EQ(journal.outstanding().size(), 1u);
  store_->fail_remove_containing.clear();
  ASSERT_TRUE(journal.release(c).is_ok());
  EXPECT_TRUE(journal.outstanding().empty());
  EXPECT_EQ(intents_left(), 0u);
}

TEST_F(FileJournalTest, NothingToRecoverChangesNothing) {
  Checkpoint c = saved_checkpoint();
  auto report = recover(*store_, kPrefix, c);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_FALSE(report->checkpoint_saved);
  EXPECT_EQ(load().sequence(), 1u);
}

TEST_F(FileJournalTest, CrashBeforeUploadDiscardsTheIntent) {
  Checkpoint before = saved_checkpoint();
  {
    FileJournal journal = open_journal();
    ASSERT_TRUE(journal.record(intent("20260101-000000001", 0x200, 0x300)).is_ok());
    // crash: the upload never happens
  }
  Checkpoint c = load();
  auto report = recover(*store_, kPrefix, c);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->discarded, std::vector<std::string>{std::string(kTableDir) + "20260101-000000001.csv"});
  EXPECT_TRUE(report->adopted.empty());
  EXPECT_FALSE(report->checkpoint_saved);
  EXPECT_EQ(report->intents_removed, 1u);
  EXPECT_EQ(intents_left(), 0u);
  Checkpoint after = load();
  EXPECT_TRUE(after.same_content(before));
  EXPECT_EQ(after.sequence(), 1u);
  // The changes stay replayable: the table's position did not move.
  EXPECT_EQ(after.tables[0].durable_position, (ChangePosition{0x100, 1}));
}

TEST_F(FileJournalTest, CrashAfterUploadBeforeCheckpointAdoptsTheFile) {
  saved_checkpoint();
  const FileIntent file = intent("20260101-000000001", 0x200, 0x300, 5);
  {
    FileJournal journal = open_journal();
    ASSERT_TRUE(journal.record(file).is_ok());
    put(file.key, "Op,id\nI,1\n");  // the upload completes
    // crash before the checkpoint
  }
  Checkpoint c = load();
  auto report = recover(*store_, kPrefix, c);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->adopted, std::vector<std::string>{file.key});
  EXPECT_TRUE(report->checkpoint_saved);
  EXPECT_EQ(intents_left(), 0u);

  Checkpoint after = load();
  EXPECT_TRUE(after.same_content(c));
  EXPECT_EQ(after.sequence(), 2u);
  ASSERT_EQ(after.tables.size(), 1u);
  const TableCheckpoint& t = after.tables[0];
  EXPECT_EQ(t.durable_position, (ChangePosition{0x300, 1}));
  EXPECT_EQ(t.last_change_file, "20260101-000000001.csv");
  EXPECT_EQ(t.statistics.files, 2u);
  EXPECT_EQ(t.statistics.inserts, 4u + 5u);
  EXPECT_EQ(t.statistics.last_file_key, file.key);
  EXPECT_EQ(t.statistics.last_commit_time_us, 1000 + 0x300);
  // The confirmed LSN is left alone: it is the replication loop's to move, once it has reached these files.
  EXPECT_EQ(after.confirmed_lsn, 0x100u);
}

// Two processes on one task. Generation 3 took the lease over from a paused generation 2 and claimed the checkpoint;
// generation 2 woke and wrote an intent and a file before it noticed. That file holds changes generation 3 writes
// too: the next recovery removes it (and its intent) instead of adopting it. An intent of the current generation
// is adopted as always.
TEST_F(FileJournalTest, IntentOfAnOlderLeaseGenerationIsRemovedWithItsFile) {
  Checkpoint claimed = saved_checkpoint();
  claimed.lease_generation = 3;
  ASSERT_TRUE(claimed.save(*store_, kPrefix).is_ok());
  const FileIntent stale = intent("20260101-000000001", 0x200, 0x300, 5);
  const FileIntent current = intent("20260101-000000002", 0x200, 0x300, 5);
  {
    auto old_journal = FileJournal::open(*store_, kPrefix, 2);
    ASSERT_TRUE(old_journal.is_ok());
    ASSERT_TRUE(old_journal->record(stale).is_ok());
    put(stale.key, "Op,id\nI,1\n");
    auto journal = FileJournal::open(*store_, kPrefix, 3);
    ASSERT_TRUE(journal.is_ok());
    ASSERT_TRUE(journal->record(current).is_ok());
    put(current.key, "Op,id\nI,1\n");
  }
  Checkpoint c = load();
  auto report = recover(*store_, kPrefix, c);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->fenced, std::vector<std::string>{stale.key});
  EXPECT_EQ(report->adopted, std::vector<std::string>{current.key});
  EXPECT_EQ(intents_left(), 0u);
  auto gone = local_->get(stale.key);
  ASSERT_TRUE(gone.is_ok());
  EXPECT_FALSE(gone->has_value()) << "the fenced process's file must not stay for readers";
  EXPECT_EQ(load().tables[0].statistics.files, 2u);  // the saved file and the current generation's, not the stale one
}

// An intent is never written over another one: two journals that both think sequence 1 is theirs.
TEST_F(FileJournalTest, IntentIsNeverWrittenOverAnExistingOne) {
  auto first = FileJournal::open(*store_, kPrefix, 1);
  auto second = FileJournal::open(*store_, kPrefix, 2);
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  ASSERT_TRUE(first->record(intent("20260101-000000001", 0x200, 0x300)).is_ok());
  auto clash = second->record(intent("20260101-000000002", 0x200, 0x300));
  EXPECT_EQ(clash.status().code(), StatusCode::kConflict) << clash.status().message();
  auto all = FileJournal::read_all(*store_, kPrefix);
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].intent.lease_generation, 1u);
}

TEST_F(FileJournalTest, CrashAfterCheckpointBeforeIntentRemovalIsIdempotent) {
  Checkpoint c = saved_checkpoint();
  const FileIntent file = intent("20260101-000000001", 0x200, 0x300);
  {
    FileJournal journal = open_journal();
    ASSERT_TRUE(journal.record(file).is_ok());
    put(file.key, "Op,id\nI,1\n");
    TableCheckpoint& t = c.table_entry(kOid, "public", "orders");
    t.durable_position = file.last;
    t.last_change_file = "20260101-000000001.csv";
    t.statistics.files = 2;
    c.confirmed_lsn = 0x301;
    ASSERT_TRUE(c.save(*store_, kPrefix).is_ok());
    store_->fail_remove_containing = "journal/";
    ASSERT_FALSE(journal.release(c).is_ok());  // crash before the intent is removed
    store_->fail_remove_containing.clear();
  }
  Checkpoint loaded = load();
  ASSERT_EQ(loaded.sequence(), 2u);
  auto report = recover(*store_, kPrefix, loaded);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->covered, std::vector<std::string>{file.key});
  EXPECT_TRUE(report->adopted.empty());
  EXPECT_FALSE(report->checkpoint_saved);
  EXPECT_EQ(intents_left(), 0u);
  Checkpoint after = load();
  EXPECT_TRUE(after.same_content(c));  // the file is not counted twice
  EXPECT_EQ(after.sequence(), 2u);
}

TEST_F(FileJournalTest, CrashDuringRecoveryThenRecoveringAgainGivesTheSameCheckpoint) {
  saved_checkpoint();
  const FileIntent a = intent("20260101-000000001", 0x200, 0x300);
  const FileIntent b = intent("20260101-000000002", 0x400, 0x500);
  const FileIntent lost = intent("20260101-000000003", 0x600, 0x700);
  {
    FileJournal journal = open_journal();
    for (const FileIntent& i : {a, b, lost}) ASSERT_TRUE(journal.record(i).is_ok());
    put(a.key, "a");
    put(b.key, "b");
  }
  // The reference: one uninterrupted recovery, on a copy of the target.
  const fs::path copy = root_.string() + "-copy";
  fs::remove_all(copy);
  fs::copy(root_, copy, fs::copy_options::recursive);
  LocalStore copy_store(copy.string());
  auto copy_loaded = Checkpoint::load(copy_store, kPrefix);
  ASSERT_TRUE(copy_loaded.is_ok() && copy_loaded->has_value());
  Checkpoint reference = **copy_loaded;
  ASSERT_TRUE(recover(copy_store, kPrefix, reference).is_ok());
  fs::remove_all(copy);

  // First attempt: dies while saving the checkpoint.
  Checkpoint c1 = load();
  store_->fail_create_containing = "checkpoint.json";
  EXPECT_FALSE(recover(*store_, kPrefix, c1).is_ok());
  store_->fail_create_containing.clear();
  EXPECT_EQ(load().sequence(), 1u);
  EXPECT_EQ(intents_left(), 3u);

  // Second attempt: saves, then dies while removing the intents (the second removal fails).
  Checkpoint c2 = load();
  store_->fail_remove_containing = "00000000000000000002.json";
  EXPECT_FALSE(recover(*store_, kPrefix, c2).is_ok());
  store_->fail_remove_containing.clear();
  EXPECT_EQ(intents_left(), 2u);
  Checkpoint after_second = load();
  EXPECT_TRUE(after_second.same_content(reference));
  EXPECT_EQ(after_second.sequence(), 2u);

  // Third attempt completes; and a fourth finds nothing to do.
  Checkpoint c3 = load();
  auto report = recover(*store_, kPrefix, c3);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->covered, std::vector<std::string>{b.key});
  EXPECT_EQ(report->discarded, std::vector<std::string>{lost.key});
  EXPECT_FALSE(report->checkpoint_saved);
  EXPECT_EQ(intents_left(), 0u);
  Checkpoint c4 = load();
  ASSERT_TRUE(recover(*store_, kPrefix, c4).is_ok());

  Checkpoint final_state = load();
  EXPECT_TRUE(final_state.same_content(reference));
  EXPECT_EQ(final_state.sequence(), reference.sequence());
  EXPECT_EQ(final_state.tables[0].durable_position, b.last);
  EXPECT_EQ(final_state.tables[0].last_change_file, "20260101-000000002.csv");
  EXPECT_EQ(final_state.tables[0].statistics.files, 3u);
}

TEST_F(FileJournalTest, IntentsAreSettledInSequenceOrder) {
  saved_checkpoint();
  // Twelve files: past nine, so that "10" sorting before "9" as text would show. A stale intent of an earlier file
  // comes after the newest one in the listing only if ordering is broken.
  std::vector<FileIntent> files;
  {
    FileJournal journal = open_journal();
    for (int n = 1; n <= 12; ++n) {
      char stem[32];
      std::snprintf(stem, sizeof stem, "20260101-0000000%02d", n);
      files.push_back(intent(stem, 0x1000 * n, 0x1000 * n + 0x10));
      ASSERT_TRUE(journal.record(files.back()).is_ok());
      put(files.back().key, "x");
    }
  }
  auto entries = FileJournal::read_all(*store_, kPrefix);
  ASSERT_TRUE(entries.is_ok());
  ASSERT_EQ(entries->size(), 12u);
  for (size_t n = 0; n < entries->size(); ++n) EXPECT_EQ((*entries)[n].sequence, n + 1);

  Checkpoint c = load();
  auto report = recover(*store_, kPrefix, c);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  ASSERT_EQ(report->adopted.size(), 12u);
  for (size_t n = 0; n < files.size(); ++n) EXPECT_EQ(report->adopted[n], files[n].key);
  const Checkpoint after = load();
  const TableCheckpoint& t = after.tables[0];
  EXPECT_EQ(t.durable_position, files.back().last);
  EXPECT_EQ(t.last_change_file, "20260101-000000012.csv");
  EXPECT_EQ(t.statistics.files, 13u);
}

TEST_F(FileJournalTest, StaleIntentOfAnOlderFileDoesNotMoveTheTableBack) {
  Checkpoint c = saved_checkpoint();
  const FileIntent older = intent("20260101-000000001", 0x200, 0x300);
  const FileIntent newer = intent("20260101-000000002", 0x400, 0x500);
  put(older.key, "x");
  put(newer.key, "y");
  put(FileJournal::intent_key(kPrefix, 1), intent_to_json(older));  // its removal was lost
  TableCheckpoint& t = c.table_entry(kOid, "public", "orders");
  t.durable_position = newer.last;
  t.last_change_file = "20260101-000000002.csv";
  ASSERT_TRUE(c.save(*store_, kPrefix).is_ok());

  Checkpoint loaded = load();
  auto report = recover(*store_, kPrefix, loaded);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->covered, std::vector<std::string>{older.key});
  EXPECT_EQ(load().tables[0].durable_position, newer.last);
  EXPECT_EQ(load().tables[0].last_change_file, "20260101-000000002.csv");
}

TEST_F(FileJournalTest, FileOfATableNotInTheCheckpointGetsAnEntry) {
  Checkpoint c;
  c.task_id = "t1";
  FileIntent file = intent("20260101-000000001", 0x200, 0x300);
  file.schema = "Vendas é";
  file.table = "Itens";
  file.relation_oid = 17000;
  put(file.key, "x");
  put(FileJournal::intent_key(kPrefix, 1), intent_to_json(file));
  // No checkpoint yet (a crash before the first one): a fresh one is saved.
  auto report = recover(*store_, kPrefix, c);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_TRUE(report->checkpoint_saved);
  Checkpoint after = load();
  ASSERT_EQ(after.tables.size(), 1u);
  EXPECT_EQ(after.tables[0].schema, "Vendas é");
  EXPECT_EQ(after.tables[0].table, "Itens");
  EXPECT_EQ(after.tables[0].relation_oid, 17000u);
  EXPECT_EQ(after.tables[0].durable_position, file.last);
}

TEST_F(FileJournalTest, RetryOfAMissingFileUnderANewNameIsAdopted) {
  saved_checkpoint();
  const FileIntent failed = intent("20260101-000000001", 0x200, 0x300);
  const FileIntent retried = intent("20260101-000000002", 0x200, 0x400);  // the same changes and one more
  put(FileJournal::intent_key(kPrefix, 1), intent_to_json(failed));
  put(FileJournal::intent_key(kPrefix, 2), intent_to_json(retried));
  put(retried.key, "x");
  Checkpoint c = load();
  auto report = recover(*store_, kPrefix, c);
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->discarded, std::vector<std::string>{failed.key});
  EXPECT_EQ(report->adopted, std::vector<std::string>{retried.key});
  EXPECT_EQ(load().tables[0].durable_position, retried.last);
}

TEST_F(FileJournalTest, MissingFileBeforeAnExistingLaterOneIsRefusedRatherThanLosingChanges) {
  saved_checkpoint();
  const FileIntent missing = intent("20260101-000000001", 0x200, 0x300);
  const FileIntent later = intent("20260101-000000002", 0x400, 0x500);
  put(FileJournal::intent_key(kPrefix, 1), intent_to_json(missing));
  put(FileJournal::intent_key(kPrefix, 2), intent_to_json(later));
  put(later.key, "x");
  Checkpoint c = load();
  auto report = recover(*store_, kPrefix, c);
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kDataError);
  EXPECT_NE(report.status().message().find(missing.key), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("0/200:1"), std::string::npos) << report.status().message();
  // Nothing changed: the intents are still there for whoever repairs the target.
  EXPECT_EQ(load().sequence(), 1u);
  EXPECT_EQ(intents_left(), 2u);
}

}  // namespace
}  // namespace pgs3
