// Reload requests: `pgs3 reload TASK.json --table schema.table` (DMS's reload-table) asks the task to load one table
// again, without touching the checkpoint itself (a running task owns it, under its lease).
//
// A request is one small object under "<task state prefix>reload/" ({"schema": ..., "table": ...}), named so that
// two requests never share a key. The task takes them up at start (task/cdc_task.cc: the table's checkpoint entry is
// marked reload_requested and saved, then the requests are removed) and, while streaming, at the catalog check after
// a poller thread saw one (the stream ends with kRestart and the task starts again, which takes them up). The table
// is then loaded whole in the snapshot of a temporary slot, as a table new to the task (invariant 4): its folder's
// earlier objects go before its first new LOAD file, and its changes below the slot's consistent point are skipped.
// Free functions over an ObjectStore; the caller serialises its own calls.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "store/object_store.h"

namespace pgs3 {

struct ReloadRequest {
  std::string key;  // the request object's key
  std::string schema;
  std::string table;
};

// "<prefix>reload/"
std::string reload_request_prefix(const std::string& task_state_prefix);

Status request_reload(ObjectStore& store, const std::string& task_state_prefix, const std::string& schema,
                      const std::string& table);

// The requests waiting, oldest first. A malformed object is kDataError naming its key.
Result<std::vector<ReloadRequest>> list_reload_requests(ObjectStore& store, const std::string& task_state_prefix);

}  // namespace pgs3
