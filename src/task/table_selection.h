// The tables a task replicates: the catalog's tables that the selection rules choose, checked before anything is
// written (every rule matched something — a warning otherwise; at least one table; SELECT on each; S3 tag limits for
// each table's tags).
//
// Thread-safety: a free function.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "pg/catalog.h"
#include "rules/task_config.h"

namespace pgs3 {

// `all` is list_tables()' result; `source` names the database in messages. kBadInput when nothing is selected, a
// selected table is not readable (naming up to 20), or a table's tags break an S3 limit.
Result<std::vector<SourceTable>> select_tables(const TaskConfig& config, std::vector<SourceTable> all,
                                               const std::string& source);

}  // namespace pgs3
