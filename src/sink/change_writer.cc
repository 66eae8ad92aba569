#include "sink/change_writer.h"

#include <algorithm>

#include "base/byte_size.h"
#include "model/change_position_text.h"

namespace pgs3 {

ChangeWriter::ChangeWriter(ObjectStore& store, const S3Settings& settings, ChangeWriterOptions options,
                           bool mixed_tables)
    : settings_(settings),
      mixed_tables_(mixed_tables),
      options_(std::move(options)),
      include_op_(mixed_tables || !(settings.cdc_inserts_only || settings.cdc_inserts_and_updates) ||
                  settings.include_op_for_full_load),
      namer_(settings.date_partition.enabled ? settings.date_partition.zone : nullptr),
      file_(store, settings_, RollingObjectWriter::Staging::kStaged, options_.spill_directory) {
  if (options_.staging_rows == 0) options_.staging_rows = 1;
  if (options_.max_file_bytes == 0) {
    options_.max_file_bytes =
        settings.max_file_size_kb > 0 ? static_cast<uint64_t>(settings.max_file_size_kb) * 1024 : uint64_t{1} << 30;
  }
  if (options_.memory_budget) options_.memory_budget->add(this);
}

ChangeWriter::~ChangeWriter() {
  abort();
  if (options_.memory_budget) options_.memory_budget->remove(this);
}

std::chrono::system_clock::time_point ChangeWriter::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

Status ChangeWriter::fail(Status status) {
  // The oldest change lost: the open file's first (any change being appended comes after it), or the change being
  // appended when no file is open.
  if (status_.is_ok()) {
    lost_from_ = !in_flight_.empty() ? std::optional<uint64_t>(in_flight_.front().file.first.commit_lsn)
                 : file_.is_open()   ? std::optional<uint64_t>(open_.first.commit_lsn)
                                     : appending_lsn_;
  }
  abort();
  status_ = status;
  return status;
}

void ChangeWriter::abort() {
  report_spill_progress();
  file_.abort();  // removes the spill file
  rows_.clear();
  open_ = FileSummary{};
  spill_bytes_reported_ = 0;
  spill_file_reported_ = false;
  crowding_ = false;
  // What is left is the files being uploaded: no more than before, so this does not spill.
  if (options_.memory_budget) (void)options_.memory_budget->update(this, in_flight_memory());
}

uint64_t ChangeWriter::in_flight_memory() const {
  uint64_t bytes = 0;
  for (const InFlight& f : in_flight_) bytes += f.object->memory_bytes();
  return bytes;
}

uint64_t ChangeWriter::memory_bytes() const {
  if (!file_.is_open()) return in_flight_memory();
  return in_flight_memory() + file_.memory_bytes() + rows_.memory_bytes();
}

Status ChangeWriter::spill() {
  if (!status_.is_ok()) return status_;
  // Closed files waiting for their upload first: they are the oldest bytes.
  for (const InFlight& f : in_flight_) {
    if (f.object->memory_bytes() <= SpillFile::kBufferBytes) continue;
    Status st = f.object->spill();
    if (!st.is_ok())
      return fail(st.with_context("spilling change file " + f.file.key + " while it waits for its upload"));
  }
  if (!file_.is_open()) return Status::ok();
  // Staged rows go to the encoder first, so that what it writes of them goes to the spill file too; their buffers'
  // capacity is given back.
  PGS3_RETURN_IF_ERROR(flush_staged_rows());
  if (shape_ != nullptr) rows_ = RecordBatch(shape_->schema());
  // A spill file costs its write buffer (and a file descriptor): moving fewer bytes than that would free nothing.
  // The encoder's open row group is written out first (a shorter row group) once it is large enough.
  const uint64_t min_row_group = min_early_row_group_bytes();
  const uint64_t movable = file_.staged_memory_bytes() +
                           (file_.encoder_buffered_bytes() >= min_row_group ? file_.encoder_buffered_bytes() : 0);
  if (!file_.spilled() && movable <= SpillFile::kBufferBytes) return Status::ok();
  const uint64_t to_move = movable;
  Status st = file_.spill(min_row_group);
  if (!st.is_ok()) {
    return fail(st.with_context("spilling change file " + open_.key + " (" + human_bytes(to_move) +
                                " to move out of memory, and the rest of the file after it)"));
  }
  report_spill_progress();
  // What a spilled file still holds (its spill buffer, its footer metadata) above this table's share of the budget
  // crowds the other tables out: the file closes at the next end of a transaction, which frees all of it.
  crowding_ = options_.memory_budget != nullptr && memory_bytes() > options_.memory_budget->share_bytes();
  return Status::ok();
}

uint64_t ChangeWriter::min_early_row_group_bytes() const {
  const uint64_t share = options_.memory_budget ? options_.memory_budget->share_bytes() / 4 : kMinEarlyRowGroupBytes;
  return std::clamp(share, kMinEarlyRowGroupFloorBytes, kMinEarlyRowGroupBytes);
}

void ChangeWriter::report_spill_progress() {
  if (!options_.memory_budget || !file_.spilled()) return;
  const uint64_t bytes = file_.spilled_bytes();
  options_.memory_budget->record_spill(bytes - spill_bytes_reported_, spill_file_reported_ ? 0 : 1);
  spill_bytes_reported_ = bytes;
  spill_file_reported_ = true;
}

Status ChangeWriter::report_memory() {
  if (!options_.memory_budget) return Status::ok();
  report_spill_progress();
  Status st = options_.memory_budget->update(this, memory_bytes());
  // The budget may have asked this writer to spill; a failure there has failed the writer already.
  if (!st.is_ok()) return st;
  return status_;
}

std::optional<uint64_t> ChangeWriter::oldest_pending_commit_lsn() const {
  if (!status_.is_ok()) return lost_from_;
  if (!in_flight_.empty()) return in_flight_.front().file.first.commit_lsn;
  if (!file_.is_open()) return std::nullopt;
  return open_.first.commit_lsn;
}

std::optional<std::string> ChangeWriter::open_file_key() const {
  if (!file_.is_open()) return std::nullopt;
  return open_.key;
}

const DmsRowShape* ChangeWriter::shape_of(uint32_t oid) const {
  auto it = shapes_.find(oid);
  return it == shapes_.end() ? nullptr : it->second.get();
}

const std::vector<ColumnSpec>& ChangeWriter::schema() const {
  static const std::vector<ColumnSpec> kNone;
  return last_set_ != nullptr ? last_set_->schema() : kNone;
}

Status ChangeWriter::set_relation(const RelationDescriptor& relation,
                                  const std::vector<SourceColumn>* catalog_columns) {
  if (!status_.is_ok()) return status_;
  auto it = shapes_.find(relation.oid);
  if (it != shapes_.end() && it->second->same_relation(relation)) {
    last_set_ = it->second.get();
    return Status::ok();
  }
  if (it != shapes_.end()) {
    if (file_.is_open()) PGS3_RETURN_IF_ERROR(close_file());
    ++stats_.schema_changes;
    if (shape_ == it->second.get()) shape_ = nullptr;
    shapes_.erase(it);
  }
  RowShapeOptions shape;
  shape.include_op = include_op_;
  shape.mixed_tables = mixed_tables_;
  shape.timestamp_column = settings_.timestamp_column_name;
  shape.mapping = TypeMappingOptions{.timestamp_millis = settings_.parquet_timestamp_in_millisecond,
                                     .money_fraction_digits = options_.money_fraction_digits,
                                     .decimal_as_text = settings_.data_format == DataFormat::kCsv};
  shape.catalog_columns = catalog_columns != nullptr ? *catalog_columns : options_.catalog_columns;
  shape.full_identity_key_columns = options_.identity_full_key_columns;
  if (catalog_columns != nullptr) {
    shape.full_identity_key_columns.clear();
    for (const SourceColumn& c : *catalog_columns) {
      if (c.in_primary_key) shape.full_identity_key_columns.push_back(c.name);
    }
  }
  shape.cdc_inserts_only = settings_.cdc_inserts_only;
  shape.cdc_inserts_and_updates = settings_.cdc_inserts_and_updates;
  auto& slot = shapes_[relation.oid];
  slot = std::make_unique<DmsRowShape>(relation, shape);
  last_set_ = slot.get();
  return Status::ok();
}

// Makes `shape` the one of the rows staged in rows_ (the staged rows of another go to the encoder first).
Status ChangeWriter::use_shape(DmsRowShape& shape) {
  if (shape_ == &shape) return Status::ok();
  if (file_.is_open()) PGS3_RETURN_IF_ERROR(flush_staged_rows());
  shape_ = &shape;
  rows_ = RecordBatch(shape.schema());
  return Status::ok();
}

void ChangeWriter::count(const RowChange& change, bool key_change) {
  switch (change.op) {
    case ChangeOp::kInsert:
      ++stats_.inserts;
      ++open_.inserts;
      break;
    case ChangeOp::kUpdate:
      ++stats_.updates;
      ++open_.updates;
      if (key_change) {
        ++stats_.key_updates;
        ++open_.key_updates;
      }
      break;
    default:
      ++stats_.deletes;
      ++open_.deletes;
      break;
  }
}

Status ChangeWriter::append(const RowChange& change, int64_t commit_time_us) {
  if (!status_.is_ok()) return status_;
  appending_lsn_ = change.position.commit_lsn;
  Status st = append_change(change, commit_time_us);
  appending_lsn_.reset();
  return st;
}

Status ChangeWriter::append_change(const RowChange& change, int64_t commit_time_us) {
  auto found = shapes_.find(change.relation_oid);
  if (found == shapes_.end()) {
    return fail(Status::internal("change writer: a row change of relation " + std::to_string(change.relation_oid) +
                                 " arrived before its Relation descriptor"));
  }
  if (change.op == ChangeOp::kTruncate) {
    return fail(Status::internal("change writer: a TRUNCATE goes to truncate(), not append()"));
  }
  if (high_water_ && change.position <= *high_water_) {
    ++stats_.replayed;
    return Status::ok();
  }
  high_water_ = change.position;
  if (open_txn_ && *open_txn_ != change.position.commit_lsn) PGS3_RETURN_IF_ERROR(end_transaction(*open_txn_));

  DmsRowShape& shape = *found->second;
  const DmsRowShape::Rows rows = shape.rows_for(change);
  if (rows.count == 0) {
    ++stats_.filtered;
    return Status::ok();
  }
  if (!file_.is_open()) PGS3_RETURN_IF_ERROR(open_file(shape, change, commit_time_us));
  PGS3_RETURN_IF_ERROR(use_shape(shape));
  open_txn_ = change.position.commit_lsn;
  if (!settings_.timestamp_column_name.empty() && (timestamp_text_.empty() || timestamp_for_us_ != commit_time_us)) {
    timestamp_text_ = dms_commit_timestamp(commit_time_us);
    timestamp_for_us_ = commit_time_us;
  }
  for (int r = 0; r < rows.count; ++r) {
    Status st = shape.append(change, rows.ops[r], timestamp_text_, rows_, toast_nulls_);
    if (!st.is_ok()) return fail(st);
    ++open_.rows;
  }
  stats_.unchanged_toast_nulls = toast_nulls_.total;
  open_.last = change.position;
  open_.last_commit_time_us = commit_time_us;
  count(change, rows.key_change);
  if (rows_.rows() >= options_.staging_rows || rows_.payload_bytes() >= options_.staging_bytes) {
    PGS3_RETURN_IF_ERROR(flush_staged_rows());
  }
  if (estimated_size() >= options_.max_file_bytes) return close_file();
  return report_memory();
}

Status ChangeWriter::open_file(DmsRowShape& shape, const RowChange& change, int64_t commit_time_us) {
  opened_at_ = now();
  std::string key = file_key(opened_at_, shape, commit_time_us);
  // A file of several tables: the encoder takes each batch's columns (CsvWriter with no columns of its own).
  Status st = file_.open(key, mixed_tables_ ? std::vector<ColumnSpec>{} : shape.schema(), options_.object_options);
  if (!st.is_ok()) return fail(st);
  open_ = FileSummary{};
  open_.key = std::move(key);
  open_.first = change.position;
  open_.last = change.position;
  spill_bytes_reported_ = 0;
  spill_file_reported_ = false;
  crowding_ = false;
  return Status::ok();
}

Status ChangeWriter::flush_staged_rows() {
  if (rows_.rows() == 0) return Status::ok();
  Status st = file_.write(rows_);
  rows_.clear();
  if (!st.is_ok()) return fail(st);
  return Status::ok();
}

uint64_t ChangeWriter::estimated_size() const {
  if (!file_.is_open()) return 0;
  return file_.estimated_size() + rows_.payload_bytes();
}

Status ChangeWriter::close_file() {
  PGS3_RETURN_IF_ERROR(flush_staged_rows());
  KeyValueMetadata metadata = {{"pgs3.version", PGS3_VERSION}};
  add_file_metadata(*shape_, metadata);
  metadata.emplace_back("pgs3.position.first", format_change_position(open_.first));
  metadata.emplace_back("pgs3.position.last", format_change_position(open_.last));
  Result<std::unique_ptr<SealedObject>> sealed = file_.seal(metadata);
  if (!sealed.is_ok()) return fail(sealed.status().with_context("change file " + open_.key));
  open_.bytes = (*sealed)->size();
  const uint64_t memory = (*sealed)->memory_bytes();
  std::shared_ptr<SealedObject> object = std::move(sealed).value();
  in_flight_.push_back(InFlight{open_, object});
  abort();  // releases the staged rows and resets the open file's summary
  // After a failed upload nothing more of this writer is uploaded: a restart would adopt a later file
  // (state/file_journal.h) and skip the failed one's changes. The lane runs one job at a time, so the flag is set
  // before the next job looks at it.
  UploadQueue::Work work = [object, file = in_flight_.back().file, before = options_.before_upload,
                            failed = upload_failed_]() -> Status {
    if (failed->load()) return Status::cancelled("not uploaded: an earlier file of the same writer failed");
    Status st = before ? before(file) : Status::ok();
    if (st.is_ok()) st = object->upload();
    if (!st.is_ok()) failed->store(true);
    return st;
  };
  UploadQueue::Done done = [this](const Status& st) { on_uploaded(st); };
  if (options_.uploads == nullptr) {
    done(work());
  } else {
    options_.uploads->submit(this, std::move(work), std::move(done), memory);
  }
  if (!status_.is_ok()) return status_;
  return report_memory();
}

void ChangeWriter::on_uploaded(const Status& st) {
  if (in_flight_.empty()) return;  // cannot happen: one job per file, in order
  if (!st.is_ok() && status_.is_ok()) (void)fail(st.with_context("change file " + in_flight_.front().file.key));
  FileSummary file = std::move(in_flight_.front().file);
  in_flight_.pop_front();
  // Lowering a consumer's bytes never spills.
  if (options_.memory_budget) (void)options_.memory_budget->update(this, memory_bytes());
  if (!status_.is_ok()) return;  // this or an earlier file failed: nothing after it is durable for this writer
  ++stats_.files;
  stats_.bytes += file.bytes;
  stats_.rows += file.rows;
  last_file_ = file;
  if (!durable_ || *durable_ < file.last) durable_ = file.last;
  if (options_.after_commit) options_.after_commit(*last_file_);
}

Status ChangeWriter::close_if_due(std::chrono::system_clock::time_point at) {
  if (!file_.is_open()) return Status::ok();
  const bool old_enough = at - opened_at_ >= std::chrono::seconds(settings_.cdc_max_batch_interval_s);
  const bool big_enough = estimated_size() >= static_cast<uint64_t>(settings_.cdc_min_file_size_kb) * 1024;
  const bool footer_full = file_.footer_bytes() >= kMaxFooterBytes;
  if (old_enough || big_enough || footer_full || crowding_) return close_file();
  return Status::ok();
}

Status ChangeWriter::end_transaction(uint64_t commit_lsn) {
  if (!status_.is_ok()) return status_;
  if (!open_txn_ || *open_txn_ > commit_lsn) return Status::ok();
  open_txn_.reset();
  return close_if_due(now());
}

Status ChangeWriter::truncate(const TruncateChange& truncate) {
  if (!status_.is_ok()) return status_;
  if (high_water_ && truncate.position <= *high_water_) {
    ++stats_.replayed;
    return Status::ok();
  }
  high_water_ = truncate.position;
  ++stats_.truncates;
  if (open_txn_ && *open_txn_ != truncate.position.commit_lsn) open_txn_.reset();
  if (file_.is_open()) return close_file();
  return Status::ok();
}

Status ChangeWriter::poll(std::chrono::system_clock::time_point at) {
  if (!status_.is_ok()) return status_;
  if (open_txn_) return Status::ok();
  return close_if_due(at);
}

Status ChangeWriter::flush() {
  if (!status_.is_ok()) return status_;
  if (file_.is_open()) return close_file();
  return Status::ok();
}

void ChangeWriter::skip_through(const ChangePosition& position) {
  if (!high_water_ || *high_water_ < position) high_water_ = position;
  if (!durable_ || *durable_ < position) durable_ = position;
}

}  // namespace pgs3
