#include "sink/staged_output.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace pgs3 {
namespace {

namespace fs = std::filesystem;

// An OutputStream that records the size of each append.
class ChunkRecorder final : public OutputStream {
 public:
  Status append(std::string_view bytes) override {
    data.append(bytes);
    sizes.push_back(bytes.size());
    return Status::ok();
  }
  uint64_t position() const override { return data.size(); }
  std::string data;
  std::vector<size_t> sizes;
};

std::string pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 37 + static_cast<size_t>(seed) + i / 509) & 0xFF);
  return s;
}

class StagedOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pgs3-staged-output-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  size_t spill_files() {
    if (!fs::exists(root_)) return 0;
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(root_)) n += e.path().filename().string().rfind("pgs3-spill-", 0) == 0;
    return n;
  }

  fs::path root_;
};

TEST_F(StagedOutputTest, KeepsBytesInMemoryInBlocksUntilSpilled) {
  StagedOutput out(root_.string());
  EXPECT_EQ(out.memory_bytes(), 0u);
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    std::string bytes = pattern(100000 + static_cast<size_t>(i), i);
    ASSERT_TRUE(out.append(bytes).is_ok());
    expected += bytes;
  }
  EXPECT_FALSE(out.spilled());
  EXPECT_EQ(out.position(), expected.size());
  EXPECT_GE(out.memory_bytes(), expected.size());
  EXPECT_LE(out.memory_bytes(), expected.size() + StagedOutput::kMaxBlockBytes) << "no doubling of one buffer";
  EXPECT_EQ(spill_files(), 0u);
  ChunkRecorder sink;
  ASSERT_TRUE(out.copy_to(sink, 300000).is_ok());
  EXPECT_TRUE(sink.data == expected);
  for (size_t n : sink.sizes) EXPECT_LE(n, 300000u);
}

TEST_F(StagedOutputTest, SpillMovesTheBytesToAFileWhereLaterAppendsGo) {
  StagedOutput out(root_.string());
  std::string expected = pattern(3 << 20, 1);
  ASSERT_TRUE(out.append(expected).is_ok());
  const uint64_t before = out.memory_bytes();
  ASSERT_TRUE(out.spill().is_ok());
  EXPECT_TRUE(out.spilled());
  EXPECT_EQ(spill_files(), 1u);
  EXPECT_LT(out.memory_bytes(), before);
  EXPECT_LE(out.memory_bytes(), SpillFile::kBufferBytes);
  std::string more = pattern(5 << 20, 2);
  ASSERT_TRUE(out.append(more).is_ok());
  ASSERT_TRUE(out.append("x").is_ok());
  expected += more + "x";
  EXPECT_LE(out.memory_bytes(), SpillFile::kBufferBytes);
  EXPECT_EQ(out.position(), expected.size());
  EXPECT_EQ(out.spilled_bytes(), expected.size());
  ASSERT_TRUE(out.spill().is_ok()) << "a second spill does nothing";
  EXPECT_EQ(spill_files(), 1u);

  ChunkRecorder sink;
  ASSERT_TRUE(out.copy_to(sink, 1 << 20).is_ok());
  EXPECT_EQ(sink.data.size(), expected.size());
  EXPECT_TRUE(sink.data == expected);
  for (size_t n : sink.sizes) EXPECT_LE(n, size_t{1} << 20);

  out.discard();
  EXPECT_EQ(spill_files(), 0u);
  EXPECT_EQ(out.position(), 0u);
  EXPECT_FALSE(out.spilled());
}

TEST_F(StagedOutputTest, DestructionRemovesTheSpillFile) {
  {
    StagedOutput out(root_.string());
    ASSERT_TRUE(out.append("abc").is_ok());
    ASSERT_TRUE(out.spill().is_ok());
    EXPECT_EQ(spill_files(), 1u);
  }
  EXPECT_EQ(spill_files(), 0u);
}

TEST_F(StagedOutputTest, ASpillThatFailsNamesTheDirectoryAndSticks) {
  fs::create_directories(root_);
  std::ofstream(root_ / "plain-file") << "x";
  const std::string dir = (root_ / "plain-file" / "spill").string();
  StagedOutput out(dir);
  ASSERT_TRUE(out.append("abc").is_ok());
  Status st = out.spill();
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find(dir), std::string::npos) << st.message();
  EXPECT_EQ(out.append("def").code(), StatusCode::kIoError);
  ChunkRecorder sink;
  EXPECT_FALSE(out.copy_to(sink, 100).is_ok());
}

}  // namespace
}  // namespace pgs3
