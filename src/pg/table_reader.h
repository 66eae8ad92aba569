// TableReader: reads one table, or one segment of it, with COPY ... TO STDOUT (FORMAT binary) into RecordBatches.
//
// The query is `COPY (SELECT <select_expr of each column> FROM ONLY "schema"."table") TO STDOUT (FORMAT binary)`;
// a partitioned root is read without ONLY, through the root, so all its partitions come in one stream. A scope
// (set_scope) reads another relation (one of the table's partitions) and adds a WHERE condition: the segments of
// task/load_plan.h. Run it in a transaction that has imported the full load's snapshot (pg/snapshot.h) to read a
// consistent image.
//
// The reader decodes straight into the columns of a caller-owned RecordBatch, starting at `first_column`: columns
// [0, first_column) belong to the caller (DMS's Op, a timestamp column, ...), which fills them in the callback. Every
// `batch_rows` rows, or when `batch_bytes` bytes were received since the last call, and once at the end if rows
// remain, the callback gets the batch and the number of rows the reader appended since the previous call; the
// callback typically brings its own columns to that many rows, encodes the batch and clears it. A callback failure
// cancels the COPY and is returned. An empty table makes no callback.
//
// Failures name the table: permission denied is kBadInput naming the missing privilege and the GRANT that fixes it;
// a malformed value is kDataError naming the table and column.
//
// Thread-safety: one thread at a time; cancel() on the connection (from any thread) stops a read with kCancelled.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/column.h"
#include "pg/catalog.h"
#include "pg/type_mapping.h"

namespace pgs3 {

class PgConnection;

struct TableReadOptions {
  size_t first_column = 0;          // index in the batch of the first source column
  uint64_t batch_rows = 10000;      // hand the batch over after this many rows
  uint64_t batch_bytes = 64 << 20;  // ... or after this many bytes received, whichever comes first
};

class TableReader {
 public:
  // (batch, rows appended to the reader's columns since the previous call)
  using BatchCallback = std::function<Status(RecordBatch& batch, size_t new_rows)>;

  // `columns` are map_columns(table, ...) in the table's column order (the batch's columns from first_column on
  // must have their specs, in the same order).
  TableReader(const SourceTable& table, std::vector<MappedColumn> columns);

  // Reads `relation` (a quoted qualified name; with ONLY when `only`) instead of the table, keeping only the rows
  // for which `predicate` (SQL over the table's columns; empty: all) is true.
  void set_scope(std::string relation, bool only, std::string predicate);

  // The COPY statement this reader runs.
  std::string copy_sql() const;

  // Reads the whole table. `batch` must have at least first_column + columns().size() columns.
  Status read(PgConnection& conn, RecordBatch& batch, const TableReadOptions& options, const BatchCallback& on_batch);

  uint64_t rows_read() const { return rows_read_; }
  uint64_t bytes_received() const { return bytes_received_; }
  const std::vector<MappedColumn>& columns() const { return columns_; }
  // The decoders of the last read(), for their warning counters (infinities, nulled NaN decimals).
  const std::vector<ColumnDecoder>& decoders() const { return decoders_; }

 private:
  std::string table_label_;  // "schema"."name" for messages
  std::string qualified_;    // the same, quoted for SQL
  bool only_ = true;
  std::string predicate_;
  std::vector<MappedColumn> columns_;
  std::vector<ColumnDecoder> decoders_;
  uint64_t rows_read_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace pgs3
