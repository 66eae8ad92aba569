#include "model/column.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

TEST(ColumnVector, NullsAddRowsButNoValues) {
  ColumnSpec spec{.name = "a", .physical = PhysicalType::kInt64, .logical = LogicalType::kNone};
  ColumnVector v(spec);
  v.append_int64(7);
  v.append_null();
  v.append_int64(-9);
  EXPECT_EQ(v.rows(), 3u);
  EXPECT_EQ(v.values(), 2u);
  EXPECT_EQ(v.null_count(), 1u);
  EXPECT_EQ(v.fixed_at<int64_t>(1), -9);
  EXPECT_EQ(v.defined(), (std::vector<uint8_t>{1, 0, 1}));
}

TEST(ColumnVector, ByteArraysKeepTheirBoundaries) {
  ColumnSpec spec{.name = "s"};
  ColumnVector v(spec);
  v.append_bytes("");
  v.append_bytes("héllo");
  v.append_null();
  v.append_bytes(std::string("a\0b", 3));
  ASSERT_EQ(v.values(), 3u);
  EXPECT_EQ(v.bytes_at(0), "");
  EXPECT_EQ(v.bytes_at(1), "héllo");
  EXPECT_EQ(v.bytes_at(2), std::string_view("a\0b", 3));
}

TEST(ColumnVector, FixedLengthBytesAreSliced) {
  ColumnSpec spec{.name = "d", .physical = PhysicalType::kFixedLenByteArray, .logical = LogicalType::kDecimal,
                  .fixed_length = 2};
  ColumnVector v(spec);
  v.append_bytes("ab");
  v.append_bytes("cd");
  EXPECT_EQ(v.fixed_bytes_at(1), "cd");
}

}  // namespace
}  // namespace pgs3
