#include "format/parquet/column_statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace pgs3 {
namespace {

namespace pt = parquet_thrift;

template <typename T>
T decode(const std::string& bytes) {
  EXPECT_EQ(bytes.size(), sizeof(T));
  T v;
  std::memcpy(&v, bytes.data(), sizeof(T));
  return v;
}

TEST(ColumnStatistics, IntegersUseSignedOrder) {
  NumericMinMax<int64_t> bounds;
  for (int64_t v :
       {int64_t{5}, std::numeric_limits<int64_t>::min(), int64_t{-1}, std::numeric_limits<int64_t>::max()}) {
    bounds.update(v);
  }
  pt::Statistics stats;
  set_statistics(bounds, &stats);
  EXPECT_EQ(decode<int64_t>(stats.min_value), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(decode<int64_t>(stats.max_value), std::numeric_limits<int64_t>::max());
  // Signed order: the deprecated fields agree.
  EXPECT_EQ(stats.min, stats.min_value);
  EXPECT_EQ(stats.max, stats.max_value);
  EXPECT_FALSE(stats.__isset.nan_count);
}

TEST(ColumnStatistics, NanIsNeverABound) {
  NumericMinMax<double> bounds;
  bounds.update(std::nan(""));
  bounds.update(2.5);
  bounds.update(-std::numeric_limits<double>::infinity());
  bounds.update(std::nan(""));
  pt::Statistics stats;
  set_statistics(bounds, &stats);
  EXPECT_EQ(decode<double>(stats.min_value), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(decode<double>(stats.max_value), 2.5);
  EXPECT_EQ(stats.nan_count, 2);
}

TEST(ColumnStatistics, AllNanMeansNoBounds) {
  NumericMinMax<float> bounds;
  bounds.update(std::nanf(""));
  pt::Statistics stats;
  set_statistics(bounds, &stats);
  EXPECT_FALSE(stats.__isset.min_value);
  EXPECT_FALSE(stats.__isset.max_value);
  EXPECT_TRUE(stats.__isset.nan_count);
  EXPECT_EQ(stats.nan_count, 1);
}

TEST(ColumnStatistics, ZeroMinimumIsNegativeZeroAndZeroMaximumIsPositiveZero) {
  NumericMinMax<double> bounds;
  bounds.update(0.0);  // +0 first: a naive min would keep it
  bounds.update(-0.0);
  pt::Statistics stats;
  set_statistics(bounds, &stats);
  EXPECT_TRUE(std::signbit(decode<double>(stats.min_value)));
  EXPECT_FALSE(std::signbit(decode<double>(stats.max_value)));

  NumericMinMax<float> negative;
  negative.update(-3.0f);
  negative.update(-0.0f);
  pt::Statistics stats2;
  set_statistics(negative, &stats2);
  EXPECT_EQ(decode<float>(stats2.min_value), -3.0f);
  EXPECT_FALSE(std::signbit(decode<float>(stats2.max_value)));  // max -0.0 is written +0.0
}

TEST(ColumnStatistics, StringsUseUnsignedByteOrder) {
  BinaryMinMax bounds(/*signed_decimal=*/false);
  for (const char* v : {"b", "\xc3\xa9t\xc3\xa9", "a", "", "B"}) bounds.update(v);
  pt::Statistics stats;
  set_statistics(bounds, true, true, &stats);
  EXPECT_EQ(stats.min_value, "");
  EXPECT_EQ(stats.max_value, "\xc3\xa9t\xc3\xa9");  // 0xc3 > 'b' unsigned; a signed compare would say otherwise
  EXPECT_FALSE(stats.__isset.min);                  // no deprecated signed fields for byte arrays
  EXPECT_TRUE(stats.is_min_value_exact);
  EXPECT_TRUE(stats.is_max_value_exact);
}

TEST(ColumnStatistics, DecimalsUseSignedTwosComplementOrder) {
  BinaryMinMax bounds(/*signed_decimal=*/true);
  std::string minus_one(16, '\xff');
  std::string one(15, '\0');
  one.push_back('\x01');
  std::string big_negative(16, '\0');
  big_negative[0] = '\x80';
  bounds.update(one);
  bounds.update(minus_one);
  bounds.update(big_negative);
  pt::Statistics stats;
  set_statistics(bounds, false, false, &stats);
  EXPECT_EQ(stats.min_value, big_negative);
  EXPECT_EQ(stats.max_value, one);
}

TEST(ColumnStatistics, BooleansOrderFalseBeforeTrue) {
  BooleanMinMax bounds;
  bounds.update(true);
  pt::Statistics only_true;
  set_statistics(bounds, &only_true);
  EXPECT_EQ(only_true.min_value, std::string(1, '\1'));
  bounds.update(false);
  pt::Statistics both;
  set_statistics(bounds, &both);
  EXPECT_EQ(both.min_value, std::string(1, '\0'));
  EXPECT_EQ(both.max_value, std::string(1, '\1'));
}

TEST(ColumnStatistics, MergeCombinesPages) {
  NumericMinMax<int32_t> page1, page2, chunk;
  page1.update(5);
  page2.update(-5);
  page2.update(7);
  chunk.merge(page1);
  chunk.merge(page2);
  EXPECT_EQ(chunk.min, -5);
  EXPECT_EQ(chunk.max, 7);
}

TEST(ColumnStatistics, LongStringBoundsAreTruncatedToValidBounds) {
  std::string long_min = std::string(70, 'a');
  std::string long_max = std::string(70, 'z');
  BinaryMinMax bounds(false);
  bounds.update(long_min);
  bounds.update(long_max);
  pt::Statistics stats;
  set_statistics(bounds, true, true, &stats);
  EXPECT_EQ(stats.min_value, std::string(64, 'a'));
  EXPECT_EQ(stats.max_value, std::string(63, 'z') + "{");  // 'z' + 1
  EXPECT_LE(stats.min_value, long_min);
  EXPECT_GT(stats.max_value, long_max);
  EXPECT_FALSE(stats.is_min_value_exact);
  EXPECT_FALSE(stats.is_max_value_exact);
}

TEST(ColumnStatistics, TruncationCutsOnUtf8CharacterBoundaries) {
  // 63 ASCII bytes then "é" (c3 a9): byte 64 is inside the character, so the lower bound stops before it.
  std::string value = std::string(63, 'x') + "\xc3\xa9" + "tail";
  EXPECT_EQ(truncated_lower_bound(value, 64, true), std::string(63, 'x'));
  EXPECT_EQ(truncated_lower_bound(value, 64, false), std::string(63, 'x') + "\xc3");
  // Upper bound: the last incrementable ASCII byte before the cut is bumped.
  EXPECT_EQ(*truncated_upper_bound(value, 64, true), std::string(62, 'x') + "y");
  // Binary: the last byte below 0xff within the limit is bumped, even 0xc3.
  EXPECT_EQ(*truncated_upper_bound(value, 64, false), std::string(63, 'x') + "\xc4");
}

TEST(ColumnStatistics, NoShortUpperBoundForMaximalBytes) {
  std::string value(100, '\xff');
  EXPECT_FALSE(truncated_upper_bound(value, 64, false).has_value());
  BinaryMinMax bounds(false);
  bounds.update(value);
  pt::Statistics stats;
  set_statistics(bounds, true, false, &stats);
  EXPECT_TRUE(stats.__isset.min_value);
  EXPECT_FALSE(stats.__isset.max_value);
}

TEST(ColumnStatistics, ShortValuesAreNotTruncated) {
  EXPECT_EQ(truncated_lower_bound("short", 64, true), "short");
  EXPECT_EQ(*truncated_upper_bound("short", 64, true), "short");
}

}  // namespace
}  // namespace pgs3
