// The `pgs3 cat FILE...` command: prints the rows of pgs3's Parquet or CSV output files (a local path or an
// s3://bucket/key URL) on stdout as CSV (header line, RFC 4180 quoting, NULL as an empty unquoted field) or as JSON
// lines (one object per row, columns in file order, NULL as null). With `schema` it prints, per file, the columns and
// their types, the row count and row groups, the compression, created_by and the pgs3.* key-value metadata (position
// range, source schema and table) instead of rows.
//
// Parquet files are read one row group at a time. CSV files (.csv, .csv.gz) are printed as CSV (decompressed) or
// converted to JSON lines using their header line when present, else col1..colN (every value a JSON string; an empty
// unquoted field is null, as pgs3's CSV writer writes NULL). Parquet or CSV is told by the content ("PAR1", the gzip
// magic), not by the name. With several files, a CSV header line is printed for the first file and again only when
// the columns change.
//
// s3:// arguments are read through the project's S3 client with the standard AWS credential chain; the endpoint and
// region come from the options, else AWS_ENDPOINT_URL and AWS_REGION / AWS_DEFAULT_REGION.
//
// Thread-safety: runs on the main thread only.
#pragma once

#include <string>
#include <vector>

namespace pgs3 {

struct CatOptions {
  bool schema = false;  // print the schema and metadata of each file instead of its rows
  enum class Format { kCsv, kJson } format = Format::kCsv;
  std::string endpoint_url;  // for s3:// arguments; empty: AWS_ENDPOINT_URL, else AWS's endpoint for the region
  std::string region;        // for s3:// arguments; empty: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1
  // Whether the first line of a CSV input file names the columns (DMS AddColumnName). kAuto: it does when every field
  // is non-empty, unquoted, distinct and not a number.
  enum class CsvHeader { kAuto, kPresent, kAbsent } csv_header = CsvHeader::kAuto;
};

// Prints every file in order. Returns the process exit code: 0 when every file was printed, 1 when a file is missing,
// unreadable or malformed (a message naming the file goes to stderr), 2 for a bad argument (no file, a malformed
// s3:// URL).
int run_cat_command(const std::vector<std::string>& files, const CatOptions& options);

}  // namespace pgs3
