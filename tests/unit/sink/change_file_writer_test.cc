#include "sink/change_file_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "format/parquet_read/parquet_footer.h"
#include "format/parquet_read/parquet_reader.h"
#include "rules/time_zone.h"
#include "sink/memory_budget.h"
#include "sink/transaction_file_writer.h"
#include "store/local_store.h"
#include "testing/versioned_store.h"

namespace pgs3 {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::system_clock;
using std::chrono::year;

constexpr uint32_t kInt4 = 23;
constexpr uint32_t kText = 25;
constexpr uint32_t kOid = 16384;

system_clock::time_point utc(int y, unsigned m, unsigned d, int h, int min) {
  return sys_days{year{y} / m / d} + hours{h} + minutes{min};
}

// Microseconds since 2000-01-01 UTC, as TransactionBegin::commit_time_us.
int64_t pg_time(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t - utc(2000, 1, 1, 0, 0)).count();
}

TupleValue text(std::string_view s) { return TupleValue{TupleValueKind::kText, s}; }
TupleValue null_value() { return TupleValue{}; }
TupleValue toast() { return TupleValue{TupleValueKind::kUnchangedToast, {}}; }

RowChange insert(uint64_t lsn, uint32_t seq, std::vector<TupleValue> row) {
  RowChange c;
  c.op = ChangeOp::kInsert;
  c.position = {lsn, seq};
  c.relation_oid = kOid;
  c.new_tuple = std::move(row);
  return c;
}

RowChange update(uint64_t lsn, uint32_t seq, std::vector<TupleValue> row, OldTupleKind old_kind = OldTupleKind::kNone,
                 std::vector<TupleValue> old = {}) {
  RowChange c = insert(lsn, seq, std::move(row));
  c.op = ChangeOp::kUpdate;
  c.old_kind = old_kind;
  c.old_tuple = std::move(old);
  return c;
}

RowChange delete_row(uint64_t lsn, uint32_t seq, std::vector<TupleValue> old,
                     OldTupleKind old_kind = OldTupleKind::kKey) {
  RowChange c;
  c.op = ChangeOp::kDelete;
  c.position = {lsn, seq};
  c.relation_oid = kOid;
  c.old_kind = old_kind;
  c.old_tuple = std::move(old);
  return c;
}

// public.orders (id int4 key, status text, payload text) under REPLICA IDENTITY DEFAULT.
RelationDescriptor orders(ReplicaIdentity identity = ReplicaIdentity::kDefault) {
  RelationDescriptor r;
  r.oid = kOid;
  r.schema = "public";
  r.name = "orders";
  r.replica_identity = identity;
  const bool full = identity == ReplicaIdentity::kFull;
  r.columns = {RelationColumn{"id", true, kInt4, -1}, RelationColumn{"status", full, kText, -1},
               RelationColumn{"payload", full, kText, -1}};
  return r;
}

SourceColumn catalog_column(const char* name, uint32_t oid, const char* type_name, bool not_null) {
  SourceColumn c;
  c.name = name;
  c.type_oid = c.base_type_oid = oid;
  c.base_type_name = type_name;
  c.type_text = type_name;
  c.not_null = not_null;
  return c;
}

// An ObjectStore that writes to a LocalStore and records the options each object was created with.
class RecordingStore final : public ObjectStore {
 public:
  explicit RecordingStore(std::string root) : local_(std::move(root)) {}
  std::string describe() const override { return "recording " + local_.describe(); }
  using ObjectStore::create;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions& options) override {
    created.emplace_back(key, options);
    return local_.create(key, options);
  }
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override { return local_.list(prefix); }
  Result<std::optional<std::string>> get(const std::string& key) override { return local_.get(key); }
  Status remove(const std::string& key) override { return local_.remove(key); }
  Result<std::optional<VersionedObject>> get_versioned(const std::string& key) override {
    return test_support::get_versioned_via(*this, key);
  }
  Result<std::string> put_if(const std::string& key, std::string_view bytes, const std::string& expected) override {
    return test_support::put_if_via(*this, key, bytes, expected);
  }

  std::vector<std::pair<std::string, ObjectOptions>> created;

 private:
  LocalStore local_;
};

// The value of row `row` of a column as text (nullopt for NULL): strings as they are, INT32 in decimal.
std::optional<std::string> cell(const RecordBatch& batch, size_t column, size_t row) {
  const ColumnVector& v = batch.columns[column];
  if (!v.defined()[row]) return std::nullopt;
  size_t index = 0;
  for (size_t r = 0; r < row; ++r) index += v.defined()[r];
  if (v.physical() == PhysicalType::kInt32) return std::to_string(v.fixed_at<int32_t>(index));
  return std::string(v.bytes_at(index));
}

std::vector<std::optional<std::string>> column_values(const RecordBatch& batch, size_t column) {
  std::vector<std::optional<std::string>> out;
  for (size_t r = 0; r < batch.rows(); ++r) out.push_back(cell(batch, column, r));
  return out;
}

std::vector<std::string> names(const std::vector<ColumnSpec>& schema) {
  std::vector<std::string> out;
  for (const auto& s : schema) out.push_back(s.name);
  return out;
}

std::string metadata(const KeyValueMetadata& kv, const std::string& key) {
  for (const auto& [k, v] : kv) {
    if (k == key) return v;
  }
  return "<missing " + key + ">";
}

using Values = std::vector<std::optional<std::string>>;
const std::nullopt_t kNull = std::nullopt;

class ChangeFileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-change-file-writer-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    store_ = std::make_unique<RecordingStore>(root_.string());
    settings_.data_format = DataFormat::kParquet;
    settings_.bucket_folder = "raw/app";
  }
  void TearDown() override { fs::remove_all(root_); }

  ChangeWriterOptions options() {
    ChangeWriterOptions o;
    o.clock = [this] { return clock_; };
    return o;
  }

  std::unique_ptr<ChangeFileWriter> writer(ChangeWriterOptions o, RelationDescriptor rel = orders()) {
    auto w = std::make_unique<ChangeFileWriter>(*store_, settings_, std::move(o));
    Status st = w->set_relation(rel);
    EXPECT_TRUE(st.is_ok()) << st.message();
    return w;
  }
  std::unique_ptr<ChangeFileWriter> writer() { return writer(options()); }

  std::vector<std::string> keys() {
    auto listed = store_->list("");
    EXPECT_TRUE(listed.is_ok());
    std::vector<std::string> out;
    if (listed.is_ok()) {
      for (const auto& o : *listed) out.push_back(o.key);
    }
    return out;
  }

  std::string object(const std::string& key) {
    auto got = store_->get(key);
    EXPECT_TRUE(got.is_ok() && got->has_value()) << key;
    return got.is_ok() && got->has_value() ? **got : std::string();
  }

  RecordBatch read(const std::string& key) {
    auto batch = read_parquet_file(object(key));
    EXPECT_TRUE(batch.is_ok()) << batch.status().message();
    return batch.is_ok() ? std::move(batch).value() : RecordBatch();
  }

  fs::path root_;
  std::unique_ptr<RecordingStore> store_;
  S3Settings settings_;
  system_clock::time_point clock_ = utc(2026, 11, 30, 23, 30);
  const int64_t commit_us_ = pg_time(utc(2026, 11, 30, 23, 29)) + 123456;
};

#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    Status assert_ok_status = (expr);                                    \
    ASSERT_TRUE(assert_ok_status.is_ok()) << assert_ok_status.message(); \
  } while (false)

TEST_F(ChangeFileWriterTest, InsertsUpdatesAndDeletesCarryOpAndValues) {
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p1")}), commit_us_));
  ASSERT_OK(w->append(insert(0x100, 2, {text("2"), text("new"), null_value()}), commit_us_));
  ASSERT_OK(w->append(update(0x100, 3, {text("1"), text("paid"), text("p1b")}), commit_us_));
  ASSERT_OK(w->append(delete_row(0x100, 4, {text("2"), null_value(), null_value()}), commit_us_));
  ASSERT_OK(w->end_transaction(0x100));
  ASSERT_OK(w->flush());

  ASSERT_EQ(keys(), std::vector<std::string>{"raw/app/public/orders/20261130-233000000.parquet"});
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(names(b.schema), (std::vector<std::string>{"Op", "id", "status", "payload"}));
  EXPECT_EQ(column_values(b, 0), (Values{"I", "I", "U", "D"}));
  EXPECT_EQ(column_values(b, 1), (Values{"1", "2", "1", "2"}));
  EXPECT_EQ(column_values(b, 2), (Values{"new", "new", "paid", kNull}));
  EXPECT_EQ(column_values(b, 3), (Values{"p1", kNull, "p1b", kNull}));
  EXPECT_EQ(w->stats().inserts, 2u);
  EXPECT_EQ(w->stats().updates, 1u);
  EXPECT_EQ(w->stats().deletes, 1u);
  EXPECT_EQ(w->stats().files, 1u);
  EXPECT_EQ(w->stats().rows, 4u);
}

TEST_F(ChangeFileWriterTest, DeleteCarriesKeyOnlySoNonKeyColumnsAreOptional) {
  ChangeWriterOptions o = options();
  o.catalog_columns = {catalog_column("id", kInt4, "int4", true), catalog_column("status", kText, "text", true),
                       catalog_column("payload", kText, "text", false)};
  auto w = writer(std::move(o));
  ASSERT_OK(w->append(delete_row(0x100, 1, {text("7"), null_value(), null_value()}), commit_us_));
  ASSERT_OK(w->flush());
  ASSERT_EQ(keys().size(), 1u);
  auto footer = read_parquet_footer(object(keys()[0]));
  ASSERT_TRUE(footer.is_ok()) << footer.status().message();
  ASSERT_EQ(footer->schema.size(), 4u);
  EXPECT_FALSE(footer->schema[0].nullable) << "Op";
  EXPECT_FALSE(footer->schema[1].nullable) << "id: a NOT NULL key column stays REQUIRED";
  EXPECT_TRUE(footer->schema[2].nullable) << "status: NOT NULL in the source, but NULL in DELETE rows";
  EXPECT_TRUE(footer->schema[3].nullable) << "payload";
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(column_values(b, 0), (Values{"D"}));
  EXPECT_EQ(column_values(b, 1), (Values{"7"}));
  EXPECT_EQ(column_values(b, 2), (Values{kNull}));
}

TEST_F(ChangeFileWriterTest, ReplicaIdentityFullFillsUnchangedToastAndDeletesCarryTheWholeRow) {
  auto w = writer(options(), orders(ReplicaIdentity::kFull));
  ASSERT_OK(w->append(update(0x100, 1, {text("1"), text("paid"), toast()}, OldTupleKind::kFull,
                             {text("1"), text("new"), text("a long TOASTed document")}),
                      commit_us_));
  ASSERT_OK(
      w->append(delete_row(0x100, 2, {text("1"), text("paid"), text("a long TOASTed document")}, OldTupleKind::kFull),
                commit_us_));
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(column_values(b, 0), (Values{"U", "D"}));
  EXPECT_EQ(column_values(b, 2), (Values{"paid", "paid"}));
  EXPECT_EQ(column_values(b, 3), (Values{"a long TOASTed document", "a long TOASTed document"}));
  EXPECT_EQ(w->stats().unchanged_toast_nulls, 0u);
  EXPECT_TRUE(w->unchanged_toast_nulls().empty());
}

TEST_F(ChangeFileWriterTest, UnchangedToastWithoutFullOldRowIsNullAndCounted) {
  auto w = writer();
  ASSERT_OK(w->append(update(0x100, 1, {text("1"), text("paid"), toast()}), commit_us_));
  // The key changed: the old key is sent, but it does not hold the non-key column.
  ASSERT_OK(w->append(
      update(0x100, 2, {text("2"), text("paid"), toast()}, OldTupleKind::kKey, {text("1"), null_value(), null_value()}),
      commit_us_));
  EXPECT_EQ(w->stats().unchanged_toast_nulls, 2u);
  ASSERT_EQ(w->unchanged_toast_nulls().size(), 1u);
  EXPECT_EQ(w->unchanged_toast_nulls().at("payload"), 2u);
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  // The second UPDATE changed the key: a D row with the old key comes before its U row.
  EXPECT_EQ(column_values(b, 0), (Values{"U", "D", "U"}));
  EXPECT_EQ(column_values(b, 1), (Values{"1", "1", "2"}));
  EXPECT_EQ(column_values(b, 3), (Values{kNull, kNull, kNull}));
}

TEST_F(ChangeFileWriterTest, CdcInsertsOnlyWritesInsertsWithoutOpColumn) {
  settings_.cdc_inserts_only = true;
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(update(0x100, 2, {text("1"), text("paid"), text("p")}), commit_us_));
  ASSERT_OK(w->append(delete_row(0x100, 3, {text("1"), null_value(), null_value()}), commit_us_));
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(names(b.schema), (std::vector<std::string>{"id", "status", "payload"}));
  EXPECT_EQ(column_values(b, 1), (Values{"new"}));
  EXPECT_EQ(w->stats().filtered, 2u);
}

TEST_F(ChangeFileWriterTest, CdcInsertsOnlyWithIncludeOpForFullLoadKeepsOpColumn) {
  settings_.cdc_inserts_only = true;
  settings_.include_op_for_full_load = true;
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(update(0x100, 2, {text("1"), text("paid"), text("p")}), commit_us_));
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(names(b.schema), (std::vector<std::string>{"Op", "id", "status", "payload"}));
  EXPECT_EQ(column_values(b, 0), (Values{"I"}));
}

TEST_F(ChangeFileWriterTest, CdcInsertsAndUpdatesDropsDeletes) {
  settings_.cdc_inserts_and_updates = true;
  settings_.include_op_for_full_load = true;
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(update(0x100, 2, {text("1"), text("paid"), text("p")}), commit_us_));
  ASSERT_OK(w->append(delete_row(0x100, 3, {text("1"), null_value(), null_value()}), commit_us_));
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(column_values(b, 0), (Values{"I", "U"}));
  EXPECT_EQ(w->stats().filtered, 1u);

  settings_.include_op_for_full_load = false;
  auto w2 = writer();
  EXPECT_EQ(names(w2->schema()), (std::vector<std::string>{"id", "status", "payload"}));
}

TEST_F(ChangeFileWriterTest, TimestampColumnHoldsTheCommitTime) {
  settings_.timestamp_column_name = "commit_ts";
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("new"), text("p")}), commit_us_ + 1));
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(names(b.schema), (std::vector<std::string>{"Op", "commit_ts", "id", "status", "payload"}));
  EXPECT_EQ(column_values(b, 1), (Values{"2026-11-30 23:29:00.123456", "2026-11-30 23:29:00.123457"}));
}

TEST_F(ChangeFileWriterTest, RotatesBySizeOnlyAtTransactionEnd) {
  settings_.cdc_min_file_size_kb = 1;
  auto w = writer();
  std::deque<std::string> payloads;
  for (uint32_t i = 1; i <= 40; ++i) {
    payloads.push_back(std::string(100, static_cast<char>('a' + i % 26)) + std::to_string(i));
    ASSERT_OK(w->append(insert(0x100, i, {text("1"), text("new"), text(payloads.back())}), commit_us_));
  }
  EXPECT_TRUE(keys().empty()) << "a file is not closed inside a transaction";
  EXPECT_TRUE(w->in_transaction());
  ASSERT_OK(w->poll(clock_ + hours(1)));
  EXPECT_TRUE(keys().empty()) << "poll() does not close a file inside a transaction";
  ASSERT_OK(w->end_transaction(0x100));
  ASSERT_EQ(keys().size(), 1u) << "4 KB > CdcMinFileSize 1 KB: closed at the end of the transaction";
  EXPECT_EQ(read(keys()[0]).rows(), 40u);

  // A small transaction stays open.
  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("new"), text("x")}), commit_us_));
  ASSERT_OK(w->end_transaction(0x200));
  EXPECT_EQ(keys().size(), 1u);
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x200u);
}

TEST_F(ChangeFileWriterTest, ChangeOfALaterTransactionEndsTheOpenOne) {
  settings_.cdc_min_file_size_kb = 1;
  auto w = writer();
  std::string big(2000, 'x');
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text(big)}), commit_us_));
  // No end_transaction(0x100) call: the next transaction's first change implies it.
  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("new"), text("y")}), commit_us_));
  ASSERT_EQ(keys().size(), 1u);
  EXPECT_EQ(w->last_file()->last, (ChangePosition{0x100, 1}));
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x200u);
}

TEST_F(ChangeFileWriterTest, MaxFileBytesSplitsAHugeTransaction) {
  ChangeWriterOptions o = options();
  o.max_file_bytes = 1500;
  o.staging_rows = 4;
  auto w = writer(std::move(o));
  std::deque<std::string> ids;
  std::deque<std::string> payloads;
  for (uint32_t i = 1; i <= 60; ++i) {
    ids.push_back(std::to_string(i));
    payloads.push_back(std::string(90, static_cast<char>('a' + i % 26)) + ids.back());
    ASSERT_OK(w->append(insert(0x100, i, {text(ids.back()), text("new"), text(payloads.back())}), commit_us_));
  }
  ASSERT_OK(w->end_transaction(0x100));
  ASSERT_OK(w->flush());
  std::vector<std::string> k = keys();
  ASSERT_GE(k.size(), 2u);
  uint64_t rows = 0;
  uint32_t next_seq = 1;
  for (const auto& key : k) {
    auto footer = read_parquet_footer(object(key));
    ASSERT_TRUE(footer.is_ok());
    rows += static_cast<uint64_t>(footer->num_rows);
    auto first = parse_change_position(metadata(footer->key_value_metadata, "pgs3.position.first"));
    auto last = parse_change_position(metadata(footer->key_value_metadata, "pgs3.position.last"));
    ASSERT_TRUE(first && last);
    EXPECT_EQ(first->seq, next_seq) << key << ": positions continue where the previous file stopped";
    EXPECT_EQ(last->seq - first->seq + 1, static_cast<uint32_t>(footer->num_rows));
    next_seq = last->seq + 1;
  }
  EXPECT_EQ(rows, 60u);
}

TEST_F(ChangeFileWriterTest, RotatesByTimeThroughPoll) {
  settings_.cdc_max_batch_interval_s = 60;
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->end_transaction(0x100));
  ASSERT_OK(w->poll(clock_ + seconds(59)));
  EXPECT_TRUE(keys().empty());
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x100u);
  ASSERT_OK(w->poll(clock_ + seconds(60)));
  EXPECT_EQ(keys().size(), 1u);
  EXPECT_EQ(w->oldest_pending_commit_lsn(), std::nullopt);

  // A transaction that outlives the interval is closed when it ends.
  const auto opened = clock_;
  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("new"), text("p")}), commit_us_));
  clock_ = opened + seconds(90);
  ASSERT_OK(w->append(insert(0x200, 2, {text("3"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->poll(clock_));
  EXPECT_EQ(keys().size(), 1u);
  ASSERT_OK(w->end_transaction(0x200));
  EXPECT_EQ(keys().size(), 2u);
}

TEST_F(ChangeFileWriterTest, FileNamesAreUniqueAndSortInCreationOrderWithinOneMillisecond) {
  auto w = writer();
  std::vector<std::string> created;
  for (uint32_t i = 1; i <= 4; ++i) {
    ASSERT_OK(w->append(insert(0x100 * i, 1, {text("1"), text("new"), text("p")}), commit_us_));
    ASSERT_OK(w->flush());  // the clock does not move: all four files are created in the same millisecond
    created.push_back(w->last_file()->key);
  }
  EXPECT_EQ(created[0], "raw/app/public/orders/20261130-233000000.parquet");
  EXPECT_EQ(created[1], "raw/app/public/orders/20261130-233000001.parquet");
  EXPECT_TRUE(std::is_sorted(created.begin(), created.end()));
  EXPECT_EQ(std::set<std::string>(created.begin(), created.end()).size(), 4u);
  EXPECT_EQ(keys(), created);
}

TEST_F(ChangeFileWriterTest, OrderAfterExistingFileAvoidsOverwritingAfterRestart) {
  auto w = writer();
  EXPECT_TRUE(w->order_after("20261130-233500000.parquet"));  // the previous process's clock was ahead
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->flush());
  EXPECT_EQ(w->last_file()->key, "raw/app/public/orders/20261130-233500001.parquet");
}

TEST_F(ChangeFileWriterTest, PositionsAreInParquetMetadataAndS3Metadata) {
  ChangeWriterOptions o = options();
  o.object_options.tags = {{"team", "data"}};
  RelationDescriptor rel = orders();
  rel.schema = "Vendas é";
  auto w = writer(std::move(o), rel);
  ASSERT_OK(w->append(insert(0x16B6C50, 3, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(insert(0x16B6C50, 4, {text("2"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(insert(0x16B7000, 1, {text("3"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->flush());

  ASSERT_EQ(store_->created.size(), 1u);
  const auto& [key, options] = store_->created[0];
  EXPECT_EQ(key, "raw/app/Vendas é/orders/20261130-233000000.parquet");
  auto footer = read_parquet_footer(object(key));
  ASSERT_TRUE(footer.is_ok()) << footer.status().message();
  const KeyValueMetadata& kv = footer->key_value_metadata;
  EXPECT_EQ(metadata(kv, "pgs3.position.first"), "0/16B6C50:3");
  EXPECT_EQ(metadata(kv, "pgs3.position.last"), "0/16B7000:1");
  EXPECT_EQ(metadata(kv, "pgs3.source.schema"), "Vendas é");
  EXPECT_EQ(metadata(kv, "pgs3.source.table"), "orders");
  EXPECT_EQ(metadata(kv, "pgs3.version"), PGS3_VERSION);

  const KeyValueMetadata& s3 = options.metadata;
  EXPECT_EQ(metadata(s3, "pgs3-position-first"), "0/16B6C50:3");
  EXPECT_EQ(metadata(s3, "pgs3-position-last"), "0/16B7000:1");
  EXPECT_EQ(metadata(s3, "pgs3-source-schema"), "Vendas%20%C3%A9");
  EXPECT_EQ(metadata(s3, "pgs3-source-table"), "orders");
  EXPECT_EQ(metadata(s3, "pgs3-version"), PGS3_VERSION);
  EXPECT_EQ(options.tags, (std::vector<std::pair<std::string, std::string>>{{"team", "data"}}));
  ASSERT_TRUE(w->last_file().has_value());
  EXPECT_EQ(w->last_file()->first, (ChangePosition{0x16B6C50, 3}));
  EXPECT_EQ(w->last_file()->rows, 3u);
}

TEST_F(ChangeFileWriterTest, SchemaChangeStartsANewFile) {
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->set_relation(orders()));  // the same descriptor again (a new session): nothing changes
  EXPECT_TRUE(keys().empty());
  RelationDescriptor altered = orders();
  altered.columns.push_back(RelationColumn{"qty", false, kInt4, -1});
  ASSERT_OK(w->set_relation(altered));  // ALTER TABLE ... ADD COLUMN inside the transaction
  ASSERT_EQ(keys().size(), 1u) << "the file with the old columns is closed";
  ASSERT_OK(w->append(insert(0x100, 3, {text("2"), text("new"), text("p"), text("5")}), commit_us_));
  ASSERT_OK(w->flush());
  std::vector<std::string> k = keys();
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(names(read(k[0]).schema), (std::vector<std::string>{"Op", "id", "status", "payload"}));
  RecordBatch b = read(k[1]);
  EXPECT_EQ(names(b.schema), (std::vector<std::string>{"Op", "id", "status", "payload", "qty"}));
  EXPECT_EQ(column_values(b, 4), (Values{"5"}));
  EXPECT_EQ(w->stats().schema_changes, 1u);

  RelationDescriptor renamed = altered;
  renamed.name = "purchase_orders";
  ASSERT_OK(w->set_relation(renamed));
  ASSERT_OK(w->append(insert(0x200, 1, {text("3"), text("new"), text("p"), text("6")}), commit_us_));
  ASSERT_OK(w->flush());
  EXPECT_EQ(w->last_file()->key.rfind("raw/app/public/purchase_orders/", 0), 0u) << w->last_file()->key;
}

TEST_F(ChangeFileWriterTest, DurablePositionAndOldestPendingMoveAsFilesCommit) {
  auto w = writer();
  EXPECT_EQ(w->durable_position(), std::nullopt);
  EXPECT_EQ(w->oldest_pending_commit_lsn(), std::nullopt);
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(insert(0x100, 2, {text("2"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->end_transaction(0x100));
  ASSERT_OK(w->append(insert(0x200, 1, {text("3"), text("new"), text("p")}), commit_us_));
  EXPECT_EQ(w->durable_position(), std::nullopt);
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x100u) << "the open file still holds transaction 0x100";
  ASSERT_OK(w->end_transaction(0x200));
  ASSERT_OK(w->flush());
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x200, 1}));
  EXPECT_EQ(w->oldest_pending_commit_lsn(), std::nullopt);

  ASSERT_OK(w->append(insert(0x300, 5, {text("4"), text("new"), text("p")}), commit_us_));
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x300u);
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x200, 1}));
  w->abort();  // not committed: not durable
  EXPECT_EQ(w->oldest_pending_commit_lsn(), std::nullopt);
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x200, 1}));
  EXPECT_EQ(keys().size(), 1u);
}

TEST_F(ChangeFileWriterTest, BeforeUploadSeesTheFileAndItsFailureUploadsNothing) {
  std::vector<FileSummary> seen;
  ChangeWriterOptions o = options();
  o.before_upload = [&](const FileSummary& f) {
    seen.push_back(f);
    return seen.size() == 1 ? Status::ok() : Status::unavailable("journal unreachable");
  };
  auto w = writer(std::move(o));
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->end_transaction(0x100));
  ASSERT_OK(w->flush());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].key, keys().at(0));
  EXPECT_EQ(seen[0].first, (ChangePosition{0x100, 1}));
  EXPECT_EQ(seen[0].last, (ChangePosition{0x100, 1}));
  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->end_transaction(0x200));
  EXPECT_FALSE(w->flush().is_ok());
  EXPECT_EQ(keys().size(), 1u) << "a file whose intent could not be recorded is not uploaded";
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x100, 1}));
}

TEST_F(ChangeFileWriterTest, SkipThroughDropsReplayedChanges) {
  auto w = writer();
  w->skip_through(ChangePosition{0x200, 2});
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x200, 2}));
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("old"), text("p")}), commit_us_));
  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("old"), text("p")}), commit_us_));
  ASSERT_OK(w->append(insert(0x200, 2, {text("3"), text("old"), text("p")}), commit_us_));
  EXPECT_EQ(w->oldest_pending_commit_lsn(), std::nullopt) << "replayed changes open no file";
  ASSERT_OK(w->append(insert(0x200, 3, {text("4"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(insert(0x300, 1, {text("5"), text("new"), text("p")}), commit_us_));
  // The stream reconnected and resent transaction 0x300, which is in the open file already.
  ASSERT_OK(w->append(insert(0x300, 1, {text("5"), text("dup"), text("p")}), commit_us_));
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(column_values(b, 1), (Values{"4", "5"}));
  EXPECT_EQ(w->stats().replayed, 4u);
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x300, 1}));
  EXPECT_EQ(w->last_file()->first, (ChangePosition{0x200, 3}));
}

TEST_F(ChangeFileWriterTest, TruncateClosesTheFileAndIsCounted) {
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  TruncateChange t;
  t.position = {0x100, 2};
  t.relation_oids = {kOid};
  ASSERT_OK(w->truncate(t));
  EXPECT_EQ(w->stats().truncates, 1u);
  ASSERT_EQ(keys().size(), 1u);
  EXPECT_EQ(read(keys()[0]).rows(), 1u);
  ASSERT_OK(w->append(insert(0x100, 3, {text("2"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->truncate(t));  // replayed
  EXPECT_EQ(w->stats().truncates, 1u);
  EXPECT_EQ(w->stats().replayed, 1u);
}

TEST_F(ChangeFileWriterTest, DatePartitionFolderIsTheFirstChangesCommitDate) {
  settings_.date_partition.enabled = true;
  auto seoul = TimeZone::locate("Asia/Seoul");
  ASSERT_TRUE(seoul.is_ok()) << seoul.status().message();
  settings_.date_partition.timezone = "Asia/Seoul";
  settings_.date_partition.zone = *seoul;
  auto w = writer();
  // Committed 2026-11-30 23:29 UTC = 2026-12-01 08:29 in Seoul; the file is created 23:30 UTC = 08:30 in Seoul.
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  EXPECT_EQ(w->open_file_key(), "raw/app/public/orders/2026/12/01/20261201-083000000.parquet");
  ASSERT_OK(w->flush());
  EXPECT_EQ(keys(), std::vector<std::string>{"raw/app/public/orders/2026/12/01/20261201-083000000.parquet"});
}

TEST_F(ChangeFileWriterTest, CsvChangeFileRows) {
  settings_.data_format = DataFormat::kCsv;
  settings_.timestamp_column_name = "ts";
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("a,b")}), commit_us_));
  ASSERT_OK(w->append(update(0x100, 2, {text("1"), text("paid"), toast()}), commit_us_));
  ASSERT_OK(w->append(delete_row(0x100, 3, {text("1"), null_value(), null_value()}), commit_us_));
  ASSERT_OK(w->flush());
  ASSERT_EQ(keys(), std::vector<std::string>{"raw/app/public/orders/20261130-233000000.csv"});
  EXPECT_EQ(object(keys()[0]),
            "I,2026-11-30 23:29:00.123456,1,new,\"a,b\"\n"
            "U,2026-11-30 23:29:00.123456,1,paid,\n"
            "D,2026-11-30 23:29:00.123456,1,,\n");
  const KeyValueMetadata& s3 = store_->created[0].second.metadata;
  EXPECT_EQ(metadata(s3, "pgs3-position-first"), "0/100:1");
  EXPECT_EQ(metadata(s3, "pgs3-position-last"), "0/100:3");
}

// PreserveTransactions: one writer for every table; rows in stream order, each naming its table and schema after
// the Op (DMS: "operation,table_name,database_schema_name,field_value,..."), in <BucketFolder>/<CdcPath>/CDC_TXN-*.csv
// whatever DataFormat says.
TEST_F(ChangeFileWriterTest, TransactionFilesHoldEveryTablesRowsInStreamOrder) {
  settings_.preserve_transactions = true;
  settings_.cdc_path = "txn";
  settings_.timestamp_column_name = "ts";
  ChangeWriterOptions o = options();
  auto w = std::make_unique<TransactionFileWriter>(*store_, settings_, std::move(o));
  RelationDescriptor items;
  items.oid = kOid + 1;
  items.schema = "sales";
  items.name = "items";
  items.columns = {RelationColumn{"sku", true, kText, -1}};
  ASSERT_OK(w->set_relation(orders()));
  ASSERT_OK(w->set_relation(items));
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  RowChange item = insert(0x100, 2, {text("a-1")});
  item.relation_oid = items.oid;
  ASSERT_OK(w->append(item, commit_us_));
  ASSERT_OK(w->append(update(0x100, 3, {text("1"), text("paid"), toast()}), commit_us_));
  ASSERT_OK(w->end_transaction(0x100));
  // Unchanged TOAST values are counted by table and column: the writer serves every table.
  EXPECT_EQ(w->unchanged_toast_nulls(), (std::map<std::string, uint64_t>{{"\"public\".\"orders\".payload", 1}}));
  RowChange gone;
  gone.op = ChangeOp::kDelete;
  gone.position = {0x200, 1};
  gone.relation_oid = items.oid;
  gone.old_kind = OldTupleKind::kKey;
  gone.old_tuple = {text("a-1")};
  ASSERT_OK(w->append(gone, commit_us_ + 1000000));
  ASSERT_OK(w->end_transaction(0x200));
  ASSERT_OK(w->flush());

  ASSERT_EQ(keys(), std::vector<std::string>{"raw/app/txn/CDC_TXN-20261130233000000.csv"});
  EXPECT_EQ(object(keys()[0]),
            "I,orders,public,2026-11-30 23:29:00.123456,1,new,p\n"
            "I,items,sales,2026-11-30 23:29:00.123456,a-1\n"
            "U,orders,public,2026-11-30 23:29:00.123456,1,paid,\n"
            "D,items,sales,2026-11-30 23:29:01.123456,a-1\n");
  const KeyValueMetadata& s3 = store_->created[0].second.metadata;
  EXPECT_EQ(metadata(s3, "pgs3-position-first"), "0/100:1");
  EXPECT_EQ(metadata(s3, "pgs3-position-last"), "0/200:1");
  EXPECT_EQ(metadata(s3, "pgs3-source-table"), "<missing pgs3-source-table>");
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x200, 1}));

  // A later writer (a restart) names its files after the ones in the target, and skips what they hold.
  auto again = std::make_unique<TransactionFileWriter>(*store_, settings_, options());
  EXPECT_TRUE(again->order_after("CDC_TXN-20261130233000000.csv"));
  again->skip_through({0x200, 1});
  ASSERT_OK(again->set_relation(items));
  ASSERT_OK(again->append(gone, commit_us_));
  EXPECT_EQ(again->stats().replayed, 1u);
  RowChange later = insert(0x300, 1, {text("b-2")});
  later.relation_oid = items.oid;
  ASSERT_OK(again->append(later, commit_us_));
  ASSERT_OK(again->flush());
  EXPECT_EQ(keys(), (std::vector<std::string>{"raw/app/txn/CDC_TXN-20261130233000000.csv",
                                              "raw/app/txn/CDC_TXN-20261130233000001.csv"}));
}

// A table's new descriptor closes the open transaction file (each file holds one column layout per table); another
// table's first descriptor does not.
TEST_F(ChangeFileWriterTest, TransactionFileClosesOnASchemaChangeOnly) {
  settings_.preserve_transactions = true;
  settings_.cdc_path = "txn";
  auto w = std::make_unique<TransactionFileWriter>(*store_, settings_, options());
  ASSERT_OK(w->set_relation(orders()));
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  RelationDescriptor items;
  items.oid = kOid + 1;
  items.schema = "sales";
  items.name = "items";
  items.columns = {RelationColumn{"sku", true, kText, -1}};
  ASSERT_OK(w->set_relation(items));
  EXPECT_EQ(w->stats().files, 0u);
  RelationDescriptor wider = orders();
  wider.columns.push_back(RelationColumn{"note", false, kText, -1});
  ASSERT_OK(w->set_relation(wider));
  EXPECT_EQ(w->stats().files, 1u);
  EXPECT_EQ(w->stats().schema_changes, 1u);
  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("new"), text("p"), text("n")}), commit_us_));
  ASSERT_OK(w->flush());
  EXPECT_EQ(object(keys()[1]), "I,orders,public,2,new,p,n\n");
}

TEST_F(ChangeFileWriterTest, MalformedChangeFailsTheWriterAndCommitsNothing) {
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  Status st = w->append(insert(0x100, 2, {text("x"), text("new"), text("p")}), commit_us_);
  EXPECT_EQ(st.code(), StatusCode::kDataError) << st.message();
  Status wrong_count = w->append(insert(0x100, 3, {text("1")}), commit_us_);
  EXPECT_EQ(wrong_count.code(), StatusCode::kDataError) << "the first failure sticks";
  EXPECT_FALSE(w->flush().is_ok());
  EXPECT_TRUE(keys().empty());
  EXPECT_EQ(w->durable_position(), std::nullopt);
}

// --- Memory budget and spill files. ---

// A table like orders(), with its own oid and name.
RelationDescriptor table(uint32_t oid, const std::string& name) {
  RelationDescriptor r = orders();
  r.oid = oid;
  r.name = name;
  return r;
}

// Printable bytes that compress poorly, the same for the same seed.
std::string noise(size_t n, uint64_t seed) {
  std::string s(n, ' ');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>('!' + x % 90);
  }
  return s;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  return out;
}

class ChangeFileWriterSpillTest : public ChangeFileWriterTest {
 protected:
  static constexpr int kTables = 3;
  static constexpr uint32_t kRowsPerTable = 4000;

  // Writes kTables tables of kRowsPerTable rows of ~300 bytes each, interleaved in one transaction, into a new store
  // under root_/`name`; returns the objects by key. With `budget`, checks after every change that the total held in
  // memory stays within the budget's limit.
  std::map<std::string, std::string> write_tables(const std::string& name, MemoryBudget* budget) {
    RecordingStore store((root_ / name).string());
    std::vector<std::unique_ptr<ChangeFileWriter>> writers;
    for (int t = 0; t < kTables; ++t) {
      ChangeWriterOptions o = options();
      o.staging_rows = 100;
      o.memory_budget = budget;
      o.spill_directory = (root_ / "spill").string();
      writers.push_back(std::make_unique<ChangeFileWriter>(store, settings_, std::move(o)));
      EXPECT_TRUE(writers.back()->set_relation(table(kOid + t, "t" + std::to_string(t))).is_ok());
    }
    uint32_t seq = 0;
    bool spilled_while_open = false;
    for (uint32_t i = 0; i < kRowsPerTable; ++i) {
      for (int t = 0; t < kTables; ++t) {
        const std::string id = std::to_string(i);
        const std::string payload = noise(280 + i % 40, i * kTables + t);
        RowChange c = insert(0x100, ++seq, {text(id), text(i % 3 ? "new" : "paid"), text(payload)});
        c.relation_oid = kOid + t;
        Status st = writers[t]->append(c, commit_us_ + i);
        EXPECT_TRUE(st.is_ok()) << st.message();
        if (!st.is_ok()) return {};
        if (budget) {
          EXPECT_LE(budget->bytes_in_memory(), budget->limit()) << "after row " << i << " of table " << t;
          if (budget->bytes_in_memory() > budget->limit()) return {};
          spilled_while_open = spilled_while_open || writers[t]->open_file_spilled();
        }
      }
    }
    if (budget) {
      EXPECT_TRUE(spilled_while_open);
    }
    for (auto& w : writers) {
      EXPECT_TRUE(w->end_transaction(0x100).is_ok());
      EXPECT_TRUE(w->flush().is_ok());
      EXPECT_EQ(w->memory_bytes(), 0u);
    }
    std::map<std::string, std::string> objects;
    auto listed = store.list("");
    EXPECT_TRUE(listed.is_ok());
    for (const auto& info : *listed) objects[info.key] = **store.get(info.key);
    return objects;
  }

  // `byte_identical`: spilling changes no byte of the files (CSV); otherwise (Parquet) the rows and values are the
  // same and only the row-group layout may differ: the budget closes open row groups early.
  // `budget_bytes`: the limit (a gzip file's deflate state alone holds 256 KiB, which the budget counts).
  std::map<std::string, std::string> expect_same_files_with_and_without_budget(bool byte_identical,
                                                                               uint64_t budget_bytes = 1 << 20) {
    settings_.cdc_min_file_size_kb = 1 << 20;  // one file per table, closed by flush()
    const auto plain = write_tables("plain", nullptr);
    MemoryBudget budget(budget_bytes);
    const auto spilled = write_tables("budget", &budget);
    EXPECT_EQ(plain.size(), static_cast<size_t>(kTables));
    EXPECT_EQ(spilled.size(), plain.size());
    for (const auto& [key, bytes] : plain) {
      EXPECT_TRUE(spilled.count(key)) << key;
      if (!spilled.count(key)) continue;
      if (byte_identical) {
        EXPECT_EQ(spilled.at(key).size(), bytes.size()) << key;
        EXPECT_TRUE(spilled.at(key) == bytes) << key << ": spilling must not change a byte of the file";
        continue;
      }
      auto a = read_parquet_file(bytes);
      auto b = read_parquet_file(spilled.at(key));
      EXPECT_TRUE(a.is_ok() && b.is_ok()) << key;
      if (!a.is_ok() || !b.is_ok()) continue;
      EXPECT_EQ(a->rows(), b->rows()) << key;
      EXPECT_EQ(a->columns.size(), b->columns.size()) << key;
      if (a->rows() != b->rows() || a->columns.size() != b->columns.size()) continue;
      for (size_t c = 0; c < a->columns.size(); ++c) {
        EXPECT_TRUE(column_values(*a, c) == column_values(*b, c)) << key << ": column " << c << " differs";
      }
    }
    uint64_t total = 0;
    for (const auto& [key, bytes] : plain) total += bytes.size();
    EXPECT_GT(total, budget_bytes + (1u << 20)) << "the files together are larger than the budget";
    EXPECT_GE(budget.spill_files(), static_cast<uint64_t>(kTables));
    EXPECT_GE(budget.spilled_bytes(), total - budget_bytes);
    EXPECT_LE(budget.spilled_bytes(), total + (total / 10));
    EXPECT_GT(budget.peak_bytes(), budget.target());
    // The peak is measured before the budget spills: the limit plus what one change added (at most a new staging
    // block, StagedOutput::kMaxBlockBytes, and a row).
    EXPECT_LE(budget.peak_bytes(), budget.limit() + StagedOutput::kMaxBlockBytes + 64 * 1024);
    EXPECT_EQ(budget.bytes_in_memory(), 0u);
    EXPECT_TRUE(files_in(root_ / "spill").empty()) << "spill files are removed when their file is committed";
    return spilled;
  }
};

TEST_F(ChangeFileWriterSpillTest, ParquetRowGroupsLargerThanTheBudgetAreClosedEarlyWithTheSameRows) {
  settings_.data_format = DataFormat::kParquet;
  settings_.compression = Compression::kSnappy;
  // Each table's whole file (4000 rows of ~300 B) is one open row group: three of them hold more than the 1 MB
  // budget, which write_tables() checks after every change.
  settings_.row_group_length = 100000;
  for (const auto& [key, bytes] : expect_same_files_with_and_without_budget(false)) {
    auto footer = read_parquet_footer(bytes);
    ASSERT_TRUE(footer.is_ok());
    EXPECT_GT(footer->num_row_groups, 1u) << key << ": the budget closed no row group early";
  }
  for (const auto& [key, bytes] : write_tables("plain-again", nullptr)) {
    auto footer = read_parquet_footer(bytes);
    ASSERT_TRUE(footer.is_ok());
    EXPECT_EQ(footer->num_row_groups, 1u) << key << ": without a budget the row group is whole";
  }
}

TEST_F(ChangeFileWriterSpillTest, ParquetFilesWithSmallRowGroupsWrittenUnderASmallBudgetHoldTheSameRows) {
  settings_.data_format = DataFormat::kParquet;
  settings_.compression = Compression::kSnappy;
  settings_.row_group_length = 500;
  expect_same_files_with_and_without_budget(false);
}

TEST_F(ChangeFileWriterSpillTest, GzipCsvFilesWrittenUnderASmallBudgetAreByteIdentical) {
  settings_.data_format = DataFormat::kCsv;
  settings_.compression = Compression::kGzip;
  expect_same_files_with_and_without_budget(true, 3 << 19);
}

// Many tables under a small budget: what a spilled file keeps (its spill buffer, its footer) is more than a table's
// share, so the file closes at the end of the transaction instead of waiting for CdcMinFileSize; without a budget
// nothing closes there.
TEST_F(ChangeFileWriterTest, SpilledFilesHoldingMoreThanTheirShareCloseAtTheTransactionEnd) {
  settings_.cdc_min_file_size_kb = 1 << 20;
  settings_.cdc_max_batch_interval_s = 3600;
  for (bool with_budget : {false, true}) {
    fs::remove_all(root_);
    store_ = std::make_unique<RecordingStore>(root_.string());
    MemoryBudget budget(1 << 20);  // 20 tables: about 51 KiB each, less than a spill buffer
    std::vector<std::unique_ptr<ChangeFileWriter>> writers;
    std::deque<std::string> payloads;
    for (int t = 0; t < 20; ++t) {
      ChangeWriterOptions o = options();
      if (with_budget) o.memory_budget = &budget;
      o.spill_directory = (root_ / "spill").string();
      writers.push_back(writer(std::move(o), table(kOid + t, "t" + std::to_string(t))));
    }
    uint32_t seq = 0;
    for (uint32_t i = 0; i < 200; ++i) {
      for (int t = 0; t < 20; ++t) {
        // The change's values point into these strings: they must outlive it.
        payloads.push_back(std::to_string(i));
        const std::string& id = payloads.back();
        payloads.push_back(noise(600, i * 20 + t));
        RowChange c = insert(0x100, ++seq, {text(id), text("new"), text(payloads.back())});
        c.relation_oid = kOid + t;
        ASSERT_OK(writers[t]->append(c, commit_us_));
      }
    }
    for (auto& w : writers) ASSERT_OK(w->end_transaction(0x100));
    if (!with_budget) {
      EXPECT_TRUE(keys().empty()) << "no budget: the files stay open until CdcMinFileSize or the interval";
      continue;
    }
    EXPECT_GT(budget.spill_rounds(), 0u);
    size_t closed = 0;
    for (auto& w : writers) closed += w->stats().files;
    EXPECT_GT(closed, 10u) << "most spilled files closed at the transaction end";
    EXPECT_LE(budget.bytes_in_memory(), budget.limit());
  }
}

TEST_F(ChangeFileWriterTest, SpillFilesAreRemovedAfterCloseAbortAndDestruction) {
  MemoryBudget budget(1);  // every change spills
  const fs::path spill = root_ / "spill";
  settings_.row_group_length = 1;  // each row goes straight to the staged bytes
  ChangeWriterOptions o = options();
  o.memory_budget = &budget;
  o.spill_directory = spill.string();
  o.staging_rows = 1;
  auto w = writer(std::move(o));
  EXPECT_EQ(budget.consumers(), 1u);
  const std::string big = noise(200000, 1);  // more than a spill file's write buffer: worth spilling

  ASSERT_OK(w->append(insert(0x100, 1, {text("0"), text("new"), text("p")}), commit_us_));
  EXPECT_FALSE(w->open_file_spilled()) << "a few staged bytes are not worth a spill file";
  ASSERT_OK(w->append(insert(0x100, 2, {text("1"), text("new"), text(big)}), commit_us_));
  EXPECT_TRUE(w->open_file_spilled());
  ASSERT_EQ(files_in(spill).size(), 1u);
  EXPECT_EQ(files_in(spill)[0].rfind("pgs3-spill-" + std::to_string(::getpid()) + "-", 0), 0u) << files_in(spill)[0];
  ASSERT_OK(w->flush());
  EXPECT_TRUE(files_in(spill).empty()) << "close";
  RecordBatch b = read(keys().at(0));
  EXPECT_EQ(column_values(b, 1), (Values{"0", "1"}));
  EXPECT_EQ(column_values(b, 3), (Values{"p", big}));

  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("new"), text(big)}), commit_us_));
  EXPECT_EQ(files_in(spill).size(), 1u);
  w->abort();
  EXPECT_TRUE(files_in(spill).empty()) << "abort";

  ASSERT_OK(w->append(insert(0x300, 1, {text("3"), text("new"), text(big)}), commit_us_));
  EXPECT_EQ(files_in(spill).size(), 1u);
  w.reset();
  EXPECT_TRUE(files_in(spill).empty()) << "destruction";
  EXPECT_EQ(budget.consumers(), 0u);
  EXPECT_EQ(budget.bytes_in_memory(), 0u);
  EXPECT_EQ(budget.spill_files(), 3u);
  EXPECT_EQ(keys().size(), 1u);
}

TEST_F(ChangeFileWriterTest, ASpillDirectoryThatCannotBeCreatedFailsTheWriterNamingIt) {
  fs::create_directories(root_);
  std::ofstream(root_ / "plain-file") << "not a directory";
  const std::string spill = (root_ / "plain-file" / "spill").string();
  MemoryBudget budget(1);
  settings_.row_group_length = 1;
  ChangeWriterOptions o = options();
  o.memory_budget = &budget;
  o.spill_directory = spill;
  o.staging_rows = 1;
  auto w = writer(std::move(o));
  const std::string big = noise(200000, 1);
  Status st = w->append(insert(0x100, 1, {text("1"), text("new"), text(big)}), commit_us_);
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("cannot create spill directory " + spill), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("raw/app/public/orders/"), std::string::npos)
      << "names the change file: " << st.message();
  EXPECT_EQ(w->flush().message(), st.message()) << "the failure sticks";
  EXPECT_EQ(w->poll(clock_).message(), st.message()) << "the loop's poll sees it too";
  // The change is lost with the discarded file: the writer keeps holding the flush position below it.
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x100u);
  EXPECT_EQ(keys(), std::vector<std::string>{"plain-file"}) << "no change file was committed";
  EXPECT_EQ(budget.bytes_in_memory(), 0u);
}

// The budget asks another writer to spill while this one reports; that writer's failure is its own (the budget does
// not return it here), so it must keep holding the flush position below the changes it lost and say so at its next
// call.
TEST_F(ChangeFileWriterTest, AWriterWhoseSpillFailsForAnotherKeepsHoldingTheFlushPosition) {
  fs::create_directories(root_);
  std::ofstream(root_ / "plain-file") << "not a directory";
  MemoryBudget budget(600000);  // a (~450 KB: its staged rows and file) fits alone
  settings_.row_group_length = 1;
  ChangeWriterOptions broken = options();
  broken.memory_budget = &budget;
  broken.spill_directory = (root_ / "plain-file" / "spill").string();
  broken.staging_rows = 1;
  auto a = writer(std::move(broken));
  const std::string big_a = noise(200000, 1);  // the change's values point into it
  ASSERT_OK(a->append(insert(0x100, 1, {text("1"), text("new"), text(big_a)}), commit_us_));
  ASSERT_OK(a->end_transaction(0x100));
  EXPECT_EQ(a->oldest_pending_commit_lsn(), 0x100u);
  ChangeWriterOptions fine = options();
  fine.memory_budget = &budget;
  fine.staging_rows = 1;
  auto b = writer(std::move(fine), table(kOid + 1, "other"));
  const std::string big_b = noise(150000, 2);
  RowChange big = insert(0x200, 1, {text("2"), text("new"), text(big_b)});
  big.relation_oid = kOid + 1;
  Status st = b->append(big, commit_us_);
  // b went past the limit; the budget asked a (the largest) first, whose spill failed.
  EXPECT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(a->oldest_pending_commit_lsn(), 0x100u);
  Status failed = a->poll(clock_);
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_NE(failed.message().find("cannot create spill directory"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("to move out of memory"), std::string::npos) << failed.message();
}

TEST_F(ChangeFileWriterTest, MaxFileBytesDefaultsToMaxFileSize) {
  settings_.max_file_size_kb = 2;
  ChangeWriterOptions o = options();
  o.staging_rows = 4;
  auto w = writer(std::move(o));
  std::deque<std::string> payloads;
  for (uint32_t i = 1; i <= 60; ++i) {
    payloads.push_back(noise(100, i));
    ASSERT_OK(w->append(insert(0x100, i, {text(std::to_string(i)), text("new"), text(payloads.back())}), commit_us_));
  }
  EXPECT_GE(keys().size(), 2u) << "6 KB in one transaction: closed at 2 KB (MaxFileSize) inside the transaction";
  for (const auto& key : keys()) EXPECT_LT(object(key).size(), 2048u + 2048u) << key;
}

// --- Key-changing updates. ---

TEST_F(ChangeFileWriterTest, KeyChangingUpdateUnderDefaultIdentityIsADeleteOfTheOldKeyThenTheUpdate) {
  auto w = writer();
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(update(0x100, 2, {text("2"), text("paid"), text("p")}, OldTupleKind::kKey,
                             {text("1"), null_value(), null_value()}),
                      commit_us_));
  // The old key was sent, but equals the new one (e.g. a TOASTed key column): not a key change.
  ASSERT_OK(w->append(update(0x100, 3, {text("2"), text("done"), text("p")}, OldTupleKind::kKey,
                             {text("2"), null_value(), null_value()}),
                      commit_us_));
  ASSERT_OK(w->append(update(0x100, 4, {text("2"), text("done"), text("q")}), commit_us_));
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(column_values(b, 0), (Values{"I", "D", "U", "U", "U"}));
  EXPECT_EQ(column_values(b, 1), (Values{"1", "1", "2", "2", "2"}));
  EXPECT_EQ(column_values(b, 2), (Values{"new", kNull, "paid", "done", "done"}));
  EXPECT_EQ(w->stats().updates, 3u);
  EXPECT_EQ(w->stats().key_updates, 1u);
  EXPECT_EQ(w->stats().deletes, 0u);
  EXPECT_EQ(w->stats().rows, 5u);
  const FileSummary& f = *w->last_file();
  EXPECT_EQ(f.rows, 5u);
  EXPECT_EQ(f.inserts, 1u);
  EXPECT_EQ(f.updates, 3u);
  EXPECT_EQ(f.key_updates, 1u);
  EXPECT_EQ(f.deletes, 0u);
  EXPECT_EQ(f.last, (ChangePosition{0x100, 4}));
}

TEST_F(ChangeFileWriterTest, KeyChangingUpdateUnderFullIdentityDeletesTheWholeOldRow) {
  ChangeWriterOptions o = options();
  o.identity_full_key_columns = {"id"};
  auto w = writer(std::move(o), orders(ReplicaIdentity::kFull));  // pgoutput flags every column under FULL
  ASSERT_OK(w->append(
      update(0x100, 1, {text("2"), text("paid"), toast()}, OldTupleKind::kFull, {text("1"), text("new"), text("doc")}),
      commit_us_));
  ASSERT_OK(w->append(
      update(0x100, 2, {text("2"), text("done"), toast()}, OldTupleKind::kFull, {text("2"), text("paid"), text("doc")}),
      commit_us_));
  ASSERT_OK(w->flush());
  RecordBatch b = read(keys()[0]);
  EXPECT_EQ(column_values(b, 0), (Values{"D", "U", "U"}));
  EXPECT_EQ(column_values(b, 1), (Values{"1", "2", "2"}));
  EXPECT_EQ(column_values(b, 2), (Values{"new", "paid", "done"}));
  EXPECT_EQ(column_values(b, 3), (Values{"doc", "doc", "doc"})) << "the U row's TOAST value comes from the old row";
  EXPECT_EQ(w->stats().key_updates, 1u);
  EXPECT_EQ(w->stats().updates, 2u);
  EXPECT_EQ(w->last_file()->first, (ChangePosition{0x100, 1})) << "both rows of the key change have its position";
}

TEST_F(ChangeFileWriterTest, UnderFullIdentityTheKeyIsTheFlaggedColumnsUnlessAllAre) {
  // Every column flagged, no identity_full_key_columns: no key is known, every UPDATE is one U row.
  auto all = writer(options(), orders(ReplicaIdentity::kFull));
  ASSERT_OK(all->append(
      update(0x100, 1, {text("2"), text("paid"), text("p")}, OldTupleKind::kFull, {text("1"), text("new"), text("p")}),
      commit_us_));
  ASSERT_OK(all->flush());
  EXPECT_EQ(column_values(read(all->last_file()->key), 0), (Values{"U"}));
  EXPECT_EQ(all->stats().key_updates, 0u);

  // Only id flagged: id is the key.
  RelationDescriptor rel = orders(ReplicaIdentity::kFull);
  rel.name = "orders_by_id";
  rel.columns[1].is_key = rel.columns[2].is_key = false;
  auto some = writer(options(), rel);
  ASSERT_OK(some->append(
      update(0x200, 1, {text("2"), text("paid"), text("p")}, OldTupleKind::kFull, {text("1"), text("new"), text("p")}),
      commit_us_));
  ASSERT_OK(some->append(
      update(0x200, 2, {text("2"), text("done"), text("p")}, OldTupleKind::kFull, {text("2"), text("paid"), text("p")}),
      commit_us_));
  ASSERT_OK(some->flush());
  RecordBatch b = read(some->last_file()->key);
  EXPECT_EQ(column_values(b, 0), (Values{"D", "U", "U"}));
  EXPECT_EQ(column_values(b, 2), (Values{"new", "paid", "done"}));
}

TEST_F(ChangeFileWriterTest, KeyChangingUpdateNullToValueIsAKeyChange) {
  RelationDescriptor rel = orders(ReplicaIdentity::kIndex);
  ChangeWriterOptions o = options();
  auto w = writer(std::move(o), rel);
  ASSERT_OK(w->append(update(0x100, 1, {text("5"), text("paid"), text("p")}, OldTupleKind::kKey,
                             {null_value(), null_value(), null_value()}),
                      commit_us_));
  ASSERT_OK(w->flush());
  EXPECT_EQ(column_values(read(keys()[0]), 0), (Values{"D", "U"}));
}

TEST_F(ChangeFileWriterTest, CdcInsertsOnlyDropsAKeyChangeAndInsertsAndUpdatesKeepsItsUpdate) {
  const RowChange key_change = update(0x100, 2, {text("2"), text("paid"), text("p")}, OldTupleKind::kKey,
                                      {text("1"), null_value(), null_value()});
  settings_.cdc_inserts_only = true;
  settings_.include_op_for_full_load = true;
  auto only = writer();
  ASSERT_OK(only->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(only->append(key_change, commit_us_));
  ASSERT_OK(only->flush());
  EXPECT_EQ(column_values(read(only->last_file()->key), 0), (Values{"I"}));
  EXPECT_EQ(only->stats().filtered, 1u);
  EXPECT_EQ(only->stats().key_updates, 0u);

  settings_.cdc_inserts_only = false;
  settings_.cdc_inserts_and_updates = true;
  clock_ += minutes(1);
  auto updates = writer();
  ASSERT_OK(updates->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(updates->append(key_change, commit_us_));
  ASSERT_OK(updates->flush());
  RecordBatch b = read(updates->last_file()->key);
  EXPECT_EQ(column_values(b, 0), (Values{"I", "U"}));
  EXPECT_EQ(column_values(b, 1), (Values{"1", "2"}));
  EXPECT_EQ(updates->stats().updates, 1u);
  EXPECT_EQ(updates->stats().key_updates, 0u);
  EXPECT_EQ(updates->stats().filtered, 0u);
}

// --- What the replication loop is told about each file. ---

TEST_F(ChangeFileWriterTest, AfterCommitSeesTheCommittedFileWithItsCountsAndLastCommitTime) {
  std::vector<FileSummary> before;
  std::vector<FileSummary> after;
  std::vector<std::vector<std::string>> keys_at_commit;
  ChangeWriterOptions o = options();
  o.before_upload = [&](const FileSummary& f) {
    before.push_back(f);
    return Status::ok();
  };
  o.after_commit = [&](const FileSummary& f) {
    after.push_back(f);
    keys_at_commit.push_back(keys());
  };
  auto w = writer(std::move(o));
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->append(insert(0x100, 2, {text("2"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->end_transaction(0x100));
  ASSERT_OK(w->append(update(0x200, 1, {text("3"), text("paid"), text("p")}, OldTupleKind::kKey,
                             {text("2"), null_value(), null_value()}),
                      commit_us_ + 5));
  ASSERT_OK(w->append(delete_row(0x200, 2, {text("1"), null_value(), null_value()}), commit_us_ + 5));
  ASSERT_OK(w->end_transaction(0x200));
  EXPECT_TRUE(after.empty()) << "nothing committed yet";
  ASSERT_OK(w->flush());

  ASSERT_EQ(after.size(), 1u);
  ASSERT_EQ(before.size(), 1u);
  const FileSummary& f = after[0];
  EXPECT_EQ(keys_at_commit[0], std::vector<std::string>{f.key}) << "called once the object exists";
  EXPECT_EQ(f.key, w->last_file()->key);
  EXPECT_EQ(f.first, (ChangePosition{0x100, 1}));
  EXPECT_EQ(f.last, (ChangePosition{0x200, 2}));
  EXPECT_EQ(f.rows, 5u);
  EXPECT_EQ(f.inserts, 2u);
  EXPECT_EQ(f.updates, 1u);
  EXPECT_EQ(f.key_updates, 1u);
  EXPECT_EQ(f.deletes, 1u);
  EXPECT_EQ(f.last_commit_time_us, commit_us_ + 5);
  EXPECT_EQ(f.bytes, object(f.key).size());
  for (const FileSummary& g : {before[0], *w->last_file()}) {
    EXPECT_EQ(g.key, f.key);
    EXPECT_EQ(g.rows, f.rows);
    EXPECT_EQ(g.bytes, f.bytes);
    EXPECT_EQ(g.inserts, f.inserts);
    EXPECT_EQ(g.updates, f.updates);
    EXPECT_EQ(g.deletes, f.deletes);
    EXPECT_EQ(g.key_updates, f.key_updates);
    EXPECT_EQ(g.last_commit_time_us, f.last_commit_time_us);
  }

  // The next file counts afresh.
  ASSERT_OK(w->append(insert(0x300, 1, {text("9"), text("new"), text("p")}), commit_us_ + 9));
  ASSERT_OK(w->flush());
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1].rows, 1u);
  EXPECT_EQ(after[1].inserts, 1u);
  EXPECT_EQ(after[1].updates + after[1].deletes + after[1].key_updates, 0u);
  EXPECT_EQ(after[1].last_commit_time_us, commit_us_ + 9);
}

TEST_F(ChangeFileWriterTest, AFailedUploadCallsNoAfterCommit) {
  int calls = 0;
  ChangeWriterOptions o = options();
  o.before_upload = [](const FileSummary&) { return Status::unavailable("journal unreachable"); };
  o.after_commit = [&](const FileSummary&) { ++calls; };
  auto w = writer(std::move(o));
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  EXPECT_FALSE(w->flush().is_ok());
  EXPECT_EQ(calls, 0);
}

// Collects `uploads` until nothing is outstanding (a bound of 10 s on a hang, not a speed check).
void drain(UploadQueue& uploads) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (uploads.outstanding() > 0 && std::chrono::steady_clock::now() < until) {
    uploads.wait(std::chrono::milliseconds(20));
    uploads.collect();
  }
}

TEST_F(ChangeFileWriterTest, WithAnUploadQueueAFileIsDurableOnlyOnceItsUploadIsCollected) {
  UploadQueue uploads(UploadQueueOptions{.workers = 2});
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::vector<std::thread::id> upload_threads;
  std::vector<std::string> committed;
  ChangeWriterOptions o = options();
  o.uploads = &uploads;
  o.before_upload = [&](const FileSummary&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return open; });
    upload_threads.push_back(std::this_thread::get_id());
    return Status::ok();
  };
  o.after_commit = [&](const FileSummary& f) { committed.push_back(f.key); };
  auto w = writer(std::move(o));
  ASSERT_OK(w->append(insert(0x100, 1, {text("1"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->end_transaction(0x100));
  ASSERT_OK(w->flush());  // returns while the upload waits
  EXPECT_TRUE(w->uploading());
  EXPECT_EQ(w->durable_position(), std::nullopt);
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x100u) << "a file being uploaded is not durable";
  EXPECT_GT(w->memory_bytes(), 0u) << "the sealed file's bytes are still held";
  clock_ += std::chrono::seconds(1);
  ASSERT_OK(w->append(insert(0x200, 1, {text("2"), text("new"), text("p")}), commit_us_));
  ASSERT_OK(w->end_transaction(0x200));
  ASSERT_OK(w->flush());
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x100u);
  EXPECT_TRUE(keys().empty());
  EXPECT_TRUE(committed.empty());
  {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
  }
  cv.notify_all();
  drain(uploads);
  EXPECT_FALSE(w->uploading());
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x200, 1}));
  EXPECT_EQ(w->oldest_pending_commit_lsn(), std::nullopt);
  EXPECT_EQ(w->memory_bytes(), 0u);
  EXPECT_EQ(committed, keys()) << "after_commit in the files' order";
  ASSERT_EQ(upload_threads.size(), 2u);
  for (const auto& id : upload_threads) EXPECT_NE(id, std::this_thread::get_id()) << "uploaded on the caller's thread";
  EXPECT_EQ(w->stats().files, 2u);
}

TEST_F(ChangeFileWriterTest, WithAnUploadQueueAFailedUploadFailsTheWriterAndHoldsTheFlushPositionAtIt) {
  UploadQueue uploads(UploadQueueOptions{.workers = 1});
  int attempts = 0;
  ChangeWriterOptions o = options();
  o.uploads = &uploads;
  o.before_upload = [&](const FileSummary&) { return ++attempts == 2 ? Status::unavailable("S3 down") : Status::ok(); };
  auto w = writer(std::move(o));
  for (uint64_t lsn : {0x100, 0x200, 0x300}) {
    ASSERT_OK(w->append(insert(lsn, 1, {text(std::to_string(lsn)), text("new"), text("p")}), commit_us_));
    ASSERT_OK(w->end_transaction(lsn));
    ASSERT_OK(w->flush());
    clock_ += std::chrono::seconds(1);
  }
  drain(uploads);
  EXPECT_FALSE(w->status().is_ok());
  EXPECT_NE(w->status().message().find("S3 down"), std::string::npos) << w->status().message();
  EXPECT_EQ(w->durable_position(), (ChangePosition{0x100, 1}));
  EXPECT_EQ(w->oldest_pending_commit_lsn(), 0x200u) << "the failed file's changes are lost to this writer";
  EXPECT_EQ(w->stats().files, 1u);
  // Uploading the file after the failed one would let a restart adopt it (state/file_journal.h) and skip the lost
  // file's changes.
  EXPECT_EQ(keys().size(), 1u) << "a file after a failed one was uploaded";
  EXPECT_EQ(attempts, 2);
  EXPECT_FALSE(w->poll(clock_).is_ok());
}

}  // namespace
}  // namespace pgs3
