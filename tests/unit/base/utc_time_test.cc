#include "base/utc_time.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

TEST(ParseHttpDateTest, ReadsImfFixdate) {
  auto t = parse_http_date("Wed, 02 Dec 2026 18:26:23 GMT");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(utc_time_text(*t, UtcTimeStyle::kIso8601Millis), "2026-12-02T18:26:23.000Z");
  auto leap = parse_http_date("Thu, 29 Feb 2024 00:00:59 GMT");
  ASSERT_TRUE(leap.has_value());
  EXPECT_EQ(utc_time_text(*leap, UtcTimeStyle::kIso8601Millis), "2024-02-29T00:00:59.000Z");
}

TEST(ParseHttpDateTest, RefusesOtherForms) {
  for (const char* text : {"", "Wed, 02 Dec 2026 18:26:23 UTC", "Wednesday, 02-Dec-26 18:26:23 GMT",
                           "Wed Dec  2 18:26:23 2026", "Wed, 31 Feb 2026 18:26:23 GMT", "Wed, 02 Dek 2026 18:26:23 GMT",
                           "Wed, 02 Dec 2026 24:00:00 GMT", "Wed, 0x Dec 2026 18:26:23 GMT"}) {
    EXPECT_FALSE(parse_http_date(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace pgs3
