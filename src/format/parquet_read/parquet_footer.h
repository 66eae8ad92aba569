// Reading the footer of a Parquet file: row count, flat schema and key-value metadata.
//
// Recovery reads the key-value metadata of objects written before a crash (their position range), and `pgs3 cat`
// inspects files; both may hold only the end of an object (an S3 ranged GET), so every function here works on any
// tail of the file that contains what it needs:
//
//   ... <FileMetaData, compact Thrift> <4-byte little-endian metadata length> "PAR1"
//
// Typical use on a remote object: fetch the last 64 KiB, call read_parquet_footer(); if it fails with kDataError
// because the tail is short, read_parquet_metadata_length() says how many bytes (plus kParquetTrailerSize) to fetch.
// Stateless functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/file_encoder.h"
#include "model/column.h"

namespace pgs3 {

// The metadata length and the magic that end every Parquet file.
inline constexpr size_t kParquetTrailerSize = 8;

struct ParquetFooter {
  int64_t num_rows = 0;
  size_t num_row_groups = 0;
  std::vector<ColumnSpec> schema;       // the leaf columns, in file order
  KeyValueMetadata key_value_metadata;  // in file order; a key without value reads as ""
  std::string created_by;
};

// The length of the serialized FileMetaData, from a tail of at least kParquetTrailerSize bytes. Fails with kDataError
// when the tail does not end with "PAR1".
Result<uint32_t> read_parquet_metadata_length(std::string_view file_tail);

// Reads the footer from the whole file or from any tail of it holding the metadata and the trailer.
Result<ParquetFooter> read_parquet_footer(std::string_view file_tail);

// Reads the footer from the serialized FileMetaData alone (the metadata length bytes that precede the trailer).
Result<ParquetFooter> parse_parquet_metadata(std::string_view metadata);

}  // namespace pgs3
