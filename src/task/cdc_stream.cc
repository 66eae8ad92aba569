#include "task/cdc_stream.h"

#include <algorithm>

#include "base/log.h"
#include "base/utc_time.h"
#include "obs/task_metrics.h"
#include "pg/connection.h"
#include "pg/lsn.h"
#include "pg/type_mapping.h"
#include "rules/object_tagging.h"
#include "task/cancellation.h"
#include "task/change_file_name.h"
#include "task/memory_budget.h"
#include "task/object_keys.h"

namespace pgs3 {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollEvery = std::chrono::milliseconds(100);
constexpr auto kMinCheckpointGap = std::chrono::seconds(1);   // a committed file is checkpointed within this
constexpr auto kIdleCheckpointGap = std::chrono::seconds(10);  // a moved confirmable position, without new files
constexpr auto kStatusEvery = std::chrono::seconds(5);         // well inside any wal_sender_timeout >= 10 s
constexpr auto kStopProbeEvery = std::chrono::seconds(1);      // with a stop position: asks for a keepalive

// Seconds from a pgoutput commit time (microseconds since 2000-01-01 UTC) to now; 0 when in the future.
double seconds_since_pg_micros(int64_t pg_micros) {
  return std::max(0.0, std::chrono::duration<double>(std::chrono::system_clock::now() -
                                                     commit_time_point(pg_micros)).count());
}

std::string base_name(const std::string& key) {
  size_t slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

// True when the server can send every column of `table` in binary form that pgs3 decodes (the full load reads the
// same columns without a ::text cast).
bool binary_safe(const SourceTable& table) {
  for (const MappedColumn& m : map_columns(table, TypeMappingOptions{})) {
    if (m.select_expr != quote_ident(m.source_name)) return false;
  }
  return true;
}

}  // namespace

struct CdcStream::TableState {
  const SourceTable* source = nullptr;
  // The table's own writer, or (PreserveTransactions) the stream's transaction-file writer, shared by all tables.
  ChangeFileWriter* writer = nullptr;
  std::unique_ptr<ChangeFileWriter> own_writer;
  // The checkpoint entry of the writer's files: the table's, or the transaction files' (kTransactionFilesEntry).
  uint32_t entry_oid = 0;
  std::string entry_schema;
  std::string entry_table;
  TableMetrics* metrics = nullptr;  // null without metrics
};

CdcStream::CdcStream(const TaskConfig& config, ObjectStore& store, std::string state_prefix, Checkpoint& checkpoint,
                     FileJournal& journal, const std::vector<SourceTable>& tables, int money_fraction_digits,
                     MemoryBudget* memory_budget, TaskMetrics* metrics)
    : config_(config),
      store_(store),
      state_prefix_(std::move(state_prefix)),
      checkpoint_(checkpoint),
      journal_(journal),
      tables_(tables),
      money_fraction_digits_(money_fraction_digits),
      memory_budget_(memory_budget),
      metrics_(metrics) {
  Result<CdcStopPosition> stop = parse_cdc_stop_position(config.cdc.stop_position);
  if (stop.is_ok()) stop_at_ = *stop;  // checked by the task parser; RunOptions' value was checked by the runner
  processed_end_ = checkpoint.confirmed_lsn;
  received_lsn_ = checkpoint.confirmed_lsn;
  // A stop LSN at or before the start: every transaction committed before it was handled before the start (the
  // server skips those whose commit record begins before the slot's confirmed position). Waiting for a keepalive to
  // say so can take the server's wal_sender_timeout / 2.
  stop_ = stop_at_.kind == CdcStopPosition::Kind::kLsn && stop_at_.lsn <= checkpoint.confirmed_lsn;
}

CdcStream::~CdcStream() = default;

StartOptions CdcStream::start_options(int server_version_num) const {
  StartOptions options;
  options.slot = config_.source.slot_name;
  options.start_lsn = Lsn(checkpoint_.confirmed_lsn);
  options.publications = {config_.source.publication_name};
  options.proto_version = 1;
  options.messages = server_version_num >= 140000;
  options.binary = server_version_num >= 140000 && std::all_of(tables_.begin(), tables_.end(), binary_safe);
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

  auto state = std::make_unique<TableState>();
  state->source = source;
  if (metrics_ != nullptr) state->metrics = &metrics_->table(source->schema, source->name);
  if (config_.target.s3.preserve_transactions) {
    state->entry_oid = 0;
    state->entry_schema = "";
    state->entry_table = std::string(kTransactionFilesEntry);
    if (!transaction_writer_) {
      PGS3_ASSIGN_OR_RETURN(transaction_writer_, make_writer(*state, nullptr, ObjectTags{}, {}));
    }
    state->writer = transaction_writer_.get();
  } else {
    state->entry_oid = source->oid;
    state->entry_schema = source->schema;
    state->entry_table = source->name;
    PGS3_ASSIGN_OR_RETURN(ObjectTags tags, tags_for_table(config_, source->schema, source->name));
    std::vector<std::string> key_columns;
    for (const SourceColumn& c : source->columns) {
      if (c.in_primary_key) key_columns.push_back(c.name);
    }
    PGS3_ASSIGN_OR_RETURN(state->own_writer, make_writer(*state, state->metrics, std::move(tags), key_columns));
    state->writer = state->own_writer.get();
  }
  if (const TableCheckpoint* entry = checkpoint_.find_table(source->oid, source->schema, source->name)) {
    if (entry->snapshot_lsn) state->writer->skip_through(ChangePosition{*entry->snapshot_lsn, UINT32_MAX});
  }
  TableState* raw = state.get();
  by_oid_[source->oid] = std::move(state);
  return raw;
}

// A writer whose files go to `state`'s checkpoint entry; `table_metrics` (may be null) counts what it writes.
Result<std::unique_ptr<ChangeFileWriter>> CdcStream::make_writer(const TableState& state, TableMetrics* table_metrics,
                                                                 ObjectTags tags,
                                                                 std::vector<std::string> identity_full_key_columns) {
  ChangeFileWriterOptions options;
  options.money_fraction_digits = money_fraction_digits_;
  if (!config_.target.s3.preserve_transactions) options.catalog_columns = state.source->columns;
  options.object_options.tags = std::move(tags);
  options.memory_budget = memory_budget_;
  options.identity_full_key_columns = std::move(identity_full_key_columns);
  const uint32_t oid = state.entry_oid;
  const std::string schema = state.entry_schema;
  const std::string table = state.entry_table;
  options.before_upload = [this, oid, schema, table](const ChangeFileInfo& file) -> Status {
    FileIntent intent{.key = file.key,
                      .schema = schema,
                      .table = table,
                      .relation_oid = oid,
                      .first = file.first,
                      .last = file.last,
                      .rows = file.rows,
                      .inserts = file.inserts,
                      .updates = file.updates,
                      .deletes = file.deletes,
                      .last_commit_time_us = file.last_commit_time_us};
    return journal_.record(intent).status();
  };
  options.after_commit = [this, oid, schema, table, table_metrics](const ChangeFileInfo& file) {
    if (table_metrics != nullptr) {
      table_metrics->cdc_rows_written.add(file.rows);
      table_metrics->cdc_bytes_written.add(file.bytes);
      table_metrics->cdc_files_written.add(1);
    }
    if (file.last_commit_time_us &&
        (!last_durable_commit_us_ || *last_durable_commit_us_ < *file.last_commit_time_us)) {
      last_durable_commit_us_ = file.last_commit_time_us;
    }
    TableCheckpoint& entry = checkpoint_.table_entry(oid, schema, table);
    entry.relation_oid = oid;
    entry.last_change_file = base_name(file.key);
    TableStatistics& s = entry.statistics;
    s.inserts += file.inserts;
    s.updates += file.updates;
    s.deletes += file.deletes;
    s.files += 1;
    s.last_file_key = file.key;
    if (file.last_commit_time_us) s.last_commit_time_us = file.last_commit_time_us;
    ++totals_.files;
    dirty_ = true;
    log_debug("change file " + file.key + ": " + std::to_string(file.rows) + " rows, positions " +
              format_change_position(file.first) + " .. " + format_change_position(file.last));
  };
  auto writer = std::make_unique<ChangeFileWriter>(store_, config_.target.s3, std::move(options));
  if (const TableCheckpoint* entry = checkpoint_.find_table(oid, schema, table)) {
    if (entry->durable_position) writer->skip_through(*entry->durable_position);
    if (!entry->last_change_file.empty()) (void)writer->order_after(entry->last_change_file);
  }
  return writer;
}

Status CdcStream::on_message(const PgoutputMessage& m) {
  switch (m.type) {
    case PgoutputMessageType::kBegin:
      in_transaction_ = true;
      commit_time_us_ = m.begin.commit_time_us;
      last_received_commit_us_ = m.begin.commit_time_us;
      touched_.clear();
      ++totals_.transactions;
      if (metrics_ != nullptr) metrics_->transactions.add(1);
      return Status::ok();
    case PgoutputMessageType::kCommit:
      for (TableState* t : touched_) PGS3_RETURN_IF_ERROR(t->writer->end_transaction(m.commit.commit_lsn));
      touched_.clear();
      in_transaction_ = false;
      processed_end_ = std::max(processed_end_, m.commit.end_lsn);
      return Status::ok();
    case PgoutputMessageType::kRelation: {
      PGS3_ASSIGN_OR_RETURN(TableState * t, writer_for_relation(*m.relation));
      if (t == nullptr) return Status::ok();
      const uint64_t before = t->writer->stats().schema_changes;
      PGS3_RETURN_IF_ERROR(
          t->writer->set_relation(*m.relation, t->own_writer ? nullptr : &t->source->columns));
      if (t->writer->stats().schema_changes != before) {
        log_info("table " + quote_ident(m.relation->schema) + "." + quote_ident(m.relation->name) +
                 " changed its columns (ALTER TABLE): its next change file has the new columns");
        checkpoint_.table_entry(t->source->oid, t->source->schema, t->source->name).statistics.ddls += 1;
        if (t->metrics != nullptr) t->metrics->ddls.add(1);
      }
      return Status::ok();
    }
    case PgoutputMessageType::kInsert:
    case PgoutputMessageType::kUpdate:
    case PgoutputMessageType::kDelete: {
      ++totals_.changes;
      TableState* t = table_for(m.row.relation_oid);
      if (t == nullptr) return Status::ok();
      PGS3_RETURN_IF_ERROR(t->writer->append(m.row, commit_time_us_));
      if (t->metrics != nullptr) {
        (m.type == PgoutputMessageType::kInsert   ? t->metrics->inserts
         : m.type == PgoutputMessageType::kUpdate ? t->metrics->updates
                                                  : t->metrics->deletes)
            .add(1);
      }
      if (touched_.empty() || std::find(touched_.begin(), touched_.end(), t) == touched_.end()) touched_.push_back(t);
      // Warned at the first such value and whenever the count has doubled since, per writer.
      const uint64_t toast = t->writer->stats().unchanged_toast_nulls;
      uint64_t& warned = toast_nulls_warned_[t->writer];
      if (toast > warned && (warned == 0 || toast >= 2 * warned)) {
        std::string columns;
        for (const auto& [name, count] : t->writer->unchanged_toast_nulls()) {
          columns += (columns.empty() ? "" : ", ") + name + " (" + std::to_string(count) + ")";
        }
        const std::string where = t->own_writer ? "table " + t->source->qualified_name() : "the transaction files";
        const std::string fix = t->own_writer ? "ALTER TABLE " + t->source->qualified_name() + " REPLICA IDENTITY FULL"
                                              : "ALTER TABLE ... REPLICA IDENTITY FULL for each table named";
        log_warn(where + ": " + std::to_string(toast) +
                 " unchanged TOAST value(s) written as NULL in update rows, because the source does not send a "
                 "large value an UPDATE did not change; columns: " +
                 columns + ". Run " + fix + " so that pgs3 receives the old values");
        warned = toast;
      }
      return Status::ok();
    }
    case PgoutputMessageType::kTruncate:
      return on_truncate(m.truncate);
    case PgoutputMessageType::kMessage:
      // A heartbeat (or anyone's logical message) outside a transaction: everything before it has been received.
      if (!m.message.transactional && !in_transaction_) processed_end_ = std::max(processed_end_, m.message.lsn);
      return Status::ok();
    case PgoutputMessageType::kOrigin:
    case PgoutputMessageType::kType:
      return Status::ok();
  }
  return Status::ok();
}

Status CdcStream::on_truncate(const TruncateChange& truncate) {
  // Whether each writer had handled this truncate before a restart (a transaction-file writer is asked once for
  // all its tables).
  std::map<ChangeFileWriter*, bool> replayed_by_writer;
  for (uint32_t oid : truncate.relation_oids) {
    TableState* t = table_for(oid);
    if (t == nullptr) continue;
    auto [seen, first] = replayed_by_writer.try_emplace(t->writer, false);
    if (first) {
      const uint64_t replayed = t->writer->stats().replayed;
      PGS3_RETURN_IF_ERROR(t->writer->truncate(truncate));
      seen->second = t->writer->stats().replayed != replayed;
    }
    if (seen->second) continue;  // already handled before a restart
    TableCheckpoint& entry = checkpoint_.table_entry(oid, t->source->schema, t->source->name);
    entry.statistics.truncates += 1;
    if (t->metrics != nullptr) t->metrics->truncates.add(1);
    if (!config_.cdc.handle_source_table_truncated) {
      log_warn("table " + t->source->qualified_name() +
               " was truncated; HandleSourceTableTruncated is false, so its objects in the target keep the rows it "
               "had");
      continue;
    }
    // DMS's HandleSourceTableTruncated: the table's objects go; what follows starts afresh.
    const std::string prefix = table_prefix(config_.target.s3, t->source->schema, t->source->name);
    PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_.list(prefix));
    std::vector<std::string> keys;
    for (const ObjectInfo& o : objects) keys.push_back(o.key);
    PGS3_RETURN_IF_ERROR(store_.remove_all(keys));
    log_info("table " + t->source->qualified_name() + " was truncated: removed its " +
             std::to_string(objects.size()) + " object(s) under " + prefix);
    if (!t->own_writer) {
      log_warn("table " + t->source->qualified_name() +
               " was truncated: the transaction files (PreserveTransactions) have no row for a TRUNCATE and keep "
               "the table's earlier changes; a reader that rebuilds the table from them must start over from here");
    }
    t->writer->skip_through(truncate.position);
    checkpoint_.table_entry(t->entry_oid, t->entry_schema, t->entry_table).durable_position =
        t->writer->durable_position();
    dirty_ = true;
    // Saved now: a replay of this truncate after a crash must not remove the files written after it.
    PGS3_RETURN_IF_ERROR(save_checkpoint());
  }
  return Status::ok();
}

bool CdcStream::stop_reached_at_begin(const TransactionBegin& begin) const {
  switch (stop_at_.kind) {
    case CdcStopPosition::Kind::kNone:
      return false;
    case CdcStopPosition::Kind::kLsn:
      return begin.final_lsn >= stop_at_.lsn;
    case CdcStopPosition::Kind::kServerTime:
    case CdcStopPosition::Kind::kCommitTime:
      return begin.commit_time_us > stop_at_.time_us;
  }
  return false;
}

bool CdcStream::stop_reached_idle(const ReplicationEvent& event) {
  if (in_transaction_) return false;
  switch (stop_at_.kind) {
    case CdcStopPosition::Kind::kNone:
      return false;
    case CdcStopPosition::Kind::kLsn:
      // The server has sent everything before its end of WAL: every transaction committed before the stop LSN.
      return event.wal_end.value() >= stop_at_.lsn;
    case CdcStopPosition::Kind::kServerTime:
    case CdcStopPosition::Kind::kCommitTime:
      // The keepalive's clock is the server's now, not the time of the WAL being sent (a backlog may still be on
      // its way). Once the clock has passed the stop time, every transaction committed before it lies below the
      // WAL insert position read then: stop once the stream has passed that position.
      if (!time_stop_lsn_ && event.server_time_us > stop_at_.time_us) {
        Status st;
        if (sql_ == nullptr) {
          auto conn = PgConnection::open(config_.source.connection);
          if (conn.is_ok()) sql_ = std::move(conn).value();
          else st = conn.status();
        }
        if (sql_ != nullptr) {
          auto r = sql_->query("SELECT pg_catalog.pg_current_wal_insert_lsn()");
          if (r.is_ok() && r->rows() == 1) {
            if (std::optional<Lsn> lsn = Lsn::parse(r->get(0, 0))) time_stop_lsn_ = lsn->value();
          } else {
            st = r.status();
            sql_.reset();  // reopened on the next keepalive
          }
        }
        if (!st.is_ok()) log_warn("cannot read the server's WAL position for the CDC stop position (will retry): " +
                                  st.message());
      }
      return time_stop_lsn_ && event.wal_end.value() >= *time_stop_lsn_;
  }
  return false;
}

Status CdcStream::save_checkpoint() {
  std::vector<std::optional<uint64_t>> pending;
  for (auto& [oid, t] : by_oid_) {
    pending.push_back(t->writer->oldest_pending_commit_lsn());
    if (std::optional<ChangePosition> durable = t->writer->durable_position()) {
      TableCheckpoint& entry = checkpoint_.table_entry(t->entry_oid, t->entry_schema, t->entry_table);
      entry.relation_oid = t->entry_oid;
      if (!entry.durable_position || *entry.durable_position < *durable) entry.durable_position = durable;
    }
  }
  checkpoint_.phase = CheckpointPhase::kCdc;
  checkpoint_.confirmed_lsn = confirmable_lsn(pending, processed_end_, checkpoint_.confirmed_lsn);
  PGS3_RETURN_IF_ERROR(checkpoint_.save(store_, state_prefix_));
  ++totals_.checkpoints;
  if (metrics_ != nullptr) {
    metrics_->checkpoints.add(1);
    metrics_->confirmed_lsn_bytes.set(static_cast<double>(checkpoint_.confirmed_lsn));
    metrics_->last_checkpoint_time_seconds.set(
        unix_seconds_now());
  }
  dirty_ = false;
  last_checkpoint_ = Clock::now();
  Status released = journal_.release(checkpoint_);
  if (!released.is_ok()) log_warn("could not remove journal intents (they are harmless): " + released.message());
  return Status::ok();
}

Status CdcStream::send_status(ReplicationConnection& conn, bool reply_requested) {
  last_status_ = Clock::now();
  const Lsn flush(checkpoint_.confirmed_lsn);
  return conn.send_status(Lsn(std::max(received_lsn_, checkpoint_.confirmed_lsn)), flush, flush, reply_requested);
}

Status CdcStream::maybe_checkpoint(ReplicationConnection& conn, Clock::time_point now, bool force) {
  bool save = force;
  if (dirty_ && now - last_checkpoint_ >= kMinCheckpointGap) save = true;
  if (!save && now - last_checkpoint_ >= kIdleCheckpointGap) {
    std::vector<std::optional<uint64_t>> pending;
    for (auto& [oid, t] : by_oid_) pending.push_back(t->writer->oldest_pending_commit_lsn());
    save = confirmable_lsn(pending, processed_end_, checkpoint_.confirmed_lsn) > checkpoint_.confirmed_lsn;
  }
  if (save) {
    PGS3_RETURN_IF_ERROR(save_checkpoint());
    return send_status(conn);
  }
  // With a stop position, the server's reply (a keepalive carrying its WAL end and clock) tells when the stream has
  // passed it, also while no change arrives.
  const bool probe = stop_at_.kind != CdcStopPosition::Kind::kNone;
  if (now - last_status_ >= (probe ? kStopProbeEvery : kStatusEvery)) return send_status(conn, probe);
  return Status::ok();
}

void CdcStream::update_gauges() {
  if (metrics_ == nullptr) return;
  metrics_->loop_alive_seconds.set(unix_seconds_now());
  bool pending = false;
  for (auto& [oid, t] : by_oid_) pending = pending || t->writer->oldest_pending_commit_lsn().has_value();
  // DMS's CDCLatencySource / CDCLatencyTarget: 0 when caught up.
  metrics_->cdc_latency_source_seconds.set(
      in_transaction_ && last_received_commit_us_ ? seconds_since_pg_micros(*last_received_commit_us_) : 0.0);
  metrics_->cdc_latency_target_seconds.set(
      pending && last_durable_commit_us_ ? seconds_since_pg_micros(*last_durable_commit_us_) : 0.0);
  metrics_->slot_lag_bytes.set(
      static_cast<double>(received_lsn_ > checkpoint_.confirmed_lsn ? received_lsn_ - checkpoint_.confirmed_lsn : 0));
  for (const auto& [cause, count] : store_.retry_counts()) {
    Counter& counter = metrics_->retries(cause);
    if (count > counter.value()) counter.add(count - counter.value());
  }
  if (memory_budget_ != nullptr) {
    metrics_->memory_used_bytes.set(static_cast<double>(memory_budget_->bytes_in_memory()));
    const uint64_t spilled = memory_budget_->spilled_bytes();
    const uint64_t counted = metrics_->spilled_bytes.value();
    if (spilled > counted) metrics_->spilled_bytes.add(spilled - counted);
  }
}

void CdcStream::heartbeat(PgConnection* conn, Clock::time_point now) {
  if (conn == nullptr || !config_.source.heartbeat_enable) return;
  if (now - last_heartbeat_ < std::chrono::minutes(config_.source.heartbeat_frequency_min)) return;
  last_heartbeat_ = now;
  Status st = conn->exec("SELECT pg_catalog.pg_logical_emit_message(false, 'pgs3-heartbeat', '')");
  if (!st.is_ok() && !heartbeat_warned_) {
    heartbeat_warned_ = true;
    log_warn("heartbeat failed (HeartbeatEnable): " + st.message() +
             "; the slot still advances on keepalives whenever the server writes WAL");
  }
}

Result<CdcEnd> CdcStream::run(ReplicationConnection& conn, PgConnection* heartbeat_conn) {
  decoder_ = PgoutputDecoder();  // a new session resends Relation messages
  in_transaction_ = false;
  touched_.clear();
  const Clock::time_point started = Clock::now();
  last_checkpoint_ = started;
  last_heartbeat_ = started;
  PGS3_RETURN_IF_ERROR(send_status(conn));
  while (true) {
    if (cancel_requested()) return CdcEnd::kCancelled;
    if (stop_) return CdcEnd::kStopPosition;
    PGS3_ASSIGN_OR_RETURN(ReplicationEvent event, conn.next(std::chrono::milliseconds(200)));
    bool reply = false;
    switch (event.kind) {
      case ReplicationEventKind::kXLogData: {
        received_lsn_ = std::max(received_lsn_, event.wal_start.value());
        PGS3_RETURN_IF_ERROR(decoder_.decode(event.payload, message_));
        if (message_.type == PgoutputMessageType::kBegin && stop_reached_at_begin(message_.begin)) {
          // Stop before this transaction: nothing of it is written. Files are closed by finish().
          stop_ = true;
          in_transaction_ = false;
          break;
        }
        PGS3_RETURN_IF_ERROR(on_message(message_));
        break;
      }
      case ReplicationEventKind::kKeepalive:
        received_lsn_ = std::max(received_lsn_, event.wal_end.value());
        // Everything up to the server's end of WAL has been sent; with no transaction open, nothing before it is
        // still to come (a later commit has a later LSN).
        if (!in_transaction_) processed_end_ = std::max(processed_end_, event.wal_end.value());
        if (stop_reached_idle(event)) {
          log_debug("keepalive at " + event.wal_end.to_string() + " reached the stop position");
          stop_ = true;
        }
        reply = event.reply_requested;
        break;
      case ReplicationEventKind::kTimeout:
        break;
    }
    const Clock::time_point now = Clock::now();
    if (now - last_poll_ >= kPollEvery) {
      last_poll_ = now;
      const auto wall = std::chrono::system_clock::now();
      for (auto& [oid, t] : by_oid_) PGS3_RETURN_IF_ERROR(t->writer->poll(wall));
      heartbeat(heartbeat_conn, now);
      update_gauges();
    }
    PGS3_RETURN_IF_ERROR(maybe_checkpoint(conn, now, false));
    if (reply) PGS3_RETURN_IF_ERROR(send_status(conn));
  }
}

Status CdcStream::finish(ReplicationConnection* conn) {
  for (auto& [oid, t] : by_oid_) PGS3_RETURN_IF_ERROR(t->writer->flush());
  PGS3_RETURN_IF_ERROR(save_checkpoint());
  if (conn != nullptr && conn->streaming()) {
    PGS3_RETURN_IF_ERROR(send_status(*conn));
    PGS3_RETURN_IF_ERROR(conn->stop());
  }
  return Status::ok();
}

}  // namespace pgs3
