// ColumnChunkWriter: encodes one column of the current row group into Parquet pages.
//
// The writer cuts the column's rows into data pages: a page is closed when its encoded size reaches DataPageSize,
// when it holds kMaxPageRows rows, or when the dictionary falls back to PLAIN (a page has one encoding). A page holds
// whole rows (required by data page v2, and harmless for v1). Closed pages are compressed and kept, with their
// headers, until the row group ends: the dictionary page must come first in the chunk (Encodings.md) and is only
// complete then. write_chunk() writes the dictionary page and the data pages to the output, fills the chunk's
// ColumnMetaData and starts the next chunk; memory is therefore bounded by one row group.
//
// This base class owns what every physical type shares: definition levels, page assembly (v1 or v2), compression,
// page headers and chunk metadata. A subclass per physical type family (typed_column_writers.h) encodes the values,
// keeps the dictionary and the min/max bounds; it is called once per run of values, never per value.
//
// Not thread-safe; owned and driven by one ParquetWriter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/output_stream.h"
#include "base/status.h"
#include "format/compression.h"
#include "format/parquet/gen/parquet_types.h"
#include "format/parquet/parquet_writer_options.h"
#include "format/parquet/thrift_codec.h"
#include "model/column.h"

namespace pgs3 {

class ColumnChunkWriter {
 public:
  // `compressor` and `serializer` are shared by the columns of one file and must outlive the writer.
  static std::unique_ptr<ColumnChunkWriter> create(const ColumnSpec& spec, const ParquetWriterOptions& options,
                                                   BlockCompressor* compressor, ThriftSerializer* serializer);
  virtual ~ColumnChunkWriter() = default;

  // Appends rows [row_begin, row_end) of `column`. *value_cursor is the index of the first non-NULL value at or
  // after row_begin; it is advanced past the values of the range.
  Status append(const ColumnVector& column, size_t row_begin, size_t row_end, size_t* value_cursor);

  // Closes the open page, writes the chunk's pages to `out` and fills *chunk. Offsets in the metadata are relative to
  // `file_start`, the output position of the file's first byte. Afterwards the writer is empty, ready for the next
  // row group.
  Status write_chunk(OutputStream* out, uint64_t file_start, parquet_thrift::ColumnChunk* chunk);

  // Bytes this chunk would add to the file if written now: compressed pages already closed, plus the open page and the
  // dictionary scaled by the compression ratio seen so far in this column.
  uint64_t buffered_size() const;

  // Bytes this writer holds in memory: its buffers' capacity (closed pages, the open page, the dictionary, the
  // scratch buffers), which is more than buffered_size() when the dictionary compresses well or a buffer grew for an
  // earlier page. What the memory budget counts (sink/memory_budget.h).
  uint64_t memory_bytes() const;
  // Frees the buffers an empty writer keeps (after write_chunk()) for the next chunk: closed pages, scratch, the
  // dictionary. The next chunk allocates them again as it grows.
  void release_buffers();

 protected:
  ColumnChunkWriter(const ColumnSpec& spec, const ParquetWriterOptions& options, BlockCompressor* compressor,
                    ThriftSerializer* serializer);

  // --- The typed part. ---
  // Encodes up to `count` values, from value index `first` of `column`, into the open page. Returns how many it took:
  // all of them, or fewer when the page is full (its values reached DataPageSize) or the dictionary is full and the
  // values taken so far must be closed in a dictionary-encoded page (it then calls request_page_close()). It takes at
  // least one value unless it requests a close.
  virtual size_t put_values(const ColumnVector& column, size_t first, size_t count) = 0;
  // Encoded size of the open page's values (an estimate for dictionary indices).
  virtual size_t page_values_size() const = 0;
  // Appends the open page's encoded values to *out and returns their encoding. When `stats` is not null, writes the
  // page's bounds into it. Folds the page's bounds into the chunk's and empties the page.
  virtual parquet_thrift::Encoding::type finish_page(std::string* out, parquet_thrift::Statistics* stats) = 0;
  // When the chunk has a dictionary page: appends its PLAIN entries to *out, sets *entries and returns true.
  virtual bool dictionary_page(std::string* out, int32_t* entries) = 0;
  // Bytes of the dictionary page body so far (0 without dictionary).
  virtual size_t dictionary_size() const = 0;
  // Bytes the typed part holds: its dictionary, the open page's values and indices, the bounds.
  virtual size_t values_memory_bytes() const = 0;
  // Frees the typed part's buffers; called between chunks only.
  virtual void release_values() = 0;
  // Writes the chunk's bounds into *stats.
  virtual void chunk_statistics(parquet_thrift::Statistics* stats) const = 0;
  // Forgets the chunk's dictionary and bounds; dictionary encoding starts afresh for the next chunk.
  virtual void reset_chunk() = 0;

  void request_page_close() { page_close_requested_ = true; }

  // The encodings data pages use.
  parquet_thrift::Encoding::type dictionary_data_encoding() const;
  parquet_thrift::Encoding::type dictionary_page_encoding() const;

  const ColumnSpec spec_;
  const size_t data_page_size_;
  const size_t dict_page_size_limit_;
  const bool use_dictionary_;
  const bool statistics_;

 private:
  Status close_page();
  Status append_page(const parquet_thrift::PageHeader& header, std::string_view levels, std::string_view body);

  const ParquetVersion version_;
  const ParquetEncoding encoding_;
  const bool nullable_;
  BlockCompressor* compressor_;
  ThriftSerializer* serializer_;

  // The open page.
  std::vector<uint8_t> page_levels_;  // definition level (0 NULL, 1 value) per row; optional columns only
  size_t page_rows_ = 0;
  size_t page_nulls_ = 0;
  bool page_close_requested_ = false;

  // The chunk: closed data pages with their headers, and what the metadata needs to know about them.
  std::string chunk_pages_;
  int64_t chunk_rows_ = 0;
  int64_t chunk_nulls_ = 0;
  int64_t chunk_uncompressed_ = 0;    // header + uncompressed body, summed over data pages
  uint32_t data_page_encodings_ = 0;  // bit per Encoding value used by a data page
  int32_t data_pages_by_encoding_[10] = {};

  // Over the whole file, for estimates: bodies before and after compression.
  uint64_t bodies_uncompressed_ = 0;
  uint64_t bodies_compressed_ = 0;

  // Scratch buffers, kept between pages to avoid allocating.
  std::string levels_;
  std::string values_;
  std::string body_;
  std::string header_;
};

}  // namespace pgs3
