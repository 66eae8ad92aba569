#include "cli/run_command.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "base/byte_size.h"
#include "base/log.h"
#include "base/utc_time.h"
#include "cli/task_file.h"
#include "obs/metrics.h"
#include "obs/metrics_server.h"
#include "obs/task_metrics.h"
#include "pg/catalog.h"
#include "pg/connection.h"
#include "pg/snapshot.h"
#include "sink/object_keys.h"
#include "state/load_progress.h"
#include "task/cancellation.h"
#include "task/cdc_task.h"
#include "task/full_load.h"
#include "task/progress.h"
#include "task/source_connection_log.h"
#include "task/table_selection.h"
#include "task/target_store.h"

namespace pgs3 {
namespace {

int fail(const Status& s) {
  if (!s.is_ok()) log_error(s.message());
  return exit_code_for(s);
}

int run_full_load(const TaskConfig& config, const RunOptions& options) {
  auto coordinator = PgConnection::open(config.source.connection);
  if (!coordinator.is_ok()) return fail(coordinator.status());
  PgConnection& conn = **coordinator;
  const std::string source = conn.describe();
  log_source_connection(conn, /*warn_unverified=*/true);

  // The snapshot is taken first, and the table list read inside it, so the list matches the data the workers read.
  auto snapshot = export_snapshot(conn);
  if (!snapshot.is_ok()) return fail(snapshot.status());
  auto all = list_tables(conn);
  if (!all.is_ok()) return fail(all.status());
  auto tables = select_tables(config, std::move(all).value(), source);
  if (!tables.is_ok()) return fail(tables.status());
  auto segments = plan_load(config, *tables);
  if (!segments.is_ok()) return fail(segments.status());
  // The target is checked last among the things that can be wrong, once the source is known to be usable; nothing
  // is written before every check passed.
  auto target = open_task_target(config);
  if (!target.is_ok()) return fail(target.status());
  if (Status taken = take_task_lease(*target, config); !taken.is_ok()) return fail(taken);
  if (Status cleaned = clean_task_leftovers(*target, config, *tables); !cleaned.is_ok()) return fail(cleaned);
  ObjectStore& store = *target->store;

  // A load cut by a crash or a signal resumes: the tables it finished are kept (state/load_progress.h).
  const std::string prefix = task_state_prefix(config.target.s3, config.task_id);
  std::vector<LoadedTable> loaded;
  if (!options.reload_target) {
    auto progress_found = load_load_progress(store, prefix);
    if (!progress_found.is_ok()) return fail(progress_found.status());
    if (*progress_found) loaded = std::move(**progress_found);
  }
  std::erase_if(loaded, [&](const LoadedTable& l) {
    return std::none_of(tables->begin(), tables->end(), [&](const SourceTable& t) {
      return t.oid == l.relation_oid && t.schema == l.schema && t.name == l.table;
    });
  });
  std::erase_if(*segments, [&](const LoadSegment& s) {
    return std::any_of(loaded.begin(), loaded.end(),
                       [&](const LoadedTable& l) { return l.relation_oid == s.table->oid; });
  });
  if (!loaded.empty()) {
    log_info("resuming the interrupted full load of task \"" + config.task_id + "\": " + std::to_string(loaded.size()) +
             " table(s) it finished are kept as it loaded them; " + std::to_string(tables->size() - loaded.size()) +
             " loaded now, in a new snapshot");
  }
  log_info("full load of " + std::to_string(tables->size() - loaded.size()) + " table(s) from " + source + " into " +
           store.describe() + ", " + std::to_string(segments->size()) + " segment(s), " +
           std::to_string(config.full_load.max_full_load_sub_tasks) + " at a time");
  Progress progress(options.live_progress && stderr_is_terminal());
  FullLoad load(config, store, progress);
  load.set_on_table_loaded([&](const TableLoadResult& r) -> Status {
    loaded.push_back(LoadedTable{r.schema, r.table, r.relation_oid, r.rows, r.files});
    return save_load_progress(store, prefix, loaded);
  });
  auto summary = load.run(*tables, *segments, *snapshot, utc_now_text(UtcTimeStyle::kDmsMicros));
  (void)end_transaction(conn);
  if (!summary.is_ok()) {
    if (summary.status().code() == StatusCode::kCancelled && cancel_requested()) {
      log_error("full load interrupted: files already written stay in place; run the task again to load all tables");
      return 1;
    }
    log_error(summary.status().message());
    // Data already written: never reported as bad input, unless another process took the task over.
    return summary.status().code() == StatusCode::kConflict ? 2 : 1;
  }
  if (Status removed = remove_load_progress(store, prefix); !removed.is_ok()) return fail(removed);
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.2f s", summary->seconds);
  log_info("full load finished: " + std::to_string(summary->tables.size()) + " tables, " +
           group_thousands(summary->rows) + " rows, " + std::to_string(summary->files) + " files, " +
           human_bytes(summary->bytes) + " in " + secs);
  for (const auto& t : summary->tables) {
    if (t.rows == 0) log_info("table " + t.schema + "." + t.table + " is empty: no file written");
  }
  return 0;
}

// /healthz: healthy while the task makes progress — the replication loop refreshes pgs3_loop_alive_seconds several
// times a second; a loop that has not run for 60 seconds (stuck, or reconnecting for that long) is reported.
bool task_healthy(const TaskMetrics& task, std::string* reason) {
  if (task.phase.value() < 2) return true;  // starting or in the full load
  const double idle = unix_seconds_now() - task.loop_alive_seconds.value();
  if (idle <= 60) return true;
  if (reason != nullptr) {
    *reason = "the replication loop has not run for " + std::to_string(static_cast<int64_t>(idle)) +
              " s (reconnecting to PostgreSQL, or stuck); see the log";
  }
  return false;
}

}  // namespace

int run_task_file(const std::string& task_file, const RunOptions& options) {
  auto config = load_task_file(task_file);
  if (!config.is_ok()) return fail(config.status());
  for (const auto& w : config->warnings) log_warn(w);
  TaskMetrics task_metrics(metrics(), config->task_id, migration_type_name(config->migration_type));
  std::unique_ptr<MetricsServer> server;
  if (!options.metrics_listen.empty()) {
    auto started = MetricsServer::start_with_reason(
        options.metrics_listen, metrics(),
        [&task_metrics](std::string* reason) { return task_healthy(task_metrics, reason); });
    if (!started.is_ok()) return fail(started.status());
    server = std::move(started).value();
    log_info("serving metrics on http://" + server->address() + "/metrics and /healthz");
  }
  switch (config->migration_type) {
    case MigrationType::kFullLoad: return run_full_load(*config, options);
    case MigrationType::kCdc:
    case MigrationType::kFullLoadAndCdc: return fail(run_cdc_task(*config, options, &task_metrics));
  }
  return 1;
}

}  // namespace pgs3
