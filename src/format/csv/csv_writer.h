// CsvWriter: a FileEncoder that writes rows as CSV text, the way AWS DMS's S3 target does (DataFormat csv).
//
// A writer created with no columns writes each batch with the batch's own columns, so that one file can hold rows
// of different tables (PreserveTransactions' transaction files); it then has no header to write (AddColumnName).
//
// Each value is rendered by append_value_text() (format/value_text.h: PostgreSQL's text output); a NULL is
// CsvNullValue (default: nothing). Values are separated by `delimiter` and rows end with `row_delimiter`; with
// `add_column_name` the first row holds the column names.
//
// Quoting (Rfc4180). DMS documents: "if the data has quotation marks or newline characters in it, DMS encloses the
// entire column with an additional pair of double quotation marks ("). Every quotation mark within the data is
// repeated twice." pgs3 quotes a value, doubling its quotes, when it contains a double quote, CR, LF, the delimiter
// or the row delimiter: DMS's documentation names only quotes and newlines, but an unquoted delimiter inside a value
// would shift every later column for any reader, while quoting it changes nothing for an RFC 4180 reader. A value
// whose text equals the null marker is quoted too, so that with the default empty marker an empty string ("") and a
// NULL (nothing) stay distinguishable; DMS does not document this case. With rfc4180 false nothing is quoted: values
// are written as they are (DMS: "string literals are copied to the target as is"), so a delimiter, a newline or the
// null marker inside a value cannot be told from the real thing — that is what the setting asks for.
//
// Compression (CompressionType gzip): the bytes go through zlib's deflate with a gzip header and trailer (RFC 1952)
// and reach the OutputStream as they are produced, so memory stays bounded by two 64 KiB buffers and zlib's state.
//
// estimated_size() counts the bytes handed to the stream plus the text still buffered (for gzip, scaled by the
// compression ratio seen so far); zlib may hold back a little more, up to one deflate block. KeyValueMetadata passed
// to finish() is ignored: CSV has no place for it. Not thread-safe; one writer per file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/output_stream.h"
#include "format/file_encoder.h"

namespace pgs3 {

struct CsvOptions {
  std::string delimiter = ",";       // CsvDelimiter; not empty
  std::string row_delimiter = "\n";  // CsvRowDelimiter; not empty
  std::string null_value;            // CsvNullValue
  bool add_column_name = false;      // AddColumnName: a header row with the column names
  bool rfc4180 = true;               // Rfc4180: quote values as described above
  bool gzip = false;                 // CompressionType gzip
};

class CsvWriter final : public FileEncoder {
 public:
  // `out` must outlive the writer.
  CsvWriter(std::vector<ColumnSpec> schema, CsvOptions options, OutputStream* out);
  ~CsvWriter() override;
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  Status write(const RecordBatch& batch) override;
  uint64_t estimated_size() const override;
  Status finish(const KeyValueMetadata& metadata) override;
  uint64_t rows() const override { return rows_; }
  uint64_t memory_bytes() const override;

 private:
  struct Deflater;  // zlib state, only with gzip

  // Appends `text` (already in buffer_ from `begin`) quoted if the options ask for it.
  void quote_if_needed(size_t begin);
  Status flush_buffer(bool final);

  std::vector<ColumnSpec> schema_;
  CsvOptions options_;
  OutputStream* out_;
  std::unique_ptr<Deflater> deflater_;
  Status status_;                    // the first failure; every later call returns it
  std::string buffer_;               // text not yet handed to the stream (or to deflate)
  std::vector<size_t> value_index_;  // per column, the next dense value of the batch being written
  bool special_[256] = {};           // bytes that may make a value need quotes
  uint64_t rows_ = 0;
  uint64_t bytes_out_ = 0;  // bytes appended to the stream
  uint64_t bytes_in_ = 0;   // uncompressed bytes passed to deflate
  bool finished_ = false;
};

}  // namespace pgs3
