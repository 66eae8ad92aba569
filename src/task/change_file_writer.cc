#include "task/change_file_writer.h"

#include <algorithm>

#include "pg/tuple_decoder.h"
#include "pg/type_mapping.h"
#include "task/date_partition.h"
#include "task/object_keys.h"
#include "task/output_format.h"

namespace pgs3 {
namespace {

bool same_relation(const RelationDescriptor& a, const RelationDescriptor& b) {
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

// S3 user metadata travels in HTTP headers, which carry ASCII: bytes outside printable ASCII, and '%', are
// percent-encoded (UTF-8 bytes, RFC 3986 style), so a schema named "Vendas é" reads back as "Vendas%20%C3%A9".
std::string metadata_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (c > 0x20 && c < 0x7F && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string quoted_table(const RelationDescriptor& r) { return "\"" + r.schema + "\".\"" + r.name + "\""; }

// Transaction files are CSV whatever DataFormat says (DMS: "AWS DMS doesn't save data changes in transaction order
// using .parquet files").
S3Settings writer_settings(const S3Settings& settings) {
  S3Settings s = settings;
  if (s.preserve_transactions) s.data_format = DataFormat::kCsv;
  return s;
}

}  // namespace

ChangeFileWriter::ChangeFileWriter(ObjectStore& store, const S3Settings& settings, ChangeFileWriterOptions options)
    : store_(store),
      settings_(writer_settings(settings)),
      transaction_files_(settings.preserve_transactions),
      options_(std::move(options)),
      extension_(file_extension(settings_)),
      include_op_(transaction_files_ || !(settings.cdc_inserts_only || settings.cdc_inserts_and_updates) ||
                  settings.include_op_for_full_load),
      namer_(settings.date_partition.enabled ? settings.date_partition.zone : nullptr) {
  if (options_.staging_rows == 0) options_.staging_rows = 1;
  if (options_.max_file_bytes == 0) {
    options_.max_file_bytes =
        settings.max_file_size_kb > 0 ? static_cast<uint64_t>(settings.max_file_size_kb) * 1024 : uint64_t{1} << 30;
  }
  if (options_.memory_budget) options_.memory_budget->add(this);
}

ChangeFileWriter::~ChangeFileWriter() {
  abort();
  if (options_.memory_budget) options_.memory_budget->remove(this);
}

std::chrono::system_clock::time_point ChangeFileWriter::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

Status ChangeFileWriter::fail(Status status) {
  abort();
  status_ = status;
  return status;
}

void ChangeFileWriter::abort() {
  report_spill_progress();
  encoder_.reset();
  staged_.reset();  // removes the spill file
  rows_.clear();
  open_key_.clear();
  file_rows_ = file_inserts_ = file_updates_ = file_deletes_ = file_key_updates_ = 0;
  file_last_commit_time_us_.reset();
  spill_bytes_reported_ = 0;
  spill_file_reported_ = false;
  // Lowering a consumer's bytes never spills, so this cannot fail.
  if (options_.memory_budget) (void)options_.memory_budget->update(this, 0);
}

uint64_t ChangeFileWriter::memory_bytes() const {
  if (!encoder_) return 0;
  const uint64_t encoded = encoder_->estimated_size();
  const uint64_t written = staged_->position();
  // The encoder's estimate covers what it wrote (staged) and what it buffers (the open row group, the CSV buffer).
  const uint64_t open_row_group = encoded > written ? encoded - written : 0;
  return staged_->memory_bytes() + open_row_group + rows_.payload_bytes();
}

Status ChangeFileWriter::spill() {
  if (!status_.is_ok() || !encoder_) return status_;
  // Staged rows go to the encoder first, so that what it writes of them goes to the spill file too.
  PGS3_RETURN_IF_ERROR(flush_staged_rows());
  // A spill file costs its write buffer (and a file descriptor): moving fewer bytes than that would free nothing.
  if (!staged_->spilled() && staged_->memory_bytes() <= SpillFile::kBufferBytes) return Status::ok();
  Status st = staged_->spill();
  if (!st.is_ok()) return fail(st.with_context("change file " + open_key_));
  report_spill_progress();
  return Status::ok();
}

void ChangeFileWriter::report_spill_progress() {
  if (!options_.memory_budget || !staged_ || !staged_->spilled()) return;
  const uint64_t bytes = staged_->spilled_bytes();
  options_.memory_budget->record_spill(bytes - spill_bytes_reported_, spill_file_reported_ ? 0 : 1);
  spill_bytes_reported_ = bytes;
  spill_file_reported_ = true;
}

Status ChangeFileWriter::report_memory() {
  if (!options_.memory_budget) return Status::ok();
  report_spill_progress();
  Status st = options_.memory_budget->update(this, memory_bytes());
  // The budget may have asked this writer to spill; a failure there has failed the writer already.
  if (!st.is_ok()) return st;
  return status_;
}

ChangeFileInfo ChangeFileWriter::open_file_info(uint64_t bytes) const {
  return ChangeFileInfo{.key = open_key_,
                        .first = first_,
                        .last = last_,
                        .rows = file_rows_,
                        .bytes = bytes,
                        .inserts = file_inserts_,
                        .updates = file_updates_,
                        .deletes = file_deletes_,
                        .key_updates = file_key_updates_,
                        .last_commit_time_us = file_last_commit_time_us_};
}

std::optional<uint64_t> ChangeFileWriter::oldest_pending_commit_lsn() const {
  if (!encoder_) return std::nullopt;
  return first_.commit_lsn;
}

std::optional<std::string> ChangeFileWriter::open_file_key() const {
  if (!encoder_) return std::nullopt;
  return open_key_;
}

const std::vector<ColumnSpec>& ChangeFileWriter::schema() const {
  static const std::vector<ColumnSpec> kNone;
  return last_set_ != nullptr ? last_set_->schema : kNone;
}

Status ChangeFileWriter::set_relation(const RelationDescriptor& relation,
                                      const std::vector<SourceColumn>* catalog_columns) {
  if (!status_.is_ok()) return status_;
  // A table's writer has one shape, whatever the OID (append() checks the changes' OID against it).
  auto it = transaction_files_ ? shapes_.find(relation.oid) : shapes_.begin();
  if (it != shapes_.end() && same_relation(it->second.relation, relation)) {
    last_set_ = &it->second;
    return Status::ok();
  }
  if (it != shapes_.end()) {
    if (encoder_) PGS3_RETURN_IF_ERROR(close_file());
    ++stats_.schema_changes;
    if (shape_ == &it->second) shape_ = nullptr;
    shapes_.erase(it);
  }
  Shape& shape = shapes_[relation.oid];
  last_set_ = &shape;
  shape.relation = relation;

  // Catalog columns are trusted only while they still describe the stream's column (same name, type and typmod).
  const std::vector<SourceColumn>& known = catalog_columns != nullptr ? *catalog_columns : options_.catalog_columns;
  std::vector<SourceColumn> catalog;
  for (const RelationColumn& rc : relation.columns) {
    for (const SourceColumn& sc : known) {
      if (sc.name == rc.name && sc.type_oid == rc.type_oid && sc.typmod == rc.typmod) catalog.push_back(sc);
    }
  }
  TypeMappingOptions mapping{.timestamp_millis = settings_.parquet_timestamp_in_millisecond,
                             .money_fraction_digits = options_.money_fraction_digits,
                             .decimal_as_text = settings_.data_format == DataFormat::kCsv};
  shape.decoder = std::make_unique<TupleDecoder>(relation, mapping, catalog.empty() ? nullptr : &catalog);

  // Leading columns as the full load writes them (task/full_load.cc): strings, never NULL. A transaction file names
  // each row's table after its Op, as DMS does.
  if (include_op_) shape.schema.push_back(ColumnSpec{.name = "Op", .nullable = false});
  if (transaction_files_) {
    shape.schema.push_back(ColumnSpec{.name = "table_name", .nullable = false});
    shape.schema.push_back(ColumnSpec{.name = "database_schema_name", .nullable = false});
  }
  if (!settings_.timestamp_column_name.empty()) {
    shape.schema.push_back(ColumnSpec{.name = settings_.timestamp_column_name, .nullable = false});
  }
  shape.first_table_column = shape.schema.size();
  for (size_t i = 0; i < relation.columns.size(); ++i) {
    ColumnSpec spec = shape.decoder->columns()[i].spec;
    // A DELETE carries only the key: every other column is NULL in its row.
    if (!relation.columns[i].is_key) spec.nullable = true;
    shape.schema.push_back(std::move(spec));
  }

  std::vector<std::string> full_key_names = options_.identity_full_key_columns;
  if (catalog_columns != nullptr) {
    full_key_names.clear();
    for (const SourceColumn& c : *catalog_columns) {
      if (c.in_primary_key) full_key_names.push_back(c.name);
    }
  }
  if (relation.replica_identity == ReplicaIdentity::kFull && !full_key_names.empty()) {
    for (size_t i = 0; i < relation.columns.size(); ++i) {
      if (std::find(full_key_names.begin(), full_key_names.end(), relation.columns[i].name) != full_key_names.end()) {
        shape.key_columns.push_back(i);
      }
    }
  } else {
    for (size_t i = 0; i < relation.columns.size(); ++i) {
      if (relation.columns[i].is_key) shape.key_columns.push_back(i);
    }
    // pgoutput flags every column as part of the key under REPLICA IDENTITY FULL (proto.c, logicalrep_write_attrs):
    // that names no key.
    if (relation.replica_identity == ReplicaIdentity::kFull && shape.key_columns.size() == relation.columns.size()) {
      shape.key_columns.clear();
    }
  }
  if (!transaction_files_) PGS3_RETURN_IF_ERROR(use_shape(shape));
  return Status::ok();
}

// Makes `shape` the one of the rows staged in rows_ (the staged rows of another go to the encoder first).
Status ChangeFileWriter::use_shape(Shape& shape) {
  if (shape_ == &shape) return Status::ok();
  if (encoder_) PGS3_RETURN_IF_ERROR(flush_staged_rows());
  shape_ = &shape;
  rows_ = RecordBatch(shape.schema);
  return Status::ok();
}

Status ChangeFileWriter::append(const RowChange& change, int64_t commit_time_us) {
  if (!status_.is_ok()) return status_;
  auto shape = shapes_.find(change.relation_oid);
  if (shape == shapes_.end()) {
    if (!transaction_files_ && !shapes_.empty()) {
      return fail(Status::internal("change file writer of table " + quoted_table(shapes_.begin()->second.relation) +
                                   " was given a change of relation " + std::to_string(change.relation_oid)));
    }
    return fail(Status::internal("change file writer: a row change of relation " + std::to_string(change.relation_oid) +
                                 " arrived before its Relation descriptor"));
  }
  if (change.op == ChangeOp::kTruncate) {
    return fail(Status::internal("change file writer: a TRUNCATE goes to truncate(), not append()"));
  }
  if (high_water_ && change.position <= *high_water_) {
    ++stats_.replayed;
    return Status::ok();
  }
  high_water_ = change.position;
  if (open_txn_ && *open_txn_ != change.position.commit_lsn) PGS3_RETURN_IF_ERROR(end_transaction(*open_txn_));

  if ((change.op == ChangeOp::kUpdate && settings_.cdc_inserts_only) ||
      (change.op == ChangeOp::kDelete && (settings_.cdc_inserts_only || settings_.cdc_inserts_and_updates))) {
    ++stats_.filtered;
    return Status::ok();
  }
  // A key-changing UPDATE: a D row with the old key, then the U row (see the header comment). CdcInsertsAndUpdates
  // keeps updates but no deletes: the U row alone.
  if (!encoder_) PGS3_RETURN_IF_ERROR(open_file(change, commit_time_us));
  PGS3_RETURN_IF_ERROR(use_shape(shape->second));
  const bool key_change = change.op == ChangeOp::kUpdate && !settings_.cdc_inserts_and_updates && changes_key(change);
  open_txn_ = change.position.commit_lsn;
  if (key_change) {
    Status st = append_row(change, ChangeOp::kDelete, commit_time_us);
    if (!st.is_ok()) return fail(st);
    ++file_rows_;
  }
  Status st = append_row(change, change.op, commit_time_us);
  if (!st.is_ok()) return fail(st);
  last_ = change.position;
  file_last_commit_time_us_ = commit_time_us;
  ++file_rows_;
  switch (change.op) {
    case ChangeOp::kInsert:
      ++stats_.inserts;
      ++file_inserts_;
      break;
    case ChangeOp::kUpdate:
      ++stats_.updates;
      ++file_updates_;
      if (key_change) {
        ++stats_.key_updates;
        ++file_key_updates_;
      }
      break;
    default:
      ++stats_.deletes;
      ++file_deletes_;
      break;
  }
  if (rows_.rows() >= options_.staging_rows) PGS3_RETURN_IF_ERROR(flush_staged_rows());
  if (estimated_size() >= options_.max_file_bytes) return close_file();
  return report_memory();
}

bool ChangeFileWriter::changes_key(const RowChange& change) const {
  const size_t n = shape_->relation.columns.size();
  if (change.old_kind == OldTupleKind::kNone || change.old_tuple.size() != n || change.new_tuple.size() != n) {
    return false;
  }
  for (size_t i : shape_->key_columns) {
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

// `op` is the row's Op: change.op, or kDelete for the old-key row of a key-changing UPDATE.
Status ChangeFileWriter::append_row(const RowChange& change, ChangeOp op, int64_t commit_time_us) {
  const RelationDescriptor& rel = shape_->relation;
  const size_t n = rel.columns.size();
  const bool is_delete = op == ChangeOp::kDelete;
  const std::vector<TupleValue>& tuple = is_delete ? change.old_tuple : change.new_tuple;
  if (is_delete && change.old_kind == OldTupleKind::kNone) {
    return Status::data_error("table " + quoted_table(rel) + ": a DELETE at " +
                              format_change_position(change.position) + " carries no old values");
  }
  if (tuple.size() != n) {
    return Status::data_error("table " + quoted_table(rel) + ": a change at " +
                              format_change_position(change.position) + " has " + std::to_string(tuple.size()) +
                              " values for " + std::to_string(n) + " columns");
  }
  const bool old_usable = change.old_kind != OldTupleKind::kNone && change.old_tuple.size() == n;

  size_t c = 0;
  if (include_op_) {
    const char op_char = static_cast<char>(op);  // 'I', 'U' or 'D'
    rows_.columns[c++].append_bytes(std::string_view(&op_char, 1));
  }
  if (transaction_files_) {
    rows_.columns[c++].append_bytes(rel.name);
    rows_.columns[c++].append_bytes(rel.schema);
  }
  if (!settings_.timestamp_column_name.empty()) {
    if (timestamp_text_.empty() || timestamp_for_us_ != commit_time_us) {
      timestamp_text_ = dms_commit_timestamp(commit_time_us);
      timestamp_for_us_ = commit_time_us;
    }
    rows_.columns[c++].append_bytes(timestamp_text_);
  }
  for (size_t i = 0; i < n; ++i) {
    ColumnVector& out = rows_.columns[shape_->first_table_column + i];
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
        if (!shape_->schema[shape_->first_table_column + i].nullable) {
          return Status::data_error("table " + quoted_table(rel) + " column \"" + rel.columns[i].name +
                                    "\": an unchanged TOAST value of a NOT NULL key column cannot be written "
                                    "(the source did not send it); run ALTER TABLE " +
                                    quoted_table(rel) + " REPLICA IDENTITY FULL");
        }
        out.append_null();
        ++stats_.unchanged_toast_nulls;
        ++toast_nulls_by_column_[transaction_files_ ? quoted_table(rel) + "." + rel.columns[i].name
                                                    : rel.columns[i].name];
        continue;
      }
    }
    PGS3_RETURN_IF_ERROR(shape_->decoder->append(i, *value, out));
  }
  return Status::ok();
}

Status ChangeFileWriter::open_file(const RowChange& change, int64_t commit_time_us) {
  const RelationDescriptor& rel = shapes_.at(change.relation_oid).relation;
  opened_at_ = now();
  std::string key;
  if (transaction_files_) {
    key = transaction_prefix(settings_) + transaction_file_stem(namer_.next(opened_at_)) + "." + extension_;
  } else {
    key = table_prefix(settings_, rel.schema, rel.name);
    if (settings_.date_partition.enabled) {
      key += date_partition_folder(settings_.date_partition, commit_time_point(commit_time_us)) + "/";
    }
    key += namer_.next(opened_at_) + "." + extension_;
  }
  staged_ = std::make_unique<StagedOutput>(options_.spill_directory);
  // A transaction file's encoder takes each batch's columns (CsvWriter with no columns of its own).
  Result<std::unique_ptr<FileEncoder>> encoder = make_file_encoder(
      settings_, transaction_files_ ? std::vector<ColumnSpec>{} : shapes_.at(change.relation_oid).schema,
      staged_.get());
  if (!encoder.is_ok()) return fail(encoder.status());
  encoder_ = std::move(encoder).value();
  open_key_ = std::move(key);
  first_ = change.position;
  last_ = change.position;
  file_rows_ = file_inserts_ = file_updates_ = file_deletes_ = file_key_updates_ = 0;
  file_last_commit_time_us_.reset();
  spill_bytes_reported_ = 0;
  spill_file_reported_ = false;
  return Status::ok();
}

Status ChangeFileWriter::flush_staged_rows() {
  if (rows_.rows() == 0) return Status::ok();
  Status st = encoder_->write(rows_);
  rows_.clear();
  if (!st.is_ok()) return fail(st);
  return Status::ok();
}

uint64_t ChangeFileWriter::estimated_size() const {
  if (!encoder_) return 0;
  return encoder_->estimated_size() + rows_.payload_bytes();
}

Status ChangeFileWriter::close_file() {
  PGS3_RETURN_IF_ERROR(flush_staged_rows());
  KeyValueMetadata metadata = {{"pgs3.version", PGS3_VERSION}};
  if (!transaction_files_) {
    metadata.emplace_back("pgs3.source.schema", shape_->relation.schema);
    metadata.emplace_back("pgs3.source.table", shape_->relation.name);
  }
  metadata.emplace_back("pgs3.position.first", format_change_position(first_));
  metadata.emplace_back("pgs3.position.last", format_change_position(last_));
  Status st = encoder_->finish(metadata);
  if (!st.is_ok()) return fail(st.with_context("change file " + open_key_));

  ObjectOptions object_options = options_.object_options;
  for (const auto& [name, value] : metadata) {
    std::string s3_name = name;
    for (char& ch : s3_name) {
      if (ch == '.') ch = '-';
    }
    object_options.metadata.emplace_back(std::move(s3_name), metadata_value(value));
  }
  const ChangeFileInfo info = open_file_info(staged_->position());
  if (options_.before_upload) {
    st = options_.before_upload(info);
    if (!st.is_ok()) return fail(st.with_context("change file " + open_key_));
  }
  Result<std::unique_ptr<ObjectWriter>> object = store_.create(open_key_, object_options);
  if (!object.is_ok()) return fail(object.status().with_context("change file " + open_key_));
  st = staged_->copy_to(**object, kUploadChunkBytes);
  if (st.is_ok()) st = (*object)->commit();
  if (!st.is_ok()) {
    (*object)->abort();
    return fail(st.with_context("change file " + open_key_));
  }

  ++stats_.files;
  stats_.bytes += info.bytes;
  stats_.rows += file_rows_;
  last_file_ = info;
  if (!durable_ || *durable_ < last_) durable_ = last_;
  abort();  // releases the staged bytes (and the spill file) and the encoder
  if (options_.after_commit) options_.after_commit(*last_file_);
  return Status::ok();
}

Status ChangeFileWriter::close_if_due(std::chrono::system_clock::time_point at) {
  if (!encoder_) return Status::ok();
  const bool old_enough = at - opened_at_ >= std::chrono::seconds(settings_.cdc_max_batch_interval_s);
  const bool big_enough = estimated_size() >= static_cast<uint64_t>(settings_.cdc_min_file_size_kb) * 1024;
  if (old_enough || big_enough) return close_file();
  return Status::ok();
}

Status ChangeFileWriter::end_transaction(uint64_t commit_lsn) {
  if (!status_.is_ok()) return status_;
  if (!open_txn_ || *open_txn_ > commit_lsn) return Status::ok();
  open_txn_.reset();
  return close_if_due(now());
}

Status ChangeFileWriter::truncate(const TruncateChange& truncate) {
  if (!status_.is_ok()) return status_;
  if (high_water_ && truncate.position <= *high_water_) {
    ++stats_.replayed;
    return Status::ok();
  }
  high_water_ = truncate.position;
  ++stats_.truncates;
  if (open_txn_ && *open_txn_ != truncate.position.commit_lsn) open_txn_.reset();
  if (encoder_) return close_file();
  return Status::ok();
}

Status ChangeFileWriter::poll(std::chrono::system_clock::time_point at) {
  if (!status_.is_ok()) return status_;
  if (open_txn_) return Status::ok();
  return close_if_due(at);
}

Status ChangeFileWriter::flush() {
  if (!status_.is_ok()) return status_;
  if (encoder_) return close_file();
  return Status::ok();
}

void ChangeFileWriter::skip_through(const ChangePosition& position) {
  if (!high_water_ || *high_water_ < position) high_water_ = position;
  if (!durable_ || *durable_ < position) durable_ = position;
}

}  // namespace pgs3
