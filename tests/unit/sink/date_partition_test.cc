#include "sink/date_partition.h"

#include <gtest/gtest.h>

#include <chrono>

#include "rules/time_zone.h"

namespace pgs3 {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::system_clock;
using std::chrono::year;

system_clock::time_point utc(int y, unsigned m, unsigned d, int h, int min) {
  return sys_days{year{y} / m / d} + hours{h} + minutes{min};
}

DatePartitionSettings settings(DatePartitionSequence sequence, DatePartitionDelimiter delimiter,
                               const char* zone = "UTC") {
  DatePartitionSettings s;
  s.enabled = true;
  s.sequence = sequence;
  s.delimiter = delimiter;
  s.timezone = zone;
  Result<std::shared_ptr<const TimeZone>> located = TimeZone::locate(zone);
  EXPECT_TRUE(located.is_ok()) << located.status().message();
  if (located.is_ok()) s.zone = *located;
  return s;
}

TEST(DatePartition, EachSequenceWithSlash) {
  const auto t = utc(2026, 11, 30, 23, 30);
  const auto slash = DatePartitionDelimiter::kSlash;
  EXPECT_EQ(date_partition_folder(settings(DatePartitionSequence::kYyyymmdd, slash), t), "2026/11/30");
  EXPECT_EQ(date_partition_folder(settings(DatePartitionSequence::kYyyymmddhh, slash), t), "2026/11/30/23");
  EXPECT_EQ(date_partition_folder(settings(DatePartitionSequence::kYyyymm, slash), t), "2026/11");
  EXPECT_EQ(date_partition_folder(settings(DatePartitionSequence::kMmyyyydd, slash), t), "11/2026/30");
  EXPECT_EQ(date_partition_folder(settings(DatePartitionSequence::kDdmmyyyy, slash), t), "30/11/2026");
}

TEST(DatePartition, EachDelimiter) {
  const auto t = utc(2026, 3, 5, 7, 0);
  const auto seq = DatePartitionSequence::kYyyymmddhh;
  EXPECT_EQ(date_partition_folder(settings(seq, DatePartitionDelimiter::kSlash), t), "2026/03/05/07");
  EXPECT_EQ(date_partition_folder(settings(seq, DatePartitionDelimiter::kUnderscore), t), "2026_03_05_07");
  EXPECT_EQ(date_partition_folder(settings(seq, DatePartitionDelimiter::kDash), t), "2026-03-05-07");
  EXPECT_EQ(date_partition_folder(settings(seq, DatePartitionDelimiter::kNone), t), "2026030507");
  EXPECT_EQ(date_partition_folder(settings(DatePartitionSequence::kYyyymmdd, DatePartitionDelimiter::kNone), t),
            "20260305");
}

TEST(DatePartition, DefaultSettingsAreUtcYyyymmddSlash) {
  DatePartitionSettings defaults;  // zone null: UTC
  EXPECT_EQ(date_partition_folder(defaults, utc(2026, 11, 30, 23, 59)), "2026/11/30");
  EXPECT_EQ(date_partition_folder(defaults, utc(1969, 12, 31, 23, 30)), "1969/12/31");
}

TEST(DatePartition, TimeZoneShiftsTheDate) {
  const auto t = utc(2026, 11, 30, 23, 30);
  EXPECT_EQ(date_partition_folder(
                settings(DatePartitionSequence::kYyyymmdd, DatePartitionDelimiter::kSlash, "Asia/Seoul"), t),
            "2026/12/01");
  EXPECT_EQ(date_partition_folder(
                settings(DatePartitionSequence::kYyyymmddhh, DatePartitionDelimiter::kSlash, "Asia/Seoul"), t),
            "2026/12/01/08");
  // West of Greenwich the date moves back: 00:30 UTC is 19:30 the day before in New York (EST, UTC-5).
  EXPECT_EQ(date_partition_folder(settings(DatePartitionSequence::kYyyymmddhh, DatePartitionDelimiter::kDash,
                                           "America/New_York"),
                                  utc(2026, 12, 1, 0, 30)),
            "2026-11-30-19");
}

TEST(DatePartitionTimeZone, DaylightSavingTimeFromTransitions) {
  Result<std::shared_ptr<const TimeZone>> berlin = TimeZone::locate("Europe/Berlin");
  ASSERT_TRUE(berlin.is_ok()) << berlin.status().message();
  const auto seconds = [](system_clock::time_point t) {
    return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  };
  EXPECT_EQ((*berlin)->utc_offset_seconds(seconds(utc(2026, 1, 15, 12, 0))), 3600);
  EXPECT_EQ((*berlin)->utc_offset_seconds(seconds(utc(2026, 7, 15, 12, 0))), 7200);
  // 2026-03-29 01:00 UTC is the switch to CEST.
  EXPECT_EQ((*berlin)->utc_offset_seconds(seconds(utc(2026, 3, 29, 0, 59))), 3600);
  EXPECT_EQ((*berlin)->utc_offset_seconds(seconds(utc(2026, 3, 29, 1, 0))), 7200);
}

TEST(DatePartitionTimeZone, DaylightSavingTimeFromTheFooterRuleAfterTheLastTransition) {
  // Beyond the TZif transitions (2037 in "fat" files, earlier in "slim" ones) the POSIX rule of the footer applies.
  const auto slash = DatePartitionDelimiter::kSlash;
  const auto hourly = DatePartitionSequence::kYyyymmddhh;
  EXPECT_EQ(date_partition_folder(settings(hourly, slash, "Europe/Berlin"), utc(2050, 7, 1, 22, 30)), "2050/07/02/00");
  EXPECT_EQ(date_partition_folder(settings(hourly, slash, "Europe/Berlin"), utc(2050, 1, 15, 22, 30)),
            "2050/01/15/23");
  // Southern hemisphere: Sydney is on daylight time (UTC+11) in January, standard time (UTC+10) in July.
  EXPECT_EQ(date_partition_folder(settings(hourly, slash, "Australia/Sydney"), utc(2050, 1, 15, 13, 30)),
            "2050/01/16/00");
  EXPECT_EQ(date_partition_folder(settings(hourly, slash, "Australia/Sydney"), utc(2050, 7, 15, 13, 30)),
            "2050/07/15/23");
}

TEST(DatePartitionTimeZone, UtcNeedsNoFile) {
  Result<std::shared_ptr<const TimeZone>> zone = TimeZone::locate("UTC");
  ASSERT_TRUE(zone.is_ok());
  EXPECT_EQ((*zone)->utc_offset_seconds(1'800'000'000), 0);
}

TEST(DatePartitionTimeZone, UnknownOrMalformedNamesAreRefused) {
  for (const char* name : {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "Asia/Seoul ", ""}) {
    Result<std::shared_ptr<const TimeZone>> zone = TimeZone::locate(name);
    ASSERT_FALSE(zone.is_ok()) << name;
    EXPECT_EQ(zone.status().code(), StatusCode::kBadInput);
    EXPECT_NE(zone.status().message().find("unknown time zone"), std::string::npos) << zone.status().message();
  }
}

TEST(DatePartitionTimeZone, CorruptTzifIsRefused) {
  EXPECT_FALSE(TimeZone::from_tzif("X", "not a zone file at all, but long enough to hold a header....").is_ok());
  EXPECT_FALSE(TimeZone::from_tzif("X", "TZif2").is_ok());
}

}  // namespace
}  // namespace pgs3
