#include "sink/load_file_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sink/object_keys.h"
#include "store/local_store.h"

namespace pgs3 {
namespace {

namespace fs = std::filesystem;

// A LocalStore that records, in order, each object committed ("commit <key>") and removed ("remove <key>").
class EventStore final : public ObjectStore {
 public:
  explicit EventStore(std::string root) : local_(std::move(root)) {}
  std::string describe() const override { return "events " + local_.describe(); }
  using ObjectStore::create;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions& options) override {
    PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> inner, local_.create(key, options));
    return std::unique_ptr<ObjectWriter>(new Writer(*this, key, std::move(inner)));
  }
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override { return local_.list(prefix); }
  Result<std::optional<std::string>> get(const std::string& key) override { return local_.get(key); }
  Status remove(const std::string& key) override {
    events.push_back("remove " + key);
    return local_.remove(key);
  }
  Result<std::optional<VersionedObject>> get_versioned(const std::string& key) override {
    return local_.get_versioned(key);
  }
  Result<std::string> put_if(const std::string& key, std::string_view bytes, const std::string& expected) override {
    return local_.put_if(key, bytes, expected);
  }

  std::vector<std::string> events;

 private:
  class Writer final : public ObjectWriter {
   public:
    Writer(EventStore& store, std::string key, std::unique_ptr<ObjectWriter> inner)
        : store_(store), key_(std::move(key)), inner_(std::move(inner)) {}
    Status append(std::string_view bytes) override { return inner_->append(bytes); }
    uint64_t position() const override { return inner_->position(); }
    Status commit() override {
      store_.events.push_back("commit " + key_);
      return inner_->commit();
    }
    void abort() override { inner_->abort(); }

   private:
    EventStore& store_;
    std::string key_;
    std::unique_ptr<ObjectWriter> inner_;
  };
  LocalStore local_;
};

class LoadFileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-load-file-writer-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    settings_.bucket_folder = "lake";
  }
  void TearDown() override { fs::remove_all(root_); }

  void put(const std::string& key, const std::string& bytes) {
    fs::create_directories((root_ / key).parent_path());
    std::ofstream(root_ / key) << bytes;
  }
  std::vector<std::string> keys(EventStore& store, const std::string& prefix) {
    std::vector<std::string> out;
    Result<std::vector<ObjectInfo>> listed = store.list(prefix);
    EXPECT_TRUE(listed.is_ok()) << listed.status().message();
    if (!listed.is_ok()) return out;
    const std::vector<ObjectInfo> objects = std::move(listed).value();
    for (const ObjectInfo& o : objects) out.push_back(o.key);
    return out;
  }
  // Loads `rows` one-column rows into `prefix` (one LOAD file each `rows_per_file` rows, through MaxFileSize 1 KB).
  void load(EventStore& store, const std::string& prefix, int rows) {
    std::vector<ColumnSpec> schema = {ColumnSpec{.name = "v"}};
    LoadFileSet set(store, prefix);
    LoadFileWriter writer(store, settings_, set, schema, {});
    RecordBatch batch(schema);
    for (int i = 0; i < rows; ++i) batch.columns[0].append_bytes("new row " + std::to_string(i));
    if (rows > 0) {
      ASSERT_TRUE(writer.write(batch).is_ok());
    }
    ASSERT_TRUE(writer.finish().is_ok());
    ASSERT_TRUE(set.finish().is_ok());
  }

  fs::path root_;
  S3Settings settings_;
};

// Issue 11, item 6: a new full load of a table (after its checkpoint was removed, say) removes the table's earlier
// change files and LOAD files — whatever their number, format or date folder — before its first new LOAD file is
// committed, so that no reader replays stale history over the new image. Other tables' folders, `a/b`'s among
// them, are left alone.
TEST_F(LoadFileWriterTest, EarlierObjectsOfTheTableGoBeforeTheFirstNewFileIsCommitted) {
  const std::string prefix = table_prefix(settings_, "public", "a");
  const std::string sibling = table_prefix(settings_, "public", "a/b");
  put(prefix + "LOAD00000001.csv", "old 1\n");
  put(prefix + "LOAD00000002.csv", "old 2\n");
  put(prefix + "LOAD00000001.parquet", "old format");
  put(prefix + "20261130-120000123.csv", "I,old change\n");
  put(prefix + "2026/11/30/20261130-120500000.csv", "U,old change in a date folder\n");
  put(sibling + "LOAD00000001.csv", "sibling\n");
  put(sibling + "20261130-120000123.csv", "I,sibling change\n");

  EventStore store(root_.string());
  load(store, prefix, 3);

  EXPECT_EQ(keys(store, prefix), std::vector<std::string>{prefix + "LOAD00000001.csv"});
  EXPECT_EQ(store.get(prefix + "LOAD00000001.csv").value().value(), "new row 0\nnew row 1\nnew row 2\n");
  EXPECT_EQ(keys(store, sibling),
            (std::vector<std::string>{sibling + "20261130-120000123.csv", sibling + "LOAD00000001.csv"}));
  // Every removal comes before the first commit; LOAD00000001.csv itself is replaced in place, never removed.
  ASSERT_FALSE(store.events.empty());
  EXPECT_EQ(store.events.back(), "commit " + prefix + "LOAD00000001.csv");
  EXPECT_EQ(store.events.size(), 5u) << ::testing::PrintToString(store.events);
  for (size_t i = 0; i + 1 < store.events.size(); ++i) {
    EXPECT_EQ(store.events[i].rfind("remove " + prefix, 0), 0u) << store.events[i];
    EXPECT_NE(store.events[i], "remove " + prefix + "LOAD00000001.csv");
  }
}

// A table that is empty now writes no file; what it had before goes all the same.
TEST_F(LoadFileWriterTest, AnEmptyReloadRemovesTheEarlierObjects) {
  const std::string prefix = table_prefix(settings_, "public", "t");
  put(prefix + "LOAD00000001.csv", "old\n");
  put(prefix + "20261130-120000123.csv", "I,old\n");
  EventStore store(root_.string());
  load(store, prefix, 0);
  EXPECT_TRUE(keys(store, prefix).empty());
}

// Later files of the same load are not touched by the first file's clean-up.
TEST_F(LoadFileWriterTest, EveryFileOfTheNewLoadStays) {
  settings_.max_file_size_kb = 1;
  const std::string prefix = table_prefix(settings_, "public", "big");
  put(prefix + "20261130-120000123.csv", "I,old\n");
  EventStore store(root_.string());
  std::vector<ColumnSpec> schema = {ColumnSpec{.name = "v"}};
  LoadFileSet set(store, prefix);
  LoadFileWriter writer(store, settings_, set, schema, {});
  for (int b = 0; b < 3; ++b) {
    RecordBatch batch(schema);
    for (int i = 0; i < 100; ++i) batch.columns[0].append_bytes(std::string(20, static_cast<char>('a' + b)));
    ASSERT_TRUE(writer.write(batch).is_ok());
  }
  ASSERT_TRUE(writer.finish().is_ok());
  EXPECT_EQ(writer.files(), 3u);
  EXPECT_EQ(keys(store, prefix), (std::vector<std::string>{prefix + "LOAD00000001.csv", prefix + "LOAD00000002.csv",
                                                           prefix + "LOAD00000003.csv"}));
}

// Issue 13, item 1: the segments of one table write into one set of LOAD files. Numbers are shared (taken when a
// file opens, so the segments' files interleave), the earlier objects are removed once, before the first commit of
// any segment, and a segment with no rows writes nothing.
TEST_F(LoadFileWriterTest, SegmentsShareOneNumberingAndOneCleanUp) {
  settings_.max_file_size_kb = 1;
  const std::string prefix = table_prefix(settings_, "public", "segmented");
  put(prefix + "LOAD00000001.csv", "old 1\n");
  put(prefix + "LOAD00000009.csv", "old 9\n");
  put(prefix + "20261130-120000123.csv", "I,old\n");
  EventStore store(root_.string());
  std::vector<ColumnSpec> schema = {ColumnSpec{.name = "v"}};
  LoadFileSet set(store, prefix);
  LoadFileWriter first(store, settings_, set, schema, {});
  LoadFileWriter second(store, settings_, set, schema, {});
  LoadFileWriter empty(store, settings_, set, schema, {});
  auto batch_of = [&](char c) {
    RecordBatch batch(schema);
    for (int i = 0; i < 100; ++i) batch.columns[0].append_bytes(std::string(20, c));
    return batch;
  };
  ASSERT_TRUE(first.write(batch_of('a')).is_ok());   // LOAD1, closed at once (MaxFileSize 1 KB)
  ASSERT_TRUE(second.write(batch_of('b')).is_ok());  // LOAD2
  ASSERT_TRUE(first.write(batch_of('c')).is_ok());   // LOAD3
  ASSERT_TRUE(first.finish().is_ok());
  ASSERT_TRUE(second.finish().is_ok());
  ASSERT_TRUE(empty.finish().is_ok());
  ASSERT_TRUE(set.finish().is_ok());
  EXPECT_EQ(first.files(), 2u);
  EXPECT_EQ(second.files(), 1u);
  EXPECT_EQ(empty.files(), 0u);
  EXPECT_EQ(set.files(), 3u);
  EXPECT_EQ(set.bytes(), first.bytes() + second.bytes());
  EXPECT_EQ(keys(store, prefix), (std::vector<std::string>{prefix + "LOAD00000001.csv", prefix + "LOAD00000002.csv",
                                                           prefix + "LOAD00000003.csv"}));
  EXPECT_EQ(store.get(prefix + "LOAD00000002.csv").value().value().substr(0, 20), std::string(20, 'b'));
  size_t removals = 0;
  for (const std::string& e : store.events) removals += e.rfind("remove ", 0) == 0 ? 1 : 0;
  EXPECT_EQ(removals, 2u) << ::testing::PrintToString(store.events);  // LOAD9 and the change file, once
  EXPECT_EQ(store.events.back(), "commit " + prefix + "LOAD00000003.csv");
}

// Segments on several threads: every row lands in exactly one file, numbered without a gap.
TEST_F(LoadFileWriterTest, SegmentsOnSeveralThreadsNumberWithoutAGap) {
  settings_.max_file_size_kb = 1;
  const std::string prefix = table_prefix(settings_, "public", "threads");
  LocalStore store(root_.string());
  std::vector<ColumnSpec> schema = {ColumnSpec{.name = "v"}};
  LoadFileSet set(store, prefix);
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      LoadFileWriter writer(store, settings_, set, schema, {});
      for (int b = 0; b < 5; ++b) {
        RecordBatch batch(schema);
        for (int i = 0; i < 60; ++i) batch.columns[0].append_bytes("t" + std::to_string(t) + "-" + std::to_string(i));
        if (!writer.write(batch).is_ok()) ++failures;
      }
      if (!writer.finish().is_ok()) ++failures;
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(set.finish().is_ok());
  std::vector<std::string> expected;
  for (uint32_t n = 1; n <= set.files(); ++n) expected.push_back(prefix + load_file_name(n, file_extension(settings_)));
  Result<std::vector<ObjectInfo>> listed = store.list(prefix);
  ASSERT_TRUE(listed.is_ok());
  std::vector<std::string> got;
  size_t lines = 0;
  for (const ObjectInfo& o : listed.value()) {
    got.push_back(o.key);
    const std::string body = store.get(o.key).value().value();
    lines += static_cast<size_t>(std::count(body.begin(), body.end(), '\n'));
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(lines, 4u * 5u * 60u);
}

}  // namespace
}  // namespace pgs3
