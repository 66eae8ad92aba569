// The raw Thrift FileMetaData of a Parquet file, for code that needs more than ParquetFooter (row groups, column
// chunks, statistics, encodings): tests, `pgs3 cat`, a future reader. See parquet_footer.h for the tail rules.
// Stateless functions; thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "format/parquet/gen/parquet_types.h"

namespace pgs3 {

// From the whole file or any tail of it that holds the metadata and the 8-byte trailer.
Result<parquet_thrift::FileMetaData> read_file_metadata(std::string_view file_tail);
// From the serialized FileMetaData alone; fails if bytes are left over.
Result<parquet_thrift::FileMetaData> parse_file_metadata(std::string_view metadata);

}  // namespace pgs3
