// Columns as they cross from the decoders to the file encoders.
//
// ColumnSpec describes one output column: its name, its Parquet physical type and logical annotation, and whether it
// may hold NULLs. The PostgreSQL type mapping (src/pg/type_mapping.h) produces ColumnSpecs; the encoders
// (src/format/) consume them and know nothing about PostgreSQL.
//
// ColumnVector holds one column's values for a batch of rows, already in physical form (e.g. a DATE is an int32 of
// days since 1970-01-01, a DECIMAL is big-endian two's complement bytes of the fixed length, a TIMESTAMP is an int64
// of micro- or milliseconds since the epoch). Values are stored densely: a NULL adds a row but no value. This is the
// layout Parquet data pages use, so the encoder never re-packs.
//
// Not thread-safe; a vector is filled by one thread and then handed (moved) to the next stage.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace pgs3 {

enum class PhysicalType : uint8_t { kBoolean, kInt32, kInt64, kFloat, kDouble, kByteArray, kFixedLenByteArray };

enum class LogicalType : uint8_t {
  kNone,             // plain physical value (BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY = binary)
  kString,           // BYTE_ARRAY holding UTF-8
  kInt8,             // INT32 holding a value of -128..127
  kInt16,            // INT32 holding a value of -32768..32767
  kDecimal,          // FIXED_LEN_BYTE_ARRAY, big-endian two's complement unscaled value; precision/scale set
  kDate,             // INT32 days since 1970-01-01
  kTimeMicros,       // INT64 microseconds since midnight
  kTimeMillis,       // INT32 milliseconds since midnight
  kTimestampMicros,  // INT64 microseconds since 1970-01-01 00:00:00
  kTimestampMillis,  // INT64 milliseconds since 1970-01-01 00:00:00
};

struct ColumnSpec {
  std::string name;
  PhysicalType physical = PhysicalType::kByteArray;
  LogicalType logical = LogicalType::kString;
  bool nullable = true;
  int32_t fixed_length = 0;   // bytes, for kFixedLenByteArray
  int32_t precision = 0;      // for kDecimal
  int32_t scale = 0;          // for kDecimal
  bool utc_adjusted = false;  // for times and timestamps: the value is in UTC (isAdjustedToUTC)
};

// Byte width of one value of a fixed-width physical type (0 for BYTE_ARRAY; fixed_length for FLBA; 1 for BOOLEAN).
int value_width(const ColumnSpec& spec);

class ColumnVector {
 public:
  ColumnVector() = default;
  explicit ColumnVector(const ColumnSpec& spec) : physical_(spec.physical), width_(value_width(spec)) {}

  PhysicalType physical() const { return physical_; }

  // Appending. The caller appends values of the column's physical type only.
  void append_null() {
    defined_.push_back(0);
    ++nulls_;
  }
  void append_bool(bool v) { append_fixed(static_cast<uint8_t>(v ? 1 : 0)); }
  void append_int32(int32_t v) { append_fixed(v); }
  void append_int64(int64_t v) { append_fixed(v); }
  void append_float(float v) { append_fixed(v); }
  void append_double(double v) { append_fixed(v); }
  // For BYTE_ARRAY: any length. For FIXED_LEN_BYTE_ARRAY: exactly the fixed length.
  void append_bytes(std::string_view v) {
    defined_.push_back(1);
    if (physical_ == PhysicalType::kByteArray) {
      heap_.append(v);
      offsets_.push_back(static_cast<uint32_t>(heap_.size()));
    } else {
      fixed_.insert(fixed_.end(), v.begin(), v.end());
    }
  }

  // Rows in the vector, including NULLs.
  size_t rows() const { return defined_.size(); }
  // Non-NULL values.
  size_t values() const { return defined_.size() - nulls_; }
  size_t null_count() const { return nulls_; }
  // 1 per row that holds a value, 0 per NULL.
  const std::vector<uint8_t>& defined() const { return defined_; }

  // Fixed-width values (BOOLEAN as one byte each), densely packed: values() * width bytes.
  const uint8_t* fixed_data() const { return fixed_.data(); }
  template <typename T>
  T fixed_at(size_t value_index) const {
    T v;
    std::memcpy(&v, fixed_.data() + value_index * sizeof(T), sizeof(T));
    return v;
  }
  std::string_view fixed_bytes_at(size_t value_index) const {
    return {reinterpret_cast<const char*>(fixed_.data()) + value_index * width_, static_cast<size_t>(width_)};
  }
  // The value_index-th non-NULL BYTE_ARRAY value.
  std::string_view bytes_at(size_t value_index) const {
    uint32_t begin = value_index == 0 ? 0 : offsets_[value_index - 1];
    return std::string_view(heap_).substr(begin, offsets_[value_index] - begin);
  }

  // Approximate memory held, for the memory budget.
  size_t memory_bytes() const {
    return defined_.capacity() + fixed_.capacity() + heap_.capacity() + offsets_.capacity() * 4;
  }
  // Bytes of values held (the uncompressed payload size), for file-size estimates.
  size_t payload_bytes() const { return fixed_.size() + heap_.size() + offsets_.size() * 4; }

  void clear() {
    defined_.clear();
    fixed_.clear();
    heap_.clear();
    offsets_.clear();
    nulls_ = 0;
  }

 private:
  template <typename T>
  void append_fixed(T v) {
    defined_.push_back(1);
    size_t at = fixed_.size();
    fixed_.resize(at + sizeof(T));
    std::memcpy(fixed_.data() + at, &v, sizeof(T));
  }

  PhysicalType physical_ = PhysicalType::kByteArray;
  int width_ = 0;
  std::vector<uint8_t> defined_;
  std::vector<uint8_t> fixed_;
  std::string heap_;
  std::vector<uint32_t> offsets_;  // end offset of each BYTE_ARRAY value in heap_
  size_t nulls_ = 0;
};

// Rows for one file, column by column. All columns hold the same number of rows.
struct RecordBatch {
  std::vector<ColumnSpec> schema;
  std::vector<ColumnVector> columns;

  RecordBatch() = default;
  explicit RecordBatch(std::vector<ColumnSpec> s) : schema(std::move(s)) {
    columns.reserve(schema.size());
    for (const auto& spec : schema) columns.emplace_back(spec);
  }
  size_t rows() const { return columns.empty() ? 0 : columns[0].rows(); }
  size_t memory_bytes() const {
    size_t n = 0;
    for (const auto& c : columns) n += c.memory_bytes();
    return n;
  }
  size_t payload_bytes() const {
    size_t n = 0;
    for (const auto& c : columns) n += c.payload_bytes();
    return n;
  }
  void clear() {
    for (auto& c : columns) c.clear();
  }
};

}  // namespace pgs3
