#include "format/parquet_read/delta_encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pgs3 {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

TEST(DeltaBinaryPacked, ConstantDeltasNeedNoMiniblockBytes) {
  // Encodings.md's first example, 1..5: block 128, 4 miniblocks, 5 values, first 1; min delta 1, widths 0.
  std::string data = bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0}) + "tail";
  std::vector<int64_t> out(5);
  Result<size_t> used = decode_delta_binary_packed(data, 5, out.data());
  ASSERT_TRUE(used.is_ok()) << used.status().message();
  EXPECT_EQ(*used, 10u);
  EXPECT_EQ(out, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST(DeltaBinaryPacked, NegativeMinDeltaAndBitPackedMiniblock) {
  // Encodings.md's second example, 7 5 3 1 2 3 4 5: min delta -2, relative deltas 0 0 0 3 3 3 3 in 2 bits.
  std::string data = bytes({0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 2, 0, 0, 0, 0xc0, 0x3f, 0, 0, 0, 0, 0, 0});
  std::vector<int64_t> out(8);
  Result<size_t> used = decode_delta_binary_packed(data, 8, out.data());
  ASSERT_TRUE(used.is_ok()) << used.status().message();
  EXPECT_EQ(*used, data.size());
  EXPECT_EQ(out, (std::vector<int64_t>{7, 5, 3, 1, 2, 3, 4, 5}));
}

TEST(DeltaBinaryPacked, TruncatedOrMiscountedDataIsADataError) {
  std::string data = bytes({0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 2, 0, 0, 0, 0xc0, 0x3f, 0, 0, 0, 0, 0, 0});
  std::vector<int64_t> out(8);
  for (size_t cut = 0; cut < data.size(); ++cut) {
    EXPECT_EQ(decode_delta_binary_packed(data.substr(0, cut), 8, out.data()).status().code(), StatusCode::kDataError)
        << cut;
  }
  EXPECT_EQ(decode_delta_binary_packed(data, 7, out.data()).status().code(), StatusCode::kDataError);
  // A block size that is not a multiple of 128.
  EXPECT_EQ(decode_delta_binary_packed(bytes({0x40, 0x04, 0x01, 0x00}), 1, out.data()).status().code(),
            StatusCode::kDataError);
}

TEST(DeltaLengthByteArray, LengthsThenConcatenatedBytes) {
  // Lengths 3, 2: first 3 (zigzag 6), min delta -1 (zigzag 1), widths 0.
  std::string data = bytes({0x80, 0x01, 0x04, 0x02, 0x06, 0x01, 0, 0, 0, 0}) + "abcde";
  std::vector<std::string_view> out;
  ASSERT_TRUE(decode_delta_length_byte_array(data, 2, &out).is_ok());
  EXPECT_EQ(out, (std::vector<std::string_view>{"abc", "de"}));
  EXPECT_EQ(decode_delta_length_byte_array(data.substr(0, data.size() - 1), 2, &out).code(), StatusCode::kDataError);
}

TEST(DeltaByteArray, PrefixesAreSharedWithThePreviousValue) {
  // "abc", "abd": prefix lengths 0, 2 (first 0, min delta 2 = zigzag 4); suffixes "abc", "d" (lengths 3, 1).
  std::string data = bytes({0x80, 0x01, 0x04, 0x02, 0x00, 0x04, 0, 0, 0, 0}) +
                     bytes({0x80, 0x01, 0x04, 0x02, 0x06, 0x03, 0, 0, 0, 0}) + "abcd";
  std::string storage;
  std::vector<std::string_view> out;
  Status s = decode_delta_byte_array(data, 2, &storage, &out);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(out, (std::vector<std::string_view>{"abc", "abd"}));
  // A prefix longer than the previous value.
  std::string bad = bytes({0x80, 0x01, 0x04, 0x02, 0x08, 0x00, 0, 0, 0, 0}) +
                    bytes({0x80, 0x01, 0x04, 0x02, 0x06, 0x03, 0, 0, 0, 0}) + "abcd";
  EXPECT_EQ(decode_delta_byte_array(bad, 2, &storage, &out).code(), StatusCode::kDataError);
}

}  // namespace
}  // namespace pgs3
