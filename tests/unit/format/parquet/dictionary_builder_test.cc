#include "format/parquet/dictionary_builder.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>

namespace pgs3 {
namespace {

constexpr size_t kNoLimit = size_t{1} << 30;

TEST(FixedWidthDictionary, IndicesFollowFirstAppearance) {
  FixedWidthDictionary<uint32_t> dict;
  EXPECT_EQ(dict.index_of(30, kNoLimit), 0);
  EXPECT_EQ(dict.index_of(10, kNoLimit), 1);
  EXPECT_EQ(dict.index_of(30, kNoLimit), 0);
  EXPECT_EQ(dict.index_of(20, kNoLimit), 2);
  EXPECT_EQ(dict.size(), 3u);
  EXPECT_EQ(dict.plain(), std::string("\x1e\0\0\0\x0a\0\0\0\x14\0\0\0", 12));
}

TEST(FixedWidthDictionary, FloatsAreKeyedByBitPattern) {
  FixedWidthDictionary<uint64_t> dict;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  int32_t zero = dict.index_of(std::bit_cast<uint64_t>(0.0), kNoLimit);
  int32_t negative_zero = dict.index_of(std::bit_cast<uint64_t>(-0.0), kNoLimit);
  int32_t nan1 = dict.index_of(std::bit_cast<uint64_t>(nan), kNoLimit);
  EXPECT_NE(zero, negative_zero);
  EXPECT_EQ(dict.index_of(std::bit_cast<uint64_t>(nan), kNoLimit), nan1);  // NaN finds itself (unlike NaN == NaN)
}

TEST(FixedWidthDictionary, RefusesTheEntryThatCrossesTheLimit) {
  FixedWidthDictionary<uint64_t> dict;
  EXPECT_EQ(dict.index_of(1, 16), 0);
  EXPECT_EQ(dict.index_of(2, 16), 1);
  EXPECT_EQ(dict.index_of(3, 16), FixedWidthDictionary<uint64_t>::kFull);
  EXPECT_EQ(dict.index_of(2, 16), 1);  // existing entries are still found
  EXPECT_EQ(dict.plain_size(), 16u);
}

TEST(FixedWidthDictionary, GrowsAndClearsCorrectly) {
  FixedWidthDictionary<uint32_t> dict;
  for (int round = 0; round < 3; ++round) {
    const uint32_t n = round == 1 ? 10 : 100000;  // a small dictionary after a large one clears only its own slots
    for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(dict.index_of(i * 7919u, kNoLimit), static_cast<int32_t>(i));
    for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(dict.index_of(i * 7919u, kNoLimit), static_cast<int32_t>(i));
    EXPECT_EQ(dict.size(), n);
    dict.clear();
    EXPECT_EQ(dict.size(), 0u);
    EXPECT_EQ(dict.index_of(7919u, kNoLimit), 0);
    dict.clear();
  }
}

TEST(BinaryDictionary, ByteArrayEntriesArePlainWithLengthPrefix) {
  BinaryDictionary dict(/*length_prefix=*/true);
  EXPECT_EQ(dict.index_of("ab", kNoLimit), 0);
  EXPECT_EQ(dict.index_of("", kNoLimit), 1);
  EXPECT_EQ(dict.index_of("ab", kNoLimit), 0);
  EXPECT_EQ(dict.plain(), std::string("\x02\0\0\0"
                                      "ab"
                                      "\0\0\0\0",
                                      10));
  EXPECT_EQ(dict.entry(0), "ab");
  EXPECT_EQ(dict.entry(1), "");
}

TEST(BinaryDictionary, FixedLengthEntriesHaveNoPrefixAndLimitCountsBytes) {
  BinaryDictionary dict(/*length_prefix=*/false);
  EXPECT_EQ(dict.index_of("abcd", 8), 0);
  EXPECT_EQ(dict.index_of("efgh", 8), 1);
  EXPECT_EQ(dict.index_of("ijkl", 8), BinaryDictionary::kFull);
  EXPECT_EQ(dict.plain(), "abcdefgh");
}

TEST(BinaryDictionary, ManyDistinctStringsKeepTheirIndices) {
  BinaryDictionary dict(true);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 50000; ++i) ASSERT_EQ(dict.index_of("value-" + std::to_string(i), kNoLimit), i);
    for (int i = 0; i < 50000; ++i) ASSERT_EQ(dict.index_of("value-" + std::to_string(i), kNoLimit), i);
    dict.clear();
  }
}

}  // namespace
}  // namespace pgs3
