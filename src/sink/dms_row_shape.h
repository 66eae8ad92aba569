// DmsRowShape: what one Relation descriptor makes of a table's row changes in DMS-shaped files (AWS DMS User Guide,
// "Using Amazon S3 as a target") — the output columns and, for each change, the rows written.
//
// Columns, in order:
//   Op                    "I", "U" or "D" (a string). Left out when CdcInsertsOnly or CdcInsertsAndUpdates is set
//                         and IncludeOpForFullLoad is not (RowShapeOptions::include_op): DMS then writes "CDC records
//                         ... without an indication of INSERT or UPDATE operations". Transaction files always have it.
//   table_name, database_schema_name   transaction files only (RowShapeOptions::mixed_tables), as DMS documents.
//   <TimestampColumnName> when set: the transaction's commit time, "yyyy-MM-dd HH:mm:ss.SSSSSS" in UTC.
//   the table's columns   mapped as the full load maps them (pg/type_mapping.h, through TupleDecoder), in the
//                         Relation message's column order.
// INSERT and UPDATE rows carry the new row; DELETE rows carry the old replica-identity (key) values — the whole old
// row under REPLICA IDENTITY FULL — and NULL in every other column. Hence every non-key column is OPTIONAL
// (nullable), even when it is NOT NULL in the source; key columns keep the source's nullability (known only when the
// catalog's columns are given, otherwise OPTIONAL too).
//
// Rows of a change (rows_for()): CdcInsertsOnly keeps only inserts; CdcInsertsAndUpdates keeps inserts and updates.
// An UPDATE that changes the key is written as two rows: first a "D" row carrying the old key (as a DELETE row), then
// the "U" row, so that a reader applying rows in order — I inserts, U replaces the row with the U row's key (or
// inserts it), D deletes by key — rebuilds the table (CdcInsertsAndUpdates keeps the "U" row alone). An UPDATE
// changes the key when a key column's old and new values differ (their bytes as the source sent them; a NULL differs
// from a value; an unchanged TOAST value is unchanged). Which columns are the key:
//   REPLICA IDENTITY DEFAULT / INDEX  the descriptor's is_key columns. pgoutput sends the old key ('K') only when it
//                                     may have changed, so an UPDATE without old values changes no key.
//   REPLICA IDENTITY FULL             RowShapeOptions::full_identity_key_columns when given (the primary key).
//                                     Otherwise the descriptor's is_key columns — unless every column is flagged,
//                                     which is what pgoutput sends under FULL (proto.c, logicalrep_write_attrs) and so
//                                     names no key: every UPDATE is then one "U" row.
//
// Unchanged TOAST values (pgoutput 'u': an out-of-line value the UPDATE did not change, which the source does not
// send) are taken from the old tuple when it holds the column: always under REPLICA IDENTITY FULL, and for key
// columns when the old key was sent. Otherwise the value is written as NULL and counted per column (the column's
// name; "schema"."table".column in transaction files). Such a value in a REQUIRED key column cannot be written as
// NULL: kDataError.
//
// Not thread-safe: holds a TupleDecoder (scratch buffers); one writer's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/file_encoder.h"
#include "model/change.h"
#include "model/column.h"
#include "pg/catalog.h"
#include "pg/type_mapping.h"

namespace pgs3 {

class TupleDecoder;  // pg/tuple_decoder.h

// Unchanged TOAST values written as NULL: in all, and by column.
struct ToastNullCounts {
  uint64_t total = 0;
  std::map<std::string, uint64_t> by_column;
};

struct RowShapeOptions {
  bool include_op = true;
  // Rows of several tables in one file (transaction files): table_name and database_schema_name columns, and
  // unchanged-TOAST counts named "schema"."table".column.
  bool mixed_tables = false;
  std::string timestamp_column;  // TimestampColumnName ("" = none)
  TypeMappingOptions mapping;
  // The catalog's columns of the table, used only while a column's name, type OID and typmod match the Relation
  // message's (after an ALTER TABLE the catalog may be stale). Empty: map by type OID.
  std::vector<SourceColumn> catalog_columns;
  // Under REPLICA IDENTITY FULL: the names of the table's key columns (see the file comment).
  std::vector<std::string> full_identity_key_columns;
  bool cdc_inserts_only = false;         // CdcInsertsOnly
  bool cdc_inserts_and_updates = false;  // CdcInsertsAndUpdates
};

class DmsRowShape {
 public:
  DmsRowShape(const RelationDescriptor& relation, const RowShapeOptions& options);
  ~DmsRowShape();
  DmsRowShape(const DmsRowShape&) = delete;
  DmsRowShape& operator=(const DmsRowShape&) = delete;

  // The rows a change becomes: none (filtered), one, or a key-changing UPDATE's D row and U row.
  struct Rows {
    ChangeOp ops[2] = {ChangeOp::kInsert, ChangeOp::kInsert};
    int count = 0;
    bool key_change = false;
  };
  Rows rows_for(const RowChange& change) const;

  // Appends the row of `change` written as `op` (change.op, or kDelete for a key change's old-key row) to `batch`,
  // whose columns are schema(). `commit_timestamp`: the commit time's text, for the timestamp column. Unchanged TOAST
  // values written as NULL are counted in `toast_nulls`.
  Status append(const RowChange& change, ChangeOp op, std::string_view commit_timestamp, RecordBatch& batch,
                ToastNullCounts& toast_nulls);

  // True when `relation` describes the same columns as this shape's (a new descriptor that differs is a schema
  // change).
  bool same_relation(const RelationDescriptor& relation) const;
  const RelationDescriptor& relation() const { return relation_; }
  const std::vector<ColumnSpec>& schema() const { return schema_; }
  // The table's columns' decoders, with their counts of values the output type cannot hold (task/value_warnings.h).
  const std::vector<ColumnDecoder>& decoders() const;
  // "schema"."table"
  std::string quoted_table() const;

 private:
  bool changes_key(const RowChange& change) const;

  RelationDescriptor relation_;
  RowShapeOptions options_;
  std::unique_ptr<TupleDecoder> decoder_;
  std::vector<ColumnSpec> schema_;   // the rows' columns, leading ones included
  size_t first_table_column_ = 0;    // index in schema_ of the relation's first column
  std::vector<size_t> key_columns_;  // indexes in the relation of the columns that identify a row
};

}  // namespace pgs3
