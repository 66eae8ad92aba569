#include "format/value_text.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace pgs3 {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;
constexpr int64_t kMillisPerDay = 86400 * 1000;

template <typename T>
void append_integer(T value, std::string& out) {
  char buffer[48];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// Appends `value` (>= 0) with at least `width` digits, zero-padded.
void append_padded(int64_t value, int width, std::string& out) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  for (int pad = width - static_cast<int>(result.ptr - buffer); pad > 0; --pad) out.push_back('0');
  out.append(buffer, result.ptr);
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Proleptic Gregorian calendar date of a day count (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms",
// civil_from_days). The year is astronomical: 0 is 1 BC.
struct CivilDate {
  int64_t year;
  int month;
  int day;
};
CivilDate civil_from_days(int64_t days) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return CivilDate{year, month, day};
}

// YYYY-MM-DD; returns whether the year is BC (PostgreSQL prints year 0 as 0001 BC, -1 as 0002 BC, ...).
bool append_civil_date(int64_t days, std::string& out) {
  CivilDate date = civil_from_days(days);
  bool bc = date.year <= 0;
  append_padded(bc ? 1 - date.year : date.year, 4, out);
  out.push_back('-');
  append_padded(date.month, 2, out);
  out.push_back('-');
  append_padded(date.day, 2, out);
  return bc;
}

// HH:MM:SS[.ffffff] for 0 <= micros (24:00:00 is a valid PostgreSQL time), trailing zeros of the fraction trimmed
// as PostgreSQL's time output does.
void append_time_of_day(int64_t micros, std::string& out) {
  int64_t seconds = micros / kMicrosPerSecond;
  int64_t fraction = micros % kMicrosPerSecond;
  append_padded(seconds / 3600, 2, out);
  out.push_back(':');
  append_padded(seconds / 60 % 60, 2, out);
  out.push_back(':');
  append_padded(seconds % 60, 2, out);
  if (fraction != 0) {
    out.push_back('.');
    size_t at = out.size();
    append_padded(fraction, 6, out);
    size_t end = out.size();
    while (end > at && out[end - 1] == '0') --end;
    out.resize(end);
  }
}

void append_date_time(int64_t days, int64_t micros_of_day, std::string& out) {
  bool bc = append_civil_date(days, out);
  out.push_back(' ');
  append_time_of_day(micros_of_day, out);
  if (bc) out.append(" BC");
}

// Shortest round-trip text of a float or double laid out as PostgreSQL does (float.c / common/d2s.c, f2s.c): the
// digits and exponent of the shortest scientific form, printed in fixed notation when -4 <= exponent < `fixed_limit`
// (FLT_DIG = 6 for real, DBL_DIG = 15 for double precision, the thresholds of printf's %g), else as d.ddde+XX.
template <typename T>
void append_floating(T value, int fixed_limit, std::string& out) {
  if (value != value) {
    out.append("NaN");
    return;
  }
  if (value == std::numeric_limits<T>::infinity()) {
    out.append("Infinity");
    return;
  }
  if (value == -std::numeric_limits<T>::infinity()) {
    out.append("-Infinity");
    return;
  }
  if (value == 0) {
    out.append(std::signbit(value) ? "-0" : "0");
    return;
  }
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));  // [-]d[.ddd]e(+|-)XX
  size_t e = text.find('e');
  int exponent = 0;
  std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1), text.data() + text.size(), exponent);
  if (exponent < -4 || exponent >= fixed_limit) {
    out.append(text);
    return;
  }
  bool negative = text[0] == '-';
  char digits[32];
  size_t n = 0;
  for (size_t i = negative ? 1 : 0; i < e; ++i) {
    if (text[i] != '.') digits[n++] = text[i];
  }
  if (negative) out.push_back('-');
  if (exponent < 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-exponent - 1), '0');
    out.append(digits, n);
  } else if (static_cast<size_t>(exponent) + 1 >= n) {
    out.append(digits, n);
    out.append(static_cast<size_t>(exponent) + 1 - n, '0');
  } else {
    out.append(digits, static_cast<size_t>(exponent) + 1);
    out.push_back('.');
    out.append(digits + exponent + 1, n - static_cast<size_t>(exponent) - 1);
  }
}

// Writes `digits` (a magnitude without leading zeros, "0" for zero) with `scale` digits after the point.
void append_scaled(bool negative, std::string_view digits, int32_t scale, std::string& out) {
  if (negative && digits != "0") out.push_back('-');
  if (scale <= 0) {
    out.append(digits);
    if (digits != "0") out.append(static_cast<size_t>(-static_cast<int64_t>(scale)), '0');
    return;
  }
  size_t s = static_cast<size_t>(scale);
  if (digits.size() <= s) {
    out.append("0.");
    out.append(s - digits.size(), '0');
    out.append(digits);
  } else {
    out.append(digits.substr(0, digits.size() - s));
    out.push_back('.');
    out.append(digits.substr(digits.size() - s));
  }
}

// DECIMAL wider than 16 bytes (not produced by pgs3's mapping, but valid Parquet): long division by 10^9.
void append_wide_decimal(std::string_view bytes, int32_t scale, std::string& out) {
  bool negative = (static_cast<unsigned char>(bytes[0]) & 0x80) != 0;
  std::vector<uint8_t> magnitude(bytes.begin(), bytes.end());
  if (negative) {  // two's complement negation: invert and add one
    for (uint8_t& b : magnitude) b = static_cast<uint8_t>(~b);
    for (size_t i = magnitude.size(); i-- > 0;) {
      if (++magnitude[i] != 0) break;
    }
  }
  std::vector<uint32_t> chunks;  // base 10^9, least significant first
  size_t begin = 0;
  while (true) {
    while (begin < magnitude.size() && magnitude[begin] == 0) ++begin;
    if (begin == magnitude.size()) break;
    uint64_t remainder = 0;
    for (size_t i = begin; i < magnitude.size(); ++i) {
      uint64_t current = (remainder << 8) | magnitude[i];
      magnitude[i] = static_cast<uint8_t>(current / 1000000000u);
      remainder = current % 1000000000u;
    }
    chunks.push_back(static_cast<uint32_t>(remainder));
  }
  std::string digits;
  if (chunks.empty()) digits = "0";
  for (size_t i = chunks.size(); i-- > 0;) {
    if (i + 1 == chunks.size()) {
      append_integer(chunks[i], digits);
    } else {
      append_padded(chunks[i], 9, digits);
    }
  }
  append_scaled(negative, digits, scale, out);
}

}  // namespace

void append_float_text(float value, std::string& out) { append_floating(value, 6, out); }

void append_double_text(double value, std::string& out) { append_floating(value, 15, out); }

void append_decimal_text(std::string_view bytes, int32_t scale, std::string& out) {
  if (bytes.empty()) {
    append_scaled(false, "0", scale, out);
    return;
  }
  if (bytes.size() > 16) {
    append_wide_decimal(bytes, scale, out);
    return;
  }
  // Sign-extend the big-endian two's complement value into 128 bits.
  bool negative = (static_cast<unsigned char>(bytes[0]) & 0x80) != 0;
  unsigned __int128 value = negative ? ~static_cast<unsigned __int128>(0) : 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  unsigned __int128 magnitude = negative ? ~value + 1 : value;
  char digits[40];
  size_t n = sizeof(digits);
  do {
    digits[--n] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  append_scaled(negative, std::string_view(digits + n, sizeof(digits) - n), scale, out);
}

void append_date_text(int32_t days_since_epoch, std::string& out) {
  if (days_since_epoch == std::numeric_limits<int32_t>::max()) {
    out.append("infinity");
  } else if (days_since_epoch <= -std::numeric_limits<int32_t>::max()) {  // pgs3 writes -INT32_MAX
    out.append("-infinity");
  } else if (append_civil_date(days_since_epoch, out)) {
    out.append(" BC");
  }
}

void append_time_text(int64_t micros_since_midnight, std::string& out) {
  if (micros_since_midnight < 0) {  // not a PostgreSQL time; printed rather than hidden
    out.push_back('-');
    micros_since_midnight = micros_since_midnight == std::numeric_limits<int64_t>::min()
                                ? std::numeric_limits<int64_t>::max()
                                : -micros_since_midnight;
  }
  append_time_of_day(micros_since_midnight, out);
}

void append_timestamp_text(int64_t micros_since_epoch, std::string& out) {
  if (micros_since_epoch == std::numeric_limits<int64_t>::max()) {
    out.append("infinity");
    return;
  }
  if (micros_since_epoch <= -std::numeric_limits<int64_t>::max()) {  // pgs3 writes -INT64_MAX
    out.append("-infinity");
    return;
  }
  int64_t days = floor_div(micros_since_epoch, kMicrosPerDay);
  append_date_time(days, micros_since_epoch - days * kMicrosPerDay, out);
}

void append_timestamp_millis_text(int64_t millis_since_epoch, std::string& out) {
  if (millis_since_epoch == std::numeric_limits<int64_t>::max()) {
    out.append("infinity");
    return;
  }
  if (millis_since_epoch <= -std::numeric_limits<int64_t>::max()) {  // pgs3 writes -INT64_MAX
    out.append("-infinity");
    return;
  }
  int64_t days = floor_div(millis_since_epoch, kMillisPerDay);
  append_date_time(days, (millis_since_epoch - days * kMillisPerDay) * 1000, out);
}

void append_hex_bytes_text(std::string_view bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t at = out.size();
  out.resize(at + 2 + 2 * bytes.size());
  char* p = out.data() + at;
  *p++ = '\\';
  *p++ = 'x';
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    *p++ = kHex[b >> 4];
    *p++ = kHex[b & 0xF];
  }
}

void append_value_text(const ColumnSpec& spec, const ColumnVector& values, size_t i, std::string& out) {
  switch (spec.physical) {
    case PhysicalType::kBoolean: out.append(values.fixed_at<uint8_t>(i) != 0 ? "true" : "false"); return;
    case PhysicalType::kInt32: {
      int32_t v = values.fixed_at<int32_t>(i);
      if (spec.logical == LogicalType::kDate) {
        append_date_text(v, out);
      } else if (spec.logical == LogicalType::kTimeMillis) {
        append_time_text(static_cast<int64_t>(v) * 1000, out);
      } else {
        append_integer(v, out);
      }
      return;
    }
    case PhysicalType::kInt64: {
      int64_t v = values.fixed_at<int64_t>(i);
      switch (spec.logical) {
        case LogicalType::kTimeMicros: append_time_text(v, out); return;
        case LogicalType::kTimestampMicros: append_timestamp_text(v, out); return;
        case LogicalType::kTimestampMillis: append_timestamp_millis_text(v, out); return;
        default: append_integer(v, out); return;
      }
    }
    case PhysicalType::kFloat: append_float_text(values.fixed_at<float>(i), out); return;
    case PhysicalType::kDouble: append_double_text(values.fixed_at<double>(i), out); return;
    case PhysicalType::kByteArray:
      if (spec.logical == LogicalType::kNone) {
        append_hex_bytes_text(values.bytes_at(i), out);
      } else {
        out.append(values.bytes_at(i));
      }
      return;
    case PhysicalType::kFixedLenByteArray:
      if (spec.logical == LogicalType::kDecimal) {
        append_decimal_text(values.fixed_bytes_at(i), spec.scale, out);
      } else {
        append_hex_bytes_text(values.fixed_bytes_at(i), out);
      }
      return;
  }
}

}  // namespace pgs3
