#include "sink/spill_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
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
  const fs::path private_dir = fs::path((*file)->path()).parent_path();
  EXPECT_EQ(private_dir.parent_path(), dir);
  EXPECT_EQ(private_dir.filename().string().rfind(prefix, 0), 0u) << private_dir;
  EXPECT_TRUE(fs::exists((*file)->path()));

  auto second = SpillFile::create(dir.string());
  ASSERT_TRUE(second.is_ok());
  EXPECT_NE((*second)->path(), (*file)->path());
  EXPECT_EQ(fs::path((*second)->path()).parent_path(), private_dir) << "one private directory per process";
  EXPECT_EQ(files(dir).size(), 1u);
  EXPECT_EQ(files(private_dir).size(), 2u);

  file = Status::internal("released");  // destroys the first file
  EXPECT_EQ(files(private_dir).size(), 1u);
  second = Status::internal("released");
  EXPECT_TRUE(files(dir).empty()) << "the private directory goes with its last file";
}

// Spill files hold rows in plaintext (issue 11, item 10): other users may neither read them nor list their names,
// whatever the umask and however open the spill directory is (/tmp is 1777).
TEST_F(SpillFileTest, FilesAre0600InsideAPrivate0700Directory) {
  fs::create_directories(root_);
  fs::permissions(root_, fs::perms::all);
  const mode_t saved_umask = ::umask(0);
  auto file = SpillFile::create(root_.string());
  ::umask(saved_umask);
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  struct stat st {};
  ASSERT_EQ(::stat((*file)->path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  const fs::path private_dir = fs::path((*file)->path()).parent_path();
  EXPECT_NE(private_dir, root_) << "the file must not sit in the shared spill directory itself";
  struct stat dir_st {};
  ASSERT_EQ(::lstat(private_dir.c_str(), &dir_st), 0);
  EXPECT_TRUE(S_ISDIR(dir_st.st_mode));
  EXPECT_EQ(dir_st.st_mode & 07777, 0700u);
  EXPECT_EQ(dir_st.st_uid, ::geteuid());
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
  EXPECT_EQ(fs::path((*file)->path()).parent_path().parent_path(), root_);
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

// The private directories a killed process left (its files inside) go too; a live process's stays, and so does its
// open file: remove_stale() keeps working with files in private directories.
TEST(SpillFileStaleTest, RemoveStaleRemovesThePrivateDirectoriesOfDeadProcesses) {
  const fs::path dir = fs::temp_directory_path() / ("pgs3-spill-stale-dirs-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path dead = dir / "pgs3-spill-99999999-Ab12Cd";  // above any pid_max
  fs::create_directories(dead);
  std::ofstream(dead / "pgs3-spill-99999999-1") << "rows";
  std::ofstream(dead / "pgs3-spill-99999999-2") << "rows";
  auto live = SpillFile::create(dir.string());
  ASSERT_TRUE(live.is_ok()) << live.status().message();
  auto removed = SpillFile::remove_stale(dir.string());
  ASSERT_TRUE(removed.is_ok()) << removed.status().message();
  EXPECT_EQ(*removed, 2);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists((*live)->path()));
  live = Status::internal("released");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pgs3
