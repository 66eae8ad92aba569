#include "format/value_text.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace pgs3 {
namespace {

// Expected texts below were printed by PostgreSQL 15 (DateStyle ISO, extra_float_digits 1) for the same values.

std::string float_text(float v) {
  std::string out;
  append_float_text(v, out);
  return out;
}
std::string double_text(double v) {
  std::string out;
  append_double_text(v, out);
  return out;
}
std::string date_text(int32_t days) {
  std::string out;
  append_date_text(days, out);
  return out;
}
std::string timestamp_text(int64_t micros) {
  std::string out;
  append_timestamp_text(micros, out);
  return out;
}
std::string time_text(int64_t micros) {
  std::string out;
  append_time_text(micros, out);
  return out;
}

// Big-endian two's complement of `v` in `length` bytes.
std::string decimal_bytes(__int128 v, size_t length) {
  std::string bytes(length, '\0');
  for (size_t i = length; i-- > 0;) {
    bytes[i] = static_cast<char>(static_cast<unsigned __int128>(v) & 0xFF);
    v >>= 8;  // arithmetic shift keeps the sign bits
  }
  return bytes;
}
std::string decimal_text(__int128 unscaled, int32_t scale, size_t length = 16) {
  std::string out;
  append_decimal_text(decimal_bytes(unscaled, length), scale, out);
  return out;
}

TEST(ValueText, RealUsesPostgresLayoutOfTheShortestDigits) {
  EXPECT_EQ(float_text(1.5f), "1.5");
  EXPECT_EQ(float_text(0.1f), "0.1");
  EXPECT_EQ(float_text(123456.0f), "123456");
  EXPECT_EQ(float_text(999999.0f), "999999");
  EXPECT_EQ(float_text(1000000.0f), "1e+06");
  EXPECT_EQ(float_text(1234567.0f), "1.234567e+06");
  EXPECT_EQ(float_text(0.0001f), "0.0001");
  EXPECT_EQ(float_text(0.00001f), "1e-05");
  EXPECT_EQ(float_text(3.4028235e38f), "3.4028235e+38");
  EXPECT_EQ(float_text(-2.25f), "-2.25");
}

TEST(ValueText, DoublePrecisionUsesPostgresLayoutOfTheShortestDigits) {
  EXPECT_EQ(double_text(1e15), "1e+15");
  EXPECT_EQ(double_text(1e14), "100000000000000");
  EXPECT_EQ(double_text(1e-5), "1e-05");
  EXPECT_EQ(double_text(0.0001), "0.0001");
  EXPECT_EQ(double_text(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(double_text(123.456), "123.456");
  EXPECT_EQ(double_text(1.5e300), "1.5e+300");
  EXPECT_EQ(double_text(12345678901234567890.0), "1.2345678901234567e+19");
  EXPECT_EQ(double_text(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(double_text(5e-324), "5e-324");
  EXPECT_EQ(double_text(-1234.5), "-1234.5");
}

TEST(ValueText, FloatSpecialValuesAreSpeltAsPostgresSpellsThem) {
  EXPECT_EQ(double_text(std::nan("")), "NaN");
  EXPECT_EQ(double_text(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(double_text(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(double_text(-0.0), "-0");
  EXPECT_EQ(double_text(0.0), "0");
  EXPECT_EQ(float_text(std::nanf("")), "NaN");
  EXPECT_EQ(float_text(-std::numeric_limits<float>::infinity()), "-Infinity");
  EXPECT_EQ(float_text(-0.0f), "-0");
}

template <typename T>
T read_back(const std::string& text) {
  T value{};
  auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  EXPECT_EQ(result.ptr, text.data() + text.size()) << text;
  return value;
}

TEST(ValueText, FloatTextReadsBackToTheSameValue) {
  for (double v : {0.1, 1.0 / 3.0, 2.0 / 3.0 * 1e-200, 6.02214076e23, -9.999999999999999e14, 4.9e-7, 5e-324}) {
    EXPECT_EQ(read_back<double>(double_text(v)), v) << double_text(v);
  }
  for (float v : {0.1f, 1.0f / 3.0f, 7.0e-39f, 16777216.0f, -0.3f, 1e-45f}) {
    EXPECT_EQ(read_back<float>(float_text(v)), v) << float_text(v);
  }
}

TEST(ValueText, DecimalIsExactWithScaleDigits) {
  EXPECT_EQ(decimal_text(1234500, 4), "123.4500");
  EXPECT_EQ(decimal_text(-5, 2), "-0.05");
  EXPECT_EQ(decimal_text(0, 4), "0.0000");
  EXPECT_EQ(decimal_text(42, 0), "42");
  EXPECT_EQ(decimal_text(-42, 0), "-42");
  EXPECT_EQ(decimal_text(123400, 4, 5), "12.3400");  // a narrower FIXED_LEN_BYTE_ARRAY
  EXPECT_EQ(decimal_text(-1, 38), "-0.00000000000000000000000000000000000001");
}

TEST(ValueText, DecimalCoversThirtyEightDigitsBothSigns) {
  __int128 nines = 0;
  for (int i = 0; i < 38; ++i) nines = nines * 10 + 9;
  EXPECT_EQ(decimal_text(nines, 0), "99999999999999999999999999999999999999");
  EXPECT_EQ(decimal_text(-nines, 10), "-9999999999999999999999999999.9999999999");
  // The most negative 128-bit value, which has no positive counterpart.
  __int128 min = static_cast<__int128>(static_cast<unsigned __int128>(1) << 127);
  EXPECT_EQ(decimal_text(min, 0), "-170141183460469231731687303715884105728");
}

TEST(ValueText, DecimalWiderThanSixteenBytesIsStillExact) {
  std::string out;
  std::string bytes(20, '\0');
  bytes[19] = 1;  // 2^0
  bytes[3] = 1;   // + 2^128 = 340282366920938463463374607431768211456
  append_decimal_text(bytes, 3, out);
  EXPECT_EQ(out, "340282366920938463463374607431768211.457");
  out.clear();
  append_decimal_text(std::string(20, '\xff'), 2, out);  // -1
  EXPECT_EQ(out, "-0.01");
}

TEST(ValueText, DatesUseIsoWithBcForYearsBeforeOne) {
  EXPECT_EQ(date_text(0), "1970-01-01");
  EXPECT_EQ(date_text(19782), "2024-02-29");
  EXPECT_EQ(date_text(-1), "1969-12-31");
  EXPECT_EQ(date_text(-719162), "0001-01-01");
  EXPECT_EQ(date_text(-719163), "0001-12-31 BC");  // year 0 is 1 BC
  EXPECT_EQ(date_text(-719528), "0001-01-01 BC");
  EXPECT_EQ(date_text(-735160), "0044-03-15 BC");
  EXPECT_EQ(date_text(-2440588), "4714-11-24 BC");    // PostgreSQL's first date (Julian day 0)
  EXPECT_EQ(date_text(2145042905), "5874897-12-31");  // and its last
}

TEST(ValueText, DateInfinitiesAreTheInt32Sentinels) {
  EXPECT_EQ(date_text(std::numeric_limits<int32_t>::max()), "infinity");
  EXPECT_EQ(date_text(std::numeric_limits<int32_t>::min()), "-infinity");
  EXPECT_EQ(date_text(-std::numeric_limits<int32_t>::max()), "-infinity");  // what pgs3 writes (DuckDB's value)
}

TEST(ValueText, TimesTrimTrailingFractionZeros) {
  EXPECT_EQ(time_text(0), "00:00:00");
  EXPECT_EQ(time_text((13 * 3600 + 45 * 60) * 1000000LL + 123456), "13:45:00.123456");
  EXPECT_EQ(time_text((13 * 3600 + 45 * 60) * 1000000LL + 123000), "13:45:00.123");
  EXPECT_EQ(time_text(5 * 1000000LL + 100000), "00:00:05.1");
  EXPECT_EQ(time_text(24 * 3600 * 1000000LL), "24:00:00");
}

TEST(ValueText, TimestampsUseIsoWithBcAfterTheTime) {
  EXPECT_EQ(timestamp_text(0), "1970-01-01 00:00:00");
  EXPECT_EQ(timestamp_text(-1), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(timestamp_text(1709214300123456LL), "2024-02-29 13:45:00.123456");
  EXPECT_EQ(timestamp_text(-63517780799500000LL), "0044-03-15 12:00:00.5 BC");
  EXPECT_EQ(timestamp_text(std::numeric_limits<int64_t>::max() - 1), "294247-01-10 04:00:54.775806");
}

TEST(ValueText, TimestampInfinitiesAreTheInt64Sentinels) {
  EXPECT_EQ(timestamp_text(std::numeric_limits<int64_t>::max()), "infinity");
  EXPECT_EQ(timestamp_text(std::numeric_limits<int64_t>::min()), "-infinity");
  EXPECT_EQ(timestamp_text(-std::numeric_limits<int64_t>::max()), "-infinity");  // what pgs3 writes
  std::string out;
  append_timestamp_millis_text(std::numeric_limits<int64_t>::max(), out);
  EXPECT_EQ(out, "infinity");
  out.clear();
  append_timestamp_millis_text(std::numeric_limits<int64_t>::min(), out);
  EXPECT_EQ(out, "-infinity");
}

TEST(ValueText, MillisecondTimestampsFloorTowardEarlierTime) {
  std::string out;
  append_timestamp_millis_text(-1, out);
  EXPECT_EQ(out, "1969-12-31 23:59:59.999");
  out.clear();
  append_timestamp_millis_text(1709214300123LL, out);
  EXPECT_EQ(out, "2024-02-29 13:45:00.123");
}

TEST(ValueText, RendersEachColumnKindFromItsVector) {
  struct Case {
    ColumnSpec spec;
    void (*fill)(ColumnVector&);
    std::string expected;
  };
  const Case cases[] = {
      {{.name = "b", .physical = PhysicalType::kBoolean, .logical = LogicalType::kNone},
       [](ColumnVector& v) { v.append_bool(false), v.append_bool(true); },
       "true"},
      {{.name = "s", .physical = PhysicalType::kInt32, .logical = LogicalType::kInt16},
       [](ColumnVector& v) { v.append_int32(0), v.append_int32(-32768); },
       "-32768"},
      {{.name = "i", .physical = PhysicalType::kInt32, .logical = LogicalType::kNone},
       [](ColumnVector& v) { v.append_int32(0), v.append_int32(std::numeric_limits<int32_t>::min()); },
       "-2147483648"},
      {{.name = "l", .physical = PhysicalType::kInt64, .logical = LogicalType::kNone},
       [](ColumnVector& v) { v.append_int64(0), v.append_int64(std::numeric_limits<int64_t>::min()); },
       "-9223372036854775808"},
      {{.name = "f", .physical = PhysicalType::kFloat, .logical = LogicalType::kNone},
       [](ColumnVector& v) { v.append_float(0), v.append_float(1.5f); },
       "1.5"},
      {{.name = "d", .physical = PhysicalType::kDouble, .logical = LogicalType::kNone},
       [](ColumnVector& v) { v.append_double(0), v.append_double(-0.0); },
       "-0"},
      {{.name = "t", .physical = PhysicalType::kByteArray, .logical = LogicalType::kString},
       [](ColumnVector& v) { v.append_bytes("x"), v.append_bytes("héllo, \"world\""); },
       "héllo, \"world\""},
      {{.name = "bytea", .physical = PhysicalType::kByteArray, .logical = LogicalType::kNone},
       [](ColumnVector& v) { v.append_bytes("x"), v.append_bytes(std::string("\x00\xde\xad\xBE\xef", 5)); },
       "\\x00deadbeef"},
      {{.name = "empty_bytea", .physical = PhysicalType::kByteArray, .logical = LogicalType::kNone},
       [](ColumnVector& v) { v.append_bytes("x"), v.append_bytes(""); },
       "\\x"},
      {{.name = "money",
        .physical = PhysicalType::kFixedLenByteArray,
        .logical = LogicalType::kDecimal,
        .fixed_length = 16,
        .precision = 38,
        .scale = 4},
       [](ColumnVector& v) { v.append_bytes(decimal_bytes(0, 16)), v.append_bytes(decimal_bytes(123400, 16)); },
       "12.3400"},
      {{.name = "flba", .physical = PhysicalType::kFixedLenByteArray, .logical = LogicalType::kNone, .fixed_length = 2},
       [](ColumnVector& v) { v.append_bytes("ab"), v.append_bytes("\x01\xff"); },
       "\\x01ff"},
      {{.name = "date", .physical = PhysicalType::kInt32, .logical = LogicalType::kDate},
       [](ColumnVector& v) { v.append_int32(0), v.append_int32(-735160); },
       "0044-03-15 BC"},
      {{.name = "time_ms", .physical = PhysicalType::kInt32, .logical = LogicalType::kTimeMillis},
       [](ColumnVector& v) { v.append_int32(0), v.append_int32(49500250); },
       "13:45:00.25"},
      {{.name = "time", .physical = PhysicalType::kInt64, .logical = LogicalType::kTimeMicros, .utc_adjusted = true},
       [](ColumnVector& v) { v.append_int64(0), v.append_int64(49500000001LL); },
       "13:45:00.000001"},
      {{.name = "ts", .physical = PhysicalType::kInt64, .logical = LogicalType::kTimestampMicros},
       [](ColumnVector& v) { v.append_int64(0), v.append_int64(std::numeric_limits<int64_t>::min()); },
       "-infinity"},
      {{.name = "ts_ms",
        .physical = PhysicalType::kInt64,
        .logical = LogicalType::kTimestampMillis,
        .utc_adjusted = true},
       [](ColumnVector& v) { v.append_int64(0), v.append_int64(1709214300123LL); },
       "2024-02-29 13:45:00.123"},
  };
  for (const Case& c : cases) {
    ColumnVector vector(c.spec);
    c.fill(vector);
    std::string out = "prefix:";
    append_value_text(c.spec, vector, 1, out);
    EXPECT_EQ(out, "prefix:" + c.expected) << c.spec.name;
  }
}

}  // namespace
}  // namespace pgs3
