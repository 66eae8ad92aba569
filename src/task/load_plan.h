// LoadPlan: the segments a full load reads, each with one COPY on one worker connection (task/full_load.h).
//
// A table is read as one segment or split into several, read in parallel inside the same snapshot:
// - a DMS table-settings parallel-load rule (TaskConfig::parallel_load_rules) decides for the table it names:
//   ranges — segments between column-value boundaries; partitions-auto — one per partition of a partitioned table;
//   subpartitions-auto — one per leaf partition; partitions-list — one per named partition and one more for the
//   rows of all the others; none — the whole table;
// - otherwise an ordinary table of at least two fullLoadSegmentMB is split by ctid into block ranges of about
//   equal size (PostgreSQL 14+ reads a ctid range with a TID Range Scan: each segment reads only its own blocks,
//   and no key is needed); a partitioned table is read as one segment, through its root.
// The segments of a table cover each of its rows exactly once, whatever the data: ctid ranges are disjoint and the
// last is open-ended (a row version has one ctid, blocks added after planning belong to the last segment); range
// segments are `row < b1`, `b1 <= row < b2`, ..., `row >= bk` over the row of the range columns, with the boundaries
// checked to ascend, and a row with a null in a range column goes to the last segment (DMS does not replicate such
// rows; pgs3 loses nothing); partition segments read disjoint partitions, the "others" segment excludes their leaves
// by tableoid.
// Planning reads the catalog on `conn` (no snapshot needed): it fails with kBadInput naming the rule and the
// column, partition or boundary to fix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "pg/catalog.h"
#include "rules/task_config.h"

namespace pgs3 {

class PgConnection;

struct LoadSegment {
  const SourceTable* table = nullptr;
  size_t index = 0;  // 0-based, within the table
  size_t count = 1;  // the table's segments
  // What the COPY reads: FROM [ONLY] relation [WHERE predicate].
  std::string relation;   // quoted qualified name: the table, or one of its partitions
  bool only = true;       // ONLY: an ordinary table or leaf (inheritance children are tables of their own)
  std::string predicate;  // empty: every row of the relation
  int64_t estimated_bytes = 0;
  std::string description;  // "ctid blocks [0, 4096)", "partition public.p1", ... for logs
};

// The predicates of `count` ctid segments of a relation of `blocks` blocks (count >= 1; one segment has none).
std::vector<std::string> ctid_predicates(int64_t blocks, size_t count);

// The predicates of range segments: `columns` quoted column names, `boundaries` typed SQL values (each
// "CAST('10' AS integer)"), one per column; boundaries.size() + 1 predicates.
std::vector<std::string> range_predicates(const std::vector<std::string>& columns,
                                          const std::vector<std::vector<std::string>>& boundaries);

struct PlanOptions {
  // Log each split table's segments, and warn about a parallel-load rule that matches none of `tables`. Off for a
  // check before the real plan, and (the warning) for a load of some of the task's tables.
  bool log_segments = true;
  bool warn_unused_rules = true;
};

// The segments of `tables`, which outlive them; a table's segments are consecutive, in index order. The second
// form plans on a connection of its own (a failed check would abort a transaction of the caller's).
Result<std::vector<LoadSegment>> plan_load(PgConnection& conn, const TaskConfig& config,
                                           const std::vector<SourceTable>& tables, PlanOptions options = {});
Result<std::vector<LoadSegment>> plan_load(const TaskConfig& config, const std::vector<SourceTable>& tables,
                                           PlanOptions options = {});

}  // namespace pgs3
