#include "sink/change_file_name.h"

#include <cstdio>

#include "base/utc_time.h"
#include "rules/time_zone.h"

namespace pgs3 {
namespace {

constexpr int64_t kMillisPerDay = 86400000;
// 2000-01-01 00:00:00 UTC (PostgreSQL's epoch) in microseconds since 1970-01-01.

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool parse_digits(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::string change_file_stem(int64_t local_millis) {
  const int64_t days = floor_div(local_millis, kMillisPerDay);
  const int64_t in_day = local_millis - days * kMillisPerDay;
  const CivilDate date = civil_from_days(days);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld%02d%02d-%02d%02d%02d%03d", static_cast<long long>(date.year), date.month,
                date.day, static_cast<int>(in_day / 3600000), static_cast<int>(in_day / 60000 % 60),
                static_cast<int>(in_day / 1000 % 60), static_cast<int>(in_day % 1000));
  return buf;
}

std::optional<int64_t> parse_change_file_stem(std::string_view name) {
  if (name.size() != 18 || name[8] != '-') return std::nullopt;
  int64_t year, month, day, hour, minute, second, millis;
  if (!parse_digits(name.substr(0, 4), year) || !parse_digits(name.substr(4, 2), month) ||
      !parse_digits(name.substr(6, 2), day) || !parse_digits(name.substr(9, 2), hour) ||
      !parse_digits(name.substr(11, 2), minute) || !parse_digits(name.substr(13, 2), second) ||
      !parse_digits(name.substr(15, 3), millis)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const int64_t days = days_from_civil(year, static_cast<int>(month), static_cast<int>(day));
  // Refuse dates that do not exist (Feb 30): they would not print back to the same name.
  const CivilDate check = civil_from_days(days);
  if (check.month != month || check.day != day) return std::nullopt;
  return days * kMillisPerDay + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
}

std::optional<int64_t> parse_change_file_name(std::string_view name, std::string_view extension) {
  if (name.size() != 18 + 1 + extension.size() || name[18] != '.' || name.substr(19) != extension) {
    return std::nullopt;
  }
  return parse_change_file_stem(name.substr(0, 18));
}

namespace {
constexpr std::string_view kTransactionFilePrefix = "CDC_TXN-";
}  // namespace

std::string transaction_file_stem(std::string_view change_file_stem) {
  std::string out(kTransactionFilePrefix);
  for (char c : change_file_stem) {
    if (c != '-') out += c;
  }
  return out;
}

std::optional<std::string> change_stem_of_transaction_file(std::string_view stem) {
  if (!stem.starts_with(kTransactionFilePrefix)) return std::nullopt;
  std::string_view digits = stem.substr(kTransactionFilePrefix.size());
  if (digits.size() != 17) return std::nullopt;
  std::string change_stem = std::string(digits.substr(0, 8)) + "-" + std::string(digits.substr(8));
  if (!parse_change_file_stem(change_stem)) return std::nullopt;
  return change_stem;
}

std::string ChangeFileNamer::next(std::chrono::system_clock::time_point now) {
  const int64_t utc_millis = std::chrono::floor<std::chrono::milliseconds>(now).time_since_epoch().count();
  int64_t local = utc_millis;
  if (zone_) local += zone_->utc_offset_seconds(floor_div(utc_millis, 1000)) * 1000;
  if (last_ && local <= *last_) local = *last_ + 1;
  last_ = local;
  return change_file_stem(local);
}

bool ChangeFileNamer::observe(std::string_view name) {
  std::optional<int64_t> millis;
  size_t dot = name.find('.');
  std::string_view stem = dot == std::string_view::npos ? name : name.substr(0, dot);
  if (std::optional<std::string> change_stem = change_stem_of_transaction_file(stem)) {
    millis = parse_change_file_stem(*change_stem);
  } else {
    millis = parse_change_file_stem(stem);
  }
  if (!millis) return false;
  if (!last_ || *millis > *last_) last_ = *millis;
  return true;
}

std::string dms_commit_timestamp(int64_t commit_time_us) {
  return utc_time_text(commit_time_point(commit_time_us), UtcTimeStyle::kDmsMicros);
}

}  // namespace pgs3
