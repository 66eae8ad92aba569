#include "format/parquet/rle_bit_packed.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace pgs3 {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

std::string hybrid(const std::vector<uint32_t>& values, int width) {
  std::string out;
  append_rle_bit_packed(values.data(), values.size(), width, &out);
  return out;
}

TEST(BitPacking, MatchesTheSpecificationExample) {
  // Encodings.md: 0..7 with bit width 3 pack to 10001000 11000110 11111010.
  std::vector<uint32_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string out;
  append_bit_packed(values.data(), values.size(), 3, &out);
  EXPECT_EQ(out, bytes({0x88, 0xC6, 0xFA}));
}

TEST(RleBitPacked, EightDistinctValuesAreOneBitPackedRun) {
  // Header varint(1 group << 1 | 1) = 0x03, then the spec example's three bytes.
  EXPECT_EQ(hybrid({0, 1, 2, 3, 4, 5, 6, 7}, 3), bytes({0x03, 0x88, 0xC6, 0xFA}));
}

TEST(RleBitPacked, LongRunIsOneRleRun) {
  // 100 ones at width 1: header varint(100 << 1) = varint(200) = c8 01, value in one byte.
  std::vector<uint32_t> ones(100, 1);
  EXPECT_EQ(hybrid(ones, 1), bytes({0xC8, 0x01, 0x01}));
}

TEST(RleBitPacked, DefinitionLevelsMixLiteralsAndRuns) {
  // [1,0,1,1,0,0,1,0] bit-packed LSB first = 0b01001101 = 0x4d; then 10 ones: header 10 << 1 = 0x14, value 0x01.
  std::vector<uint8_t> levels = {1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  std::string out;
  append_rle_bit_packed(levels.data(), levels.size(), 1, &out);
  EXPECT_EQ(out, bytes({0x03, 0x4D, 0x14, 0x01}));
}

TEST(RleBitPacked, LastGroupIsPaddedWithZeros) {
  // 1, 2, 3 at width 2: 01 | 10 << 2 | 11 << 4 = 0x39, then five zero values fill the group of 8.
  EXPECT_EQ(hybrid({1, 2, 3}, 2), bytes({0x03, 0x39, 0x00}));
}

TEST(RleBitPacked, RunStartingInsideAGroupContinuesAsRleAtTheNextGroup) {
  // [5,6,7] then thirteen 1s at width 3: the first group takes 5,6,7 and five 1s (f5 93 24), the remaining eight 1s
  // are an RLE run (header 0x10, value 0x01).
  std::vector<uint32_t> values = {5, 6, 7};
  values.insert(values.end(), 13, 1);
  EXPECT_EQ(hybrid(values, 3), bytes({0x03, 0xF5, 0x93, 0x24, 0x10, 0x01}));
}

TEST(RleBitPacked, BitWidthZeroRunsHaveNoValueBytes) {
  EXPECT_EQ(hybrid(std::vector<uint32_t>(10, 0), 0), bytes({0x14}));
}

TEST(RleBitPacked, RleValueTakesWholeBytesLittleEndian) {
  // Width 9 needs 2 value bytes: 300 = 0x012c -> 2c 01.
  EXPECT_EQ(hybrid(std::vector<uint32_t>(8, 300), 9), bytes({0x10, 0x2C, 0x01}));
}

TEST(RleBitPacked, EmptyInputWritesNothing) { EXPECT_EQ(hybrid({}, 5), ""); }

TEST(RleBitPacked, DecodesWhatItEncodesForEveryWidth) {
  std::mt19937 rng(42);
  for (int width = 0; width <= 32; ++width) {
    const uint64_t limit = width == 0 ? 1 : (uint64_t{1} << width);
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<uint32_t> values;
      size_t n = rng() % 3000;
      while (values.size() < n) {
        // Alternate random literals and runs of random length, so both run kinds and their boundaries occur.
        uint32_t v = static_cast<uint32_t>(rng() % limit);
        size_t run = rng() % 3 == 0 ? 1 + rng() % 40 : 1;
        for (size_t k = 0; k < run && values.size() < n; ++k) values.push_back(v);
      }
      std::string encoded = hybrid(values, width);
      std::vector<uint32_t> decoded(values.size());
      Result<size_t> used = decode_rle_bit_packed(encoded, width, values.size(), decoded.data());
      ASSERT_TRUE(used.is_ok()) << used.status().message();
      EXPECT_EQ(*used, encoded.size());
      ASSERT_EQ(decoded, values) << "width " << width << " n " << n;
    }
  }
}

TEST(RleBitPacked, DecoderRejectsTruncatedData) {
  std::string encoded = hybrid({0, 1, 2, 3, 4, 5, 6, 7}, 3);
  std::vector<uint32_t> decoded(8);
  Result<size_t> r = decode_rle_bit_packed(std::string_view(encoded).substr(0, 2), 3, 8, decoded.data());
  EXPECT_EQ(r.status().code(), StatusCode::kDataError);
  Result<size_t> empty = decode_rle_bit_packed("", 3, 1, decoded.data());
  EXPECT_EQ(empty.status().code(), StatusCode::kDataError);
}

TEST(BitWidth, CountsTheBitsOfTheMaximum) {
  EXPECT_EQ(bit_width(0), 0);
  EXPECT_EQ(bit_width(1), 1);
  EXPECT_EQ(bit_width(2), 2);
  EXPECT_EQ(bit_width(3), 2);
  EXPECT_EQ(bit_width(4), 3);
  EXPECT_EQ(bit_width(0xFFFFFFFFu), 32);
}

}  // namespace
}  // namespace pgs3
