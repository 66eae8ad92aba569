// ParquetWriterOptions: how a ParquetWriter lays out and encodes a file. The fields mirror DMS's S3 settings
// (CompressionType, EncodingType, DictPageSizeLimit, DataPageSize, RowGroupLength, ParquetVersion, EnableStatistics)
// and default to DMS's defaults.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "format/format_options.h"

namespace pgs3 {

struct ParquetWriterOptions {
  Compression compression = Compression::kNone;
  ParquetEncoding encoding = ParquetEncoding::kRleDictionary;
  int64_t dict_page_size_limit = 1024 * 1024;    // bytes of PLAIN-encoded dictionary per column chunk
  int64_t data_page_size = 1024 * 1024;          // a data page is closed once its encoded size reaches this many bytes
  int64_t row_group_length = 10000;              // rows per row group (the last one may hold fewer)
  ParquetVersion version = ParquetVersion::kV1;  // kV1: DataPageHeader; kV2: DataPageHeaderV2
  bool enable_statistics = true;                 // min/max/null_count per column chunk and per page
  std::string created_by = "pgs3 version " PGS3_VERSION;

  // kBadInput naming the setting when a value is out of range.
  Status validate() const;
};

// Rows per data page at most, whatever their size: parquet-mr's default page row count limit. It keeps pages of
// tiny values (booleans, low-cardinality dictionary indices) from growing without bound.
inline constexpr int64_t kMaxPageRows = 20000;

}  // namespace pgs3
