#include "pg/text_value_parser.h"

#include <charconv>
#include <limits>
#include <vector>

namespace pgs3 {

namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
constexpr int64_t kDaysFrom1970To2000 = 10957;

// Days from 1970-01-01 to the proleptic Gregorian date y-m-d (astronomical years: 1 BC is year 0).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool parse_digits(std::string_view& s, size_t min, size_t max, int64_t& v) {
  size_t n = 0;
  v = 0;
  while (n < s.size() && n < max && s[n] >= '0' && s[n] <= '9') v = v * 10 + (s[n++] - '0');
  if (n < min) return false;
  s.remove_prefix(n);
  return true;
}

bool eat(std::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// "YYYY-MM-DD" (year of 4 or more digits) -> days since 1970 given the era.
bool parse_date_part(std::string_view& s, bool bc, int64_t& unix_days) {
  int64_t y, m, d;
  if (!parse_digits(s, 4, 9, y) || !eat(s, '-') || !parse_digits(s, 2, 2, m) || !eat(s, '-') ||
      !parse_digits(s, 2, 2, d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1) return false;
  if (bc) y = 1 - y;
  unix_days = days_from_civil(y, m, d);
  return true;
}

// "HH:MM:SS[.f{1,6}]" -> microseconds.
bool parse_time_part(std::string_view& s, int64_t& micros) {
  int64_t h, mi, sec;
  if (!parse_digits(s, 2, 2, h) || !eat(s, ':') || !parse_digits(s, 2, 2, mi) || !eat(s, ':') ||
      !parse_digits(s, 2, 2, sec)) {
    return false;
  }
  int64_t frac = 0;
  if (eat(s, '.')) {
    size_t before = s.size();
    if (!parse_digits(s, 1, 6, frac)) return false;
    for (size_t n = before - s.size(); n < 6; ++n) frac *= 10;
  }
  if (h > 24 || mi > 59 || sec > 60) return false;
  micros = ((h * 60 + mi) * 60 + sec) * 1000000 + frac;
  return true;
}

// "+HH[:MM[:SS]]" -> seconds east of UTC.
bool parse_offset(std::string_view& s, int64_t& seconds_east) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  bool negative = s[0] == '-';
  s.remove_prefix(1);
  int64_t h, m = 0, sec = 0;
  if (!parse_digits(s, 2, 2, h)) return false;
  if (eat(s, ':') && !parse_digits(s, 2, 2, m)) return false;
  if (eat(s, ':') && !parse_digits(s, 2, 2, sec)) return false;
  seconds_east = (h * 3600 + m * 60 + sec) * (negative ? -1 : 1);
  return true;
}

template <typename F>
bool parse_float(std::string_view text, F& v) {
  if (text == "NaN") {
    v = std::numeric_limits<F>::quiet_NaN();
    return true;
  }
  if (text == "Infinity" || text == "-Infinity") {
    v = text[0] == '-' ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
    return true;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

void append_big_endian(uint64_t v, int bytes, std::string& out) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

bool boolean_text_to_bool(std::string_view text, bool& v) {
  if (text != "t" && text != "f") return false;
  v = text == "t";
  return true;
}

bool integer_text_to_int64(std::string_view text, int64_t min, int64_t max, int64_t& v) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() && v >= min && v <= max;
}

bool real_text_to_float(std::string_view text, float& v) { return parse_float(text, v); }

bool double_text_to_double(std::string_view text, double& v) { return parse_float(text, v); }

bool bytea_text_to_bytes(std::string_view text, std::string& out) {
  out.clear();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    if (text.size() % 2 != 0) return false;
    for (size_t i = 2; i < text.size(); i += 2) {
      int hi = hex(text[i]);
      int lo = hex(text[i + 1]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>((hi << 4) | lo);
    }
    return true;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' && text[i + 2] >= '0' &&
               text[i + 2] <= '7' && text[i + 3] >= '0' && text[i + 3] <= '7') {
      out += static_cast<char>(((text[i + 1] - '0') << 6) | ((text[i + 2] - '0') << 3) | (text[i + 3] - '0'));
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

bool money_text_to_units(std::string_view text, int64_t& units) {
  bool negative = false;
  bool any = false;
  __int128 v = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + (c - '0');
      if (v > static_cast<__int128>(std::numeric_limits<int64_t>::max()) + 1) return false;
      any = true;
    } else if (c == '-' || c == '(') {
      negative = true;
    }
  }
  if (!any) return false;
  if (negative) v = -v;
  if (v > std::numeric_limits<int64_t>::max()) return false;
  units = static_cast<int64_t>(v);
  return true;
}

bool numeric_text_to_binary(std::string_view text, std::string& out) {
  out.clear();
  // numeric_send: Int16 ndigits, Int16 weight, Int16 sign, Int16 dscale, then ndigits base-10000 digits.
  auto header = [&out](int ndigits, int weight, uint16_t sign, int dscale) {
    append_big_endian(static_cast<uint16_t>(ndigits), 2, out);
    append_big_endian(static_cast<uint16_t>(static_cast<int16_t>(weight)), 2, out);
    append_big_endian(sign, 2, out);
    append_big_endian(static_cast<uint16_t>(dscale), 2, out);
  };
  if (text == "NaN") return header(0, 0, 0xC000, 0), true;
  if (text == "Infinity") return header(0, 0, 0xD000, 0), true;
  if (text == "-Infinity") return header(0, 0, 0xF000, 0), true;
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  size_t point = text.find('.');
  std::string_view int_part = text.substr(0, point);
  std::string_view frac_part = point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (int_part.empty() && frac_part.empty()) return false;
  for (char c : int_part) {
    if (c < '0' || c > '9') return false;
  }
  for (char c : frac_part) {
    if (c < '0' || c > '9') return false;
  }
  if (frac_part.size() > 0x3FFF) return false;
  while (!int_part.empty() && int_part[0] == '0') int_part.remove_prefix(1);
  // Base-10000 groups aligned on the decimal point.
  std::string digits(static_cast<size_t>((4 - int_part.size() % 4) % 4), '0');
  digits.append(int_part);
  int weight = static_cast<int>(digits.size() / 4) - 1;
  digits.append(frac_part);
  digits.append(static_cast<size_t>((4 - frac_part.size() % 4) % 4), '0');
  std::vector<uint16_t> groups;
  for (size_t i = 0; i < digits.size(); i += 4) {
    groups.push_back(static_cast<uint16_t>((digits[i] - '0') * 1000 + (digits[i + 1] - '0') * 100 +
                                           (digits[i + 2] - '0') * 10 + (digits[i + 3] - '0')));
  }
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) {
    header(0, 0, 0x0000, static_cast<int>(frac_part.size()));
    return true;
  }
  if (last - first > 0x7FFF) return false;
  header(static_cast<int>(last - first), weight, negative ? 0x4000 : 0x0000, static_cast<int>(frac_part.size()));
  for (size_t i = first; i < last; ++i) append_big_endian(groups[i], 2, out);
  return true;
}

bool date_text_to_days(std::string_view text, int32_t& days) {
  if (text == "infinity") return days = std::numeric_limits<int32_t>::max(), true;
  if (text == "-infinity") return days = std::numeric_limits<int32_t>::min(), true;
  bool bc = strip_suffix(text, " BC");
  int64_t unix_days = 0;
  if (!parse_date_part(text, bc, unix_days) || !text.empty()) return false;
  days = static_cast<int32_t>(unix_days - kDaysFrom1970To2000);
  return true;
}

bool time_text_to_micros(std::string_view text, int64_t& micros) {
  return parse_time_part(text, micros) && text.empty() && micros <= kMicrosPerDay;
}

bool timetz_text_to_micros(std::string_view text, int64_t& micros, int64_t& seconds_east) {
  return parse_time_part(text, micros) && parse_offset(text, seconds_east) && text.empty();
}

bool timestamp_text_to_micros(std::string_view text, int64_t& micros) {
  if (text == "infinity") return micros = std::numeric_limits<int64_t>::max(), true;
  if (text == "-infinity") return micros = std::numeric_limits<int64_t>::min(), true;
  bool bc = strip_suffix(text, " BC");
  int64_t unix_days = 0;
  int64_t time = 0;
  if (!parse_date_part(text, bc, unix_days) || !eat(text, ' ') || !parse_time_part(text, time)) return false;
  int64_t offset = 0;
  if (!text.empty() && !parse_offset(text, offset)) return false;
  if (!text.empty()) return false;
  __int128 v = static_cast<__int128>(unix_days - kDaysFrom1970To2000) * kMicrosPerDay + time -
               static_cast<__int128>(offset) * 1000000;
  if (v >= std::numeric_limits<int64_t>::max() || v <= std::numeric_limits<int64_t>::min()) return false;
  micros = static_cast<int64_t>(v);
  return true;
}

}  // namespace pgs3
