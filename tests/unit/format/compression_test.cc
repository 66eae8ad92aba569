#include "format/compression.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace pgs3 {
namespace {

std::string sample(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  // Half random bytes, half repeated text: compressible but not trivial.
  for (size_t i = 0; i < n; ++i) s[i] = (i / 64) % 2 ? static_cast<char>(rng()) : "pgs3 replicates "[i % 16];
  return s;
}

class CompressionRoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(CompressionRoundTrip, DecompressReturnsTheInputForEverySize) {
  BlockCompressor compressor(GetParam());
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{65536}, size_t{1} << 20}) {
    std::string input = sample(n, static_cast<unsigned>(n));
    Result<std::string_view> compressed = compressor.compress(input);
    ASSERT_TRUE(compressed.is_ok()) << compressed.status().message();
    std::string copy(*compressed);
    std::string output;
    Status s = decompress_block(GetParam(), copy, input.size(), &output);
    ASSERT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(output, input) << "size " << n;
  }
}

TEST_P(CompressionRoundTrip, WrongUncompressedSizeIsADataError) {
  BlockCompressor compressor(GetParam());
  std::string input = sample(1000, 7);
  std::string copy(*compressor.compress(input));
  std::string output;
  Status s = decompress_block(GetParam(), copy, input.size() + 1, &output);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CompressionRoundTrip,
                         ::testing::Values(Compression::kNone, Compression::kSnappy, Compression::kGzip,
                                           Compression::kZstd),
                         [](const auto& info) { return std::string(compression_name(info.param)); });

TEST(Compression, RepetitiveInputShrinks) {
  std::string input(100000, 'a');
  for (Compression c : {Compression::kSnappy, Compression::kGzip, Compression::kZstd}) {
    BlockCompressor compressor(c);
    EXPECT_LT(compressor.compress(input)->size(), 10000u) << compression_name(c);
  }
}

TEST(Compression, GzipWritesTheGzipFormatNotZlib) {
  // RFC 1952 members start with ID1 ID2 = 1f 8b and CM = 8 (deflate); a zlib stream would start with 78.
  BlockCompressor compressor(Compression::kGzip);
  std::string_view out = *compressor.compress("hello hello hello");
  ASSERT_GE(out.size(), 18u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0x8b);
  EXPECT_EQ(static_cast<uint8_t>(out[2]), 0x08);
}

TEST(Compression, ZstdWritesAZstandardFrame) {
  BlockCompressor compressor(Compression::kZstd);
  std::string_view out = *compressor.compress("hello hello hello");
  ASSERT_GE(out.size(), 4u);
  // RFC 8878: the frame magic number 0xFD2FB528, little-endian.
  EXPECT_EQ(std::string(out.substr(0, 4)), std::string("\x28\xb5\x2f\xfd", 4));
}

TEST(Compression, SnappyIsRawWithoutFraming) {
  // Raw snappy starts with the uncompressed length as a varint; the framing format would start with 0xff "sNaPpY".
  BlockCompressor compressor(Compression::kSnappy);
  std::string_view out = *compressor.compress(std::string(300, 'x'));
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0xac);  // 300 = 0b10_0101100 -> ac 02
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0x02);
}

TEST(Compression, GzipBlockOfSeveralMembersIsAccepted) {
  BlockCompressor compressor(Compression::kGzip);
  std::string first(*compressor.compress("first member, "));
  std::string second(*compressor.compress("second member"));
  std::string output;
  Status s = decompress_block(Compression::kGzip, first + second, 27, &output);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(output, "first member, second member");
}

TEST(Compression, CorruptBlocksAreDataErrors) {
  std::string garbage = "this is not compressed data at all";
  std::string output;
  for (Compression c : {Compression::kSnappy, Compression::kGzip, Compression::kZstd}) {
    EXPECT_EQ(decompress_block(c, garbage, 100, &output).code(), StatusCode::kDataError) << compression_name(c);
  }
}

TEST(Compression, CompressorIsReusableAcrossBlocksOfDifferentSizes) {
  for (Compression c : {Compression::kSnappy, Compression::kGzip, Compression::kZstd}) {
    BlockCompressor compressor(c);
    for (size_t n : {size_t{5000}, size_t{10}, size_t{300000}, size_t{0}, size_t{77}}) {
      std::string input = sample(n, 3);
      std::string copy(*compressor.compress(input));
      std::string output;
      ASSERT_TRUE(decompress_block(c, copy, n, &output).is_ok());
      EXPECT_EQ(output, input);
    }
  }
}

}  // namespace
}  // namespace pgs3
