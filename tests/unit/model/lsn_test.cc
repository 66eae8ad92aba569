#include "model/lsn.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

TEST(LsnTest, FormatsAsPostgresPrintsIt) {
  EXPECT_EQ(Lsn(0).to_string(), "0/0");
  EXPECT_EQ(Lsn(0x16B374D848ULL).to_string(), "16/B374D848");
  EXPECT_EQ(Lsn(0x1000000ULL).to_string(), "0/1000000");
  EXPECT_EQ(Lsn(0xFFFFFFFFFFFFFFFFULL).to_string(), "FFFFFFFF/FFFFFFFF");
}

TEST(LsnTest, ParseAcceptsUnpaddedPaddedAndLowerCase) {
  EXPECT_EQ(Lsn::parse("16/B374D848"), Lsn(0x16B374D848ULL));
  EXPECT_EQ(Lsn::parse("16/0000D848"), Lsn(0x160000D848ULL));
  EXPECT_EQ(Lsn::parse("16/b374d848"), Lsn(0x16B374D848ULL));
  EXPECT_EQ(Lsn::parse("0/0"), Lsn(0));
}

TEST(LsnTest, ParseRejectsMalformedText) {
  for (const char* bad : {"", "/", "0/", "/0", "16B374D848", "1/2/3", "G/0", "0/123456789", "-1/0", " 0/0", "0/0 ",
                          "0x1/0", "+1/0"}) {
    EXPECT_FALSE(Lsn::parse(bad).has_value()) << bad;
  }
}

TEST(LsnTest, RoundTripsAndOrders) {
  for (uint64_t v : {0ULL, 1ULL, 0xFFFFFFFFULL, 0x100000000ULL, 0x123456789ABCDEF0ULL, ~0ULL}) {
    EXPECT_EQ(Lsn::parse(Lsn(v).to_string()), Lsn(v));
  }
  EXPECT_LT(Lsn(0xFFFFFFFFULL), Lsn(0x100000000ULL));
  EXPECT_LT(*Lsn::parse("0/FFFFFFFF"), *Lsn::parse("1/0"));
  EXPECT_FALSE(Lsn().is_valid());
  EXPECT_TRUE(Lsn(1).is_valid());
}

}  // namespace
}  // namespace pgs3
