// ParquetFileReader: reads flat Parquet files one row group at a time — what pgs3's ParquetWriter writes and what
// common writers produce for flat schemas. It is the inverse of ParquetWriter for round-trip tests and the engine of
// `pgs3 cat`.
//
// Supported: REQUIRED and OPTIONAL leaf columns of every physical type (INT96 is read as 12-byte values; see
// parquet_column.h for how they are shown); PLAIN, PLAIN_DICTIONARY and RLE_DICTIONARY values (dictionary pages,
// dictionary fallback to PLAIN within a chunk), RLE booleans, and the DELTA and BYTE_STREAM_SPLIT encodings other
// writers use with data page v2 (delta_encoding.h); RLE/bit-packed definition levels; data pages v1 and v2; the codecs
// of compression.h (none, snappy, gzip, zstd). Not supported, each reported as kDataError naming the row group and the
// column: nested or repeated schemas, the deprecated BIT_PACKED levels, other codecs (LZ4, BROTLI, LZO).
//
// Memory: the footer, then per read_row_group() one column chunk's bytes plus the decoded row group. Pages larger
// than kMaxPageBytes or claiming more than kMaxPageValues values are refused (as malformed), so a corrupt header
// cannot make the reader allocate without bound. Any malformed input is a kDataError, never a crash.
//
// Not thread-safe: one reader per file, used by one thread. The source must outlive the reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/parquet/gen/parquet_types.h"
#include "format/parquet_read/parquet_column.h"
#include "format/parquet_read/parquet_source.h"
#include "model/column.h"

namespace pgs3 {

inline constexpr size_t kMaxPageBytes = 512 * 1024 * 1024;
inline constexpr int64_t kMaxPageValues = 64 * 1024 * 1024;

class ParquetFileReader {
 public:
  // Reads and checks the footer ("PAR1" at both ends, the metadata length, the FileMetaData, a flat schema).
  static Result<std::unique_ptr<ParquetFileReader>> open(ParquetSource* source);

  const parquet_thrift::FileMetaData& metadata() const { return metadata_; }
  // The leaf columns, in file order.
  const std::vector<ParquetColumn>& columns() const { return columns_; }
  // The storage specs of columns(): the schema of the batches read_row_group() fills.
  const std::vector<ColumnSpec>& schema() const { return schema_; }
  size_t num_row_groups() const { return metadata_.row_groups.size(); }
  int64_t num_rows() const { return metadata_.num_rows; }
  // The value of key-value metadata `key`, or nullptr.
  const std::string* key_value(std::string_view key) const;

  // Replaces *out with the rows of row group `index` (< num_row_groups()), columns in schema() order.
  Status read_row_group(size_t index, RecordBatch* out);

 private:
  ParquetFileReader(ParquetSource* source, const parquet_thrift::FileMetaData& metadata,
                    std::vector<ParquetColumn> columns);

  ParquetSource* source_;
  parquet_thrift::FileMetaData metadata_;
  std::vector<ParquetColumn> columns_;
  std::vector<ColumnSpec> schema_;
  std::string chunk_;  // the bytes of the column chunk being decoded
};

// All rows of a file held in memory, columns in schema order: the row groups of ParquetFileReader appended together.
Result<RecordBatch> read_parquet_file(std::string_view file_bytes);

}  // namespace pgs3
