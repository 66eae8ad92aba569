// A small reader of flat Parquet files into a RecordBatch: the inverse of ParquetWriter, for round-trip tests and for
// inspecting files (`pgs3 cat`).
//
// It reads what pgs3 writes and what common writers produce for flat schemas: PLAIN, PLAIN_DICTIONARY and
// RLE_DICTIONARY values, RLE definition levels, data pages v1 and v2, and the codecs of compression.h. It reads a
// whole file held in memory; it is not meant for large files. Stateless functions; thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "model/column.h"

namespace pgs3 {

// All rows of the file, columns in schema order. Fails with kDataError naming the column and the problem when the
// file is malformed or uses a feature this reader lacks (nested schemas, INT96, DELTA encodings, other codecs).
Result<RecordBatch> read_parquet_file(std::string_view file_bytes);

}  // namespace pgs3
