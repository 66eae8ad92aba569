#include "sink/change_file_name.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "rules/time_zone.h"

namespace pgs3 {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::system_clock;
using std::chrono::year;

system_clock::time_point utc(int y, unsigned m, unsigned d, int h, int min, int ms = 0) {
  return sys_days{year{y} / m / d} + hours{h} + minutes{min} + milliseconds{ms};
}

int64_t millis(system_clock::time_point t) { return std::chrono::floor<milliseconds>(t).time_since_epoch().count(); }

TEST(ChangeFileName, StemIsDateDashTimeToTheMillisecond) {
  EXPECT_EQ(change_file_stem(millis(utc(2026, 11, 30, 23, 30, 123))), "20261130-233000123");
  EXPECT_EQ(change_file_stem(millis(utc(2024, 2, 29, 0, 0, 5))), "20240229-000000005");
  EXPECT_EQ(change_file_stem(0), "19700101-000000000");
  EXPECT_EQ(change_file_stem(-1), "19691231-235959999");
}

TEST(ChangeFileName, StemsParseBackAndOtherNamesDoNot) {
  const int64_t t = millis(utc(2026, 11, 30, 23, 30, 123));
  EXPECT_EQ(parse_change_file_stem("20261130-233000123"), t);
  EXPECT_EQ(parse_change_file_name("20261130-233000123.parquet", "parquet"), t);
  EXPECT_EQ(parse_change_file_name("20261130-233000123.csv.gz", "csv.gz"), t);
  EXPECT_FALSE(parse_change_file_name("20261130-233000123.csv", "parquet"));
  EXPECT_FALSE(parse_change_file_name("LOAD00000001.parquet", "parquet"));
  EXPECT_FALSE(parse_change_file_stem("20261130-23300012"));   // short
  EXPECT_FALSE(parse_change_file_stem("20261130_233000123"));  // not a dash
  EXPECT_FALSE(parse_change_file_stem("20261330-233000123"));  // month 13
  EXPECT_FALSE(parse_change_file_stem("20260230-233000123"));  // Feb 30
  EXPECT_FALSE(parse_change_file_stem("20261130-243000123"));  // hour 24
  EXPECT_FALSE(parse_change_file_stem("2026113a-233000123"));
  EXPECT_FALSE(parse_change_file_stem(".20261130-233000123.parquet.pgs3-tmp-1-2"));
}

TEST(ChangeFileName, NamesAreUniqueAndSortedWithinOneMillisecond) {
  ChangeFileNamer namer;
  const auto t = utc(2026, 11, 30, 23, 59, 59999);  // 23:59:59.999
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) names.push_back(namer.next(t));
  EXPECT_EQ(names.front(), "20261130-235959999");
  EXPECT_EQ(names[1], "20261201-000000000");  // bumped across midnight
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(ChangeFileName, NamesKeepOrderWhenTheClockStepsBack) {
  ChangeFileNamer namer;
  std::string a = namer.next(utc(2026, 11, 30, 12, 0, 500));
  std::string b = namer.next(utc(2026, 11, 30, 11, 59, 0));  // NTP stepped the clock back a minute
  std::string c = namer.next(utc(2026, 11, 30, 12, 1, 0));
  EXPECT_EQ(a, "20261130-120000500");
  EXPECT_EQ(b, "20261130-120000501");
  EXPECT_EQ(c, "20261130-120100000");
}

TEST(ChangeFileName, ObservedNameOrdersLaterNames) {
  ChangeFileNamer namer;
  EXPECT_TRUE(namer.observe("20261130-120000900.parquet"));
  EXPECT_FALSE(namer.observe("LOAD00000001.parquet"));
  EXPECT_EQ(namer.next(utc(2026, 11, 30, 12, 0, 100)), "20261130-120000901");
  EXPECT_TRUE(namer.observe("20261130-110000000"));  // older: changes nothing
  EXPECT_EQ(namer.next(utc(2026, 11, 30, 12, 0, 100)), "20261130-120000902");
}

TEST(ChangeFileName, NamesUseTheDatePartitionZone) {
  auto seoul = TimeZone::locate("Asia/Seoul");
  ASSERT_TRUE(seoul.is_ok()) << seoul.status().message();
  ChangeFileNamer namer(*seoul);
  EXPECT_EQ(namer.next(utc(2026, 11, 30, 23, 30, 7)), "20261201-083000007");  // UTC+9
}

TEST(ChangeFileName, NamesStaySortedWhenDaylightSavingTimeEnds) {
  auto berlin = TimeZone::locate("Europe/Berlin");
  ASSERT_TRUE(berlin.is_ok()) << berlin.status().message();
  ChangeFileNamer namer(*berlin);
  // 2026-10-25 01:00 UTC: CEST (UTC+2) ends, local 03:00 becomes 02:00 again.
  std::string before = namer.next(utc(2026, 10, 25, 0, 59, 0));  // 02:59 CEST
  std::string after = namer.next(utc(2026, 10, 25, 1, 1, 0));    // 02:01 CET
  EXPECT_EQ(before, "20261025-025900000");
  EXPECT_LT(before, after);
  EXPECT_EQ(after, "20261025-025900001");
}

TEST(ChangeFileName, PositionsPrintAsLsnColonSeq) {
  EXPECT_EQ(format_change_position(ChangePosition{0x16B6C50, 3}), "0/16B6C50:3");
  EXPECT_EQ(format_change_position(ChangePosition{(uint64_t{0x16} << 32) | 0xB374D848, 4294967295u}),
            "16/B374D848:4294967295");
  auto p = parse_change_position("0/16B6C50:3");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->commit_lsn, 0x16B6C50u);
  EXPECT_EQ(p->seq, 3u);
  EXPECT_FALSE(parse_change_position("0/16B6C50"));
  EXPECT_FALSE(parse_change_position("0/16B6C50:"));
  EXPECT_FALSE(parse_change_position("0/16B6C50:-1"));
  EXPECT_FALSE(parse_change_position("0/16B6C50:4294967296"));
  EXPECT_FALSE(parse_change_position("x/1:1"));
  EXPECT_FALSE(parse_change_position("0/1:1 "));
}

// DMS's transaction files: CDC_TXN-<yyyymmddhhmmssfff>, e.g. CDC_TXN-20201117153046033.
TEST(ChangeFileName, TransactionFileNamesAndTheirStems) {
  EXPECT_EQ(transaction_file_stem("20201117-153046033"), "CDC_TXN-20201117153046033");
  EXPECT_EQ(change_stem_of_transaction_file("CDC_TXN-20201117153046033"), "20201117-153046033");
  EXPECT_FALSE(change_stem_of_transaction_file("CDC_TXN-2020111715304603"));
  EXPECT_FALSE(change_stem_of_transaction_file("CDC_TXN-20201317153046033"));  // month 13
  EXPECT_FALSE(change_stem_of_transaction_file("20201117-153046033"));
  ChangeFileNamer namer;
  EXPECT_TRUE(namer.observe("CDC_TXN-20261130233000500.csv"));
  EXPECT_EQ(namer.next(utc(2026, 11, 30, 23, 30)), "20261130-233000501");
}

TEST(ChangeFileName, CommitTimestampInDmsFormat) {
  EXPECT_EQ(dms_commit_timestamp(0), "2000-01-01 00:00:00.000000");
  EXPECT_EQ(dms_commit_timestamp(-1), "1999-12-31 23:59:59.999999");
  // 2026-11-30 23:30:00.123456 UTC
  const int64_t us =
      std::chrono::duration_cast<std::chrono::microseconds>((utc(2026, 11, 30, 23, 30) - utc(2000, 1, 1, 0, 0)))
          .count() +
      123456;
  EXPECT_EQ(dms_commit_timestamp(us), "2026-11-30 23:30:00.123456");
  EXPECT_EQ(commit_time_point(us) - utc(2026, 11, 30, 23, 30), std::chrono::microseconds(123456));
}

}  // namespace
}  // namespace pgs3
