// Min/max accumulators for page and column-chunk statistics, in the order ColumnOrder TYPE_ORDER defines for each
// type (parquet.thrift, ColumnOrder): signed comparison for INT32/INT64 and the logical types on them (INT(8/16),
// DATE, TIME, TIMESTAMP), the represented value for FLOAT/DOUBLE, false < true for BOOLEAN, unsigned byte-wise for
// BYTE_ARRAY (strings and binary) and FIXED_LEN_BYTE_ARRAY, and signed two's-complement order for DECIMAL stored as
// FIXED_LEN_BYTE_ARRAY.
//
// The set_*_statistics() functions write the accumulated bounds into a Thrift Statistics struct following the
// specification's writer rules:
//   - FLOAT/DOUBLE: NaN never becomes a bound (nan_count says how many there were); if every value is NaN there are
//     no bounds; a zero minimum is written as -0.0 and a zero maximum as +0.0.
//   - The deprecated min/max fields (always signed order) are written too for the signed physical types (BOOLEAN,
//     INT32, INT64, FLOAT, DOUBLE), as parquet-mr does for older readers; never for byte arrays.
//   - BYTE_ARRAY bounds longer than kMaxStatisticsValueBytes are truncated: the minimum to a prefix (cut on a UTF-8
//     character boundary for strings), the maximum to a short string greater than every value with the same prefix;
//     is_min_value_exact / is_max_value_exact then say false. When no short upper bound exists (e.g. a prefix of
//     0xFF bytes), max_value is left out. The specification allows bounds that are not actual values ("min_value
//     ... may be ... more compact values that do not exist"); 64 bytes is the length parquet-mr truncates its column
//     index bounds to.
// Not thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "format/parquet/gen/parquet_types.h"

namespace pgs3 {

inline constexpr size_t kMaxStatisticsValueBytes = 64;

// Bounds of INT32, INT64, FLOAT or DOUBLE values.
template <typename T>
struct NumericMinMax {
  bool has_bounds = false;
  T min{};
  T max{};
  int64_t nan_count = 0;

  void update(T v) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(v)) {
        ++nan_count;
        return;
      }
    }
    if (!has_bounds) {
      min = max = v;
      has_bounds = true;
    } else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  void merge(const NumericMinMax& other) {
    nan_count += other.nan_count;
    if (!other.has_bounds) return;
    if (!has_bounds) {
      min = other.min;
      max = other.max;
      has_bounds = true;
    } else {
      if (other.min < min) min = other.min;
      if (other.max > max) max = other.max;
    }
  }
  void reset() { *this = NumericMinMax(); }
};

// Bounds of BOOLEAN values.
struct BooleanMinMax {
  bool has_false = false;
  bool has_true = false;
  void update(bool v) { (v ? has_true : has_false) = true; }
  void merge(const BooleanMinMax& other) {
    has_false |= other.has_false;
    has_true |= other.has_true;
  }
  void reset() { *this = BooleanMinMax(); }
};

// Bounds of BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY values. The bounds are copies (the values' buffers do not outlive the
// batch); they are only copied when they change.
class BinaryMinMax {
 public:
  // `signed_decimal`: the values are big-endian two's complement integers of equal length (DECIMAL).
  explicit BinaryMinMax(bool signed_decimal) : signed_decimal_(signed_decimal) {}

  void update(std::string_view v) {
    if (!has_bounds_) {
      min_.assign(v);
      max_.assign(v);
      has_bounds_ = true;
    } else if (less(v, min_)) {
      min_.assign(v);
    } else if (less(max_, v)) {
      max_.assign(v);
    }
  }
  void merge(const BinaryMinMax& other) {
    if (!other.has_bounds_) return;
    if (!has_bounds_) {
      min_ = other.min_;
      max_ = other.max_;
      has_bounds_ = true;
      return;
    }
    if (less(other.min_, min_)) min_ = other.min_;
    if (less(max_, other.max_)) max_ = other.max_;
  }
  void reset() {
    has_bounds_ = false;
    min_.clear();
    max_.clear();
  }
  bool has_bounds() const { return has_bounds_; }
  const std::string& min() const { return min_; }
  const std::string& max() const { return max_; }
  size_t memory_bytes() const { return min_.capacity() + max_.capacity(); }
  // reset(), and frees the bounds' memory.
  void release() {
    reset();
    std::string().swap(min_);
    std::string().swap(max_);
  }

  // The comparison this accumulator orders by.
  bool less(std::string_view a, std::string_view b) const {
    if (signed_decimal_ && !a.empty() && !b.empty() && a[0] != b[0]) {
      return static_cast<int8_t>(a[0]) < static_cast<int8_t>(b[0]);
    }
    return a < b;  // char_traits<char> compares as unsigned char: unsigned byte-wise order
  }

 private:
  bool signed_decimal_;
  bool has_bounds_ = false;
  std::string min_;
  std::string max_;
};

// Writes the bounds (and nan_count for floating point) into *stats. null_count is the caller's.
void set_statistics(const NumericMinMax<int32_t>& bounds, parquet_thrift::Statistics* stats);
void set_statistics(const NumericMinMax<int64_t>& bounds, parquet_thrift::Statistics* stats);
void set_statistics(const NumericMinMax<float>& bounds, parquet_thrift::Statistics* stats);
void set_statistics(const NumericMinMax<double>& bounds, parquet_thrift::Statistics* stats);
void set_statistics(const BooleanMinMax& bounds, parquet_thrift::Statistics* stats);
// `truncate`: BYTE_ARRAY bounds may be shortened to kMaxStatisticsValueBytes; `utf8`: they hold UTF-8 text.
void set_statistics(const BinaryMinMax& bounds, bool truncate, bool utf8, parquet_thrift::Statistics* stats);

// A lower bound of `value` at most `limit` bytes long: a prefix, cut on a character boundary when `utf8`.
std::string truncated_lower_bound(std::string_view value, size_t limit, bool utf8);
// An upper bound of every value that starts with value's first `limit` bytes, at most `limit` bytes long and valid
// UTF-8 when `utf8`; `value` itself when it is short enough; nullopt when no such bound exists.
std::optional<std::string> truncated_upper_bound(std::string_view value, size_t limit, bool utf8);

}  // namespace pgs3
