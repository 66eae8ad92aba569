#include "task/truncate_policy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sink/object_keys.h"
#include "store/local_store.h"

namespace pgs3 {
namespace {

namespace fs = std::filesystem;

class TruncatePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-truncate-policy-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    config_.task_id = "t";
    config_.target.s3.bucket_folder = "lake";
  }
  void TearDown() override { fs::remove_all(root_); }

  void put(const std::string& key) {
    fs::create_directories((root_ / key).parent_path());
    std::ofstream(root_ / key) << "x";
  }
  static SourceTable table(const std::string& schema, const std::string& name) {
    SourceTable t;
    t.schema = schema;
    t.name = name;
    return t;
  }
  std::vector<std::string> all_keys(LocalStore& store) {
    std::vector<std::string> out;
    Result<std::vector<ObjectInfo>> listed = store.list("");
    EXPECT_TRUE(listed.is_ok()) << listed.status().message();
    if (!listed.is_ok()) return out;
    const std::vector<ObjectInfo> objects = std::move(listed).value();
    for (const ObjectInfo& o : objects) out.push_back(o.key);
    return out;
  }

  fs::path root_;
  TaskConfig config_;
};

// Issue 11, item 8: TRUNCATE of table `a` removes a's objects only — not those of table `a/b`, whose folder would
// otherwise sit inside a's — and TRUNCATE of a table in schema `_pgs3` leaves the task's checkpoint alone.
TEST_F(TruncatePolicyTest, TruncateRemovesTheTablesOwnFolderOnly) {
  const S3Settings& s = config_.target.s3;
  const std::string a = table_prefix(s, "public", "a");
  const std::string a_b = table_prefix(s, "public", "a/b");
  const std::string state = task_state_prefix(s, "t");
  const std::string pgs3_t = table_prefix(s, "_pgs3", "t");
  for (const std::string& key :
       {a + "LOAD00000001.csv", a + "20261130-120000123.csv", a_b + "LOAD00000001.csv", a_b + "20261130-120000123.csv",
        state + "checkpoint.json", pgs3_t + "LOAD00000001.csv"}) {
    put(key);
  }
  LocalStore store(root_.string());
  Result<bool> removed = apply_truncate_policy(config_, store, table("public", "a"), false);
  ASSERT_TRUE(removed.is_ok()) << removed.status().message();
  EXPECT_TRUE(*removed);
  removed = apply_truncate_policy(config_, store, table("_pgs3", "t"), false);
  ASSERT_TRUE(removed.is_ok()) << removed.status().message();
  std::vector<std::string> expected = {a_b + "20261130-120000123.csv", a_b + "LOAD00000001.csv",
                                       state + "checkpoint.json"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all_keys(store), expected);
}

// A table named ".." (or ".") gets a folder of its own inside its schema's: its TRUNCATE neither fails on the local
// target nor reaches the schema's other tables.
TEST_F(TruncatePolicyTest, DotTablesAreOrdinaryTables) {
  const S3Settings& s = config_.target.s3;
  const std::string dots = table_prefix(s, "public", "..");
  const std::string other = table_prefix(s, "public", "orders");
  put(dots + "LOAD00000001.csv");
  put(other + "LOAD00000001.csv");
  LocalStore store(root_.string());
  Result<bool> removed = apply_truncate_policy(config_, store, table("public", ".."), false);
  ASSERT_TRUE(removed.is_ok()) << removed.status().message();
  EXPECT_EQ(all_keys(store), std::vector<std::string>{other + "LOAD00000001.csv"});
}

}  // namespace
}  // namespace pgs3
