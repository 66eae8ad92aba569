#include "sink/dms_row_shape.h"

#include <algorithm>

#include "model/change_position_text.h"
#include "pg/tuple_decoder.h"

namespace pgs3 {

DmsRowShape::DmsRowShape(const RelationDescriptor& relation, const RowShapeOptions& options)
    : relation_(relation), options_(options) {
  // Catalog columns are trusted only while they still describe the stream's column (same name, type and typmod).
  std::vector<SourceColumn> catalog;
  for (const RelationColumn& rc : relation.columns) {
    for (const SourceColumn& sc : options.catalog_columns) {
      if (sc.name == rc.name && sc.type_oid == rc.type_oid && sc.typmod == rc.typmod) catalog.push_back(sc);
    }
  }
  decoder_ = std::make_unique<TupleDecoder>(relation, options.mapping, catalog.empty() ? nullptr : &catalog);

  // Leading columns as the full load writes them (task/full_load.cc): strings, never NULL.
  if (options.include_op) schema_.push_back(ColumnSpec{.name = "Op", .nullable = false});
  if (options.mixed_tables) {
    schema_.push_back(ColumnSpec{.name = "table_name", .nullable = false});
    schema_.push_back(ColumnSpec{.name = "database_schema_name", .nullable = false});
  }
  if (!options.timestamp_column.empty()) {
    schema_.push_back(ColumnSpec{.name = options.timestamp_column, .nullable = false});
  }
  first_table_column_ = schema_.size();
  for (size_t i = 0; i < relation.columns.size(); ++i) {
    ColumnSpec spec = decoder_->columns()[i].spec;
    // A DELETE carries only the key: every other column is NULL in its row.
    if (!relation.columns[i].is_key) spec.nullable = true;
    schema_.push_back(std::move(spec));
  }

  const std::vector<std::string>& full_key = options.full_identity_key_columns;
  if (relation.replica_identity == ReplicaIdentity::kFull && !full_key.empty()) {
    for (size_t i = 0; i < relation.columns.size(); ++i) {
      if (std::find(full_key.begin(), full_key.end(), relation.columns[i].name) != full_key.end()) {
        key_columns_.push_back(i);
      }
    }
  } else {
    for (size_t i = 0; i < relation.columns.size(); ++i) {
      if (relation.columns[i].is_key) key_columns_.push_back(i);
    }
    // pgoutput flags every column as part of the key under REPLICA IDENTITY FULL (proto.c, logicalrep_write_attrs):
    // that names no key.
    if (relation.replica_identity == ReplicaIdentity::kFull && key_columns_.size() == relation.columns.size()) {
      key_columns_.clear();
    }
  }
}

DmsRowShape::~DmsRowShape() = default;

const std::vector<ColumnDecoder>& DmsRowShape::decoders() const { return decoder_->decoders(); }

std::string DmsRowShape::quoted_table() const { return "\"" + relation_.schema + "\".\"" + relation_.name + "\""; }

bool DmsRowShape::same_relation(const RelationDescriptor& b) const {
  const RelationDescriptor& a = relation_;
  if (a.oid != b.oid || a.schema != b.schema || a.name != b.name || a.replica_identity != b.replica_identity ||
      a.columns.size() != b.columns.size()) {
    return false;
  }
  for (size_t i = 0; i < a.columns.size(); ++i) {
    const RelationColumn& x = a.columns[i];
    const RelationColumn& y = b.columns[i];
    if (x.name != y.name || x.is_key != y.is_key || x.type_oid != y.type_oid || x.typmod != y.typmod) return false;
  }
  return true;
}

DmsRowShape::Rows DmsRowShape::rows_for(const RowChange& change) const {
  Rows rows;
  if ((change.op == ChangeOp::kUpdate && options_.cdc_inserts_only) ||
      (change.op == ChangeOp::kDelete && (options_.cdc_inserts_only || options_.cdc_inserts_and_updates))) {
    return rows;  // filtered
  }
  // CdcInsertsAndUpdates keeps updates but no deletes: a key change's U row alone.
  rows.key_change = change.op == ChangeOp::kUpdate && !options_.cdc_inserts_and_updates && changes_key(change);
  if (rows.key_change) rows.ops[rows.count++] = ChangeOp::kDelete;
  rows.ops[rows.count++] = change.op;
  return rows;
}

bool DmsRowShape::changes_key(const RowChange& change) const {
  const size_t n = relation_.columns.size();
  if (change.old_kind == OldTupleKind::kNone || change.old_tuple.size() != n || change.new_tuple.size() != n) {
    return false;
  }
  for (size_t i : key_columns_) {
    const TupleValue& before = change.old_tuple[i];
    const TupleValue& after = change.new_tuple[i];
    // pgoutput: 'u' is a TOASTed value the UPDATE did not change (protocol-logicalrep-message-formats, TupleData).
    if (before.kind == TupleValueKind::kUnchangedToast || after.kind == TupleValueKind::kUnchangedToast) continue;
    const bool before_null = before.kind == TupleValueKind::kNull;
    const bool after_null = after.kind == TupleValueKind::kNull;
    if (before_null != after_null) return true;
    if (!before_null && (before.kind != after.kind || before.bytes != after.bytes)) return true;
  }
  return false;
}

Status DmsRowShape::append(const RowChange& change, ChangeOp op, std::string_view commit_timestamp, RecordBatch& batch,
                           ToastNullCounts& toast_nulls) {
  const RelationDescriptor& rel = relation_;
  const size_t n = rel.columns.size();
  const bool is_delete = op == ChangeOp::kDelete;
  const std::vector<TupleValue>& tuple = is_delete ? change.old_tuple : change.new_tuple;
  if (is_delete && change.old_kind == OldTupleKind::kNone) {
    return Status::data_error("table " + quoted_table() + ": a DELETE at " + format_change_position(change.position) +
                              " carries no old values");
  }
  if (tuple.size() != n) {
    return Status::data_error("table " + quoted_table() + ": a change at " + format_change_position(change.position) +
                              " has " + std::to_string(tuple.size()) + " values for " + std::to_string(n) + " columns");
  }
  const bool old_usable = change.old_kind != OldTupleKind::kNone && change.old_tuple.size() == n;

  size_t c = 0;
  if (options_.include_op) {
    const char op_char = static_cast<char>(op);  // 'I', 'U' or 'D'
    batch.columns[c++].append_bytes(std::string_view(&op_char, 1));
  }
  if (options_.mixed_tables) {
    batch.columns[c++].append_bytes(rel.name);
    batch.columns[c++].append_bytes(rel.schema);
  }
  if (!options_.timestamp_column.empty()) batch.columns[c++].append_bytes(commit_timestamp);
  for (size_t i = 0; i < n; ++i) {
    ColumnVector& out = batch.columns[first_table_column_ + i];
    // The old tuple holds a real value of column i under REPLICA IDENTITY FULL ('O'), and of key columns when the
    // old key was sent ('K'); its other columns are placeholders.
    const bool old_holds = old_usable && (change.old_kind == OldTupleKind::kFull || rel.columns[i].is_key);
    if (is_delete && !old_holds) {
      out.append_null();
      continue;
    }
    const TupleValue* value = &tuple[i];
    if (value->kind == TupleValueKind::kUnchangedToast) {
      // pgoutput: 'u' marks an unchanged TOASTed value that the source did not send
      // (protocol-logicalrep-message-formats, TupleData).
      const TupleValue* old = old_holds ? &change.old_tuple[i] : nullptr;
      if (old != nullptr && old->kind != TupleValueKind::kUnchangedToast) {
        value = old;
      } else {
        if (!schema_[first_table_column_ + i].nullable) {
          return Status::data_error("table " + quoted_table() + " column \"" + rel.columns[i].name +
                                    "\": an unchanged TOAST value of a NOT NULL key column cannot be written "
                                    "(the source did not send it); run ALTER TABLE " +
                                    quoted_table() + " REPLICA IDENTITY FULL");
        }
        out.append_null();
        ++toast_nulls.total;
        ++toast_nulls
              .by_column[options_.mixed_tables ? quoted_table() + "." + rel.columns[i].name : rel.columns[i].name];
        continue;
      }
    }
    PGS3_RETURN_IF_ERROR(decoder_->append(i, *value, out));
  }
  return Status::ok();
}

}  // namespace pgs3
