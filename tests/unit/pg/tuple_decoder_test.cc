#include "pg/tuple_decoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace pgs3 {
namespace {

// public.v (every natively decoded kind) in text and in binary form give the same typed values.
TEST(TupleDecoderTest, TextAndBinaryFormsDecodeToTheSameValues) {
  RelationDescriptor rel;
  rel.oid = 1;
  rel.schema = "public";
  rel.name = "v";
  auto add = [&](const char* name, uint32_t oid, int32_t typmod = -1) {
    rel.columns.push_back(RelationColumn{name, false, oid, typmod});
  };
  add("b", 16);
  add("i2", 21);
  add("i8", 20);
  add("f8", 701);
  add("n", 1700, (10 << 16 | 2) + 4);
  add("d", 1082);
  add("ts", 1184);
  add("ba", 17);
  add("tt", 1266);
  add("iv", 1186);
  add("arr", 1007);  // int4[]: no native decoder
  TupleDecoder decoder(rel, TypeMappingOptions{});
  auto be = [](uint64_t v, int n) {
    std::string s;
    for (int i = n - 1; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
  };
  double f = -1.5;
  uint64_t fbits;
  std::memcpy(&fbits, &f, 8);
  std::vector<std::pair<std::string, std::string>> values = {
      {"t", "\x01"},
      {"-32768", be(static_cast<uint16_t>(-32768), 2)},
      {"9223372036854775807", be(INT64_MAX, 8)},
      {"-1.5", be(fbits, 8)},
      {"-12.34", std::string("\x00\x02\x00\x00\x40\x00\x00\x02\x00\x0c\x0d\x48", 12)},
      {"2024-02-29", be(8825, 4)},
      {"2000-01-01 00:00:01+00", be(1000000, 8)},
      {"\\xdeadbeef", "\xde\xad\xbe\xef"},
      {"10:00:00+02", be(36000000000ULL, 8) + be(static_cast<uint32_t>(-7200), 4)},
      {"1 day 02:00:00", be(7200000000ULL, 8) + be(1, 4) + be(0, 4)},
      {"{1,2}", ""},
  };
  ASSERT_EQ(values.size(), rel.columns.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const ColumnSpec& spec = decoder.columns()[i].spec;
    ColumnVector from_text(spec);
    ColumnVector from_binary(spec);
    Status s = decoder.append(i, TupleValue{TupleValueKind::kText, values[i].first}, from_text);
    ASSERT_TRUE(s.is_ok()) << rel.columns[i].name << ": " << s.message();
    if (rel.columns[i].name == std::string("arr")) {
      EXPECT_EQ(from_text.bytes_at(0), "{1,2}");
      Status b = decoder.append(i, TupleValue{TupleValueKind::kBinary, "\x00"}, from_binary);
      EXPECT_EQ(b.code(), StatusCode::kDataError);
      EXPECT_NE(b.message().find("\"arr\""), std::string::npos) << b.message();
      continue;
    }
    s = decoder.append(i, TupleValue{TupleValueKind::kBinary, values[i].second}, from_binary);
    ASSERT_TRUE(s.is_ok()) << rel.columns[i].name << ": " << s.message();
    ASSERT_EQ(from_text.values(), 1u);
    if (spec.physical == PhysicalType::kByteArray) {
      EXPECT_EQ(from_text.bytes_at(0), from_binary.bytes_at(0)) << rel.columns[i].name;
    } else if (spec.physical == PhysicalType::kFixedLenByteArray) {
      EXPECT_EQ(from_text.fixed_bytes_at(0), from_binary.fixed_bytes_at(0)) << rel.columns[i].name;
    } else {
      int w = value_width(spec);
      EXPECT_EQ(std::memcmp(from_text.fixed_data(), from_binary.fixed_data(), w), 0) << rel.columns[i].name;
    }
  }
}

TEST(TupleDecoderTest, NullsUnchangedToastAndBadText) {
  RelationDescriptor rel;
  rel.schema = "public";
  rel.name = "w";
  rel.columns.push_back(RelationColumn{"i", true, 23, -1});
  rel.columns.push_back(RelationColumn{"t", false, 25, -1});
  TupleDecoder decoder(rel, TypeMappingOptions{});
  ColumnVector ints(decoder.columns()[0].spec);
  ASSERT_TRUE(decoder.append(0, TupleValue{TupleValueKind::kNull, {}}, ints).is_ok());
  EXPECT_EQ(ints.null_count(), 1u);
  Status s = decoder.append(0, TupleValue{TupleValueKind::kText, "12x"}, ints);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  EXPECT_NE(s.message().find("\"public\".\"w\""), std::string::npos) << s.message();
  s = decoder.append(0, TupleValue{TupleValueKind::kText, "2147483648"}, ints);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  ColumnVector texts(decoder.columns()[1].spec);
  s = decoder.append(1, TupleValue{TupleValueKind::kUnchangedToast, {}}, texts);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(texts.rows(), 0u);
}

}  // namespace
}  // namespace pgs3
