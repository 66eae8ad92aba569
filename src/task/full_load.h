// FullLoad: copies the selected tables into LOAD files, MaxFullLoadSubTasks segments at a time, all inside one
// snapshot.
//
// The load is planned first (task/load_plan.h): each table is one segment, or several — ctid block ranges of a large
// table, or what its DMS parallel-load rule says. Every worker opens its own connection and imports the same
// exported snapshot (SET TRANSACTION SNAPSHOT), so all segments are read as of one instant — the instant a CDC stream
// will start from. Segments are taken largest first so the parallel workers finish together. Each segment is
// streamed with COPY (FORMAT binary), decoded into columnar batches and encoded into its own LOAD files as it
// arrives (the files of a table's segments share one numbering, sink/load_file_set.h): memory is bounded by a batch
// plus one row group per worker. A table is done when its last segment is.
// The first failure stops every worker (files being written are discarded; files already committed stay, and a
// rerun rewrites them) and is returned.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pg/catalog.h"
#include "rules/task_config.h"
#include "store/object_store.h"
#include "task/load_plan.h"
#include "task/progress.h"

namespace pgs3 {

struct TableLoadResult {
  std::string schema;
  std::string table;
  uint32_t relation_oid = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;  // bytes of the files written
  uint64_t files = 0;
  double seconds = 0;
};

struct FullLoadSummary {
  std::vector<TableLoadResult> tables;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t files = 0;
  double seconds = 0;
};

class FullLoad {
 public:
  // Called once per table, when its last LOAD file is committed (on a worker thread; one call at a time). A failure
  // stops the load and is returned by run().
  using TableLoaded = std::function<Status(const TableLoadResult&)>;

  FullLoad(const TaskConfig& config, ObjectStore& store, Progress& progress)
      : config_(config), store_(store), progress_(progress) {}

  void set_on_table_loaded(TableLoaded on_loaded) { on_loaded_ = std::move(on_loaded); }

  // Loads `tables` as of `snapshot_name` (from pg_export_snapshot() or a replication slot's exported snapshot).
  // `load_time` is the TimestampColumnName value ("yyyy-MM-dd HH:mm:ss.SSSSSS"), DMS's time of transfer.
  // The tables are planned first (plan_load); the second form takes a plan made before.
  Result<FullLoadSummary> run(const std::vector<SourceTable>& tables, const std::string& snapshot_name,
                              const std::string& load_time);
  Result<FullLoadSummary> run(const std::vector<SourceTable>& tables, const std::vector<LoadSegment>& segments,
                              const std::string& snapshot_name, const std::string& load_time);

 private:
  const TaskConfig& config_;
  ObjectStore& store_;
  Progress& progress_;
  TableLoaded on_loaded_;
};

}  // namespace pgs3
