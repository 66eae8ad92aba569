#include "rules/time_zone.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace pgs3 {
namespace {

constexpr std::string_view kZoneDirectory = "/usr/share/zoneinfo/";

// Days/civil conversions: the well-known era-based algorithms (H. Hinnant, "chrono-Compatible Low-Level Date
// Algorithms").
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// 0 = Sunday (POSIX TZ rules count weekdays from Sunday); 1970-01-01 was a Thursday.
int weekday_of(int64_t days) { return static_cast<int>(((days % 7) + 11) % 7); }

// A big-endian signed integer of `n` bytes.
int64_t read_be(std::string_view bytes, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  if (n < 8 && (v >> (n * 8 - 1)) != 0) v |= ~uint64_t{0} << (n * 8);  // sign-extend
  return static_cast<int64_t>(v);
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
              c == '-' || c == '+';
    if (!ok) return false;
  }
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t end = name.find('/', begin);
    if (end == std::string_view::npos) end = name.size();
    std::string_view segment = name.substr(begin, end - begin);
    if (segment.empty() || segment == "." || segment == "..") return false;
    begin = end + 1;
  }
  return true;
}

// POSIX TZ string scanner ("std offset dst [offset],start[/time],end[/time]"; TZif v3 allows hours up to 167).
class RuleScanner {
 public:
  explicit RuleScanner(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  bool peek(char c) const { return !done() && text_[pos_] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  bool name() {
    if (eat('<')) {
      size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      pos_ = close + 1;
      return true;
    }
    size_t start = pos_;
    while (!done() && ((text_[pos_] >= 'A' && text_[pos_] <= 'Z') || (text_[pos_] >= 'a' && text_[pos_] <= 'z'))) {
      ++pos_;
    }
    return pos_ - start >= 3;
  }
  bool number(int64_t max, int64_t* out) {
    size_t start = pos_;
    int64_t v = 0;
    while (!done() && text_[pos_] >= '0' && text_[pos_] <= '9' && pos_ - start < 6) v = v * 10 + (text_[pos_++] - '0');
    *out = v;
    return pos_ > start && v <= max;
  }
  // [+-]hh[:mm[:ss]] in seconds.
  bool time(int64_t* out) {
    int64_t sign = 1;
    if (eat('-')) {
      sign = -1;
    } else {
      eat('+');
    }
    int64_t h = 0, m = 0, s = 0;
    if (!number(167, &h)) return false;
    if (eat(':')) {
      if (!number(59, &m)) return false;
      if (eat(':') && !number(59, &s)) return false;
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = floor_div(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = floor_div(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDate date;
  date.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  date.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  date.year = yoe + era * 400 + (date.month <= 2);
  return date;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::locate(std::string_view name) {
  auto unknown = [&](std::string_view why) {
    return Status::bad_input("unknown time zone \"" + std::string(name) + "\": " + std::string(why) +
                             "; expected an IANA name such as Asia/Seoul, Europe/Berlin or UTC");
  };
  if (name == "UTC") {
    auto zone = std::make_shared<TimeZone>();
    zone->name_ = "UTC";
    return std::shared_ptr<const TimeZone>(std::move(zone));
  }
  if (!valid_zone_name(name)) return unknown("not a time zone name");
  const std::string path = std::string(kZoneDirectory) + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return unknown("no such zone in " + std::string(kZoneDirectory) + " (is the tzdata package installed?)");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  Result<std::shared_ptr<const TimeZone>> zone = from_tzif(std::string(name), bytes.str());
  if (!zone.is_ok()) return unknown(zone.status().message());
  return zone;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::from_tzif(std::string name, std::string_view bytes) {
  auto invalid = [](std::string_view why) {
    return Status::bad_input("not a valid TZif file (" + std::string(why) + ")");
  };
  constexpr size_t kHeader = 44;
  if (bytes.size() < kHeader || bytes.substr(0, 4) != "TZif") return invalid("no TZif header");
  const char version = bytes[4];
  // Counts of a header at `at`: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
  auto counts = [&](size_t at, int64_t out[6]) {
    for (int i = 0; i < 6; ++i) out[i] = read_be(bytes, at + 20 + 4 * i, 4);
  };
  auto block_size = [](const int64_t c[6], size_t time_size) {
    return static_cast<size_t>(c[3]) * time_size + static_cast<size_t>(c[3]) + static_cast<size_t>(c[4]) * 6 +
           static_cast<size_t>(c[5]) + static_cast<size_t>(c[2]) * (time_size + 4) + static_cast<size_t>(c[1]) +
           static_cast<size_t>(c[0]);
  };
  int64_t c[6];
  counts(0, c);
  for (int64_t v : c) {
    if (v < 0 || v > 100000) return invalid("implausible counts");
  }
  size_t at = kHeader;
  size_t time_size = 4;
  if (version >= '2') {
    at += block_size(c, 4);  // skip the 32-bit block: the 64-bit one follows
    if (bytes.size() < at + kHeader || bytes.substr(at, 4) != "TZif") return invalid("no second header");
    counts(at, c);
    for (int64_t v : c) {
      if (v < 0 || v > 100000) return invalid("implausible counts");
    }
    at += kHeader;
    time_size = 8;
  }
  const size_t data_end = at + block_size(c, time_size);
  if (bytes.size() < data_end || c[4] < 1) return invalid("truncated");

  auto zone = std::make_shared<TimeZone>();
  zone->name_ = std::move(name);
  const size_t timecnt = static_cast<size_t>(c[3]);
  const size_t typecnt = static_cast<size_t>(c[4]);
  const size_t types_at = at + timecnt * time_size + timecnt;
  std::vector<int64_t> type_offsets(typecnt);
  for (size_t i = 0; i < typecnt; ++i) type_offsets[i] = read_be(bytes, types_at + 6 * i, 4);
  for (size_t i = 0; i < timecnt; ++i) {
    const size_t type = static_cast<unsigned char>(bytes[at + timecnt * time_size + i]);
    if (type >= typecnt) return invalid("bad time type index");
    zone->transitions_.push_back(read_be(bytes, at + i * time_size, time_size));
    zone->offsets_.push_back(type_offsets[type]);
  }
  if (!std::is_sorted(zone->transitions_.begin(), zone->transitions_.end())) return invalid("unsorted transitions");
  zone->initial_offset_ = type_offsets[0];

  // Footer (version 2+): "\n<POSIX TZ string>\n"; an empty string means no rule.
  if (version >= '2' && data_end < bytes.size() && bytes[data_end] == '\n') {
    size_t close = bytes.find('\n', data_end + 1);
    if (close == std::string_view::npos) return invalid("unterminated footer");
    std::string_view footer = bytes.substr(data_end + 1, close - data_end - 1);
    if (!footer.empty()) {
      Result<PosixRule> rule = parse_posix_rule(footer);
      if (!rule.is_ok()) return invalid("footer rule " + std::string(footer) + ": " + rule.status().message());
      zone->rule_ = *rule;
      zone->has_rule_ = true;
    }
  }
  return std::shared_ptr<const TimeZone>(std::move(zone));
}

Result<TimeZone::PosixRule> TimeZone::parse_posix_rule(std::string_view text) {
  RuleScanner s(text);
  PosixRule rule;
  int64_t west = 0;
  if (!s.name() || !s.time(&west)) return Status::bad_input("bad standard time");
  rule.std_offset = -west;  // POSIX offsets count hours west of Greenwich
  if (s.done()) return rule;
  if (!s.name()) return Status::bad_input("bad daylight time name");
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (!s.peek(',')) {
    if (!s.time(&west)) return Status::bad_input("bad daylight offset");
    rule.dst_offset = -west;
  }
  auto date = [&](RuleDate* d) {
    int64_t a = 0, b = 0, e = 0;
    if (s.eat('M')) {
      if (!s.number(12, &a) || a < 1 || !s.eat('.') || !s.number(5, &b) || b < 1 || !s.eat('.') || !s.number(6, &e))
        return false;
      d->kind = 'M';
      d->month = static_cast<int>(a);
      d->week = static_cast<int>(b);
      d->weekday = static_cast<int>(e);
    } else if (s.eat('J')) {
      if (!s.number(365, &a) || a < 1) return false;
      d->kind = 'J';
      d->day = static_cast<int>(a);
    } else {
      if (!s.number(365, &a)) return false;
      d->kind = 'n';
      d->day = static_cast<int>(a);
    }
    if (s.eat('/') && !s.time(&d->seconds)) return false;
    return true;
  };
  if (!s.eat(',') || !date(&rule.start) || !s.eat(',') || !date(&rule.end) || !s.done()) {
    return Status::bad_input("bad daylight saving rule");
  }
  return rule;
}

namespace {

// Local seconds since the epoch at which `d` happens in `year` (in the local time in effect before it).
int64_t rule_local_seconds(char kind, int month, int week, int weekday, int day, int64_t seconds, int64_t year) {
  int64_t days = 0;
  if (kind == 'M') {
    const int64_t first = days_from_civil(year, month, 1);
    int64_t dom = 1 + (weekday - weekday_of(first) + 7) % 7 + 7 * (week - 1);
    while (dom > days_in_month(year, month)) dom -= 7;  // week 5 means "the last"
    days = first + dom - 1;
  } else if (kind == 'J') {
    days = days_from_civil(year, 1, 1) + day - 1 + (is_leap(year) && day >= 60 ? 1 : 0);
  } else {
    days = days_from_civil(year, 1, 1) + day;
  }
  return days * 86400 + seconds;
}

}  // namespace

int64_t TimeZone::rule_offset(int64_t t) const {
  if (!rule_.has_dst) return rule_.std_offset;
  const int64_t year = civil_from_days(floor_div(t + rule_.std_offset, 86400)).year;
  const RuleDate& a = rule_.start;
  const RuleDate& b = rule_.end;
  // The start time is given in standard time, the end time in daylight time.
  const int64_t start =
      rule_local_seconds(a.kind, a.month, a.week, a.weekday, a.day, a.seconds, year) - rule_.std_offset;
  const int64_t end = rule_local_seconds(b.kind, b.month, b.week, b.weekday, b.day, b.seconds, year) - rule_.dst_offset;
  const bool dst = start < end ? (t >= start && t < end) : (t < end || t >= start);  // southern hemisphere wraps
  return dst ? rule_.dst_offset : rule_.std_offset;
}

int64_t TimeZone::utc_offset_seconds(int64_t t) const {
  if (transitions_.empty() || t < transitions_.front()) {
    return transitions_.empty() && has_rule_ ? rule_offset(t) : initial_offset_;
  }
  if (t >= transitions_.back() && has_rule_) return rule_offset(t);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

}  // namespace pgs3
