#include "store/clock_skew.h"

#include <gtest/gtest.h>

#include <chrono>

namespace pgs3 {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::system_clock;

int64_t unix_seconds(Clock::time_point t) { return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count(); }

TEST(ClockSkewTest, ParsesHttpDates) {
  auto t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(unix_seconds(*t), 784111777);
  auto leap = parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT");
  ASSERT_TRUE(leap);
  EXPECT_EQ(unix_seconds(*leap), 1709251199);
  for (const char* bad :
       {"", "Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT"}) {
    EXPECT_FALSE(parse_http_date(bad)) << bad;
  }
}

TEST(ClockSkewTest, ParsesIso8601ServerTimes) {
  auto t = parse_iso8601_utc("2015-06-04T22:26:16Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(unix_seconds(*t), 1433456776);
  auto ms = parse_iso8601_utc("2015-06-04T22:26:16.250Z");
  ASSERT_TRUE(ms);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(*ms - *t).count(), 250);
  for (const char* bad :
       {"", "2015-06-04 22:26:16Z", "2015-06-04T22:26:16", "2015-06-04T22:26:16.Z", "20150604T222616Z"}) {
    EXPECT_FALSE(parse_iso8601_utc(bad)) << bad;
  }
}

TEST(ClockSkewTest, SignsWithTheServersTimeOnceItIsKnown) {
  ClockSkew skew;
  EXPECT_EQ(skew.offset().count(), 0);
  const Clock::time_point received = *parse_http_date("Wed, 02 Dec 2026 18:00:00 GMT");
  // The server's Date is an hour later than our clock when its answer arrived.
  ASSERT_TRUE(skew.observe("Wed, 02 Dec 2026 19:00:00 GMT", "", received));
  EXPECT_EQ(skew.offset(), milliseconds(3600000));
  const auto ahead = std::chrono::duration_cast<seconds>(skew.now() - Clock::now()).count();
  EXPECT_NEAR(static_cast<double>(ahead), 3600.0, 2.0);
  // Without a Date header, the error document's ServerTime; a later answer corrects the offset.
  ASSERT_TRUE(skew.observe(std::nullopt, "2026-12-02T17:40:00Z", received));
  EXPECT_EQ(skew.offset(), milliseconds(-1200000));
  // Nothing readable: the offset stays.
  EXPECT_FALSE(skew.observe("yesterday", "soon", received));
  EXPECT_EQ(skew.offset(), milliseconds(-1200000));
}

}  // namespace
}  // namespace pgs3
