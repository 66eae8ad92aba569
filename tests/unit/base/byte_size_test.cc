#include "base/byte_size.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

TEST(HumanBytesTest, WholeBytesBelowOneKibibyteThenOneDecimalInBinaryUnits) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(12ULL * 1024 * 1024 + 300 * 1024), "12.3 MiB");
  EXPECT_EQ(human_bytes(5ULL << 30), "5.0 GiB");
  EXPECT_EQ(human_bytes(2048ULL << 40), "2048.0 TiB");
}

}  // namespace
}  // namespace pgs3
