#include "task/truncate_policy.h"

#include "base/log.h"
#include "sink/object_keys.h"

namespace pgs3 {
namespace {

// Removes every object under the table's folder; `event` says what happened to the table ("truncated", "dropped").
Status remove_table_objects(const TaskConfig& config, ObjectStore& store, const SourceTable& table,
                            bool transaction_files, const std::string& event) {
  const std::string prefix = table_prefix(config.target.s3, table.schema, table.name);
  PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store.list(prefix));
  std::vector<std::string> keys;
  keys.reserve(objects.size());
  for (const ObjectInfo& o : objects) keys.push_back(o.key);
  PGS3_RETURN_IF_ERROR(store.remove_all(keys));
  log_info("table " + table.qualified_name() + " was " + event + ": removed its " + std::to_string(objects.size()) +
           " object(s) under " + prefix);
  if (transaction_files) {
    log_warn("table " + table.qualified_name() + " was " + event +
             ": the transaction files (PreserveTransactions) have no row for it and keep the table's earlier "
             "changes; a reader that rebuilds the table from them must start over from here");
  }
  return Status::ok();
}

}  // namespace

Result<bool> apply_truncate_policy(const TaskConfig& config, ObjectStore& store, const SourceTable& table,
                                   bool transaction_files) {
  if (!config.cdc.handle_source_table_truncated) {
    log_warn("table " + table.qualified_name() +
             " was truncated; HandleSourceTableTruncated is false, so its objects in the target keep the rows it had");
    return false;
  }
  PGS3_RETURN_IF_ERROR(remove_table_objects(config, store, table, transaction_files, "truncated"));
  return true;
}

Result<bool> apply_drop_policy(const TaskConfig& config, ObjectStore& store, const SourceTable& table,
                               bool transaction_files) {
  if (!config.cdc.handle_source_table_dropped) {
    log_warn("table " + table.qualified_name() +
             " was dropped on the source; HandleSourceTableDropped is false, so its objects in the target keep the "
             "rows it had (its last changes are in them)");
    return false;
  }
  PGS3_RETURN_IF_ERROR(remove_table_objects(config, store, table, transaction_files,
                                            "dropped on the source (HandleSourceTableDropped)"));
  return true;
}

}  // namespace pgs3
