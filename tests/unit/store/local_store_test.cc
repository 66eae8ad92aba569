#include "store/local_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace pgs3 {
namespace {
namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-local-store-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(LocalStoreTest, ObjectIsInvisibleUntilCommitted) {
  LocalStore store(root_.string());
  auto writer = store.create("a/Sales Data/é/LOAD00000001.parquet");
  ASSERT_TRUE(writer.is_ok()) << writer.status().message();
  ASSERT_TRUE((*writer)->append("hello ").is_ok());
  ASSERT_TRUE((*writer)->append("world").is_ok());
  EXPECT_EQ((*writer)->position(), 11u);
  auto before = store.list("a/");
  ASSERT_TRUE(before.is_ok());
  EXPECT_TRUE(before->empty()) << "a temporary file must not be listed";
  ASSERT_TRUE((*writer)->commit().is_ok());
  auto after = store.list("a/");
  ASSERT_TRUE(after.is_ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].key, "a/Sales Data/é/LOAD00000001.parquet");
  EXPECT_EQ((*after)[0].size, 11u);
  auto got = store.get("a/Sales Data/é/LOAD00000001.parquet");
  ASSERT_TRUE(got.is_ok());
  EXPECT_EQ(got->value(), "hello world");
}

TEST_F(LocalStoreTest, AbandonedWriterLeavesNothing) {
  LocalStore store(root_.string());
  {
    auto writer = store.create("t/x.csv");
    ASSERT_TRUE(writer.is_ok());
    ASSERT_TRUE((*writer)->append("partial").is_ok());
  }
  size_t files = 0;
  for (auto& e : fs::recursive_directory_iterator(root_)) files += e.is_regular_file();
  EXPECT_EQ(files, 0u);
}

TEST_F(LocalStoreTest, MissingObjectIsNulloptAndRemoveIsIdempotent) {
  LocalStore store(root_.string());
  auto got = store.get("nope/x");
  ASSERT_TRUE(got.is_ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_TRUE(store.remove("nope/x").is_ok());
}

TEST_F(LocalStoreTest, KeysMayNotEscapeTheRoot) {
  LocalStore store(root_.string());
  EXPECT_FALSE(store.create("../evil").is_ok());
  EXPECT_FALSE(store.create("/abs").is_ok());
  EXPECT_FALSE(store.create("public/../x").is_ok());
  EXPECT_FALSE(store.create("public/./x").is_ok());
  EXPECT_FALSE(store.get("public/../x").is_ok());
  EXPECT_FALSE(store.remove("a/../../x").is_ok());
  EXPECT_FALSE(store.remove_all({"a/ok", "a/../x"}).is_ok());
}

// Prefixes are checked as keys are: a table named ".." (had it not been escaped) must not list or clean the parent.
TEST_F(LocalStoreTest, PrefixesWithDotPartsAreRefused) {
  LocalStore store(root_.string());
  EXPECT_FALSE(store.list("public/../").is_ok());
  EXPECT_FALSE(store.list("../").is_ok());
  EXPECT_FALSE(store.list("/etc/").is_ok());
  EXPECT_FALSE(store.remove_stale_temporaries("public/../").is_ok());
  EXPECT_TRUE(store.list("").is_ok());
  EXPECT_TRUE(store.list("public/%2E%2E/").is_ok());
  EXPECT_TRUE(store.remove_stale_temporaries("").is_ok());
}

// Durability (issue 11, item 10): every directory level a new object creates is recorded in its parent by an fsync
// of that parent, and the object's own directory is fsynced after the rename.
TEST_F(LocalStoreTest, NewDirectoriesAreFsyncedInTheirParentsAtEveryLevel) {
  fs::create_directories(root_);
  LocalStore store(root_.string());
  std::vector<std::string> synced;
  store.set_directory_sync_observer([&synced](const std::string& dir) { synced.push_back(dir); });
  auto w = store.create("lake/public/orders/LOAD00000001.csv");
  ASSERT_TRUE(w.is_ok()) << w.status().message();
  const std::vector<std::string> made = {root_.string(), (root_ / "lake").string(),
                                         (root_ / "lake" / "public").string()};
  EXPECT_EQ(synced, made) << "each new level's parent, top down";
  ASSERT_TRUE((*w)->commit().is_ok());
  ASSERT_EQ(synced.size(), 4u);
  EXPECT_EQ(synced.back(), (root_ / "lake" / "public" / "orders").string());

  // A second object in existing folders makes no directory: only its own folder is synced, after the rename.
  synced.clear();
  auto second = store.create("lake/public/orders/LOAD00000002.csv");
  ASSERT_TRUE(second.is_ok());
  EXPECT_TRUE(synced.empty());
  ASSERT_TRUE((*second)->commit().is_ok());
  EXPECT_EQ(synced, std::vector<std::string>{(root_ / "lake" / "public" / "orders").string()});
}

// A removal is durable only once the directory entry is gone on disk: the directory is fsynced after the unlinks,
// once per directory for remove_all(), and not at all when nothing was removed.
TEST_F(LocalStoreTest, RemovalsFsyncEachDirectoryTheyRemovedFromOnce) {
  LocalStore store(root_.string());
  for (const char* key : {"t/a/1", "t/a/2", "t/a/3", "t/b/1"}) {
    auto w = store.create(key);
    ASSERT_TRUE(w.is_ok());
    ASSERT_TRUE((*w)->commit().is_ok());
  }
  std::vector<std::string> synced;
  store.set_directory_sync_observer([&synced](const std::string& dir) { synced.push_back(dir); });
  ASSERT_TRUE(store.remove_all({"t/a/1", "t/a/2", "t/b/1", "t/b/missing"}).is_ok());
  std::sort(synced.begin(), synced.end());
  EXPECT_EQ(synced, (std::vector<std::string>{(root_ / "t" / "a").string(), (root_ / "t" / "b").string()}));
  synced.clear();
  ASSERT_TRUE(store.remove("t/a/3").is_ok());
  EXPECT_EQ(synced, std::vector<std::string>{(root_ / "t" / "a").string()});
  synced.clear();
  ASSERT_TRUE(store.remove("t/a/3").is_ok());
  EXPECT_TRUE(synced.empty()) << "nothing was removed";
  EXPECT_FALSE(fs::exists(root_ / "t" / "a" / "1"));
  EXPECT_FALSE(fs::exists(root_ / "t" / "b" / "1"));
}

TEST_F(LocalStoreTest, ListFiltersByPrefix) {
  LocalStore store(root_.string());
  for (const char* key : {"p/a/1", "p/ab/2", "p/b/3", "q/4"}) {
    auto w = store.create(key);
    ASSERT_TRUE(w.is_ok());
    ASSERT_TRUE((*w)->commit().is_ok());
  }
  auto listed = store.list("p/a");
  ASSERT_TRUE(listed.is_ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "p/a/1");
  EXPECT_EQ((*listed)[1].key, "p/ab/2");
}

// Temporaries of a dead process (a killed run) are removed; those of a live one are objects being written and stay.
TEST_F(LocalStoreTest, RemoveStaleTemporariesKeepsThoseOfLiveProcesses) {
  LocalStore store(root_.string());
  fs::create_directories(root_ / "lake" / "t");
  const std::string dead = ".x.csv.pgs3-tmp-99999999-1";  // above any pid_max
  const std::string live = ".y.csv.pgs3-tmp-" + std::to_string(::getpid()) + "-1";
  std::ofstream(root_ / "lake" / "t" / dead) << "partial";
  std::ofstream(root_ / "lake" / "t" / live) << "partial";
  auto removed = store.remove_stale_temporaries("lake/");
  ASSERT_TRUE(removed.is_ok()) << removed.status().message();
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(fs::exists(root_ / "lake" / "t" / dead));
  EXPECT_TRUE(fs::exists(root_ / "lake" / "t" / live));
}

TEST_F(LocalStoreTest, PutIfCreatesOnlyWhenAbsentAndReplacesOnlyTheExpectedVersion) {
  LocalStore store(root_.string());
  auto first = store.put_if("lake/_pgs3/t/lease.json", "v1", "");
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(store.put_if("lake/_pgs3/t/lease.json", "other", "").status().code(), StatusCode::kConflict);

  auto read = store.get_versioned("lake/_pgs3/t/lease.json");
  ASSERT_TRUE(read.is_ok() && read->has_value());
  EXPECT_EQ((*read)->bytes, "v1");
  EXPECT_EQ((*read)->etag, *first);
  EXPECT_LE((*read)->age.count(), 2);

  auto second = store.put_if("lake/_pgs3/t/lease.json", "v2", *first);
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  EXPECT_NE(*second, *first);
  // The old version is gone: a writer that still expects it is refused and changes nothing.
  Result<std::string> stale = store.put_if("lake/_pgs3/t/lease.json", "v3", *first);
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  EXPECT_NE(stale.status().message().find("lease.json"), std::string::npos);
  auto now = store.get("lake/_pgs3/t/lease.json");
  ASSERT_TRUE(now.is_ok() && now->has_value());
  EXPECT_EQ(**now, "v2");
  // The same bytes again under the old version: the retry of a write that happened.
  auto retried = store.put_if("lake/_pgs3/t/lease.json", "v2", *first);
  ASSERT_TRUE(retried.is_ok());
  EXPECT_EQ(*retried, *second);
  EXPECT_EQ(store.put_if("lake/_pgs3/t/missing.json", "x", *first).status().code(), StatusCode::kConflict);
  EXPECT_FALSE(store.get_versioned("lake/_pgs3/t/none.json")->has_value());
}

TEST_F(LocalStoreTest, ConcurrentPutIfOnOneVersionHasOneWinner) {
  LocalStore store(root_.string());
  auto base = store.put_if("lake/k.json", "base", "");
  ASSERT_TRUE(base.is_ok());
  constexpr int kWriters = 8;
  std::vector<std::thread> writers;
  std::atomic<int> won{0};
  std::atomic<int> refused{0};
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      auto r = store.put_if("lake/k.json", "writer " + std::to_string(i), *base);
      if (r.is_ok()) ++won;
      if (r.status().code() == StatusCode::kConflict) ++refused;
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), kWriters - 1);
}

}  // namespace
}  // namespace pgs3
