#include "task/cdc_stream.h"

#include <algorithm>

#include "base/log.h"
#include "base/utc_time.h"
#include "model/change_position_text.h"
#include "model/lsn.h"
#include "obs/task_metrics.h"
#include "pg/type_mapping.h"
#include "rules/object_tagging.h"
#include "sink/change_file_writer.h"
#include "sink/memory_budget.h"
#include "sink/transaction_file_writer.h"
#include "task/cancellation.h"
#include "task/table_watch.h"
#include "task/truncate_policy.h"

namespace pgs3 {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollEvery = std::chrono::milliseconds(100);
constexpr auto kStatusEvery = std::chrono::seconds(5);         // well inside any wal_sender_timeout >= 10 s
constexpr auto kStopProbeEvery = std::chrono::seconds(1);      // with a stop position: asks for a keepalive
constexpr auto kCatalogCheckEvery = std::chrono::seconds(5);   // the table watch's catalog reading
constexpr auto kStatusWhileWaiting = std::chrono::seconds(1);  // not reading (back-pressure, drain): status this often

// Seconds from a pgoutput commit time (microseconds since 2000-01-01 UTC) to now; 0 when in the future.
double seconds_since_pg_micros(int64_t pg_micros) {
  return std::max(
      0.0, std::chrono::duration<double>(std::chrono::system_clock::now() - commit_time_point(pg_micros)).count());
}

// The task's CdcStopPosition, checked by the task parser (and RunOptions' by the runner); none if it does not parse.
CdcStopPosition stop_position_of(const TaskConfig& config) {
  Result<CdcStopPosition> stop = parse_cdc_stop_position(config.cdc.stop_position);
  return stop.is_ok() ? *stop : CdcStopPosition{};
}

// True when the server can send every column of `table` in binary form that pgs3 decodes (the full load reads the
// same columns without a ::text cast).
bool binary_safe(const SourceTable& table) {
  for (const MappedColumn& m : map_columns(table, TypeMappingOptions{})) {
    if (m.select_expr != quote_ident(m.source_name)) return false;
  }
  return true;
}

// Points the stream at its source for the length of a call (status updates while waiting on uploads).
class ScopedSource {
 public:
  ScopedSource(ReplicationSource*& slot, ReplicationSource* source) : slot_(slot) { slot_ = source; }
  ~ScopedSource() { slot_ = nullptr; }
  ScopedSource(const ScopedSource&) = delete;
  ScopedSource& operator=(const ScopedSource&) = delete;

 private:
  ReplicationSource*& slot_;
};

}  // namespace

struct CdcStream::TableState {
  const SourceTable* source = nullptr;
  // The table's own writer, or (PreserveTransactions) the stream's transaction-file writer, shared by all tables.
  ChangeWriter* writer = nullptr;
  std::unique_ptr<ChangeWriter> own_writer;
  // The checkpoint entry of the writer's files: the table's, or the transaction files' (kTransactionFilesEntry).
  EntryRef entry;
  TableMetrics* metrics = nullptr;  // null without metrics
  // Invariant 4: a table loaded in a snapshot of its own (a temporary slot's, checkpoint snapshot_lsn) has the
  // changes of transactions whose commit record starts below this LSN in its LOAD files; they are skipped here, per
  // table (a transaction-file writer is shared by every table).
  uint64_t loaded_below = 0;

  bool in_load(const ChangePosition& p) const { return p.commit_lsn < loaded_below; }
  EntryRef table_entry() const { return EntryRef{source->oid, source->schema, source->name}; }
};

CdcStream::CdcStream(const TaskConfig& config, ObjectStore& store, ProgressLedger& ledger,
                     const std::vector<SourceTable>& tables, int money_fraction_digits, CdcStreamServices services)
    : config_(config),
      selector_(config.selection_rules),
      store_(store),
      ledger_(ledger),
      tables_(tables),
      money_fraction_digits_(money_fraction_digits),
      services_(std::move(services)),
      stop_at_(stop_position_of(config), services_.wal_insert_lsn),
      heartbeat_(std::chrono::minutes(config.source.heartbeat_frequency_min),
                 config.source.heartbeat_enable ? services_.emit_heartbeat : nullptr) {
  processed_end_ = ledger.confirmed_lsn();
  received_lsn_ = ledger.confirmed_lsn();
  stop_ = stop_at_.reached_at_start(ledger.confirmed_lsn());
  // Before any TableState points into tables_.
  tables_.insert(tables_.end(), services_.dropped_tables.begin(), services_.dropped_tables.end());
  for (const SourceTable& t : tables_) {
    if (t.is_partitioned()) roots_.insert(t.oid);
  }
  UploadQueueOptions queue;
  queue.workers = static_cast<int>(config.target.upload_concurrency);
  // Sealed files count in their writer's memory too; the queue's own bound keeps what waits for S3 to a part of the
  // budget, so that reading stops before the budget must spill everything else.
  if (services_.memory_budget != nullptr) {
    queue.max_memory_bytes = std::max<uint64_t>(services_.memory_budget->limit() / 2, 1);
  }
  uploads_ = std::make_unique<UploadQueue>(queue);
}

CdcStream::~CdcStream() = default;

StartOptions CdcStream::start_options(int server_version_num) const {
  StartOptions options;
  options.slot = config_.source.slot_name;
  options.start_lsn = Lsn(ledger_.confirmed_lsn());
  options.publications = {config_.source.publication_name};
  options.proto_version = 1;
  options.messages = server_version_num >= 140000;
  // A table dropped while the task was stopped has no catalog columns to tell: text, which pgs3 always decodes.
  options.binary = server_version_num >= 140000 && services_.dropped_tables.empty() &&
                   std::all_of(tables_.begin(), tables_.end(), binary_safe);
  return options;
}

CdcStream::TableState* CdcStream::table_for(uint32_t oid) {
  auto it = by_oid_.find(oid);
  return it == by_oid_.end() ? nullptr : it->second.get();
}

Result<CdcStream::TableState*> CdcStream::writer_for_relation(const RelationDescriptor& relation) {
  if (TableState* t = table_for(relation.oid)) return t;
  const SourceTable* source = nullptr;
  for (const SourceTable& t : tables_) {
    if (t.oid == relation.oid) source = &t;
  }
  if (source == nullptr) return nullptr;  // not selected
  const TableCheckpoint* known = ledger_.checkpoint().find_table(source->oid, source->schema, source->name);
  if (known != nullptr && known->dropped) return nullptr;  // a replay of a dropped table's changes: handled

  auto state = std::make_unique<TableState>();
  state->source = source;
  if (services_.metrics != nullptr) state->metrics = &services_.metrics->table(source->schema, source->name);
  if (config_.target.s3.preserve_transactions) {
    state->entry = EntryRef{0, "", std::string(kTransactionFilesEntry)};
    if (!transaction_writer_) {
      transaction_writer_ =
          std::make_unique<TransactionFileWriter>(store_, config_.target.s3, writer_options(*state, nullptr));
      resume(state->entry, *transaction_writer_);
    }
    state->writer = transaction_writer_.get();
  } else {
    state->entry = state->table_entry();
    ChangeWriterOptions options = writer_options(*state, state->metrics);
    PGS3_ASSIGN_OR_RETURN(options.object_options.tags, tags_for_table(config_, source->schema, source->name));
    options.catalog_columns = source->columns;
    for (const SourceColumn& c : source->columns) {
      if (c.in_primary_key) options.identity_full_key_columns.push_back(c.name);
    }
    state->own_writer = std::make_unique<ChangeFileWriter>(store_, config_.target.s3, std::move(options));
    resume(state->entry, *state->own_writer);
    state->writer = state->own_writer.get();
  }
  if (const TableCheckpoint* entry = ledger_.checkpoint().find_table(source->oid, source->schema, source->name)) {
    // Invariant 4: the changes of transactions whose commit record starts below the table's own snapshot LSN (a
    // temporary slot's consistent point) are in its LOAD files; one starting at that LSN is not.
    if (entry->snapshot_lsn && *entry->snapshot_lsn > 0) state->loaded_below = *entry->snapshot_lsn;
  }
  TableState* raw = state.get();
  by_oid_[source->oid] = std::move(state);
  return raw;
}

// The options of a writer whose files go to `state`'s checkpoint entry; `table_metrics` (may be null) counts what it
// writes.
ChangeWriterOptions CdcStream::writer_options(const TableState& state, TableMetrics* table_metrics) {
  ChangeWriterOptions options;
  options.money_fraction_digits = money_fraction_digits_;
  options.memory_budget = services_.memory_budget;
  options.spill_directory = services_.spill_directory;
  options.uploads = uploads_.get();
  options.clock = services_.wall_clock;
  const EntryRef entry = state.entry;
  options.before_upload = [this, entry](const FileSummary& file) { return ledger_.record_intent(entry, file); };
  options.after_commit = [this, entry, table_metrics](const FileSummary& file) {
    if (table_metrics != nullptr) {
      table_metrics->cdc_rows_written.add(file.rows);
      table_metrics->cdc_bytes_written.add(file.bytes);
      table_metrics->cdc_files_written.add(1);
    }
    if (file.last_commit_time_us &&
        (!last_durable_commit_us_ || *last_durable_commit_us_ < *file.last_commit_time_us)) {
      last_durable_commit_us_ = file.last_commit_time_us;
    }
    ledger_.file_committed(entry, file);
    ++totals_.files;
    log_debug("change file " + file.key + ": " + std::to_string(file.rows) + " rows, positions " +
              format_change_position(file.first) + " .. " + format_change_position(file.last));
  };
  return options;
}

// Resumes a new writer where the checkpoint's entry says its files end.
void CdcStream::resume(const EntryRef& entry, ChangeWriter& writer) const {
  if (const TableCheckpoint* found = ledger_.checkpoint().find_table(entry.relation_oid, entry.schema, entry.table)) {
    if (found->durable_position) writer.skip_through(*found->durable_position);
    if (!found->last_change_file.empty()) (void)writer.order_after(found->last_change_file);
  }
}

Status CdcStream::on_message(const PgoutputMessage& m) {
  switch (m.type) {
    case PgoutputMessageType::kBegin: return on_begin(m.begin);
    case PgoutputMessageType::kCommit: return on_commit(m.commit);
    case PgoutputMessageType::kRelation: return on_relation(*m.relation);
    case PgoutputMessageType::kInsert:
    case PgoutputMessageType::kUpdate:
    case PgoutputMessageType::kDelete: return on_row(m);
    case PgoutputMessageType::kTruncate: return on_truncate(m.truncate);
    case PgoutputMessageType::kMessage: return on_logical_message(m.message);
    case PgoutputMessageType::kOrigin:
    case PgoutputMessageType::kType: return Status::ok();
  }
  return Status::ok();
}

Status CdcStream::on_begin(const TransactionBegin& begin) {
  in_transaction_ = true;
  commit_time_us_ = begin.commit_time_us;
  last_received_commit_us_ = begin.commit_time_us;
  touched_.clear();
  ++totals_.transactions;
  if (services_.metrics != nullptr) services_.metrics->transactions.add(1);
  return Status::ok();
}

Status CdcStream::on_commit(const TransactionCommit& commit) {
  for (TableState* t : touched_) PGS3_RETURN_IF_ERROR(t->writer->end_transaction(commit.commit_lsn));
  touched_.clear();
  in_transaction_ = false;
  processed_end_ = std::max(processed_end_, commit.end_lsn);
  return Status::ok();
}

Status CdcStream::on_relation(const RelationDescriptor& relation) {
  PGS3_RETURN_IF_ERROR(check_relation(selector_, ledger_.checkpoint(), relation, catalog_options()));
  PGS3_ASSIGN_OR_RETURN(TableState * t, writer_for_relation(relation));
  if (t == nullptr) return Status::ok();
  const uint64_t before = t->writer->stats().schema_changes;
  PGS3_RETURN_IF_ERROR(t->writer->set_relation(relation, t->own_writer ? nullptr : &t->source->columns));
  if (t->writer->stats().schema_changes != before) {
    log_info("table " + quote_ident(relation.schema) + "." + quote_ident(relation.name) +
             " changed its columns (ALTER TABLE): its next change file has the new columns");
    ledger_.entry(t->table_entry()).statistics.ddls += 1;
    if (t->metrics != nullptr) t->metrics->ddls.add(1);
  }
  return Status::ok();
}

Status CdcStream::on_row(const PgoutputMessage& m) {
  ++totals_.changes;
  TableState* t = table_for(m.row.relation_oid);
  if (t == nullptr || t->in_load(m.row.position)) return Status::ok();
  PGS3_RETURN_IF_ERROR(t->writer->append(m.row, commit_time_us_));
  if (t->metrics != nullptr) {
    (m.type == PgoutputMessageType::kInsert   ? t->metrics->inserts
     : m.type == PgoutputMessageType::kUpdate ? t->metrics->updates
                                              : t->metrics->deletes)
        .add(1);
  }
  if (std::find(touched_.begin(), touched_.end(), t) == touched_.end()) touched_.push_back(t);
  const uint64_t toast = t->writer->stats().unchanged_toast_nulls;
  if (toast_warnings_.due(t->writer, toast)) {
    const bool own = t->own_writer != nullptr;
    toast_warnings_.warn(t->writer, toast, t->writer->unchanged_toast_nulls(),
                         own ? "table " + t->source->qualified_name() : "the transaction files",
                         own ? "ALTER TABLE " + t->source->qualified_name() + " REPLICA IDENTITY FULL"
                             : "ALTER TABLE ... REPLICA IDENTITY FULL for each table named");
  }
  if (const DmsRowShape* shape = t->writer->shape_of(m.row.relation_oid)) {
    value_warnings_.check(shape->decoders(), [t] { return t->source->qualified_name(); });
  }
  return Status::ok();
}

Status CdcStream::on_truncate(const TruncateChange& truncate) {
  // Whether each writer had handled this truncate before a restart (a transaction-file writer is asked once for
  // all its tables).
  std::map<ChangeWriter*, bool> replayed_by_writer;
  for (uint32_t oid : truncate.relation_oids) {
    TableState* t = table_for(oid);
    if (t == nullptr || t->in_load(truncate.position)) continue;
    auto [seen, first] = replayed_by_writer.try_emplace(t->writer, false);
    if (first) {
      const uint64_t replayed = t->writer->stats().replayed;
      PGS3_RETURN_IF_ERROR(t->writer->truncate(truncate));
      seen->second = t->writer->stats().replayed != replayed;
    }
    if (seen->second) continue;  // already handled before a restart
    // The policy removes the table's objects: the files closed before the truncate must be there to be removed.
    PGS3_RETURN_IF_ERROR(drain_uploads());
    ledger_.entry(t->table_entry()).statistics.truncates += 1;
    if (t->metrics != nullptr) t->metrics->truncates.add(1);
    PGS3_ASSIGN_OR_RETURN(bool removed, apply_truncate_policy(config_, store_, *t->source, t->own_writer == nullptr));
    if (!removed) continue;
    t->writer->skip_through(truncate.position);
    ledger_.durable_through(t->entry, truncate.position);
    // Saved now: a replay of this truncate after a crash must not remove the files written after it.
    PGS3_RETURN_IF_ERROR(save_checkpoint());
  }
  return Status::ok();
}

Status CdcStream::on_logical_message(const LogicalMessage& message) {
  // A heartbeat (or anyone's logical message) outside a transaction: everything before it has been received.
  if (!message.transactional && !in_transaction_) processed_end_ = std::max(processed_end_, message.lsn);
  return Status::ok();
}

Status CdcStream::check_catalog() {
  Result<CatalogSnapshot> catalog = services_.read_catalog(std::vector<uint32_t>(roots_.begin(), roots_.end()),
                                                           recorded_leaves(ledger_.checkpoint(), roots_));
  if (!catalog.is_ok()) {
    // Transient (the connection is reopened at the next reading); the stream goes on, the check waits.
    if (!catalog_failing_) log_warn("cannot check the source tables for DDL: " + catalog.status().message());
    catalog_failing_ = true;
    return Status::ok();
  }
  if (catalog_failing_) log_info("checking the source tables for DDL again");
  catalog_failing_ = false;
  // `pgs3 reload` asked for a table to be loaded again: the task starts again, which takes the request up.
  if (services_.reload_requested && services_.reload_requested()) {
    return Status::restart(
        "a reload of a table was requested (pgs3 reload): the task starts again to load it in a "
        "snapshot of its own");
  }
  CatalogFindings found = compare_catalog(selector_, ledger_.checkpoint(), roots_, *catalog, catalog_options());
  PGS3_RETURN_IF_ERROR(found.stop);
  if (!found.new_tables.empty()) {
    std::string name = std::to_string(found.new_tables.front());
    for (const CatalogTableName& t : catalog->tables) {
      if (t.oid == found.new_tables.front()) name = quote_qualified(t.schema, t.name);
    }
    return Status::restart("table " + name + " is selected by tableMappings and new to the task (created while it " +
                           "streams): the task starts again to load it in a snapshot of its own, then streams it " +
                           "with the others");
  }
  for (uint32_t oid : found.dropped) {
    if (dropped_at_.emplace(oid, catalog->wal_insert_lsn).second) {
      const TableCheckpoint* e = ledger_.checkpoint().find_table(oid, "", "");
      log_info("table " + (e != nullptr ? quote_qualified(e->schema, e->table) : std::to_string(oid)) +
               " was dropped on the source; its changes up to " + Lsn(catalog->wal_insert_lsn).to_string() +
               " are written first, then HandleSourceTableDropped applies");
    }
  }
  if (found.partitions.empty()) return Status::ok();
  for (auto& [oid, list] : found.partitions) ledger_.entry(EntryRef{oid, "", ""}).partitions = std::move(list);
  // Saved now: a restart must not take a partition accepted empty for one that was attached with rows.
  return save_checkpoint();
}

Status CdcStream::handle_dropped_tables() {
  for (auto it = dropped_at_.begin(); it != dropped_at_.end();) {
    const auto [oid, seen_at] = *it;
    // Every change of the table was committed before the DROP, and so below `seen_at`.
    if (processed_end_ < seen_at) {
      ++it;
      continue;
    }
    const SourceTable* source = nullptr;
    for (const SourceTable& t : tables_) {
      if (t.oid == oid) source = &t;
    }
    TableState* state = table_for(oid);
    if (state != nullptr) PGS3_RETURN_IF_ERROR(state->writer->flush());
    // The policy may remove the table's objects, and its writer goes: every upload of it must be done.
    PGS3_RETURN_IF_ERROR(drain_uploads());
    if (source != nullptr) {
      const bool transaction_files = config_.target.s3.preserve_transactions;
      PGS3_RETURN_IF_ERROR(apply_drop_policy(config_, store_, *source, transaction_files).status());
      const EntryRef entry{source->oid, source->schema, source->name};
      if (!transaction_files) ledger_.durable_through(entry, ChangePosition{seen_at, UINT32_MAX});
      ledger_.entry(entry).dropped = true;
    }
    by_oid_.erase(oid);
    it = dropped_at_.erase(it);
    PGS3_RETURN_IF_ERROR(save_checkpoint());
  }
  return Status::ok();
}

std::vector<std::optional<uint64_t>> CdcStream::pending_commit_lsns() const {
  std::vector<std::optional<uint64_t>> pending;
  for (const auto& [oid, t] : by_oid_) pending.push_back(t->writer->oldest_pending_commit_lsn());
  return pending;
}

Clock::time_point CdcStream::steady_now() const {
  return services_.steady_clock ? services_.steady_clock() : Clock::now();
}

Status CdcStream::save_checkpoint() {
  // A save on the spot follows the saves in flight and includes the files being uploaded.
  PGS3_RETURN_IF_ERROR(drain_uploads());
  PGS3_RETURN_IF_ERROR(ledger_.save(steady_now(), pending_commit_lsns(), processed_end_));
  count_checkpoint();
  return Status::ok();
}

void CdcStream::count_checkpoint() {
  ++totals_.checkpoints;
  if (services_.metrics != nullptr) {
    services_.metrics->checkpoints.add(1);
    services_.metrics->confirmed_lsn_bytes.set(static_cast<double>(ledger_.confirmed_lsn()));
    services_.metrics->last_checkpoint_time_seconds.set(unix_seconds_now());
  }
}

Status CdcStream::send_status(ReplicationSource& source, bool reply_requested) {
  last_status_ = steady_now();
  const Lsn flush(ledger_.confirmed_lsn());
  return source.send_status(Lsn(std::max(received_lsn_, ledger_.confirmed_lsn())), flush, flush, reply_requested);
}

void CdcStream::start_save() {
  auto save = std::make_shared<ProgressLedger::PendingSave>(
      ledger_.begin_save(steady_now(), pending_commit_lsns(), processed_end_));
  uploads_->submit(
      &ledger_, [this, save] { return ledger_.write_save(*save); },
      [this, save](const Status& written) {
        ledger_.end_save(*save, written);
        if (!written.is_ok()) {
          // S3 still failing after the store's retries: saved again when next due. Anything else (another process
          // took the task over: kConflict) ends the stream.
          if (written.code() == StatusCode::kUnavailable) {
            log_warn("checkpoint not saved (retried when next due): " + written.message());
          } else if (save_failure_.is_ok()) {
            save_failure_ = written;
          }
          return;
        }
        count_checkpoint();
        last_status_ = {};  // the new confirmed position goes to PostgreSQL at once
      });
}

Status CdcStream::collect_uploads() {
  uploads_->collect();
  return save_failure_;
}

Status CdcStream::drain_uploads() {
  while (uploads_->outstanding() > 0) {
    uploads_->wait(std::chrono::milliseconds(100));
    PGS3_RETURN_IF_ERROR(collect_uploads());
    if (source_ != nullptr && source_->streaming() && steady_now() - last_status_ >= kStatusWhileWaiting) {
      PGS3_RETURN_IF_ERROR(send_status(*source_));
    }
  }
  return collect_uploads();
}

Status CdcStream::wait_for_uploads(ReplicationSource& source) {
  const Clock::time_point started = steady_now();
  uploads_->wait(std::chrono::milliseconds(100));
  if (services_.metrics != nullptr) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(steady_now() - started);
    services_.metrics->backpressure_ms.add(static_cast<uint64_t>(std::max<int64_t>(waited.count(), 0)));
  }
  PGS3_RETURN_IF_ERROR(collect_uploads());
  if (steady_now() - last_status_ >= kStatusWhileWaiting) return send_status(source);
  return Status::ok();
}

Status CdcStream::maybe_checkpoint(ReplicationSource& source, Clock::time_point now) {
  if (ledger_.save_due(now, pending_commit_lsns(), processed_end_)) start_save();
  // With a stop position, the server's reply (a keepalive carrying its WAL end and clock) tells when the stream has
  // passed it, also while no change arrives.
  const bool probe = stop_at_.is_set();
  if (now - last_status_ >= (probe ? kStopProbeEvery : kStatusEvery)) return send_status(source, probe);
  return Status::ok();
}

void CdcStream::update_gauges() {
  TaskMetrics* metrics = services_.metrics;
  if (metrics == nullptr) return;
  metrics->loop_alive_seconds.set(unix_seconds_now());
  metrics->uploads_pending.set(static_cast<double>(uploads_->outstanding()));
  bool pending = false;
  for (auto& [oid, t] : by_oid_) pending = pending || t->writer->oldest_pending_commit_lsn().has_value();
  // DMS's CDCLatencySource / CDCLatencyTarget: 0 when caught up.
  metrics->cdc_latency_source_seconds.set(
      in_transaction_ && last_received_commit_us_ ? seconds_since_pg_micros(*last_received_commit_us_) : 0.0);
  metrics->cdc_latency_target_seconds.set(
      pending && last_durable_commit_us_ ? seconds_since_pg_micros(*last_durable_commit_us_) : 0.0);
  const uint64_t confirmed = ledger_.confirmed_lsn();
  metrics->slot_lag_bytes.set(static_cast<double>(received_lsn_ > confirmed ? received_lsn_ - confirmed : 0));
  if (services_.retry_counts) {
    for (const auto& [cause, count] : services_.retry_counts()) {
      Counter& counter = metrics->retries(cause);
      if (count > counter.value()) counter.add(count - counter.value());
    }
  }
  if (MemoryBudget* budget = services_.memory_budget) {
    metrics->memory_used_bytes.set(static_cast<double>(budget->bytes_in_memory()));
    const uint64_t spilled = budget->spilled_bytes();
    const uint64_t counted = metrics->spilled_bytes.value();
    if (spilled > counted) metrics->spilled_bytes.add(spilled - counted);
  }
}

Status CdcStream::on_event(const ReplicationEvent& event, bool& reply) {
  switch (event.kind) {
    case ReplicationEventKind::kXLogData:
      received_lsn_ = std::max(received_lsn_, event.wal_start.value());
      PGS3_RETURN_IF_ERROR(decoder_.decode(event.payload, message_));
      if (message_.type == PgoutputMessageType::kBegin && stop_at_.reached_at_begin(message_.begin)) {
        // Stop before this transaction: nothing of it is written. Files are closed by finish().
        stop_ = true;
        in_transaction_ = false;
        return Status::ok();
      }
      return on_message(message_);
    case ReplicationEventKind::kKeepalive:
      received_lsn_ = std::max(received_lsn_, event.wal_end.value());
      // Everything up to the server's end of WAL has been sent; with no transaction open, nothing before it is
      // still to come (a later commit has a later LSN).
      if (!in_transaction_) {
        processed_end_ = std::max(processed_end_, event.wal_end.value());
        if (stop_at_.reached_idle(event)) {
          log_debug("keepalive at " + event.wal_end.to_string() + " reached the stop position");
          stop_ = true;
        }
      }
      reply = event.reply_requested;
      return Status::ok();
    case ReplicationEventKind::kTimeout: return Status::ok();
  }
  return Status::ok();
}

Result<CdcEnd> CdcStream::run(ReplicationSource& source) {
  decoder_ = PgoutputDecoder();  // a new session resends Relation messages
  in_transaction_ = false;
  touched_.clear();
  const Clock::time_point started = steady_now();
  ledger_.restart_clock(started);
  heartbeat_.start(started);
  PGS3_RETURN_IF_ERROR(send_status(source));
  ScopedSource scoped(source_, &source);
  while (true) {
    if (cancel_requested()) return CdcEnd::kCancelled;
    if (stop_) return CdcEnd::kStopPosition;
    PGS3_RETURN_IF_ERROR(collect_uploads());
    if (uploads_->full()) {
      // Back-pressure: nothing more is read until uploads finish; the status updates go on.
      PGS3_RETURN_IF_ERROR(wait_for_uploads(source));
      const Clock::time_point now = steady_now();
      if (now - last_poll_ >= kPollEvery) {
        last_poll_ = now;
        update_gauges();
      }
      continue;
    }
    PGS3_ASSIGN_OR_RETURN(ReplicationEvent event, source.next(std::chrono::milliseconds(200)));
    bool reply = false;
    PGS3_RETURN_IF_ERROR(on_event(event, reply));
    const Clock::time_point now = steady_now();
    if (now - last_poll_ >= kPollEvery) {
      last_poll_ = now;
      const auto wall = services_.wall_clock ? services_.wall_clock() : std::chrono::system_clock::now();
      for (auto& [oid, t] : by_oid_) PGS3_RETURN_IF_ERROR(t->writer->poll(wall));
      heartbeat_.tick(now);
      update_gauges();
    }
    if (services_.read_catalog && now - last_catalog_check_ >= kCatalogCheckEvery) {
      last_catalog_check_ = now;
      PGS3_RETURN_IF_ERROR(check_catalog());
    }
    if (!dropped_at_.empty() && !in_transaction_) PGS3_RETURN_IF_ERROR(handle_dropped_tables());
    PGS3_RETURN_IF_ERROR(maybe_checkpoint(source, now));
    if (reply) PGS3_RETURN_IF_ERROR(send_status(source));
  }
}

Status CdcStream::finish(ReplicationSource* source) {
  ScopedSource scoped(source_, source);
  // Every writer's file goes, even when another's fails: what becomes durable is checkpointed below.
  Status failed;
  for (auto& [oid, t] : by_oid_) {
    Status st = t->writer->flush();
    if (failed.is_ok()) failed = st;
  }
  Status drained = drain_uploads();
  for (auto& [oid, t] : by_oid_) {
    if (failed.is_ok()) failed = t->writer->status();
  }
  if (failed.is_ok()) failed = drained;
  if (!failed.is_ok()) {
    // A stop whose grace ended (uploads given up: kCancelled) still checkpoints what became durable before (unless
    // the store gives up on that too). Any other failure saves nothing more: the next run starts from the last
    // checkpoint the healthy stream saved.
    if (failed.code() == StatusCode::kCancelled && drained.is_ok()) (void)save_checkpoint();
    return failed;
  }
  PGS3_RETURN_IF_ERROR(save_checkpoint());
  if (source != nullptr && source->streaming()) {
    PGS3_RETURN_IF_ERROR(send_status(*source));
    PGS3_RETURN_IF_ERROR(source->stop());
  }
  return Status::ok();
}

}  // namespace pgs3
