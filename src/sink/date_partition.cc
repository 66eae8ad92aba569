#include "sink/date_partition.h"

#include <cstdio>

#include "rules/time_zone.h"

namespace pgs3 {
namespace {

std::string digits(int64_t value, int width) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "%0*lld", width, static_cast<long long>(value));
  return buffer;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string date_partition_folder(const DatePartitionSettings& settings,
                                  std::chrono::system_clock::time_point commit_time) {
  const int64_t utc = std::chrono::floor<std::chrono::seconds>(commit_time).time_since_epoch().count();
  const int64_t local = utc + (settings.zone ? settings.zone->utc_offset_seconds(utc) : 0);
  const int64_t days = floor_div(local, 86400);
  const CivilDate date = civil_from_days(days);
  const std::string year = digits(date.year, 4);
  const std::string month = digits(date.month, 2);
  const std::string day = digits(date.day, 2);
  const std::string hour = digits((local - days * 86400) / 3600, 2);

  std::string delimiter;
  switch (settings.delimiter) {
    case DatePartitionDelimiter::kSlash: delimiter = "/"; break;
    case DatePartitionDelimiter::kUnderscore: delimiter = "_"; break;
    case DatePartitionDelimiter::kDash: delimiter = "-"; break;
    case DatePartitionDelimiter::kNone: break;
  }
  switch (settings.sequence) {
    case DatePartitionSequence::kYyyymmdd: return year + delimiter + month + delimiter + day;
    case DatePartitionSequence::kYyyymmddhh: return year + delimiter + month + delimiter + day + delimiter + hour;
    case DatePartitionSequence::kYyyymm: return year + delimiter + month;
    case DatePartitionSequence::kMmyyyydd: return month + delimiter + year + delimiter + day;
    case DatePartitionSequence::kDdmmyyyy: return day + delimiter + month + delimiter + year;
  }
  return year + delimiter + month + delimiter + day;
}

}  // namespace pgs3
