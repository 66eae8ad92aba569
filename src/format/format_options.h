// Options shared by the file encoders and the task settings that choose them.
//
// These enums name DMS's S3 endpoint settings (CompressionType, EncodingType, ParquetVersion) in the vocabulary of the
// file formats. They live in format, not in rules, so that the encoders do not depend on the settings parser:
// rules/task_config.h includes this header and fills the values from the task file.
#pragma once

namespace pgs3 {

// Block compression of Parquet pages (and, for CSV, of the whole object). DMS: CompressionType none|gzip; pgs3 also
// accepts snappy and zstd for Parquet.
enum class Compression { kNone, kSnappy, kGzip, kZstd };

// DMS EncodingType: plain (no dictionary), plain-dictionary (parquet 1.0 style PLAIN_DICTIONARY ids), rle-dictionary
// (RLE_DICTIONARY data pages with a PLAIN dictionary page).
enum class ParquetEncoding { kPlain, kPlainDictionary, kRleDictionary };

// DMS ParquetVersion: parquet-1-0 (data page v1), parquet-2-0 (data page v2).
enum class ParquetVersion { kV1, kV2 };

}  // namespace pgs3
