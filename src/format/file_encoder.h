// FileEncoder: turns RecordBatches into the bytes of one output file (Parquet or CSV).
//
// The encoder writes into an OutputStream as data arrives (it may buffer up to one row group); finish() writes the
// rest and the footer, with the key-value metadata known only at the end (e.g. the position range of the rows).
// The caller rotates files: it asks estimated_size() after each write and finishes the file when it is large enough.
// Not thread-safe; one encoder per file, used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/output_stream.h"
#include "base/status.h"
#include "model/column.h"

namespace pgs3 {

using KeyValueMetadata = std::vector<std::pair<std::string, std::string>>;

class FileEncoder {
 public:
  virtual ~FileEncoder() = default;
  // Appends the rows of `batch`, whose schema must equal the one the encoder was created with.
  virtual Status write(const RecordBatch& batch) = 0;
  // Bytes the file would have if finished now (written plus buffered, after compression where known).
  virtual uint64_t estimated_size() const = 0;
  // Writes everything buffered and the footer. `metadata` goes into the file (Parquet key-value metadata); encoders
  // that have no place for it (CSV) ignore it.
  virtual Status finish(const KeyValueMetadata& metadata) = 0;
  // Rows written so far.
  virtual uint64_t rows() const = 0;
  // Hands what it buffers to the OutputStream now, so that the caller can move it out of memory (the memory budget,
  // sink/memory_budget.h): Parquet closes its open row group early (the file gets a smaller row group; no value
  // changes). Encoders whose buffers are small and bounded (CSV: two 64 KiB buffers) may do nothing.
  virtual Status flush_buffered() { return Status::ok(); }
  // Bytes the encoder holds in memory: its buffers' capacity (Parquet: the open row group's pages and dictionaries,
  // the compressor's state and buffer, the footer metadata; CSV: its text buffer and deflate state). What the memory
  // budget counts for an open file, next to what the output stream holds.
  virtual uint64_t memory_bytes() const = 0;
  // Bytes of footer metadata held in memory until finish() (Parquet: the row groups' metadata, statistics
  // included); 0 for encoders without a footer.
  virtual uint64_t footer_bytes() const { return 0; }
};

}  // namespace pgs3
