#include "format/parquet/column_statistics.h"

namespace pgs3 {

namespace {

template <typename T>
std::string plain_bytes(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

template <typename T>
void set_numeric(const NumericMinMax<T>& bounds, parquet_thrift::Statistics* stats) {
  if constexpr (std::is_floating_point_v<T>) stats->__set_nan_count(bounds.nan_count);
  if (!bounds.has_bounds) return;
  T min = bounds.min;
  T max = bounds.max;
  if constexpr (std::is_floating_point_v<T>) {
    // ColumnOrder rules for TYPE_ORDER floats: a zero minimum is written -0.0 and a zero maximum +0.0, so that a
    // reader looking for either zero never skips the chunk.
    if (min == 0) min = -T(0);
    if (max == 0) max = T(0);
  }
  std::string min_bytes = plain_bytes(min);
  std::string max_bytes = plain_bytes(max);
  stats->__set_min(min_bytes);
  stats->__set_max(max_bytes);
  stats->__set_min_value(min_bytes);
  stats->__set_max_value(max_bytes);
}

}  // namespace

void set_statistics(const NumericMinMax<int32_t>& bounds, parquet_thrift::Statistics* stats) {
  set_numeric(bounds, stats);
}
void set_statistics(const NumericMinMax<int64_t>& bounds, parquet_thrift::Statistics* stats) {
  set_numeric(bounds, stats);
}
void set_statistics(const NumericMinMax<float>& bounds, parquet_thrift::Statistics* stats) {
  set_numeric(bounds, stats);
}
void set_statistics(const NumericMinMax<double>& bounds, parquet_thrift::Statistics* stats) {
  set_numeric(bounds, stats);
}

void set_statistics(const BooleanMinMax& bounds, parquet_thrift::Statistics* stats) {
  if (!bounds.has_false && !bounds.has_true) return;
  // PLAIN encoding of one BOOLEAN is one bit, LSB first: a single byte 0 or 1.
  std::string min(1, bounds.has_false ? '\0' : '\1');
  std::string max(1, bounds.has_true ? '\1' : '\0');
  stats->__set_min(min);
  stats->__set_max(max);
  stats->__set_min_value(min);
  stats->__set_max_value(max);
}

void set_statistics(const BinaryMinMax& bounds, bool truncate, bool utf8, parquet_thrift::Statistics* stats) {
  if (!bounds.has_bounds()) return;
  if (!truncate) {
    stats->__set_min_value(bounds.min());
    stats->__set_max_value(bounds.max());
    return;
  }
  const size_t limit = kMaxStatisticsValueBytes;
  stats->__set_min_value(truncated_lower_bound(bounds.min(), limit, utf8));
  stats->__set_is_min_value_exact(bounds.min().size() <= limit);
  std::optional<std::string> max = truncated_upper_bound(bounds.max(), limit, utf8);
  if (max) {
    stats->__set_max_value(*max);
    stats->__set_is_max_value_exact(bounds.max().size() <= limit);
  }
}

std::string truncated_lower_bound(std::string_view value, size_t limit, bool utf8) {
  if (value.size() <= limit) return std::string(value);
  size_t cut = limit;
  // A UTF-8 continuation byte (10xxxxxx) cannot start a character: cut before the character it belongs to.
  if (utf8) {
    while (cut > 0 && (static_cast<uint8_t>(value[cut]) & 0xC0) == 0x80) --cut;
  }
  return std::string(value.substr(0, cut));
}

std::optional<std::string> truncated_upper_bound(std::string_view value, size_t limit, bool utf8) {
  if (value.size() <= limit) return std::string(value);
  // Every value with this prefix is smaller than the prefix cut after some byte that is then incremented. For UTF-8
  // the byte must be ASCII below 0x7F: it ends a character and stays a valid one-byte character when incremented.
  const uint8_t ceiling = utf8 ? 0x7F : 0xFF;
  for (size_t i = limit; i-- > 0;) {
    auto b = static_cast<uint8_t>(value[i]);
    if (b < ceiling) {
      std::string bound(value.substr(0, i + 1));
      bound[i] = static_cast<char>(b + 1);
      return bound;
    }
  }
  return std::nullopt;
}

}  // namespace pgs3
