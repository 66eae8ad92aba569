#include "format/parquet_read/parquet_value_text.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "format/value_text.h"

namespace pgs3 {

namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kJulianDayOfEpoch = 2440588;  // 1970-01-01
constexpr uint64_t kMaxExactJsonInteger = uint64_t{1} << 53;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// ".fffffffff" without trailing zeros, nothing for 0; inserted before a trailing " BC".
void append_nanos_fraction(int64_t nanos, std::string& out) {
  if (nanos == 0) return;
  char digits[10];
  std::snprintf(digits, sizeof(digits), "%09lld", static_cast<long long>(nanos));
  size_t n = 9;
  while (n > 0 && digits[n - 1] == '0') --n;
  // Not "." + std::string(...): GCC 12 at -O3 reports a false -Wrestrict on it (GCC bug 105329), here and below.
  std::string fraction = std::string(1, '.').append(digits, n);
  if (out.size() >= 3 && out.compare(out.size() - 3, 3, " BC") == 0) {
    out.insert(out.size() - 3, fraction);
  } else {
    out.append(fraction);
  }
}

void append_timestamp_nanos_text(int64_t nanos_since_epoch, std::string& out) {
  int64_t seconds = floor_div(nanos_since_epoch, kNanosPerSecond);
  append_timestamp_text(seconds * 1000000, out);
  append_nanos_fraction(nanos_since_epoch - seconds * kNanosPerSecond, out);
}

void append_time_nanos_text(int64_t nanos_since_midnight, std::string& out) {
  if (nanos_since_midnight < 0) {  // not a valid time; printed as the raw number rather than hidden
    out.append(std::to_string(nanos_since_midnight));
    return;
  }
  int64_t seconds = nanos_since_midnight / kNanosPerSecond;
  append_time_text(seconds * 1000000, out);
  append_nanos_fraction(nanos_since_midnight % kNanosPerSecond, out);
}

// INT96 (the legacy Impala/Hive/Spark timestamp): nanoseconds of the day, then the Julian day number.
void append_int96_text(std::string_view bytes, std::string& out) {
  int64_t nanos_of_day;
  int32_t julian_day;
  std::memcpy(&nanos_of_day, bytes.data(), 8);
  std::memcpy(&julian_day, bytes.data() + 8, 4);
  __int128 nanos =
      static_cast<__int128>(julian_day - kJulianDayOfEpoch) * kSecondsPerDay * kNanosPerSecond + nanos_of_day;
  if (nanos > INT64_MAX || nanos < -INT64_MAX) {
    append_hex_bytes_text(bytes, out);  // out of any timestamp's range: show the bytes
    return;
  }
  append_timestamp_nanos_text(static_cast<int64_t>(nanos), out);
}

void append_uuid_text(std::string_view bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    auto b = static_cast<unsigned char>(bytes[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
}

// The big-endian two's complement bytes of an integer, for DECIMAL on INT32/INT64.
std::string big_endian(int64_t v) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[7 - i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  return bytes;
}

int64_t integer_at(const ColumnVector& values, size_t i) {
  return values.physical() == PhysicalType::kInt32 ? values.fixed_at<int32_t>(i) : values.fixed_at<int64_t>(i);
}
uint64_t unsigned_at(const ColumnVector& values, size_t i) {
  return values.physical() == PhysicalType::kInt32 ? values.fixed_at<uint32_t>(i) : values.fixed_at<uint64_t>(i);
}

std::string_view bytes_at(const ColumnVector& values, size_t i) {
  return values.physical() == PhysicalType::kByteArray ? values.bytes_at(i) : values.fixed_bytes_at(i);
}

// Length of the valid UTF-8 sequence at the start of `s` (RFC 3629: no overlongs, no surrogates, <= U+10FFFF), or 0.
size_t utf8_sequence_length(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  size_t n = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
  if (n == 0 || s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
  }
  if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
  if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
  if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
  if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
  return n;
}

}  // namespace

void append_json_string(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t n = utf8_sequence_length(text.substr(i));
      if (n == 0) {
        out.append("\xef\xbf\xbd");  // U+FFFD
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        if (c < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

void append_parquet_value_text(const ParquetColumn& column, const ColumnVector& values, size_t i, std::string& out) {
  switch (column.kind) {
    case ParquetValueKind::kBoolean: out.append(values.fixed_at<uint8_t>(i) != 0 ? "true" : "false"); return;
    case ParquetValueKind::kSigned: out.append(std::to_string(integer_at(values, i))); return;
    case ParquetValueKind::kUnsigned: out.append(std::to_string(unsigned_at(values, i))); return;
    case ParquetValueKind::kFloat: append_float_text(values.fixed_at<float>(i), out); return;
    case ParquetValueKind::kDouble: append_double_text(values.fixed_at<double>(i), out); return;
    case ParquetValueKind::kString: out.append(bytes_at(values, i)); return;
    case ParquetValueKind::kBinary: append_hex_bytes_text(bytes_at(values, i), out); return;
    case ParquetValueKind::kDecimal:
      if (values.physical() == PhysicalType::kInt32 || values.physical() == PhysicalType::kInt64) {
        append_decimal_text(big_endian(integer_at(values, i)), column.scale, out);
      } else {
        append_decimal_text(bytes_at(values, i), column.scale, out);
      }
      return;
    case ParquetValueKind::kDate: append_date_text(values.fixed_at<int32_t>(i), out); return;
    case ParquetValueKind::kTime: {
      int64_t v = integer_at(values, i);
      switch (column.unit) {
        case ParquetTimeUnit::kMillis: append_time_text(v * 1000, out); break;
        case ParquetTimeUnit::kMicros: append_time_text(v, out); break;
        case ParquetTimeUnit::kNanos: append_time_nanos_text(v, out); break;
      }
      if (column.utc_adjusted) out.append("+00");
      return;
    }
    case ParquetValueKind::kTimestamp: {
      int64_t v = values.fixed_at<int64_t>(i);
      switch (column.unit) {
        case ParquetTimeUnit::kMillis: append_timestamp_millis_text(v, out); break;
        case ParquetTimeUnit::kMicros: append_timestamp_text(v, out); break;
        case ParquetTimeUnit::kNanos: append_timestamp_nanos_text(v, out); break;
      }
      // infinity and -infinity have no offset.
      if (column.utc_adjusted && out.back() != 'y') out.append("+00");
      return;
    }
    case ParquetValueKind::kInt96Timestamp: append_int96_text(values.fixed_bytes_at(i), out); return;
    case ParquetValueKind::kUuid: append_uuid_text(values.fixed_bytes_at(i), out); return;
  }
}

void append_parquet_value_json(const ParquetColumn& column, const ColumnVector& values, size_t i, std::string& out) {
  switch (column.kind) {
    case ParquetValueKind::kBoolean: out.append(values.fixed_at<uint8_t>(i) != 0 ? "true" : "false"); return;
    case ParquetValueKind::kSigned: {
      int64_t v = integer_at(values, i);
      uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
      if (magnitude <= kMaxExactJsonInteger) {
        out.append(std::to_string(v));
      } else {
        out.append(1, '"').append(std::to_string(v)).append(1, '"');
      }
      return;
    }
    case ParquetValueKind::kUnsigned: {
      uint64_t v = unsigned_at(values, i);
      if (v <= kMaxExactJsonInteger) {
        out.append(std::to_string(v));
      } else {
        out.append(1, '"').append(std::to_string(v)).append(1, '"');
      }
      return;
    }
    case ParquetValueKind::kFloat:
    case ParquetValueKind::kDouble: {
      double v = column.kind == ParquetValueKind::kFloat ? values.fixed_at<float>(i) : values.fixed_at<double>(i);
      if (std::isfinite(v)) {
        append_parquet_value_text(column, values, i, out);
      } else {
        out.append(std::isnan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
      }
      return;
    }
    default: {
      std::string text;
      append_parquet_value_text(column, values, i, text);
      append_json_string(text, out);
      return;
    }
  }
}

}  // namespace pgs3
