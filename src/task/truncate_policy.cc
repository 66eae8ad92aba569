#include "task/truncate_policy.h"

#include "base/log.h"
#include "sink/object_keys.h"

namespace pgs3 {

Result<bool> apply_truncate_policy(const TaskConfig& config, ObjectStore& store, const SourceTable& table,
                                   bool transaction_files) {
  if (!config.cdc.handle_source_table_truncated) {
    log_warn("table " + table.qualified_name() +
             " was truncated; HandleSourceTableTruncated is false, so its objects in the target keep the rows it had");
    return false;
  }
  const std::string prefix = table_prefix(config.target.s3, table.schema, table.name);
  PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store.list(prefix));
  std::vector<std::string> keys;
  keys.reserve(objects.size());
  for (const ObjectInfo& o : objects) keys.push_back(o.key);
  PGS3_RETURN_IF_ERROR(store.remove_all(keys));
  log_info("table " + table.qualified_name() + " was truncated: removed its " + std::to_string(objects.size()) +
           " object(s) under " + prefix);
  if (transaction_files) {
    log_warn("table " + table.qualified_name() +
             " was truncated: the transaction files (PreserveTransactions) have no row for a TRUNCATE and keep the "
             "table's earlier changes; a reader that rebuilds the table from them must start over from here");
  }
  return true;
}

}  // namespace pgs3
