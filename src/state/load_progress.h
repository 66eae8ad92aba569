// LoadProgress: the tables a full-load task (migrationType full-load) has finished, so that a run cut by a crash or
// a signal resumes instead of starting over (issue 13, item 3).
//
// One object, "<task state prefix>full-load-progress.json", replaced as a whole after each table's last LOAD file is
// committed: {"format": "pgs3-full-load-progress", "version": 1, "tables": [{"schema": ..., "table": ...,
// "relation_oid": ..., "rows": ..., "files": ...}]}. A finished load removes it. The next run keeps the tables it
// names (same OID: a table dropped and created again is loaded again) and loads the others, in a snapshot of its
// own: the kept tables are as the cut run read them. `pgs3 run --reload-target` ignores it and loads every table.
// Free functions; the caller serialises its calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/object_store.h"

namespace pgs3 {

struct LoadedTable {
  std::string schema;
  std::string table;
  uint32_t relation_oid = 0;
  uint64_t rows = 0;
  uint64_t files = 0;
};

// nullopt when there is none (no load was cut). A malformed object is kDataError naming its key.
Result<std::optional<std::vector<LoadedTable>>> load_load_progress(ObjectStore& store, const std::string& prefix);
Status save_load_progress(ObjectStore& store, const std::string& prefix, const std::vector<LoadedTable>& tables);
Status remove_load_progress(ObjectStore& store, const std::string& prefix);

}  // namespace pgs3
