// ParquetWriter: the FileEncoder that writes one Parquet file (parquet-format; Encodings.md; LogicalTypes.md).
//
// Layout: "PAR1", then row groups of RowGroupLength rows, each holding one column chunk per column (an optional
// dictionary page, then data pages v1 or v2), then the footer (Thrift compact FileMetaData), its 4-byte length and
// "PAR1". The schema is flat: one leaf per column under a root named "schema", REQUIRED for non-nullable columns and
// OPTIONAL otherwise, with both LogicalType and legacy ConvertedType annotations (parquet_schema.h). Every column gets
// ColumnOrder TYPE_ORDER, which defines how its statistics are ordered (column_statistics.h).
//
// write() accepts batches of any size and splits them across row groups; a row group is written to the OutputStream
// as soon as it is complete, so memory is bounded by one row group (plus the dictionaries); between row groups the
// writer keeps at most kRetainedBytes of buffers, and memory_bytes() says what it holds. finish() writes the last,
// partial row group and the footer with the caller's key-value metadata. After any error the writer is failed: every
// later call returns that error.
//
// Not thread-safe; one writer per file, used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/output_stream.h"
#include "base/status.h"
#include "format/compression.h"
#include "format/file_encoder.h"
#include "format/parquet/parquet_writer_options.h"
#include "format/parquet/thrift_codec.h"
#include "model/column.h"

namespace pgs3 {

class ColumnChunkWriter;

class ParquetWriter final : public FileEncoder {
 public:
  // `out` must outlive the writer. The file starts at out->position(). An invalid schema or option is reported by the
  // first write() or finish().
  ParquetWriter(std::vector<ColumnSpec> schema, ParquetWriterOptions options, OutputStream* out);
  ~ParquetWriter() override;

  Status write(const RecordBatch& batch) override;
  // Bytes written so far, plus the compressed pages of the open row group, plus the open pages and dictionaries
  // scaled by the compression ratio seen so far. The footer is not counted.
  uint64_t estimated_size() const override;
  Status finish(const KeyValueMetadata& metadata) override;
  uint64_t rows() const override { return rows_; }
  // Writes the open row group now (a row group shorter than RowGroupLength) and frees the column buffers' memory.
  Status flush_buffered() override;
  // The row groups' metadata held until finish(), Thrift compact-encoded (statistics included).
  uint64_t footer_bytes() const override { return row_groups_encoded_.capacity(); }
  uint64_t memory_bytes() const override;

  const std::vector<ColumnSpec>& schema() const { return schema_; }

 private:
  Status check_batch(const RecordBatch& batch) const;
  Status write_magic_once();
  Status flush_row_group();
  void release_buffers();

  // What the column writers and the compressor may keep between row groups (flush_row_group()).
  static constexpr uint64_t kRetainedBytes = 256 * 1024;

  std::vector<ColumnSpec> schema_;
  ParquetWriterOptions options_;
  OutputStream* out_;
  uint64_t file_start_;
  Status status_;  // the first failure; every later call returns it
  bool magic_written_ = false;
  bool finished_ = false;

  BlockCompressor compressor_;
  ThriftSerializer serializer_;
  std::vector<std::unique_ptr<ColumnChunkWriter>> columns_;
  std::string row_groups_encoded_;  // the row groups' metadata so far, Thrift compact, back to back
  size_t row_group_count_ = 0;
  int64_t row_group_rows_ = 0;
  uint64_t rows_ = 0;
};

}  // namespace pgs3
