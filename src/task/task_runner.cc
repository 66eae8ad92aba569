#include "task/task_runner.h"

#include <cstdio>
#include <memory>

#include "base/log.h"
#include "base/utc_time.h"
#include "pg/catalog.h"
#include "pg/connection.h"
#include "pg/snapshot.h"
#include "rules/object_tagging.h"
#include "rules/table_selector.h"
#include "task/cancellation.h"
#include "task/full_load.h"
#include "task/progress.h"
#include "task/target_store.h"

namespace pgs3 {
namespace {

int exit_code_for(const Status& s) { return s.code() == StatusCode::kBadInput ? 2 : 1; }

int fail(const Status& s) {
  log_error(s.message());
  return exit_code_for(s);
}

// The tables the selection rules choose, after checking that every rule matched and every table is readable.
Result<std::vector<SourceTable>> select_tables(const TaskConfig& config, std::vector<SourceTable> all,
                                               const std::string& source) {
  TableSelector selector(config.selection_rules);
  std::vector<QualifiedTableName> names;
  for (const auto& t : all) names.push_back({t.schema, t.name});
  for (const SelectionRule* rule : selector.rules_matching_nothing(names)) {
    log_warn("selection rule " + rule->rule_id + " (rule-name \"" + rule->rule_name + "\", schema-name \"" +
             rule->schema_pattern + "\", table-name \"" + rule->table_pattern + "\") matches no table in " + source);
  }
  std::vector<SourceTable> chosen;
  for (auto& t : all) {
    if (selector.is_selected(t.schema, t.name)) chosen.push_back(std::move(t));
  }
  if (chosen.empty()) {
    return Status::bad_input(
        "the selection rules of tableMappings match no table in " + source +
        ": check the schema-name and table-name patterns (names are case-sensitive; '%' matches any "
        "run of characters and '_' any one character, [_] a literal underscore)");
  }
  std::string unreadable;
  int unreadable_count = 0;
  for (const auto& t : chosen) {
    if (t.can_select) continue;
    if (unreadable_count++ < 20) unreadable += (unreadable.empty() ? "" : ", ") + t.qualified_name();
  }
  if (unreadable_count > 0) {
    return Status::bad_input("the connecting user may not SELECT from " + std::to_string(unreadable_count) +
                             " selected table(s): " + unreadable + (unreadable_count > 20 ? ", ..." : "") +
                             "; run GRANT SELECT ON <table> TO <user> for each, or exclude them in tableMappings");
  }
  // Tags are computed now so that a table whose name breaks an S3 tag limit stops the task before any upload.
  for (const auto& t : chosen) {
    if (config.tagging_rules.empty()) break;
    PGS3_RETURN_IF_ERROR(tags_for_table(config, t.schema, t.name).status());
  }
  return chosen;
}

int run_full_load(const TaskConfig& config, const RunOptions& options) {
  auto coordinator = PgConnection::open(config.source.connection);
  if (!coordinator.is_ok()) return fail(coordinator.status());
  PgConnection& conn = **coordinator;
  const std::string source = conn.describe();

  // The snapshot is taken first, and the table list read inside it, so the list matches the data the workers read.
  auto snapshot = export_snapshot(conn);
  if (!snapshot.is_ok()) return fail(snapshot.status());
  auto all = list_tables(conn);
  if (!all.is_ok()) return fail(all.status());
  auto tables = select_tables(config, std::move(all).value(), source);
  if (!tables.is_ok()) return fail(tables.status());
  // The target is checked last among the things that can be wrong, once the source is known to be usable; nothing
  // is written before every check passed.
  auto store = open_target_store(config);
  if (!store.is_ok()) return fail(store.status());

  log_info("full load of " + std::to_string(tables->size()) + " table(s) from " + source + " into " +
           (*store)->describe() + ", " + std::to_string(config.full_load.max_full_load_sub_tasks) + " at a time");
  Progress progress(options.live_progress && stderr_is_terminal());
  FullLoad load(config, **store, progress);
  auto summary = load.run(*tables, *snapshot, utc_now_text(UtcTimeStyle::kDmsMicros));
  (void)end_transaction(conn);
  if (!summary.is_ok()) {
    if (summary.status().code() == StatusCode::kCancelled && cancel_requested()) {
      log_error("full load interrupted: files already written stay in place; run the task again to load all tables");
      return 1;
    }
    log_error(summary.status().message());
    return 1;  // data already written: never report this as bad input
  }
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

}  // namespace

int run_task_file(const std::string& task_file, const RunOptions& options) {
  auto config = parse_task_file(task_file);
  if (!config.is_ok()) {
    // Every message names the task file once: the parser names it when it reads it, not when it checks it.
    const Status& st = config.status();
    return fail(st.message().find(task_file) == std::string::npos ? st.with_context(task_file) : st);
  }
  for (const auto& w : config->warnings) log_warn(w);
  switch (config->migration_type) {
    case MigrationType::kFullLoad:
      return run_full_load(*config, options);
    case MigrationType::kCdc:
    case MigrationType::kFullLoadAndCdc:
      return fail(
          Status::bad_input("migrationType \"cdc\" and \"full-load-and-cdc\" are not available in this "
                            "version of pgs3; use \"full-load\""));
  }
  return 1;
}

}  // namespace pgs3
