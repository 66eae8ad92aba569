#include "base/object_key.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

TEST(BaseNameTest, IsTheSegmentAfterTheLastSlash) {
  EXPECT_EQ(base_name("raw/app/public/orders/20240229-134500123.parquet"), "20240229-134500123.parquet");
  EXPECT_EQ(base_name("LOAD00000001.csv"), "LOAD00000001.csv");
  EXPECT_EQ(base_name("raw/app/"), "");
  EXPECT_EQ(base_name(""), "");
}

}  // namespace
}  // namespace pgs3
