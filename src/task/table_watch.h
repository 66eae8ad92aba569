// Table watch: the tables of a CDC task against the source, for the DDL that pgoutput does not stream or that pgs3
// does not follow (issue 11). Checked at start (task/cdc_task.h), at each Relation message and, in the replication
// loop, against a catalog reading every few seconds (pg/catalog.h: read_catalog_snapshot()).
//
// The task's tables are the checkpoint's table entries, known by relation OID (state/checkpoint.h). An entry is
// watched when the selection rules select its name in the checkpoint or its OID's current name. What it finds:
//   - a table that the rules select and no entry knows (its OID is new): created after the full load (a FOR ALL
//     TABLES or FOR TABLES IN SCHEMA publication streams it), dropped and created again under a known name (a new
//     OID), or added to tableMappings since. It would be streamed without a full load: stop — except, at the start
//     of a full-load-and-cdc task (CatalogCheckOptions::load_new_tables), a table under a name no entry has, which
//     is reported in new_tables for a full load of its own (task/cdc_task.cc; invariant 4). A table dropped and
//     created again under a known name still stops: the old table's last changes would land in the new one's
//     folder after its LOAD files.
//   - a watched entry whose OID has another name now (ALTER TABLE ... RENAME; pgoutput sends a new Relation message
//     with the same OID): stop, naming the old and the new name. pgs3 does not follow a table to a new folder: that
//     folder would hold change files without the table's LOAD files, and DMS lists no RENAME TABLE for S3 targets.
//   - a watched entry whose OID is a partition now (ATTACH PARTITION): stop.
//   - a watched entry whose OID is gone (DROP TABLE, which pgoutput never sends): `dropped`, for the loop to apply
//     HandleSourceTableDropped once every change of the table before the drop has been received.
//   - a watched partitioned table (publish_via_partition_root: its partitions' changes arrive under it) whose leaf
//     partitions differ from the ones recorded in its entry: a leaf gone (DETACH or DROP of a partition), a leaf whose
//     relfilenode changed (TRUNCATE of a partition, which pgoutput does not send under publish_via_partition_root;
//     VACUUM FULL, CLUSTER and rewriting ALTER TABLEs change it too and the catalog cannot tell them apart), or a new
//     leaf with rows (ATTACH of a table with rows): the root's rows changed with no change in the stream: stop. A new
//     empty leaf (CREATE TABLE ... PARTITION OF) is accepted: its rows will arrive as changes. An entry with no
//     partitions recorded (a fresh task, or a checkpoint of an older pgs3) records the current ones.
// Every stop is kBadInput (exit 2: rerunning does not help, the task must be reloaded) with a message naming the
// table and the fix. Nothing of such a table is ever confirmed: the loop stops before its first change.
//
// Stateless functions; called on the replication loop's thread (or the main thread at start).
#pragma once

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/change.h"
#include "pg/catalog.h"
#include "rules/table_selector.h"
#include "rules/task_config.h"
#include "state/checkpoint.h"

namespace pgs3 {

struct CatalogCheckOptions {
  bool load_new_tables = false;  // report new tables in new_tables instead of stopping
};

struct CatalogFindings {
  Status stop;                       // the first finding that needs a reload; ok when none
  std::vector<uint32_t> new_tables;  // with load_new_tables: selected tables no entry knows, by OID or by name
  std::vector<uint32_t> dropped;     // watched entries (not yet marked dropped) whose OID is gone
  // Partitioned entries whose recorded leaf partitions change (first recorded, or new empty leaves), with the new
  // list (sorted by OID).
  std::vector<std::pair<uint32_t, std::vector<PartitionCheckpoint>>> partitions;
};

// `roots`: the OIDs of the task's partitioned tables (catalog relkind 'p'); `catalog` was read for them.
CatalogFindings compare_catalog(const TableSelector& selector, const Checkpoint& checkpoint,
                                const std::set<uint32_t>& roots, const CatalogSnapshot& catalog,
                                CatalogCheckOptions options = {});

// The leaf partitions recorded in the checkpoint for `roots` (read_catalog_snapshot()'s known leaves).
std::vector<uint32_t> recorded_leaves(const Checkpoint& checkpoint, const std::set<uint32_t>& roots);

// A Relation message against the task's tables: a stop for a rename of a watched table or for a selected table that
// no entry knows; ok otherwise (an unselected table, or a known one under its known name).
// With options.load_new_tables, a new selected table under a new name is kRestart (the runner starts the task again,
// which loads it).
Status check_relation(const TableSelector& selector, const Checkpoint& checkpoint, const RelationDescriptor& relation,
                      CatalogCheckOptions options = {});

}  // namespace pgs3
