// FullLoad: copies the selected tables into LOAD files, MaxFullLoadSubTasks tables at a time, all inside one
// snapshot.
//
// Every worker opens its own connection and imports the same exported snapshot (SET TRANSACTION SNAPSHOT), so all
// tables are read as of one instant — the instant a CDC stream will start from. Tables are taken largest first
// so the parallel workers finish together. Each table is streamed with COPY (FORMAT binary), decoded into columnar
// batches and encoded into files as it arrives: memory is bounded by a batch plus one row group per worker.
// The first failure stops every worker (files being written are discarded; files already committed stay, and a
// rerun rewrites them) and is returned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pg/catalog.h"
#include "rules/task_config.h"
#include "store/object_store.h"
#include "task/progress.h"

namespace pgs3 {

struct TableLoadResult {
  std::string schema;
  std::string table;
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
  FullLoad(const TaskConfig& config, ObjectStore& store, Progress& progress)
      : config_(config), store_(store), progress_(progress) {}

  // Loads `tables` as of `snapshot_name` (from pg_export_snapshot() or a replication slot's exported snapshot).
  // `load_time` is the TimestampColumnName value ("yyyy-MM-dd HH:mm:ss.SSSSSS"), DMS's time of transfer.
  Result<FullLoadSummary> run(const std::vector<SourceTable>& tables, const std::string& snapshot_name,
                              const std::string& load_time);

 private:
  const TaskConfig& config_;
  ObjectStore& store_;
  Progress& progress_;
};

}  // namespace pgs3
