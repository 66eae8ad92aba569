#include "task/cdc_task.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "base/byte_size.h"
#include "base/log.h"
#include "base/utc_time.h"
#include "model/lsn.h"
#include "obs/task_metrics.h"
#include "pg/catalog.h"
#include "pg/connection.h"
#include "pg/preflight.h"
#include "pg/publication.h"
#include "pg/replication_connection.h"
#include "rules/table_selector.h"
#include "sink/memory_budget.h"
#include "sink/object_keys.h"
#include "sink/spill_file.h"
#include "state/checkpoint.h"
#include "state/file_journal.h"
#include "state/progress_ledger.h"
#include "state/recovery.h"
#include "state/reload_requests.h"
#include "task/cancellation.h"
#include "task/cdc_stream.h"
#include "task/full_load.h"
#include "task/heartbeat.h"
#include "task/progress.h"
#include "task/slot_identity.h"
#include "task/source_connection_log.h"
#include "task/table_selection.h"
#include "task/table_watch.h"
#include "task/target_store.h"

namespace pgs3 {
namespace {

constexpr auto kSlotReleaseWait = std::chrono::seconds(30);
constexpr auto kMaxBackoff = std::chrono::seconds(30);

// The task's state, built up by the start steps.
struct CdcContext {
  explicit CdcContext(const TaskConfig& c) : config(c) {}
  const TaskConfig& config;
  std::unique_ptr<PgConnection> coordinator;
  std::string source;  // the database, for messages
  std::vector<SourceTable> tables;
  TaskTarget target;
  ObjectStore* store = nullptr;  // target.store: every change checks the task's lease
  std::string prefix;            // task_state_prefix()
  Checkpoint checkpoint;
  bool checkpoint_loaded = false;
  int money_digits = 2;
  std::unique_ptr<ReplicationConnection> repl;
  std::set<uint32_t> roots;                        // the selected partitioned tables
  std::vector<CatalogPartition> start_partitions;  // their leaf partitions at start, for a new checkpoint
  std::vector<SourceTable> dropped_tables;         // checkpoint tables dropped while the task was stopped
  std::vector<SourceTable> new_tables;             // selected tables to load in a snapshot of their own at start
  bool reload_target = false;                      // --reload-target: every table is loaded again at start
};

// Sleeps `d` in short steps; false when a cancel arrived.
bool sleep_unless_cancelled(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (cancel_requested()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !cancel_requested();
}

// The source preflight; failures are logged with their fixes. A slot held under pgs3's own application_name is waited
// for (a pgs3 killed a moment ago leaves its walsender for a short while); a slot held by any other consumer stops
// the task at once.
Status preflight(const TaskConfig& config) {
  TableSelector selector(config.selection_rules);
  SourcePreflightOptions options;
  options.conninfo = config.source.connection;
  options.cdc = true;
  options.slot_name = config.source.slot_name;
  options.publication_name = config.source.publication_name;
  options.is_selected = [&selector](const SourceTable& t) { return selector.is_selected(t.schema, t.name); };
  const auto deadline = std::chrono::steady_clock::now() + kSlotReleaseWait;
  for (int attempt = 0;; ++attempt) {
    std::vector<PreflightCheck> checks = check_source(options);
    std::vector<const PreflightCheck*> failed;
    bool all_transient = true;
    for (const PreflightCheck& c : checks) {
      if (c.status == CheckStatus::kFail) {
        failed.push_back(&c);
        all_transient = all_transient && c.transient;
      } else if (c.status == CheckStatus::kWarn && attempt == 0) {
        log_warn("preflight " + c.name + ": " + c.detail + (c.fix.empty() ? "" : "; fix: " + c.fix));
      }
    }
    if (failed.empty()) return Status::ok();
    if (all_transient && std::chrono::steady_clock::now() < deadline) {
      if (attempt == 0) {
        log_info("waiting up to " + std::to_string(kSlotReleaseWait.count()) + " s for replication slot \"" +
                 config.source.slot_name + "\" to be released: " + failed[0]->detail);
      }
      if (!sleep_unless_cancelled(std::chrono::seconds(1))) return Status::cancelled("interrupted");
      continue;
    }
    for (const PreflightCheck* c : failed) {
      log_error("preflight " + c->name + ": " + c->detail + (c->fix.empty() ? "" : "; fix: " + c->fix));
    }
    return Status::bad_input(std::to_string(failed.size()) +
                             " preflight check(s) failed (see above); nothing was changed on the source or written "
                             "to the target. `pgs3 preflight` shows every check");
  }
}

// Loads `tables` in `snapshot`. Each table's checkpoint entry is saved as soon as its last LOAD file is committed
// (full_load_done, and `snapshot_lsn` when the snapshot is a temporary slot's rather than the task slot's), so that
// a run cut by a crash keeps it (resume_full_load).
Status run_full_load_in_snapshot(CdcContext& ctx, const std::vector<SourceTable>& tables, const std::string& snapshot,
                                 std::optional<uint64_t> snapshot_lsn, const RunOptions& options,
                                 TaskMetrics* metrics) {
  if (metrics != nullptr) metrics->phase.set(1);
  PGS3_ASSIGN_OR_RETURN(std::vector<LoadSegment> segments,
                        plan_load(ctx.config, tables, PlanOptions{.warn_unused_rules = !snapshot_lsn}));
  log_info("full load of " + std::to_string(tables.size()) + " table(s) in " +
           (snapshot_lsn ? "the snapshot of a temporary slot at " + Lsn(*snapshot_lsn).to_string()
                         : std::string("the slot's snapshot")) +
           ", " + std::to_string(segments.size()) + " segment(s), " +
           std::to_string(ctx.config.full_load.max_full_load_sub_tasks) + " at a time");
  Progress progress(options.live_progress && stderr_is_terminal());
  FullLoad load(ctx.config, *ctx.store, progress);
  load.set_on_table_loaded([&](const TableLoadResult& r) -> Status {
    TableCheckpoint& entry = ctx.checkpoint.table_entry(r.relation_oid, r.schema, r.table);
    entry.relation_oid = r.relation_oid;
    entry.statistics.full_load_rows = r.rows;
    entry.statistics.files = r.files;
    entry.snapshot_lsn = snapshot_lsn;
    entry.full_load_done = true;
    entry.reload_requested = false;
    if (metrics != nullptr) {
      TableMetrics& m = metrics->table(r.schema, r.table);
      m.full_load_rows.add(r.rows);
      m.load_rows_written.add(r.rows);
      m.load_bytes_written.add(r.bytes);
      m.load_files_written.add(r.files);
    }
    return ctx.checkpoint.save(*ctx.store, ctx.prefix);
  });
  PGS3_ASSIGN_OR_RETURN(FullLoadSummary summary,
                        load.run(tables, segments, snapshot, utc_now_text(UtcTimeStyle::kDmsMicros)));
  log_info("full load finished: " + std::to_string(summary.tables.size()) + " tables, " +
           group_thousands(summary.rows) + " rows, " + std::to_string(summary.files) + " files, " +
           human_bytes(summary.bytes));
  return Status::ok();
}

Status load_in_temporary_snapshot(CdcContext& ctx, const std::vector<SourceTable>& tables, const RunOptions& options,
                                  TaskMetrics* metrics);

// A full load cut by a crash (invariant 4, issue 13): the task slot still stands at its consistent point, and the
// tables whose load finished keep their LOAD files (read in the slot's snapshot; the stream from the slot's point
// applies their changes). The others are loaded whole again — a segment of a table cannot be kept, since rows move
// between ctid ranges as they are updated — in the snapshot of a temporary slot; their changes that committed below
// its consistent point are then skipped by the stream, the later ones applied.
Status resume_full_load(CdcContext& ctx, const RunOptions& options, TaskMetrics* metrics) {
  std::vector<SourceTable> pending;
  size_t kept = 0;
  for (const SourceTable& t : ctx.tables) {
    const TableCheckpoint* entry = ctx.checkpoint.find_table(t.oid, t.schema, t.name);
    if (entry != nullptr && entry->full_load_done && entry->relation_oid == t.oid) {
      ++kept;
    } else {
      pending.push_back(t);
    }
  }
  log_info("resuming the full load of task \"" + ctx.config.task_id + "\": " + std::to_string(kept) +
           " table(s) loaded before are kept, " + std::to_string(pending.size()) +
           " loaded again in a snapshot of their own");
  // Entries of tables that are not done any more (or not selected) go: they are written again when loaded.
  std::erase_if(ctx.checkpoint.tables, [&](const TableCheckpoint& e) {
    return std::none_of(ctx.tables.begin(), ctx.tables.end(), [&](const SourceTable& t) {
      return e.full_load_done && e.relation_oid == t.oid && e.schema == t.schema && e.table == t.name;
    });
  });
  PGS3_RETURN_IF_ERROR(ctx.checkpoint.save(*ctx.store, ctx.prefix));
  if (pending.empty()) return Status::ok();
  return load_in_temporary_snapshot(ctx, pending, options, metrics);
}

// Loads `tables` in the snapshot of a temporary slot (invariant 4): each gets that slot's consistent point as its
// snapshot_lsn, below which the stream skips its changes. The task slot is not touched: it stays where it is.
Status load_in_temporary_snapshot(CdcContext& ctx, const std::vector<SourceTable>& tables, const RunOptions& options,
                                  TaskMetrics* metrics) {
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ReplicationConnection> temporary,
                        ReplicationConnection::open(ctx.config.source.connection));
  const std::string name = ctx.config.source.slot_name.substr(0, 58) + "_load";
  PGS3_ASSIGN_OR_RETURN(CreatedSlot created, temporary->create_slot(name, /*export_snapshot=*/true,
                                                                    /*temporary=*/true));
  log_info("created temporary replication slot \"" + name + "\" at " + created.consistent_point.to_string() +
           " for the full load of " + std::to_string(tables.size()) + " table(s)");
  // The snapshot lives until `temporary` runs its next command; the slot goes with the connection.
  return run_full_load_in_snapshot(ctx, tables, created.snapshot_name, created.consistent_point.value(), options,
                                   metrics);
}

// The database system and the task's slot as the replication connection finds them.
struct SlotState {
  SystemIdentity system;
  std::optional<SlotInfo> info;  // none: the slot does not exist
};

// The slot against a checkpoint of the task (`loaded`: read from the target): the slot it names, its identity
// (task/slot_identity.h), and a "cdc" checkpoint's slot must exist. Writes nothing: it runs on the checkpoint as
// found before the lease is taken, so that a refused start leaves the target as it was, and again under the lease.
Result<SlotState> check_slot(const CdcContext& ctx, const Checkpoint& checkpoint, bool loaded) {
  const TaskConfig& config = ctx.config;
  const std::string& slot = config.source.slot_name;
  if (loaded && checkpoint.slot_name != slot) {
    return Status::bad_input("the checkpoint of task \"" + config.task_id + "\" belongs to replication slot \"" +
                             checkpoint.slot_name + "\", but the task file names slot \"" + slot +
                             "\"; set source.slotName back, or drop the task");
  }
  SlotState state;
  PGS3_ASSIGN_OR_RETURN(state.system, ctx.repl->identify_system());
  PGS3_ASSIGN_OR_RETURN(state.info, ctx.repl->slot_info(slot));
  PGS3_RETURN_IF_ERROR(check_slot_identity(config, checkpoint, loaded, state.system, state.info));
  if (loaded && checkpoint.phase == CheckpointPhase::kCdc && !state.info) {
    return Status::slot_lost(
        "replication slot \"" + slot + "\" of task \"" + config.task_id + "\" does not exist on " + ctx.source +
        " any more, so the changes made since the checkpoint (" + Lsn(checkpoint.confirmed_lsn).to_string() +
        ") are lost to this task. Start it over with a new full load: `pgs3 drop --purge-target` the task, then run "
        "it again");
  }
  return state;
}

// Step 4 of the header: the slot, the full load when one is due, the "cdc" checkpoint.
Status prepare_slot(CdcContext& ctx, ReplicationConnection& repl, const RunOptions& options, TaskMetrics* metrics) {
  const TaskConfig& config = ctx.config;
  const std::string& slot = config.source.slot_name;
  PGS3_ASSIGN_OR_RETURN(SlotState found, check_slot(ctx, ctx.checkpoint, ctx.checkpoint_loaded));
  const std::optional<SlotInfo>& info = found.info;
  // Recorded for the next starts' checks (a checkpoint written before they were recorded takes them now).
  ctx.checkpoint.system_identifier = found.system.system_id;
  ctx.checkpoint.database = found.system.database;
  if (ctx.checkpoint_loaded && ctx.checkpoint.phase == CheckpointPhase::kCdc) {
    if (ctx.new_tables.empty()) return Status::ok();
    return load_in_temporary_snapshot(ctx, ctx.new_tables, options, metrics);
  }

  const bool load = config.migration_type == MigrationType::kFullLoadAndCdc;
  uint64_t start_lsn = 0;
  std::string snapshot;
  const bool resumable = load && info && ctx.checkpoint_loaded && ctx.checkpoint.phase == CheckpointPhase::kFullLoad &&
                         ctx.checkpoint.slot_created_lsn &&
                         info->confirmed_flush_lsn.value() == *ctx.checkpoint.slot_created_lsn &&
                         std::any_of(ctx.checkpoint.tables.begin(), ctx.checkpoint.tables.end(),
                                     [](const TableCheckpoint& t) { return t.full_load_done; });
  if (resumable) {
    start_lsn = *ctx.checkpoint.slot_created_lsn;
    PGS3_RETURN_IF_ERROR(resume_full_load(ctx, options, metrics));
  } else if (info && !load) {
    log_info("reusing replication slot \"" + slot + "\": streaming starts at its confirmed position " +
             info->confirmed_flush_lsn.to_string());
    start_lsn = info->confirmed_flush_lsn.value();
  } else {
    if (load) {
      // Saved before the slot is created: a restart that finds the slot then knows it is this task's (a slot with
      // no checkpoint of this task is another's and is never dropped: task/slot_identity.h).
      ctx.checkpoint.phase = CheckpointPhase::kFullLoad;
      ctx.checkpoint.slot_created_lsn.reset();
      ctx.checkpoint.tables.clear();
      PGS3_RETURN_IF_ERROR(ctx.checkpoint.save(*ctx.store, ctx.prefix));
    }
    if (info) {
      log_warn("dropping replication slot \"" + slot + "\" left by an unfinished start of this task" +
               (ctx.checkpoint_loaded ? " (its full load did not finish)" : "") +
               ": the full load starts over with a new slot");
      PGS3_RETURN_IF_ERROR(repl.drop_slot(slot));
    }
    PGS3_ASSIGN_OR_RETURN(CreatedSlot created, repl.create_slot(slot, load));
    log_info("created replication slot \"" + slot + "\" (pgoutput) at " + created.consistent_point.to_string());
    start_lsn = created.consistent_point.value();
    snapshot = created.snapshot_name;
    ctx.checkpoint.slot_created_lsn = start_lsn;
  }
  if (load && !resumable) {
    ctx.checkpoint.confirmed_lsn = std::max(ctx.checkpoint.confirmed_lsn, start_lsn);
    PGS3_RETURN_IF_ERROR(ctx.checkpoint.save(*ctx.store, ctx.prefix));
    // The snapshot lives until the replication connection runs its next command: the load runs before any.
    PGS3_RETURN_IF_ERROR(run_full_load_in_snapshot(ctx, ctx.tables, snapshot, std::nullopt, options, metrics));
  }
  ctx.checkpoint.phase = CheckpointPhase::kCdc;
  ctx.checkpoint.confirmed_lsn = std::max(ctx.checkpoint.confirmed_lsn, start_lsn);
  for (const SourceTable& t : ctx.tables) {
    TableCheckpoint& entry = ctx.checkpoint.table_entry(t.oid, t.schema, t.name);
    entry.relation_oid = t.oid;
    if (!t.is_partitioned()) continue;
    // The partitions as they were before the slot existed: a change to them since stops the task (table_watch.h).
    entry.partitions.emplace();
    for (const CatalogPartition& p : ctx.start_partitions) {
      if (p.root_oid == t.oid) entry.partitions->push_back({p.oid, p.relfilenode});
    }
  }
  return ctx.checkpoint.save(*ctx.store, ctx.prefix);
}

// Waits while another process holds the slot (a killed pgs3's walsender ends within moments).
Status wait_for_slot(ReplicationConnection& repl, const std::string& slot) {
  const auto deadline = std::chrono::steady_clock::now() + kSlotReleaseWait;
  while (true) {
    PGS3_ASSIGN_OR_RETURN(std::optional<SlotInfo> info, repl.slot_info(slot));
    if (!info || !info->active || std::chrono::steady_clock::now() >= deadline) return Status::ok();
    if (!sleep_unless_cancelled(std::chrono::milliseconds(500))) return Status::cancelled("interrupted");
  }
}

// Starts streaming, retrying with backoff while the server cannot be reached: on `opened` first when given (the
// connection that created the slot and served the full load's snapshot, idle since), then on new connections.
Result<std::unique_ptr<ReplicationConnection>> connect_and_start(const TaskConfig& config, CdcStream& stream,
                                                                 std::unique_ptr<ReplicationConnection> opened) {
  std::chrono::milliseconds backoff(1000);
  while (true) {
    Status st;
    Result<std::unique_ptr<ReplicationConnection>> repl = std::move(opened);
    if (*repl == nullptr) repl = ReplicationConnection::open(config.source.connection);
    if (repl.is_ok()) {
      st = wait_for_slot(**repl, config.source.slot_name);
      if (st.is_ok()) st = (*repl)->start(stream.start_options((*repl)->server_version_num()));
      if (st.is_ok()) return std::move(repl).value();
    } else {
      st = repl.status();
    }
    if (st.code() == StatusCode::kCancelled) return st;
    // A slot that is gone or lost will not come back; anything else may be the server restarting.
    if (st.code() == StatusCode::kNotFound || st.code() == StatusCode::kSlotLost) return st;
    log_warn("cannot resume replication yet (retrying in " + std::to_string(backoff.count() / 1000) +
             " s): " + st.message());
    if (!sleep_unless_cancelled(backoff)) return Status::cancelled("interrupted while reconnecting");
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
}

// Step 2 of the header: the source's tables and settings.
Status open_source(CdcContext& ctx) {
  const TaskConfig& config = ctx.config;
  PGS3_ASSIGN_OR_RETURN(ctx.coordinator, PgConnection::open(config.source.connection));
  ctx.source = ctx.coordinator->describe();
  // The preflight's check "tls" has warned already when the server's certificate is not verified.
  log_source_connection(*ctx.coordinator, /*warn_unverified=*/false);
  PGS3_ASSIGN_OR_RETURN(std::vector<SourceTable> all, list_tables(*ctx.coordinator));
  PGS3_ASSIGN_OR_RETURN(ctx.tables, select_tables(config, std::move(all), ctx.source));
  PGS3_ASSIGN_OR_RETURN(ctx.money_digits, money_fraction_digits(*ctx.coordinator));
  return Status::ok();
}

// Step 2, continued: the slot against the checkpoint as found, then the lease; what a killed run left in the target
// is cleaned up.
Status take_lease(CdcContext& ctx) {
  PGS3_ASSIGN_OR_RETURN(std::optional<Checkpoint> found, Checkpoint::load(*ctx.target.raw, ctx.prefix));
  PGS3_ASSIGN_OR_RETURN(ctx.repl, ReplicationConnection::open(ctx.config.source.connection));
  PGS3_RETURN_IF_ERROR(check_slot(ctx, found ? *found : Checkpoint{}, found.has_value()).status());
  PGS3_RETURN_IF_ERROR(take_task_lease(ctx.target, ctx.config));
  ctx.store = ctx.target.store.get();
  return clean_task_leftovers(ctx.target, ctx.config, ctx.tables);
}

// Step 2, continued: the checkpoint, and the files a crash left out of it (state/recovery.h).
Status load_state(CdcContext& ctx) {
  const TaskConfig& config = ctx.config;
  PGS3_ASSIGN_OR_RETURN(std::optional<Checkpoint> loaded, Checkpoint::load(*ctx.store, ctx.prefix));
  if (loaded) {
    ctx.checkpoint = std::move(*loaded);
    ctx.checkpoint_loaded = true;
    // Read again under the lease: the slot is checked against it again in step 4.
  } else {
    ctx.checkpoint.task_id = config.task_id;
    ctx.checkpoint.slot_name = config.source.slot_name;
  }
  // A checkpoint of a newer lease generation than the lease's own: the lease object was removed since.
  TaskLease& lease = *ctx.target.lease;
  if (ctx.checkpoint.lease_generation >= lease.generation()) {
    PGS3_RETURN_IF_ERROR(lease.raise_generation(ctx.checkpoint.lease_generation + 1));
  }
  PGS3_ASSIGN_OR_RETURN(RecoveryReport recovery, recover(*ctx.store, ctx.prefix, ctx.checkpoint));
  if (recovery.checkpoint_saved) ctx.checkpoint_loaded = true;
  for (const std::string& key : recovery.fenced) {
    log_warn("removed change file " + key +
             ": a pgs3 whose lease of the task had been taken over wrote it after its successor's recovery (its "
             "changes are in the successor's files)");
  }
  // The claim: from this save on, a process of an older generation can save no checkpoint of this task (its save is
  // conditional on a version this one replaces), and the next recovery discards what it writes.
  ctx.checkpoint.lease_generation = lease.generation();
  if (ctx.checkpoint_loaded) PGS3_RETURN_IF_ERROR(ctx.checkpoint.save(*ctx.store, ctx.prefix));
  for (const std::string& key : recovery.adopted)
    log_info("recovered change file " + key + " (written before a crash)");
  if (!recovery.discarded.empty()) {
    log_info(std::to_string(recovery.discarded.size()) +
             " change file(s) were not uploaded before a crash; their changes are read again from the slot");
  }
  return Status::ok();
}

// The reload requests waiting (state/reload_requests.h), and with --reload-target every table: their checkpoint
// entries are marked reload_requested and saved before the requests are removed, so that a crash in between loses no
// request.
Status take_reload_requests(CdcContext& ctx) {
  PGS3_ASSIGN_OR_RETURN(std::vector<ReloadRequest> requests, list_reload_requests(*ctx.store, ctx.prefix));
  bool marked = false;
  for (TableCheckpoint& e : ctx.checkpoint.tables) {
    if (e.relation_oid == 0 || e.dropped || e.schema.empty()) continue;
    bool wanted = ctx.reload_target;
    for (const ReloadRequest& r : requests) wanted = wanted || (r.schema == e.schema && r.table == e.table);
    if (wanted && !e.reload_requested) {
      e.reload_requested = true;
      marked = true;
    }
  }
  for (const ReloadRequest& r : requests) {
    if (ctx.checkpoint.find_table(0, r.schema, r.table) == nullptr) {
      log_warn("reload of " + quote_qualified(r.schema, r.table) +
               " requested, but the task has no such table: the request is dropped");
    }
  }
  if (marked) PGS3_RETURN_IF_ERROR(ctx.checkpoint.save(*ctx.store, ctx.prefix));
  if (requests.empty()) return Status::ok();
  std::vector<std::string> keys;
  keys.reserve(requests.size());
  for (const ReloadRequest& r : requests) keys.push_back(r.key);
  return ctx.store->remove_all(keys);
}

// Step 2, continued: the selected tables against the checkpoint's (task/table_watch.h): a rename, a table dropped and
// created again, a partition change stop the task here, before the publication check names the publication
// instead; a table new to a full-load-and-cdc task, or one to reload, is loaded before streaming (prepare_slot);
// tables dropped while the task was stopped go to the stream, which writes their last changes.
Status check_tables(CdcContext& ctx) {
  for (const SourceTable& t : ctx.tables) {
    if (t.is_partitioned()) ctx.roots.insert(t.oid);
  }
  const bool streaming = ctx.checkpoint_loaded && ctx.checkpoint.phase == CheckpointPhase::kCdc;
  PGS3_ASSIGN_OR_RETURN(
      CatalogSnapshot catalog,
      read_catalog_snapshot(*ctx.coordinator, std::vector<uint32_t>(ctx.roots.begin(), ctx.roots.end()),
                            recorded_leaves(ctx.checkpoint, ctx.roots), streaming));
  if (!streaming) {
    ctx.start_partitions = std::move(catalog.partitions);  // a full load (or a first start) comes
    // A parallel-load rule that cannot apply stops the start before the slot is created (the load plans again).
    if (ctx.config.migration_type == MigrationType::kFullLoadAndCdc && !ctx.config.parallel_load_rules.empty()) {
      PGS3_RETURN_IF_ERROR(
          plan_load(ctx.config, ctx.tables, PlanOptions{.log_segments = false, .warn_unused_rules = false}).status());
    }
    return Status::ok();
  }
  CatalogCheckOptions check_options;
  check_options.load_new_tables = ctx.config.migration_type == MigrationType::kFullLoadAndCdc;
  CatalogFindings found =
      compare_catalog(TableSelector(ctx.config.selection_rules), ctx.checkpoint, ctx.roots, catalog, check_options);
  PGS3_RETURN_IF_ERROR(found.stop);
  PGS3_RETURN_IF_ERROR(take_reload_requests(ctx));
  for (const SourceTable& t : ctx.tables) {
    const TableCheckpoint* e = ctx.checkpoint.find_table(t.oid, t.schema, t.name);
    if (e == nullptr || !e->reload_requested || e->relation_oid != t.oid) continue;
    log_info("table " + t.qualified_name() + " is loaded again, as requested, in a snapshot of its own");
    ctx.new_tables.push_back(t);
  }
  for (uint32_t oid : found.new_tables) {
    auto t = std::find_if(ctx.tables.begin(), ctx.tables.end(), [oid](const SourceTable& s) { return s.oid == oid; });
    if (t == ctx.tables.end()) continue;  // created since the table list was read: the stream's check sees it
    log_info("table " + t->qualified_name() +
             " is selected but not part of the task's full load (added to tableMappings, or created while the task "
             "was stopped): it is loaded now, in a snapshot of its own");
    ctx.new_tables.push_back(*t);
  }
  for (uint32_t oid : found.dropped) {
    const TableCheckpoint* entry = ctx.checkpoint.find_table(oid, "", "");
    SourceTable t;
    t.oid = oid;
    t.schema = entry->schema;
    t.name = entry->table;
    t.can_select = true;
    log_info("table " + t.qualified_name() +
             " was dropped on the source while the task was stopped: its changes still in the slot are written, "
             "then HandleSourceTableDropped applies");
    ctx.dropped_tables.push_back(std::move(t));
  }
  if (found.partitions.empty()) return Status::ok();
  for (auto& [oid, list] : found.partitions) ctx.checkpoint.table_entry(oid, "", "").partitions = std::move(list);
  return ctx.checkpoint.save(*ctx.store, ctx.prefix);
}

// Step 3 of the header.
Status prepare_publication(CdcContext& ctx) {
  const std::string& name = ctx.config.source.publication_name;
  PGS3_ASSIGN_OR_RETURN(bool created, ensure_publication(*ctx.coordinator, name, ctx.tables));
  if (created) log_info("created publication \"" + name + "\"");
  return Status::ok();
}

// Polls the task's reload requests (state/reload_requests.h) every kReloadPollEvery on a thread of its own, so that
// a slow or unreachable store never holds the replication loop, which only reads the flag.
class ReloadPoller {
 public:
  static constexpr std::chrono::seconds kReloadPollEvery{5};

  ReloadPoller(ObjectStore& store, std::string prefix)
      : store_(store), prefix_(std::move(prefix)), thread_([this] { run(); }) {}
  ~ReloadPoller() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  ReloadPoller(const ReloadPoller&) = delete;
  ReloadPoller& operator=(const ReloadPoller&) = delete;

  bool requested() const { return requested_.load(); }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_ && !requested_) {
      lock.unlock();
      Result<std::vector<ObjectInfo>> listed = store_.list(reload_request_prefix(prefix_));
      if (listed.is_ok() && !listed->empty()) requested_ = true;
      lock.lock();
      wake_.wait_for(lock, kReloadPollEvery, [this] { return stopping_; });
    }
  }

  ObjectStore& store_;
  const std::string prefix_;
  std::atomic<bool> requested_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

// Step 5 of the header: streams until the stop position or a signal, reconnecting after a lost connection.
Status stream_changes(CdcContext& ctx, TaskMetrics* metrics) {
  const TaskConfig& config = ctx.config;
  PGS3_ASSIGN_OR_RETURN(FileJournal journal, FileJournal::open(*ctx.store, ctx.prefix, ctx.target.lease->generation()));
  ProgressLedger ledger(*ctx.store, ctx.prefix, ctx.checkpoint, journal);
  // Spill files of a killed earlier run hold rows nobody reads any more (and plaintext: they go).
  Result<int> stale = SpillFile::remove_stale("");
  if (!stale.is_ok()) log_warn(stale.status().message());
  if (stale.is_ok() && *stale > 0) log_info("removed " + std::to_string(*stale) + " spill file(s) a killed run left");
  // The buffers get MemoryLimitTotal less what the process needs besides them (code, libraries, connections,
  // decoder and encoder state: about 25-40 MB measured), so that peak RSS stays under the limit.
  const uint64_t limit = static_cast<uint64_t>(config.cdc.memory_limit_total_mb) << 20;
  MemoryBudget budget(std::max<uint64_t>(limit / 4, limit > (64ull << 20) ? limit - (64ull << 20) : 0));

  CdcStreamServices services;
  services.memory_budget = &budget;
  services.metrics = metrics;
  services.retry_counts = [&ctx] { return store_retry_counts(*ctx.store); };
  // A normal connection for a time stop position's WAL insert position, opened when first needed and reopened
  // after a failure.
  std::unique_ptr<PgConnection> sql;
  services.wal_insert_lsn = [&sql, &config]() -> Result<uint64_t> {
    if (sql == nullptr) {
      PGS3_ASSIGN_OR_RETURN(sql, PgConnection::open(config.source.connection));
    }
    auto r = sql->query("SELECT pg_catalog.pg_current_wal_insert_lsn()");
    std::optional<Lsn> lsn;
    if (r.is_ok() && r->rows() == 1) lsn = Lsn::parse(r->get(0, 0));
    if (!lsn) {
      sql.reset();
      return r.is_ok() ? Status::data_error("pg_current_wal_insert_lsn() returned no LSN") : r.status();
    }
    return lsn->value();
  };
  HeartbeatSession heartbeat(config.source.connection);
  if (config.source.heartbeat_enable) services.emit_heartbeat = [&heartbeat]() { return heartbeat.emit(); };
  // The table watch's catalog readings (task/table_watch.h), on a connection of their own, reopened after a failure.
  std::unique_ptr<PgConnection> watch;
  services.read_catalog = [&watch, &config](const std::vector<uint32_t>& roots,
                                            const std::vector<uint32_t>& known_leaves) -> Result<CatalogSnapshot> {
    if (watch == nullptr) {
      PGS3_ASSIGN_OR_RETURN(watch, PgConnection::open(config.source.connection));
      // The loop waits for the reading: pg_relation_size() of a new partition must not wait long for its lock.
      Status st = watch->exec("SET lock_timeout = '1s'; SET statement_timeout = '3s'");
      if (!st.is_ok()) {
        watch.reset();
        return st;
      }
    }
    Result<CatalogSnapshot> catalog = read_catalog_snapshot(*watch, roots, known_leaves, true);
    if (!catalog.is_ok()) watch.reset();
    return catalog;
  };
  services.dropped_tables = ctx.dropped_tables;
  // Destroyed after the stream and after a failure's give-up below (which makes a stalled request give up).
  ReloadPoller reload_poller(*ctx.target.raw, ctx.prefix);
  services.reload_requested = [&reload_poller] { return reload_poller.requested(); };
  CdcStream stream(config, *ctx.store, ledger, ctx.tables, ctx.money_digits, std::move(services));
  // Destroyed before the stream: on a failure, the uploads still running are given up as on a stop past its grace
  // (task/cancellation.h) rather than waited for through minutes of retries; what they hold comes again from the slot.
  struct GiveUpUploadsOnFailure {
    bool succeeded = false;
    ~GiveUpUploadsOnFailure() {
      if (!succeeded && !cancel_requested()) request_cancel(0);
    }
  } give_up;
  ctx.coordinator.reset();  // not needed while streaming

  // The first start, after a full load that may have taken hours, is retried like every later reconnect: the
  // connection that served the load's snapshot may have been cut meanwhile, and the checkpoint is already saved.
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ReplicationConnection> conn,
                        connect_and_start(config, stream, std::move(ctx.repl)));
  if (metrics != nullptr) metrics->phase.set(2);
  log_info("streaming changes of " + std::to_string(ctx.tables.size()) + " table(s) from slot \"" +
           config.source.slot_name + "\" at " + Lsn(ledger.confirmed_lsn()).to_string() + " into " +
           ctx.store->describe());
  // A stop whose grace ended before the open files were uploaded (task/cancellation.h: the store gave up) is a
  // runtime failure (exit 1), though nothing is lost.
  auto incomplete_stop = [&ledger](const Status& st) {
    if (st.code() != StatusCode::kCancelled) return st;
    return Status::unavailable(st.message() +
                               "; stopped before every open file was durable: nothing is lost, the next run resumes "
                               "after the last checkpoint (confirmed " +
                               Lsn(ledger.confirmed_lsn()).to_string() + ")");
  };
  while (true) {
    Result<CdcEnd> end = stream.run(*conn);
    if (end.is_ok()) {
      if (Status finished = stream.finish(conn.get()); !finished.is_ok()) return incomplete_stop(finished);
      log_info(std::string(*end == CdcEnd::kStopPosition ? "reached the CDC stop position" : "stopped") +
               ": confirmed " + Lsn(ledger.confirmed_lsn()).to_string() + "; " +
               std::to_string(stream.totals().changes) + " changes, " + std::to_string(stream.totals().files) +
               " files written in this run");
      give_up.succeeded = true;
      return Status::ok();
    }
    if (end.status().code() == StatusCode::kRestart) {
      // A table new to the task: what is open is written and checkpointed as after a lost connection, then the
      // task starts again (run_cdc_task), which loads the table.
      conn.reset();
      PGS3_RETURN_IF_ERROR(stream.finish(nullptr));
      give_up.succeeded = true;
      return end.status();
    }
    if (end.status().code() != StatusCode::kUnavailable) return incomplete_stop(end.status());
    log_warn(end.status().message() + "; closing open files and reconnecting");
    conn.reset();
    PGS3_RETURN_IF_ERROR(stream.finish(nullptr));
    PGS3_ASSIGN_OR_RETURN(conn, connect_and_start(config, stream, nullptr));
    log_info("replication resumed at " + Lsn(ledger.confirmed_lsn()).to_string());
  }
}

// Step 1 of the header: the target, checked, with no other process holding the task's lease (nothing written yet).
Status open_target(CdcContext& ctx) {
  PGS3_ASSIGN_OR_RETURN(ctx.target, open_task_target(ctx.config));
  ctx.prefix = task_state_prefix(ctx.config.target.s3, ctx.config.task_id);
  return Status::ok();
}

// Steps 1 to 4 of the header; what is left to do is streaming.
Status start(CdcContext& ctx, const RunOptions& options, TaskMetrics* metrics) {
  PGS3_RETURN_IF_ERROR(open_target(ctx));
  PGS3_RETURN_IF_ERROR(preflight(ctx.config));
  PGS3_RETURN_IF_ERROR(open_source(ctx));
  PGS3_RETURN_IF_ERROR(take_lease(ctx));
  PGS3_RETURN_IF_ERROR(load_state(ctx));
  PGS3_RETURN_IF_ERROR(check_tables(ctx));
  PGS3_RETURN_IF_ERROR(prepare_publication(ctx));
  Status st = prepare_slot(ctx, *ctx.repl, options, metrics);
  if (!st.is_ok() && st.code() != StatusCode::kCancelled && !st.needs_user_action() &&
      ctx.checkpoint.phase == CheckpointPhase::kFullLoad) {
    return st.with_context("the full load failed; the next run keeps the tables loaded so far and loads the others");
  }
  return st;
}

}  // namespace

Status run_cdc_task(const TaskConfig& task_config, const RunOptions& options, TaskMetrics* metrics) {
  TaskConfig config = task_config;
  if (!options.cdc_stop_position.empty()) {
    PGS3_RETURN_IF_ERROR(
        parse_cdc_stop_position(options.cdc_stop_position).status().with_context("--cdc-stop-position"));
    config.cdc.stop_position = options.cdc_stop_position;
  }
  // A table new to the task ends the stream with kRestart: the task starts again (a fresh context: lease, checkpoint,
  // slot), which loads the table in a snapshot of its own before streaming on. Each restart follows a table the
  // previous start had not loaded, so this ends.
  for (bool restarted = false;; restarted = true) {
    CdcContext ctx(config);
    ctx.reload_target = options.reload_target && !restarted;
    Status st = start(ctx, options, metrics);
    if (st.code() == StatusCode::kCancelled) {
      // A signal during the preflight's wait or the full load: nothing is half done that the next run cannot redo.
      if (ctx.checkpoint.phase == CheckpointPhase::kFullLoad && ctx.repl) {
        log_info("stopped during the full load: the next run keeps the tables loaded so far and loads the others");
      }
      return Status::ok();
    }
    PGS3_RETURN_IF_ERROR(st);
    if (cancel_requested()) return Status::ok();
    st = stream_changes(ctx, metrics);
    if (st.code() != StatusCode::kRestart) return st.code() == StatusCode::kCancelled ? Status::ok() : st;
    log_info(st.message());
  }
}

}  // namespace pgs3
