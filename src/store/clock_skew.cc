#include "store/clock_skew.h"

#include <charconv>
#include <cstdio>
#include <string>

#include "base/log.h"

namespace pgs3 {
namespace {

std::optional<int> number(std::string_view text) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<std::chrono::system_clock::time_point> make_time(int year, int month, int day, int hour, int minute,
                                                               int second, int millis) {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(seconds * 1000 + millis));
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_iso8601_utc(std::string_view t) {
  // "2015-06-04T22:26:16Z" or "2015-06-04T22:26:16.123Z"
  if (t.size() < 20 || t.back() != 'Z' || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  auto year = number(t.substr(0, 4));
  auto month = number(t.substr(5, 2));
  auto day = number(t.substr(8, 2));
  auto hour = number(t.substr(11, 2));
  auto minute = number(t.substr(14, 2));
  auto second = number(t.substr(17, 2));
  int millis = 0;
  std::string_view rest = t.substr(19, t.size() - 20);
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2) return std::nullopt;
    std::string digits(rest.substr(1, 3));
    while (digits.size() < 3) digits += '0';
    auto ms = number(digits);
    if (!ms || !number(rest.substr(1))) return std::nullopt;
    millis = *ms;
  }
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  return make_time(*year, *month, *day, *hour, *minute, *second, millis);
}

bool ClockSkew::observe(const std::optional<std::string>& date_header, std::string_view server_time,
                        Clock::time_point received) {
  std::optional<Clock::time_point> server;
  if (date_header) server = parse_http_date(*date_header);
  if (!server) server = parse_iso8601_utc(server_time);
  if (!server) return false;
  const auto offset = std::chrono::duration_cast<std::chrono::milliseconds>(*server - received);
  offset_ms_.store(offset.count());
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%+.1f s", static_cast<double>(offset.count()) / 1000.0);
  if (!logged_.exchange(true)) {
    log_warn(std::string("S3 says this machine's clock is off (RequestTimeTooSkewed): the server's clock is ") +
             seconds +
             " from ours; requests are now signed with the server's time. Fix the machine's clock (NTP, "
             "chrony or systemd-timesyncd)");
  } else {
    log_debug(std::string("S3 clock offset corrected to ") + seconds);
  }
  return true;
}

}  // namespace pgs3
