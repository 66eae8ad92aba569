// ParquetColumn: what a reader needs to know about one leaf column of a flat Parquet schema to decode its values and
// show them: the storage (physical type, REQUIRED/OPTIONAL, fixed length) and the meaning of the values (logical
// type, or the legacy ConvertedType when the LogicalType union is absent, as LogicalTypes.md's backward-compatibility
// rules say).
//
// Unlike column_spec_from() (parquet_schema.h), which maps a column back to the types pgs3 writes, this keeps every
// annotation a display needs: unsigned integers, UUID, JSON, ENUM, BSON, DECIMAL on INT32/INT64/BYTE_ARRAY,
// nanosecond times and timestamps, and INT96 timestamps (decoded as 12-byte fixed-length values). Stateless
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "format/parquet/gen/parquet_types.h"
#include "model/column.h"

namespace pgs3 {

// How the values of a column read as text.
enum class ParquetValueKind : uint8_t {
  kBoolean,
  kSigned,          // INT32 / INT64, plain or INT(n, true)
  kUnsigned,        // INT32 / INT64 with INT(n, false) or UINT_n: the bits read as unsigned
  kFloat,           // FLOAT
  kDouble,          // DOUBLE
  kString,          // BYTE_ARRAY (or FIXED_LEN_BYTE_ARRAY) holding UTF-8: STRING, UTF8, JSON, ENUM
  kBinary,          // bytes without a text meaning: \x + hex
  kDecimal,         // unscaled integer (INT32, INT64, or big-endian two's complement bytes) with `scale`
  kDate,            // INT32 days since 1970-01-01
  kTime,            // INT32 millis / INT64 micros or nanos since midnight
  kTimestamp,       // INT64 millis, micros or nanos since 1970-01-01
  kInt96Timestamp,  // INT96: 8 bytes nanoseconds of the day, then 4 bytes Julian day (little endian)
  kUuid,            // FIXED_LEN_BYTE_ARRAY(16)
};

enum class ParquetTimeUnit : uint8_t { kMillis, kMicros, kNanos };

struct ParquetColumn {
  // How the values are stored: name, physical type (INT96 as a 12-byte kFixedLenByteArray), nullable, fixed_length.
  // The logical fields of `storage` are those column_spec_from() would give (kNone when pgs3 has no equivalent).
  ColumnSpec storage;
  ParquetValueKind kind = ParquetValueKind::kBinary;
  ParquetTimeUnit unit = ParquetTimeUnit::kMicros;  // for kTime and kTimestamp
  bool utc_adjusted = false;                        // for kTime and kTimestamp (isAdjustedToUTC)
  int32_t precision = 0;                            // for kDecimal
  int32_t scale = 0;                                // for kDecimal
  std::string physical_name;                        // "INT32", "INT96", "FIXED_LEN_BYTE_ARRAY(16)", ...
  std::string logical_name;  // "STRING", "DECIMAL(10,2)", "TIMESTAMP(MICROS,UTC)", "INT(8,unsigned)", "" if none
};

// The column a leaf schema element describes. Fails with kDataError naming the column for a group, a repeated
// column, or an element without a physical type.
Result<ParquetColumn> parquet_column_from(const parquet_thrift::SchemaElement& element);

}  // namespace pgs3
