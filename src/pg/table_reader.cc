#include "pg/table_reader.h"

#include "pg/connection.h"
#include "pg/copy_binary_reader.h"

namespace pgs3 {

TableReader::TableReader(const SourceTable& table, std::vector<MappedColumn> columns)
    : table_label_(table.qualified_name()),
      qualified_(table.qualified_name()),
      only_(!table.is_partitioned()),
      columns_(std::move(columns)) {}

void TableReader::set_scope(std::string relation, bool only, std::string predicate) {
  qualified_ = std::move(relation);
  only_ = only;
  predicate_ = std::move(predicate);
}

std::string TableReader::copy_sql() const {
  // A table without columns still has rows: "SELECT FROM t" returns them with no fields.
  std::string sql = "COPY (SELECT";
  for (size_t i = 0; i < columns_.size(); ++i) {
    sql += i > 0 ? ", " : " ";
    sql += columns_[i].select_expr;
  }
  // ONLY: an inheritance parent's children are tables of their own. A partitioned root has no rows of its own and
  // is read through the root, which covers every partition.
  sql += only_ ? " FROM ONLY " : " FROM ";
  sql += qualified_;
  if (!predicate_.empty()) sql += " WHERE " + predicate_;
  sql += ") TO STDOUT (FORMAT binary)";
  return sql;
}

Status TableReader::read(PgConnection& conn, RecordBatch& batch, const TableReadOptions& options,
                         const BatchCallback& on_batch) {
  const size_t first = options.first_column;
  if (batch.columns.size() < first + columns_.size()) {
    return Status::internal("TableReader: the batch has " + std::to_string(batch.columns.size()) +
                            " columns, fewer than first_column + " + std::to_string(columns_.size()));
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (batch.columns[first + i].physical() != columns_[i].spec.physical) {
      return Status::internal("TableReader: batch column " + std::to_string(first + i) +
                              " does not have the physical type of source column " + columns_[i].source_name);
    }
  }
  decoders_.clear();
  decoders_.reserve(columns_.size());
  for (const auto& c : columns_) decoders_.emplace_back(table_label_, c);
  rows_read_ = 0;
  bytes_received_ = 0;

  const uint64_t batch_rows = options.batch_rows == 0 ? 1 : options.batch_rows;
  const uint64_t batch_bytes = options.batch_bytes == 0 ? 1 : options.batch_bytes;
  size_t pending_rows = 0;
  uint64_t bytes_at_last_batch = 0;
  bool parse_error = true;   // whether a failure of the parser is the stream's (not the caller's callback)
  bool names_table = false;  // whether the failure's message names the table already (decoders, the stream's)
  auto flush = [&]() -> Status {
    size_t n = pending_rows;
    pending_rows = 0;
    bytes_at_last_batch = bytes_received_;
    return on_batch(batch, n);
  };

  CopyBinaryReader parser(static_cast<int>(columns_.size()), [&](std::span<const CopyField> fields) -> Status {
    for (size_t i = 0; i < fields.size(); ++i) {
      ColumnVector& out = batch.columns[first + i];
      const CopyField& f = fields[i];
      Status s = f.is_null() ? decoders_[i].decode_null(out) : decoders_[i].decode_value(f.data, f.length, out);
      if (!s.is_ok()) {
        parse_error = false;
        names_table = true;  // the decoder's message names the table and column already
        return s;
      }
    }
    ++rows_read_;
    ++pending_rows;
    if (pending_rows >= batch_rows || bytes_received_ - bytes_at_last_batch >= batch_bytes) {
      Status s = flush();
      if (!s.is_ok()) {
        parse_error = false;
        return s;
      }
    }
    return Status::ok();
  });

  Status s = conn.copy_out(copy_sql(), [&](std::string_view chunk) {
    bytes_received_ += chunk.size();
    parse_error = true;
    Status fed = parser.feed(chunk);
    if (!fed.is_ok() && parse_error) {
      names_table = true;
      return fed.with_context("reading table " + table_label_);
    }
    return fed;
  });
  if (!s.is_ok()) {
    if (conn.last_sqlstate() == "42501") {
      return Status::bad_input("permission denied reading table " + table_label_ + ": the role " +
                               quote_ident(conn.user()) + " needs the SELECT privilege on it; run GRANT SELECT ON " +
                               qualified_ + " TO " + quote_ident(conn.user()) + " (" + s.message() + ")");
    }
    // The server's errors and the callback's do not name the table.
    if (!names_table && (s.code() == StatusCode::kBadInput || s.code() == StatusCode::kUnavailable ||
                         s.code() == StatusCode::kInternal)) {
      return s.with_context("reading table " + table_label_);
    }
    return s;
  }
  Status end = parser.finish();
  if (!end.is_ok()) return end.with_context("reading table " + table_label_);
  if (pending_rows > 0) return flush();
  return Status::ok();
}

}  // namespace pgs3
