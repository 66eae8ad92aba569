// Truncate policy: what a source TRUNCATE does to a table's objects in the target. DMS's HandleSourceTableTruncated
// (ChangeProcessingDdlHandlingPolicy, default true) applies a truncate to an S3 target by removing the table's files
// and folders — LOAD and change files, what the table held before the truncate; false keeps them, with a warning.
// Transaction files (PreserveTransactions) have no row for a TRUNCATE: they keep the table's earlier changes, and
// the user is told.
//
// Drop policy: DMS's HandleSourceTableDropped (same section, default true) drops the target table when the source
// table is dropped; for an S3 target pgs3 removes the table's objects (LOAD and change files, as a TRUNCATE does), once
// every change of the table before the DROP is durable; false keeps them, with a warning. Transaction files keep the
// table's rows either way.
//
// Stateless; called on the loop's thread.
#pragma once

#include <string>

#include "base/status.h"
#include "pg/catalog.h"
#include "rules/task_config.h"
#include "store/object_store.h"

namespace pgs3 {

// Applies the policy for `table` (`transaction_files`: its changes go to the transaction files). Returns whether
// objects were removed.
Result<bool> apply_truncate_policy(const TaskConfig& config, ObjectStore& store, const SourceTable& table,
                                   bool transaction_files);

// The same for a table dropped on the source.
Result<bool> apply_drop_policy(const TaskConfig& config, ObjectStore& store, const SourceTable& table,
                               bool transaction_files);

}  // namespace pgs3
