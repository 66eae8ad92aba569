// Helpers shared by the Parquet writer tests: column specs of every type, batch builders, and value comparison.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "format/parquet_read/file_metadata.h"
#include "format/parquet_read/parquet_reader.h"
#include "format/parquet/parquet_writer.h"
#include "model/column.h"

namespace pgs3::parquet_test {

inline ColumnSpec spec(std::string name, PhysicalType physical, LogicalType logical, bool nullable = true) {
  ColumnSpec s;
  s.name = std::move(name);
  s.physical = physical;
  s.logical = logical;
  s.nullable = nullable;
  return s;
}

inline ColumnSpec decimal_spec(std::string name, int precision, int scale, bool nullable = true) {
  ColumnSpec s = spec(std::move(name), PhysicalType::kFixedLenByteArray, LogicalType::kDecimal, nullable);
  s.fixed_length = 16;
  s.precision = precision;
  s.scale = scale;
  return s;
}

// The 16-byte big-endian two's complement form of v.
inline std::string decimal_bytes(int64_t v) {
  std::string out(16, v < 0 ? '\xff' : '\0');
  for (int i = 0; i < 8; ++i) out[15 - i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  return out;
}

// Byte-exact comparison of two columns: NULL positions and values (floats by bit pattern, so NaN == NaN and
// -0.0 != +0.0).
inline void expect_columns_equal(const ColumnVector& want, const ColumnVector& got, const std::string& name) {
  ASSERT_EQ(want.rows(), got.rows()) << name;
  ASSERT_EQ(want.values(), got.values()) << name;
  ASSERT_EQ(want.defined(), got.defined()) << name;
  for (size_t i = 0; i < want.values(); ++i) {
    switch (want.physical()) {
      case PhysicalType::kBoolean: ASSERT_EQ(want.fixed_at<uint8_t>(i), got.fixed_at<uint8_t>(i)) << name; break;
      case PhysicalType::kInt32:
      case PhysicalType::kFloat: ASSERT_EQ(want.fixed_at<uint32_t>(i), got.fixed_at<uint32_t>(i)) << name; break;
      case PhysicalType::kInt64:
      case PhysicalType::kDouble: ASSERT_EQ(want.fixed_at<uint64_t>(i), got.fixed_at<uint64_t>(i)) << name; break;
      case PhysicalType::kByteArray: ASSERT_EQ(want.bytes_at(i), got.bytes_at(i)) << name << " value " << i; break;
      case PhysicalType::kFixedLenByteArray:
        ASSERT_EQ(want.fixed_bytes_at(i), got.fixed_bytes_at(i)) << name << " value " << i;
        break;
    }
  }
}

inline void expect_batches_equal(const RecordBatch& want, const RecordBatch& got) {
  ASSERT_EQ(want.columns.size(), got.columns.size());
  for (size_t c = 0; c < want.columns.size(); ++c) {
    expect_columns_equal(want.columns[c], got.columns[c], want.schema[c].name);
  }
}

// Appends the rows of `from` to `to` (same schema).
inline void append_batch(const RecordBatch& from, RecordBatch* to) {
  for (size_t c = 0; c < from.columns.size(); ++c) {
    const ColumnVector& src = from.columns[c];
    ColumnVector& dst = to->columns[c];
    size_t v = 0;
    for (size_t r = 0; r < src.rows(); ++r) {
      if (!src.defined()[r]) {
        dst.append_null();
        continue;
      }
      switch (src.physical()) {
        case PhysicalType::kBoolean: dst.append_bool(src.fixed_at<uint8_t>(v)); break;
        case PhysicalType::kInt32: dst.append_int32(src.fixed_at<int32_t>(v)); break;
        case PhysicalType::kInt64: dst.append_int64(src.fixed_at<int64_t>(v)); break;
        case PhysicalType::kFloat: dst.append_float(src.fixed_at<float>(v)); break;
        case PhysicalType::kDouble: dst.append_double(src.fixed_at<double>(v)); break;
        case PhysicalType::kByteArray: dst.append_bytes(src.bytes_at(v)); break;
        case PhysicalType::kFixedLenByteArray: dst.append_bytes(src.fixed_bytes_at(v)); break;
      }
      ++v;
    }
  }
}

// Writes `batches` to a file with `options` and returns its bytes; fails the test on error.
inline std::string write_file(const std::vector<ColumnSpec>& schema, const ParquetWriterOptions& options,
                              const std::vector<const RecordBatch*>& batches, const KeyValueMetadata& metadata = {}) {
  StringOutputStream out;
  ParquetWriter writer(schema, options, &out);
  for (const RecordBatch* batch : batches) {
    Status s = writer.write(*batch);
    EXPECT_TRUE(s.is_ok()) << s.message();
  }
  Status s = writer.finish(metadata);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out.take();
}

inline parquet_thrift::FileMetaData metadata_of(const std::string& file) {
  Result<parquet_thrift::FileMetaData> meta = read_file_metadata(file);
  EXPECT_TRUE(meta.is_ok()) << meta.status().message();
  return meta.is_ok() ? *meta : parquet_thrift::FileMetaData();
}

}  // namespace pgs3::parquet_test
