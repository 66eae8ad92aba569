#include "format/parquet/plain_encoder.h"

#include <gtest/gtest.h>

#include <vector>

namespace pgs3 {
namespace {

TEST(PlainEncoder, BooleansArePackedLsbFirst) {
  // true,false,true,true,false,false,false,false -> 0b00001101; the ninth value starts a zero-padded byte.
  std::vector<uint8_t> values = {1, 0, 1, 1, 0, 0, 0, 0, 1};
  std::string out;
  append_plain_booleans(values.data(), values.size(), &out);
  EXPECT_EQ(out, std::string("\x0d\x01", 2));
}

TEST(PlainEncoder, ByteArrayHasALittleEndianLengthPrefix) {
  std::string out;
  append_plain_byte_array("abc", &out);
  append_plain_byte_array("", &out);
  EXPECT_EQ(out, std::string("\x03\x00\x00\x00"
                             "abc"
                             "\x00\x00\x00\x00",
                             11));
}

TEST(PlainEncoder, FixedWidthValuesAreLittleEndian) {
  int32_t v[2] = {1, -2};
  std::string out;
  append_plain_fixed(reinterpret_cast<const uint8_t*>(v), sizeof(v), &out);
  EXPECT_EQ(out, std::string("\x01\x00\x00\x00\xfe\xff\xff\xff", 8));
}

}  // namespace
}  // namespace pgs3
