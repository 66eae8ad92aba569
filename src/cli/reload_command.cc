#include "cli/reload_command.h"

#include <cstdio>

#include "base/log.h"
#include "cli/task_file.h"
#include "sink/object_keys.h"
#include "state/checkpoint.h"
#include "state/reload_requests.h"
#include "task/target_store.h"

namespace pgs3 {
namespace {

// The live table entry named "schema.table" (names as stored, unquoted).
const TableCheckpoint* find_named(const Checkpoint& checkpoint, const std::string& text) {
  for (const TableCheckpoint& e : checkpoint.tables) {
    if (e.relation_oid == 0 || e.schema.empty() || e.dropped) continue;
    if (e.schema + "." + e.table == text) return &e;
  }
  return nullptr;
}

Status request(const std::string& task_file, const ReloadOptions& options) {
  PGS3_ASSIGN_OR_RETURN(TaskConfig config, load_task_file(task_file));
  if (config.migration_type == MigrationType::kFullLoad) {
    return Status::bad_input("task \"" + config.task_id +
                             "\" is a full-load task: it has no stream to keep, and running it again loads every "
                             "table again; reload applies to cdc and full-load-and-cdc tasks");
  }
  if (options.tables.empty()) return Status::bad_input("name the tables to reload: --table schema.table");
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, open_target_store_without_checks(config));
  const std::string prefix = task_state_prefix(config.target.s3, config.task_id);
  PGS3_ASSIGN_OR_RETURN(std::optional<Checkpoint> checkpoint, Checkpoint::load(*store, prefix));
  if (!checkpoint || checkpoint->phase != CheckpointPhase::kCdc) {
    return Status::bad_input("task \"" + config.task_id + "\" has not finished its full load yet (" +
                             (checkpoint ? "checkpoint phase full-load" : "no checkpoint in " + store->describe()) +
                             "): there is nothing to reload; run it");
  }
  std::vector<const TableCheckpoint*> tables;
  for (const std::string& name : options.tables) {
    const TableCheckpoint* e = find_named(*checkpoint, name);
    if (e == nullptr) {
      std::string known;
      for (const TableCheckpoint& t : checkpoint->tables) {
        if (t.relation_oid != 0 && !t.schema.empty() && !t.dropped)
          known += (known.empty() ? "" : ", ") + t.schema + "." + t.table;
      }
      return Status::bad_input("--table " + name + ": not a table of task \"" + config.task_id +
                               "\" (its tables: " + (known.empty() ? "none" : known) +
                               "); a table new to the task is loaded at its next start without a request");
    }
    tables.push_back(e);
  }
  for (const TableCheckpoint* e : tables) {
    PGS3_RETURN_IF_ERROR(request_reload(*store, prefix, e->schema, e->table));
    std::printf(
        "reload of %s.%s requested: a running task loads it again within a few seconds, a stopped one at "
        "its next start\n",
        e->schema.c_str(), e->table.c_str());
  }
  return Status::ok();
}

}  // namespace

int run_reload_command(const std::string& task_file, const ReloadOptions& options) {
  Status st = request(task_file, options);
  if (!st.is_ok()) log_error(st.message());
  return exit_code_for(st);
}

}  // namespace pgs3
