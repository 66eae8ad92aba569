// The replication loop driven through its seams: a scripted ReplicationSource that behaves as a walsender and a
// logical slot do (it resends, after a restart, every transaction whose commit LSN is not below the slot's confirmed
// flush position), and an in-memory ObjectStore that "dies" after a given number of calls (nothing the process does
// after that lands, as after kill -9). Each trial kills the process at one step of a clean run, restarts it from what
// the store holds (checkpoint, journal recovery) until it reaches the stop position, and checks:
//   - invariant 3 (DESIGN.md §3.3) at every standby status update: every transaction committed below the flush
//     position sent is durable in the store, in full;
//   - exactly once: every change is in exactly one committed change file, of its own table;
//   - the slot ends confirmed at the end of the WAL, with no journal intent left.
#include "task/cdc_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "base/log.h"
#include "model/lsn.h"
#include "sink/memory_budget.h"
#include "sink/object_keys.h"
#include "state/checkpoint.h"
#include "state/file_journal.h"
#include "state/progress_ledger.h"
#include "state/recovery.h"
#include "testing/pgoutput_bytes.h"
#include "testing/versioned_store.h"

namespace pgs3 {
namespace {

using test_support::PgoutputBytes;

constexpr uint32_t kInt4 = 23;
constexpr uint32_t kText = 25;
constexpr uint32_t kFirstOid = 16384;
constexpr int kTables = 2;

// An ObjectStore in memory. Every call is one step; once `die_after` steps have been made, every call fails (an
// object being written then never appears), until the test revives it for the next process.
class MemoryStore final : public ObjectStore {
 public:
  std::string describe() const override { return "memory"; }
  using ObjectStore::create;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions&) override {
    std::lock_guard<std::recursive_mutex> lock(mu);
    PGS3_RETURN_IF_ERROR(step("create " + key));
    return std::unique_ptr<ObjectWriter>(new Writer(*this, key));
  }
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override {
    std::lock_guard<std::recursive_mutex> lock(mu);
    PGS3_RETURN_IF_ERROR(step("list " + prefix));
    std::vector<ObjectInfo> out;
    for (auto it = objects.lower_bound(prefix); it != objects.end() && it->first.rfind(prefix, 0) == 0; ++it) {
      out.push_back(ObjectInfo{it->first, it->second.size()});
    }
    return out;
  }
  Result<std::optional<std::string>> get(const std::string& key) override {
    std::lock_guard<std::recursive_mutex> lock(mu);
    PGS3_RETURN_IF_ERROR(step("get " + key));
    auto it = objects.find(key);
    if (it == objects.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status remove(const std::string& key) override {
    std::lock_guard<std::recursive_mutex> lock(mu);
    PGS3_RETURN_IF_ERROR(step("remove " + key));
    objects.erase(key);
    return Status::ok();
  }
  Status remove_all(const std::vector<std::string>& keys) override {
    std::lock_guard<std::recursive_mutex> lock(mu);
    PGS3_RETURN_IF_ERROR(step("remove_all"));
    for (const std::string& key : keys) objects.erase(key);
    return Status::ok();
  }
  Result<std::optional<VersionedObject>> get_versioned(const std::string& key) override {
    std::lock_guard<std::recursive_mutex> lock(mu);
    return test_support::get_versioned_via(*this, key);
  }
  Result<std::string> put_if(const std::string& key, std::string_view bytes, const std::string& expected) override {
    std::lock_guard<std::recursive_mutex> lock(mu);  // atomic, as the interface asks
    return test_support::put_if_via(*this, key, bytes, expected);
  }

  void revive() { die_after.reset(); }

  // Uploads run on worker threads (sink/upload_queue.h): every access to the fields below holds it.
  mutable std::recursive_mutex mu;

  std::map<std::string, std::string> objects;
  std::optional<uint64_t> die_after;  // steps from the start of the store's life
  uint64_t steps = 0;

 private:
  class Writer final : public ObjectWriter {
   public:
    Writer(MemoryStore& store, std::string key) : store_(store), key_(std::move(key)) {}
    Status append(std::string_view bytes) override {
      data_.append(bytes);
      return Status::ok();
    }
    uint64_t position() const override { return data_.size(); }
    Status commit() override {
      std::lock_guard<std::recursive_mutex> lock(store_.mu);
      PGS3_RETURN_IF_ERROR(store_.step("commit " + key_));
      store_.objects[key_] = std::move(data_);
      return Status::ok();
    }
    void abort() override {}

   private:
    MemoryStore& store_;
    std::string key_;
    std::string data_;
  };

  Status step(const std::string& what) {
    ++steps;
    if (die_after && steps > *die_after) return Status::unavailable("the process died before: " + what);
    return Status::ok();
  }
};

// One transaction of the scripted WAL: inserts of (table index, id).
struct Txn {
  uint64_t commit_lsn = 0;
  uint64_t end_lsn = 0;
  std::vector<std::pair<int, int>> rows;
  // Tables renamed before this transaction (ALTER TABLE ... RENAME): their next Relation message has the new name.
  std::map<int, std::string> renamed;
};

struct Wal {
  std::vector<Txn> txns;
  uint64_t end = 0;  // the server's end of WAL once every transaction is written
};

std::string note_of(int id) { return "v" + std::to_string(id) + std::string(90, 'x'); }

// A random workload: transactions of 1 to 6 inserts spread over the tables, with unique ids.
Wal make_wal(uint32_t seed, int transactions) {
  std::mt19937 rng(seed);
  Wal wal;
  int id = 0;
  uint64_t lsn = 0x2000;
  for (int i = 0; i < transactions; ++i) {
    Txn t;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int r = 0; r < n; ++r) t.rows.emplace_back(static_cast<int>(rng() % kTables), ++id);
    lsn += 0x100 + 0x40 * n;
    t.commit_lsn = lsn;
    t.end_lsn = lsn + 0x30;
    wal.txns.push_back(t);
  }
  wal.end = lsn + 0x1000;
  return wal;
}

struct Slot {
  uint64_t confirmed_flush = 0;
};

// Plays the WAL as a walsender does for a logical slot: from the start position (at least the slot's confirmed
// flush), every transaction whose commit LSN is not below it, each table's Relation message before its first change
// of the session, then keepalives at the end of WAL. Every status update is checked by `on_flush` before the slot
// takes it.
class ScriptedSource final : public ReplicationSource {
 public:
  ScriptedSource(const Wal& wal, Slot& slot, uint64_t start_lsn, std::function<void(uint64_t)> on_flush)
      : slot_(slot), end_(wal.end), on_flush_(std::move(on_flush)) {
    const uint64_t from = std::max(start_lsn, slot.confirmed_flush);
    std::set<int> described;
    std::map<int, std::string> names;
    for (const Txn& t : wal.txns) {
      for (const auto& [table, name] : t.renamed) {
        names[table] = name;
        described.erase(table);  // the rename invalidates the relation: described again at its next change
      }
      if (t.commit_lsn < from) continue;
      add(t.commit_lsn, PgoutputBytes().ch('B').u64(t.commit_lsn).u64(1000 + t.commit_lsn).u32(700));
      for (const auto& [table, id] : t.rows) {
        const uint32_t oid = kFirstOid + static_cast<uint32_t>(table);
        if (described.insert(table).second) {
          const std::string name = names.count(table) ? names[table] : "t" + std::to_string(table);
          add(t.commit_lsn, PgoutputBytes()
                                .ch('R')
                                .u32(oid)
                                .str("public")
                                .str(name)
                                .ch('d')
                                .u16(2)
                                .u8(1)
                                .str("id")
                                .u32(kInt4)
                                .u32(0xFFFFFFFF)
                                .u8(0)
                                .str("note")
                                .u32(kText)
                                .u32(0xFFFFFFFF));
        }
        add(t.commit_lsn, PgoutputBytes().ch('I').u32(oid).ch('N').u16(2).text(std::to_string(id)).text(note_of(id)));
      }
      add(t.commit_lsn, PgoutputBytes().ch('C').u8(0).u64(t.commit_lsn).u64(t.end_lsn).u64(1000 + t.commit_lsn));
    }
  }

  Result<ReplicationEvent> next(std::chrono::milliseconds) override {
    ReplicationEvent e;
    e.wal_end = Lsn(end_);
    if (next_ < messages_.size()) {
      current_ = messages_[next_].second;
      e.kind = ReplicationEventKind::kXLogData;
      e.wal_start = Lsn(messages_[next_].first);
      e.payload = current_;
      ++next_;
      return e;
    }
    e.kind = ReplicationEventKind::kKeepalive;
    return e;
  }
  Status send_status(Lsn, Lsn flush, Lsn, bool) override {
    on_flush_(flush.value());
    slot_.confirmed_flush = std::max(slot_.confirmed_flush, flush.value());
    return Status::ok();
  }
  Status stop(std::chrono::milliseconds) override {
    streaming_ = false;
    return Status::ok();
  }
  bool streaming() const override { return streaming_; }

 private:
  void add(uint64_t lsn, const PgoutputBytes& bytes) { messages_.emplace_back(lsn, bytes.str()); }

  Slot& slot_;
  uint64_t end_;
  std::function<void(uint64_t)> on_flush_;
  std::vector<std::pair<uint64_t, std::string>> messages_;
  size_t next_ = 0;
  std::string current_;
  bool streaming_ = true;
};

SourceColumn column(const char* name, int16_t attnum, uint32_t type_oid, const char* type_name, bool key) {
  SourceColumn c;
  c.name = name;
  c.attnum = attnum;
  c.type_oid = c.base_type_oid = type_oid;
  c.base_type_name = type_name;
  c.type_text = type_name;
  c.not_null = key;
  c.in_primary_key = key;
  return c;
}

class CdcStreamCrashTest : public ::testing::Test {
 protected:
  CdcStreamCrashTest() {
    set_log_level(LogLevel::kError);  // the crashes' warnings are expected
    config_.task_id = "loop";
    config_.migration_type = MigrationType::kCdc;
    config_.source.slot_name = "pgs3_loop";
    config_.source.publication_name = "pgs3_loop";
    config_.target.s3.bucket_folder = "lake";
    config_.target.s3.data_format = DataFormat::kCsv;
    config_.target.s3.cdc_min_file_size_kb = 1;  // a file closes after about ten rows, at a transaction's end
    config_.target.s3.cdc_max_batch_interval_s = 1000000;
    SelectionRule all;
    all.rule_id = all.rule_name = "1";
    all.schema_pattern = "public";
    all.table_pattern = "%";
    config_.selection_rules = {all};  // so that every run also checks each Relation message (task/table_watch.h)
    for (int t = 0; t < kTables; ++t) {
      SourceTable table;
      table.oid = kFirstOid + static_cast<uint32_t>(t);
      table.schema = "public";
      table.name = "t" + std::to_string(t);
      table.can_select = true;
      table.columns = {column("id", 1, kInt4, "int4", true), column("note", 2, kText, "text", false)};
      tables_.push_back(table);
    }
    prefix_ = task_state_prefix(config_.target.s3, config_.task_id);
  }

  // The state a CDC task starts streaming from: a "cdc" checkpoint at the slot's consistent point.
  void create_task(MemoryStore& store, Slot& slot) {
    slot.confirmed_flush = 0x1000;
    Checkpoint c;
    c.task_id = config_.task_id;
    c.slot_name = config_.source.slot_name;
    c.phase = CheckpointPhase::kCdc;
    c.confirmed_lsn = slot.confirmed_flush;
    for (const SourceTable& t : tables_) c.table_entry(t.oid, t.schema, t.name);
    ASSERT_TRUE(c.save(store, prefix_).is_ok());
  }

  // The ids in the committed change files of table `t` (or in the transaction files' rows of it), each as often as
  // it was written.
  std::multiset<int> durable_ids(const MemoryStore& store, int t) const {
    std::lock_guard<std::recursive_mutex> lock(store.mu);
    std::multiset<int> ids;
    const S3Settings& s3 = config_.target.s3;
    const std::string table = "t" + std::to_string(t);
    const std::string prefix = s3.preserve_transactions ? transaction_prefix(s3) : table_prefix(s3, "public", table);
    for (auto it = store.objects.lower_bound(prefix); it != store.objects.end() && it->first.rfind(prefix, 0) == 0;
         ++it) {
      std::istringstream lines(it->second);
      std::string line;
      while (std::getline(lines, line)) {
        // I,<id>,<note>; in transaction files I,<table>,public,<id>,<note>
        std::vector<std::string> fields;
        std::istringstream cells(line);
        for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
        if (s3.preserve_transactions) {
          if (fields.size() != 5 || fields[1] != table) continue;
          EXPECT_EQ(fields[2], "public") << it->first;
          fields.erase(fields.begin() + 1, fields.begin() + 3);
        }
        EXPECT_EQ(fields.size(), 3u) << it->first << ": " << line;
        if (fields.size() != 3) continue;
        EXPECT_EQ(fields[0], "I") << it->first;
        const int id = std::stoi(fields[1]);
        EXPECT_EQ(fields[2], note_of(id)) << it->first;
        ids.insert(id);
      }
    }
    return ids;
  }

  // Invariant 3: every transaction committed below `flush` is durable in full.
  void check_flush(const MemoryStore& store, const Wal& wal, uint64_t flush, const std::string& trial) {
    std::vector<std::multiset<int>> durable;
    durable.reserve(kTables);
    for (int t = 0; t < kTables; ++t) durable.push_back(durable_ids(store, t));
    for (const Txn& txn : wal.txns) {
      if (txn.commit_lsn >= flush) break;
      for (const auto& [table, id] : txn.rows) {
        if (removed_tables_.count(table) > 0) continue;
        if (table >= kTables) {
          ADD_FAILURE() << trial << ": flush position " << Lsn(flush).to_string() << " confirms the transaction at "
                        << Lsn(txn.commit_lsn).to_string() << ", which holds a change of t" << table
                        << ", a table the task does not know";
          ++violations_;
          return;
        }
        if (durable[table].count(id) == 0) {
          ADD_FAILURE() << trial << ": flush position " << Lsn(flush).to_string() << " confirms the transaction at "
                        << Lsn(txn.commit_lsn).to_string() << ", but its change id " << id << " of table t" << table
                        << " is in no committed file";
          ++violations_;
          return;
        }
      }
    }
  }

  // One life of the process: start from what the store holds, stream until the stop position. False when the store
  // died on the way.
  bool run_process(MemoryStore& store, Slot& slot, const Wal& wal, const std::string& trial,
                   MemoryBudget* budget = nullptr, const std::string& spill_directory = {},
                   const std::function<Result<CatalogSnapshot>()>& read_catalog = nullptr) {
    auto loaded = Checkpoint::load(store, prefix_);
    if (!loaded.is_ok()) return false;
    EXPECT_TRUE(loaded->has_value()) << trial;
    if (!loaded->has_value()) return false;
    Checkpoint checkpoint = std::move(**loaded);
    if (!recover(store, prefix_, checkpoint).is_ok()) return false;
    auto journal = FileJournal::open(store, prefix_);
    if (!journal.is_ok()) return false;
    ProgressLedger ledger(store, prefix_, checkpoint, *journal);

    CdcStreamServices services;
    // Clocks that move 300 ms per reading: checkpoints, status updates and polls come every few messages.
    services.steady_clock = [this] { return steady_ += std::chrono::milliseconds(300); };
    services.wall_clock = [this] { return wall_ += std::chrono::milliseconds(300); };
    services.memory_budget = budget;
    services.spill_directory = spill_directory;
    if (read_catalog || catalog_) {
      services.read_catalog = [fn = read_catalog ? read_catalog : catalog_](
                                  const std::vector<uint32_t>&, const std::vector<uint32_t>&) { return fn(); };
    }
    TaskConfig config = config_;
    config.cdc.stop_position = Lsn(wal.end).to_string();
    CdcStream stream(config, store, ledger, tables_, 2, std::move(services));
    ScriptedSource source(wal, slot, ledger.confirmed_lsn(),
                          [&](uint64_t flush) { check_flush(store, wal, flush, trial); });
    Result<CdcEnd> end = stream.run(source);
    last_error_ = end.status();
    if (!end.is_ok()) return false;
    EXPECT_EQ(*end, CdcEnd::kStopPosition) << trial;
    return stream.finish(&source).is_ok();
  }

  // Kills the first process after `die_after` store calls (none: a clean run), restarts until the stop position is
  // reached, then checks exactly-once. Returns the store calls of the first process.
  // The table's checkpoint entry as the store holds it.
  TableCheckpoint saved_entry(MemoryStore& store, int t) {
    auto loaded = Checkpoint::load(store, prefix_);
    EXPECT_TRUE(loaded.is_ok() && loaded->has_value());
    if (!loaded.is_ok() || !loaded->has_value()) return {};
    const TableCheckpoint* e = (*loaded)->find_table(kFirstOid + static_cast<uint32_t>(t), "", "");
    return e != nullptr ? *e : TableCheckpoint{};
  }

  uint64_t trial(const Wal& wal, std::optional<uint64_t> die_after, const std::string& name) {
    MemoryStore store;
    Slot slot;
    create_task(store, slot);
    store.steps = 0;
    store.die_after = die_after;
    bool done = run_process(store, slot, wal, name);
    const uint64_t first_life = store.steps;
    for (int restart = 0; !done && restart < 3; ++restart) {
      store.revive();
      done = run_process(store, slot, wal, name + ", restart " + std::to_string(restart + 1));
    }
    EXPECT_TRUE(done) << name << ": the task did not reach its stop position";
    store.revive();
    std::vector<std::multiset<int>> durable;
    durable.reserve(kTables);
    for (int t = 0; t < kTables; ++t) durable.push_back(durable_ids(store, t));
    size_t changes = 0;
    for (const Txn& txn : wal.txns) {
      for (const auto& [table, id] : txn.rows) {
        ++changes;
        EXPECT_EQ(durable[table].count(id), 1u) << name << ": change id " << id << " of table t" << table;
      }
    }
    EXPECT_EQ(durable[0].size() + durable[1].size(), changes) << name << ": rows written that the WAL does not hold";
    EXPECT_EQ(slot.confirmed_flush, wal.end) << name;
    // Intents may be left by a release that failed (they are harmless): the next start finds every one covered.
    auto loaded = Checkpoint::load(store, prefix_);
    EXPECT_TRUE(loaded.is_ok() && loaded->has_value()) << name;
    if (loaded.is_ok() && loaded->has_value()) {
      auto report = recover(store, prefix_, **loaded);
      EXPECT_TRUE(report.is_ok()) << name;
      if (report.is_ok()) {
        EXPECT_TRUE(report->adopted.empty() && report->discarded.empty())
            << name << ": a restart would adopt " << report->adopted.size() << " and discard "
            << report->discarded.size() << " file(s)";
      }
    }
    return first_life;
  }

  ~CdcStreamCrashTest() override { set_log_level(LogLevel::kInfo); }

  // One trial per store call of a clean run, killed after that call. Returns the number of calls.
  uint64_t kill_at_every_store_call(const Wal& wal) {
    const uint64_t steps = trial(wal, std::nullopt, "clean run");
    for (uint64_t k = 0; k < steps; ++k) {
      trial(wal, k, "killed after store call " + std::to_string(k) + " of " + std::to_string(steps));
      if (HasFailure()) break;  // the first failing step tells enough
    }
    EXPECT_EQ(violations_, 0);
    return steps;
  }

  TaskConfig config_;
  std::vector<SourceTable> tables_;
  std::string prefix_;
  std::chrono::steady_clock::time_point steady_{};
  std::chrono::system_clock::time_point wall_ = std::chrono::system_clock::time_point() + std::chrono::hours(500000);
  int violations_ = 0;
  std::set<int> removed_tables_;  // tables whose objects the test expects removed (not checked by check_flush)
  std::function<Result<CatalogSnapshot>()> catalog_;  // every process's catalog readings, when set
  Status last_error_;
};

TEST_F(CdcStreamCrashTest, CleanRunWritesEveryChangeOnceAndConfirmsOnlyWhatIsDurable) {
  const Wal wal = make_wal(7, 60);
  const uint64_t steps = trial(wal, std::nullopt, "clean run");
  EXPECT_GT(steps, 20u);  // files, intents, checkpoints: enough steps for the crash trials to mean something
  EXPECT_EQ(violations_, 0);
}

TEST_F(CdcStreamCrashTest, KillAtEveryStoreStepThenRestartLosesAndDuplicatesNothing) {
  const Wal wal = make_wal(11, 60);
  kill_at_every_store_call(wal);
}

// A spill that fails (here: its directory cannot be created) while the budget makes room for another table's
// changes: the failed writer lost its open file, so no status update may confirm past it, and the stream stops with
// the writer's error; the next run (with a usable spill directory) writes every change once.
TEST_F(CdcStreamCrashTest, AFailedSpillStopsTheStreamWithoutConfirmingTheLostChanges) {
  const auto dir = std::filesystem::temp_directory_path() / ("pgs3-cdc-stream-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "plain-file") << "not a directory"; }
  // Files stay open across many transactions and grow past a spill file's write buffer (64 KiB), so the budget's
  // spills have something to move.
  config_.target.s3.cdc_min_file_size_kb = 1024;
  const Wal wal = make_wal(17, 600);
  MemoryStore store;
  Slot slot;
  create_task(store, slot);
  MemoryBudget tiny(4096);
  EXPECT_FALSE(run_process(store, slot, wal, "broken spill", &tiny, (dir / "plain-file" / "spill").string()));
  EXPECT_EQ(last_error_.code(), StatusCode::kIoError) << last_error_.message();
  EXPECT_NE(last_error_.message().find("cannot create spill directory"), std::string::npos) << last_error_.message();
  EXPECT_LT(slot.confirmed_flush, wal.txns.back().commit_lsn) << "the failure stopped the stream before its end";
  MemoryBudget budget(4096);
  EXPECT_TRUE(run_process(store, slot, wal, "after the fix", &budget, (dir / "spill").string()));
  for (int t = 0; t < kTables; ++t) {
    const std::multiset<int> ids = durable_ids(store, t);
    for (const Txn& txn : wal.txns) {
      for (const auto& [table, id] : txn.rows) {
        if (table == t) {
          EXPECT_EQ(ids.count(id), 1u) << "change id " << id << " of table t" << t;
        }
      }
    }
  }
  EXPECT_EQ(slot.confirmed_flush, wal.end);
  EXPECT_EQ(violations_, 0);
  std::filesystem::remove_all(dir);
}

// PreserveTransactions: every table's changes go to one TransactionFileWriter, whose durable position lives in one
// checkpoint entry.
TEST_F(CdcStreamCrashTest, TransactionFilesKillAtEveryStoreStepThenRestartLosesAndDuplicatesNothing) {
  config_.target.s3.preserve_transactions = true;
  config_.target.s3.cdc_path = "txn";
  const Wal wal = make_wal(13, 60);
  kill_at_every_store_call(wal);
}

// ALTER TABLE ... RENAME while streaming: pgoutput describes the table again under its new name, with the same OID.
// The stream stops (kBadInput, naming both names) before the renamed table's change, and no status update
// confirms that transaction; nothing is written under the new name.
TEST_F(CdcStreamCrashTest, ARenameStopsTheStreamBeforeConfirmingTheRenamedTablesChange) {
  Wal wal = make_wal(19, 40);
  wal.txns[20].renamed[0] = "t0_renamed";
  wal.txns[20].rows.emplace_back(0, 100000);
  MemoryStore store;
  Slot slot;
  create_task(store, slot);
  EXPECT_FALSE(run_process(store, slot, wal, "rename"));
  EXPECT_EQ(last_error_.code(), StatusCode::kBadInput) << last_error_.message();
  EXPECT_NE(last_error_.message().find("table \"public\".\"t0\" (relation OID 16384) was renamed to "
                                       "\"public\".\"t0_renamed\""),
            std::string::npos)
      << last_error_.message();
  EXPECT_LT(slot.confirmed_flush, wal.txns[20].commit_lsn);
  const std::string renamed = table_prefix(config_.target.s3, "public", "t0_renamed");
  for (const auto& [key, data] : store.objects) EXPECT_NE(key.rfind(renamed, 0), 0u) << key;
  EXPECT_EQ(violations_, 0);
}

// A selected table the task does not know (a FOR ALL TABLES publication streams a table created after the full
// load): the stream stops at its Relation message, before its first change, and confirms nothing of it.
TEST_F(CdcStreamCrashTest, ASelectedTableTheTaskDoesNotKnowStopsTheStreamBeforeItsFirstChange) {
  Wal wal = make_wal(23, 40);
  wal.txns[15].rows.emplace_back(2, 100000);  // OID 16386, "t2": not among the task's tables
  MemoryStore store;
  Slot slot;
  create_task(store, slot);
  EXPECT_FALSE(run_process(store, slot, wal, "new table"));
  EXPECT_EQ(last_error_.code(), StatusCode::kBadInput) << last_error_.message();
  EXPECT_NE(last_error_.message().find("table \"public\".\"t2\" (relation OID 16386) is selected by tableMappings"),
            std::string::npos)
      << last_error_.message();
  EXPECT_LT(slot.confirmed_flush, wal.txns[15].commit_lsn);
  for (const auto& [key, data] : store.objects) EXPECT_EQ(key.find("/t2/"), std::string::npos) << key;
}

// DROP TABLE (pgoutput sends nothing): the catalog reading no longer lists t1. Its changes up to the WAL position read
// with the catalog are still written; then HandleSourceTableDropped removes its objects (true) or keeps them
// (false), and its entry is marked dropped. The other table is untouched and every change of it is written once.
class CdcStreamDropTest : public CdcStreamCrashTest, public ::testing::WithParamInterface<bool> {};

TEST_P(CdcStreamDropTest, ADroppedTablesLastChangesAreWrittenThenTheDropPolicyApplies) {
  config_.cdc.handle_source_table_dropped = GetParam();
  if (GetParam()) removed_tables_ = {1};
  Wal wal = make_wal(29, 60);
  for (size_t i = 30; i < wal.txns.size(); ++i) {
    for (auto& row : wal.txns[i].rows) row.first = 0;  // t1 is gone after transaction 29
  }
  CatalogSnapshot catalog;
  catalog.tables = {{kFirstOid, "public", "t0", false}};
  catalog.wal_insert_lsn = wal.txns[29].end_lsn;
  MemoryStore store;
  Slot slot;
  create_task(store, slot);
  ASSERT_TRUE(run_process(store, slot, wal, "drop", nullptr, {}, [&] { return catalog; })) << last_error_.message();
  EXPECT_TRUE(saved_entry(store, 1).dropped);
  const std::multiset<int> t1 = durable_ids(store, 1);
  for (const Txn& txn : wal.txns) {
    for (const auto& [table, id] : txn.rows) {
      if (table == 1) {
        EXPECT_EQ(t1.count(id), GetParam() ? 0u : 1u) << "change id " << id << " of the dropped t1";
      }
    }
  }
  const std::multiset<int> t0 = durable_ids(store, 0);
  for (const Txn& txn : wal.txns) {
    for (const auto& [table, id] : txn.rows) {
      if (table == 0) {
        EXPECT_EQ(t0.count(id), 1u) << "change id " << id << " of t0";
      }
    }
  }
  EXPECT_EQ(slot.confirmed_flush, wal.end);
  EXPECT_EQ(violations_, 0);
}

INSTANTIATE_TEST_SUITE_P(HandleSourceTableDropped, CdcStreamDropTest, ::testing::Bool());

// The drop's handling (flush, checkpoint entry marked dropped, its save) killed at every store call: with
// HandleSourceTableDropped false, every change of the dropped table, as of the other, is still written exactly once.
TEST_F(CdcStreamCrashTest, DroppedTableKillAtEveryStoreStepThenRestartLosesAndDuplicatesNothing) {
  config_.cdc.handle_source_table_dropped = false;
  Wal wal = make_wal(31, 40);
  for (size_t i = 20; i < wal.txns.size(); ++i) {
    for (auto& row : wal.txns[i].rows) row.first = 0;  // t1 is gone after transaction 19
  }
  CatalogSnapshot catalog;
  catalog.tables = {{kFirstOid, "public", "t0", false}};
  catalog.wal_insert_lsn = wal.txns[19].end_lsn;
  catalog_ = [catalog] { return catalog; };
  kill_at_every_store_call(wal);
}

}  // namespace
}  // namespace pgs3
