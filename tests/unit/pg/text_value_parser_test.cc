#include "pg/text_value_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "pg/type_mapping.h"

namespace pgs3 {
namespace {

TEST(TextValueParserTest, NumericTextToBinaryMatchesNumericSend) {
  std::string out;
  ASSERT_TRUE(numeric_text_to_binary("-12345.670", out));
  // ndigits 3, weight 1, sign NEG, dscale 3, digits 1 2345 6700.
  EXPECT_EQ(out, std::string("\x00\x03\x00\x01\x40\x00\x00\x03\x00\x01\x09\x29\x1a\x2c", 14));
  std::string round;
  ASSERT_TRUE(append_numeric_text(out.data(), static_cast<int32_t>(out.size()), round).is_ok());
  EXPECT_EQ(round, "-12345.670");
  for (const char* text : {"0", "0.00", "0.0001", "100000000", "3.14159265358979", "NaN", "Infinity", "-Infinity",
                           "-0.5", "99999999999999999999999999999.9999"}) {
    ASSERT_TRUE(numeric_text_to_binary(text, out)) << text;
    round.clear();
    ASSERT_TRUE(append_numeric_text(out.data(), static_cast<int32_t>(out.size()), round).is_ok()) << text;
    EXPECT_EQ(round, text);
  }
  EXPECT_FALSE(numeric_text_to_binary("1e5", out));
  EXPECT_FALSE(numeric_text_to_binary("", out));
  EXPECT_FALSE(numeric_text_to_binary("1.2.3", out));
}

TEST(TextValueParserTest, DatesTimesAndTimestamps) {
  int32_t days = 0;
  ASSERT_TRUE(date_text_to_days("2000-01-01", days));
  EXPECT_EQ(days, 0);
  ASSERT_TRUE(date_text_to_days("1970-01-01", days));
  EXPECT_EQ(days, -10957);
  ASSERT_TRUE(date_text_to_days("2024-02-29", days));
  EXPECT_EQ(days, 8825);
  ASSERT_TRUE(date_text_to_days("0001-01-01 BC", days));
  EXPECT_EQ(days, -730485);  // year 0 (1 BC) is a leap year: 366 days before 0001-01-01
  ASSERT_TRUE(date_text_to_days("infinity", days));
  EXPECT_EQ(days, INT32_MAX);
  EXPECT_FALSE(date_text_to_days("01/02/2024", days));
  int64_t micros = 0;
  ASSERT_TRUE(time_text_to_micros("13:45:07.25", micros));
  EXPECT_EQ(micros, (13 * 3600 + 45 * 60 + 7) * 1000000LL + 250000);
  ASSERT_TRUE(timestamp_text_to_micros("2000-01-02 00:00:01.000001", micros));
  EXPECT_EQ(micros, 86401000001LL);
  ASSERT_TRUE(timestamp_text_to_micros("2000-01-01 01:00:00+01", micros));
  EXPECT_EQ(micros, 0);
  ASSERT_TRUE(timestamp_text_to_micros("2000-01-01 00:00:00-05:30", micros));
  EXPECT_EQ(micros, 5LL * 3600000000LL + 30LL * 60000000LL);
  ASSERT_TRUE(timestamp_text_to_micros("-infinity", micros));
  EXPECT_EQ(micros, INT64_MIN);
  EXPECT_FALSE(timestamp_text_to_micros("2000-01-01T00:00:00", micros));
}

TEST(TextValueParserTest, ScalarsMoneyByteaAndTimeWithZone) {
  bool b = false;
  ASSERT_TRUE(boolean_text_to_bool("t", b));
  EXPECT_TRUE(b);
  EXPECT_FALSE(boolean_text_to_bool("true", b));
  int64_t i = 0;
  ASSERT_TRUE(integer_text_to_int64("-32768", -32768, 32767, i));
  EXPECT_EQ(i, -32768);
  EXPECT_FALSE(integer_text_to_int64("32768", -32768, 32767, i));
  EXPECT_FALSE(integer_text_to_int64("12x", INT64_MIN, INT64_MAX, i));
  double d = 0;
  ASSERT_TRUE(double_text_to_double("-1.5", d));
  EXPECT_EQ(d, -1.5);
  float f = 0;
  ASSERT_TRUE(real_text_to_float("-Infinity", f));
  EXPECT_TRUE(f < 0 && f * 2 == f);
  int64_t units = 0;
  ASSERT_TRUE(money_text_to_units("($1,234.56)", units));
  EXPECT_EQ(units, -123456);
  std::string bytes;
  ASSERT_TRUE(bytea_text_to_bytes("\\xdeadbeef", bytes));
  EXPECT_EQ(bytes, "\xde\xad\xbe\xef");
  ASSERT_TRUE(bytea_text_to_bytes("a\\\\\\001", bytes));
  EXPECT_EQ(bytes, std::string("a\\\x01", 3));
  int64_t micros = 0;
  int64_t east = 0;
  ASSERT_TRUE(timetz_text_to_micros("10:00:00+02", micros, east));
  EXPECT_EQ(micros, 36000000000LL);
  EXPECT_EQ(east, 7200);
  EXPECT_FALSE(timetz_text_to_micros("10:00:00", micros, east));
  std::string be;
  append_big_endian(0x0102, 2, be);
  EXPECT_EQ(be, "\x01\x02");
}

}  // namespace
}  // namespace pgs3
