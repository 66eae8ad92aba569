#include "sink/spill_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace pgs3 {
namespace {

namespace fs = std::filesystem;

class SpillFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-spill-file-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::vector<std::string> files(const fs::path& dir) {
    std::vector<std::string> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    return out;
  }

  fs::path root_;
};

// Bytes that differ at every position, so that a chunk out of order or a lost buffer shows.
std::string pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + static_cast<size_t>(seed) * 7 + i / 251) & 0xFF);
  return s;
}

TEST_F(SpillFileTest, CreatesTheMissingDirectoryAndANamedFileRemovedOnDestruction) {
  const fs::path dir = root_ / "nested" / "spill";
  auto file = SpillFile::create(dir.string());
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  const std::string name = fs::path((*file)->path()).filename().string();
  const std::string prefix = "pgs3-spill-" + std::to_string(::getpid()) + "-";
  EXPECT_EQ(name.rfind(prefix, 0), 0u) << name;
  EXPECT_EQ(fs::path((*file)->path()).parent_path(), dir);
  EXPECT_TRUE(fs::exists((*file)->path()));
  EXPECT_EQ(fs::status((*file)->path()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);

  auto second = SpillFile::create(dir.string());
  ASSERT_TRUE(second.is_ok());
  EXPECT_NE((*second)->path(), (*file)->path());
  EXPECT_EQ(files(dir).size(), 2u);

  file = Status::internal("released");  // destroys the first file
  second = Status::internal("released");
  EXPECT_TRUE(files(dir).empty());
}

TEST_F(SpillFileTest, ReadAllReturnsTheAppendedBytesInOrderInBoundedChunks) {
  auto file = SpillFile::create(root_.string());
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  std::string expected;
  // Small appends that stay in the buffer, one that overflows it, one larger than the buffer.
  for (size_t n : {size_t{10}, size_t{1000}, SpillFile::kBufferBytes - 500, size_t{3000},
                   SpillFile::kBufferBytes * 2 + 17, size_t{1}}) {
    std::string bytes = pattern(n, static_cast<int>(expected.size()));
    ASSERT_TRUE((*file)->append(bytes).is_ok());
    expected += bytes;
  }
  EXPECT_EQ((*file)->size(), expected.size());
  EXPECT_LE((*file)->memory_bytes(), SpillFile::kBufferBytes + 64);

  std::string read;
  size_t largest = 0;
  Status st = (*file)->read_all(100000, [&](std::string_view chunk) {
    read.append(chunk);
    largest = std::max(largest, chunk.size());
    return Status::ok();
  });
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(read.size(), expected.size());
  EXPECT_TRUE(read == expected);
  EXPECT_EQ(largest, 100000u);

  // Appending after a read goes on at the end.
  ASSERT_TRUE((*file)->append("tail").is_ok());
  read.clear();
  ASSERT_TRUE((*file)
                  ->read_all(8 << 20,
                             [&](std::string_view chunk) {
                               read.append(chunk);
                               return Status::ok();
                             })
                  .is_ok());
  EXPECT_TRUE(read == expected + "tail");
}

TEST_F(SpillFileTest, ASinkFailureStopsTheRead) {
  auto file = SpillFile::create(root_.string());
  ASSERT_TRUE(file.is_ok());
  ASSERT_TRUE((*file)->append(pattern(1000, 1)).is_ok());
  int calls = 0;
  Status st = (*file)->read_all(100, [&](std::string_view) {
    ++calls;
    return Status::unavailable("upload failed");
  });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 1);
}

TEST_F(SpillFileTest, ADirectoryThatCannotBeCreatedIsAClearError) {
  fs::create_directories(root_);
  std::ofstream(root_ / "plain-file") << "not a directory";
  const fs::path dir = root_ / "plain-file" / "spill";
  auto file = SpillFile::create(dir.string());
  ASSERT_FALSE(file.is_ok());
  EXPECT_EQ(file.status().code(), StatusCode::kIoError);
  EXPECT_NE(file.status().message().find("cannot create spill directory " + dir.string()), std::string::npos)
      << file.status().message();
}

TEST_F(SpillFileTest, DefaultDirectoryIsTmpdirOrTmp) {
  const char* saved = std::getenv("TMPDIR");
  const std::string saved_value = saved ? saved : "";
  ::setenv("TMPDIR", root_.c_str(), 1);
  EXPECT_EQ(SpillFile::default_directory(), root_.string());
  auto file = SpillFile::create("");
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  EXPECT_EQ(fs::path((*file)->path()).parent_path(), root_);
  ::setenv("TMPDIR", "", 1);
  EXPECT_EQ(SpillFile::default_directory(), "/tmp");
  if (saved) {
    ::setenv("TMPDIR", saved_value.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

// Files of a process that no longer runs go at start; files of a live process (this one) and other names stay.
TEST(SpillFileStaleTest, RemoveStaleRemovesOnlyTheFilesOfDeadProcesses) {
  const fs::path dir = fs::temp_directory_path() / ("pgs3-spill-stale-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string dead = "pgs3-spill-99999999-1";  // above any pid_max
  const std::string live = "pgs3-spill-" + std::to_string(::getpid()) + "-1";
  for (const std::string& name : {dead, live, std::string("pgs3-spill-notapid"), std::string("other-file")}) {
    std::ofstream(dir / name) << "rows";
  }
  auto removed = SpillFile::remove_stale(dir.string());
  ASSERT_TRUE(removed.is_ok()) << removed.status().message();
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(fs::exists(dir / dead));
  EXPECT_TRUE(fs::exists(dir / live));
  EXPECT_TRUE(fs::exists(dir / "pgs3-spill-notapid"));
  EXPECT_TRUE(fs::exists(dir / "other-file"));
  auto none = SpillFile::remove_stale((dir / "missing").string());
  ASSERT_TRUE(none.is_ok()) << none.status().message();
  EXPECT_EQ(*none, 0);
  fs::remove_all(dir);
}


}  // namespace
}  // namespace pgs3
