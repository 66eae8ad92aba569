// Checkpoint: how far a task has safely gone, stored in the target itself (DESIGN.md §3, invariants 2, 3 and 6).
//
// One JSON object, "<BucketFolder>/_pgs3/<taskId>/checkpoint.json" (task_state_prefix() + kCheckpointObjectName),
// replaced as a whole on every save. ObjectStore objects appear atomically, so a reader sees the previous checkpoint
// or the new one, never a mix. A checkpoint is saved only after every file it names is committed: it never claims
// more than the target holds. A replacement process on any machine resumes from it (the process is stateless).
//
// What it holds:
//   sequence       +1 on every save: tells which of two copies is newer, and shows progress in `pgs3 status`.
//   slot identity  slot_name, the source's system_identifier and database, and slot_created_lsn (the consistent
//                  point of a slot this task created): a start that finds another system, database or a slot that
//                  moved past the checkpoint stops instead of streaming with a gap (task/slot_identity.h).
//   confirmed_lsn  the LSN pgs3 may confirm to PostgreSQL as flushed (standby status update). It never passes the
//                  commit LSN of the oldest change that is not durable in the target (invariant 3;
//                  state/progress_ledger.h computes it), and it never goes backwards: save() refuses a regression
//                  as a bug (kInternal).
//                  The replication loop sends PostgreSQL only the confirmed_lsn of a checkpoint that has been saved.
//   per table      (schema, table, relation OID): durable_position, the position of the last change durable in the
//                  target (replayed changes at or below it are skipped: ChangeFileWriter::skip_through());
//                  snapshot_lsn, for a table loaded in a snapshot of its own (a temporary slot's): the changes of
//                  transactions whose commit record starts below it are in the LOAD files and are skipped, those at
//                  or above it are applied (invariant 4); full_load_done, once the table's LOAD files are all
//                  committed (a full load cut by a crash keeps those tables and loads the others again);
//                  reload_requested, once `pgs3 reload` (or run --reload-target) asked for the table to be loaded
//                  again, until it is;
//                  last_change_file, the name of its newest change file
//                  (ChangeFileWriter::order_after(), so that a restarted writer's names sort after it); statistics;
//                  for a partitioned table, its leaf partitions (OID and relfilenode) as the task last accepted them
//                  (task/table_watch.h: a partition attached, detached or truncated stops the task); and `dropped`
//                  once the table's DROP has been handled (HandleSourceTableDropped), so that its OID is still known.
//
// Format (version 1):
//   {"format": "pgs3-checkpoint", "version": 1, "sequence": 7, "task_id": "orders-to-lake", "slot_name": "pgs3_o",
//    "system_identifier": "7311234567890123456", "database": "app", "slot_created_lsn": "0/16A0000",
//    "phase": "cdc", "confirmed_lsn": "0/16B6C50",
//    "tables": [{"schema": "public", "table": "orders", "relation_oid": 16384,
//                "durable_position": "0/16B6C50:3", "snapshot_lsn": "0/16A0000",
//                "last_change_file": "20261130-233000123.parquet",
//                "statistics": {"full_load_rows": 1000, "inserts": 5, "updates": 2, "deletes": 1, "key_updates": 0,
//                               "ddls": 0, "truncates": 0, "files": 2, "last_file_key":
//                               "raw/app/public/orders/2026...parquet", "last_commit_time_us": 817813800123456},
//                "partitions": [{"oid": 16390, "relfilenode": 16390}], "dropped": true}]}
// "partitions" (absent: not recorded, e.g. a checkpoint of an older pgs3, or not a partitioned table), "dropped" and
// "full_load_done" and "reload_requested" (absent: false) are optional, so that checkpoints written before them still
// load. LSNs are printed as PostgreSQL prints them, positions as format_change_position() does; absent values are null.
// Unknown fields are ignored (a later version 1 writer may add some); a higher version is refused, since an older
// pgs3 cannot know what it would lose by rewriting it.
//
// A Checkpoint is a value, used by one thread. It remembers the sequence and confirmed_lsn it last loaded or saved,
// for the checks in save(); copies share nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/change.h"
#include "store/object_store.h"

namespace pgs3 {

inline constexpr int kCheckpointFormatVersion = 1;
inline constexpr const char kCheckpointObjectName[] = "checkpoint.json";

enum class CheckpointPhase {
  kFullLoad,  // "full-load": the full load has not finished (CDC changes, if any, are in no file yet)
  kCdc,       // "cdc": every table is loaded; changes stream
};

struct TableStatistics {
  uint64_t full_load_rows = 0;
  uint64_t inserts = 0;  // change rows in committed change files, by operation
  uint64_t updates = 0;
  uint64_t deletes = 0;
  uint64_t key_updates = 0;  // key-changing UPDATEs (also counted in updates): FileSummary::key_updates
  uint64_t ddls = 0;         // schema changes seen (ChangeWriterStats::schema_changes)
  uint64_t truncates = 0;
  uint64_t files = 0;                          // files committed (LOAD and change files)
  std::string last_file_key;                   // the key of the last file committed, empty before any
  std::optional<int64_t> last_commit_time_us;  // commit time of the last durable change (pgoutput: since 2000-01-01)

  bool operator==(const TableStatistics&) const = default;
};

// The entry (relation OID 0, schema "") that stands for the transaction files of PreserveTransactions: one stream
// for all tables, so one durable position and one set of statistics (sink/transaction_file_writer.h).
inline constexpr std::string_view kTransactionFilesEntry = "CDC_TXN";

// A leaf partition of a partitioned table, as recorded in the checkpoint (pg_class.oid and relfilenode).
struct PartitionCheckpoint {
  uint32_t oid = 0;
  uint32_t relfilenode = 0;

  bool operator==(const PartitionCheckpoint&) const = default;
};

struct TableCheckpoint {
  std::string schema;
  std::string table;
  uint32_t relation_oid = 0;  // 0 when unknown
  std::optional<ChangePosition> durable_position;
  std::optional<uint64_t> snapshot_lsn;
  std::string last_change_file;  // a file name ("20261130-233000123.parquet"), not a key; empty before any
  TableStatistics statistics;
  // A partitioned table's leaf partitions, sorted by OID; nullopt when not recorded.
  std::optional<std::vector<PartitionCheckpoint>> partitions;
  bool dropped = false;           // the table was dropped on the source and the drop was handled
  bool full_load_done = false;    // every LOAD file of the table is committed
  bool reload_requested = false;  // a reload was asked for (state/reload_requests.h); cleared when it is loaded

  bool operator==(const TableCheckpoint&) const = default;
};

class Checkpoint {
 public:
  // "<prefix>checkpoint.json"; `prefix` is task_state_prefix() (ends with '/').
  static std::string object_key(const std::string& prefix);

  // The checkpoint stored under `prefix`, or nullopt when there is none. kDataError, naming the object, when it is
  // not a checkpoint this pgs3 can read (malformed JSON, a missing or mistyped field, a bad LSN or position, a
  // duplicate table, or a format version above kCheckpointFormatVersion). Store failures pass through.
  static Result<std::optional<Checkpoint>> load(ObjectStore& store, const std::string& prefix);

  // Writes this checkpoint with sequence() + 1 (sequence() is then the new number). kInternal, nothing written,
  // when confirmed_lsn is below the one last loaded or saved through this object. The write is conditional
  // (ObjectStore::put_if) on the version last loaded or saved through this object, or on there being no checkpoint
  // when it was neither: kConflict, nothing written, when another writer saved one since (a successor that took the
  // task's lease over) or when a checkpoint exists that was not loaded. On a store failure the sequence is left as
  // it was and the save can be retried.
  Status save(ObjectStore& store, const std::string& prefix);
  // After `saved` — a copy of this checkpoint, saved on another thread — was saved: this one takes its sequence,
  // version, phase and confirmed_lsn, so that its next save follows that one. Its entries stay as they are (they may
  // have moved since the copy was made).
  void adopt_saved(const Checkpoint& saved);

  // The JSON text save() writes, and its inverse (`where` names the object in messages). parse() does not set the
  // last-saved state: a parsed checkpoint is "loaded" only through load().
  std::string to_json() const;
  static Result<Checkpoint> parse(const std::string& text, const std::string& where);

  // The table with this relation OID (when non-zero and present), else the one named (schema, table); null if
  // none.
  TableCheckpoint* find_table(uint32_t relation_oid, const std::string& schema, const std::string& table);
  const TableCheckpoint* find_table(uint32_t relation_oid, const std::string& schema, const std::string& table) const;
  // find_table(), or a new empty entry appended to tables.
  TableCheckpoint& table_entry(uint32_t relation_oid, const std::string& schema, const std::string& table);

  uint64_t sequence() const { return sequence_; }

  // The content compared by tests and by recovery (sequence and last-saved state excluded).
  bool same_content(const Checkpoint& other) const;

  std::string task_id;
  std::string slot_name;
  // The source the slot belongs to (IDENTIFY_SYSTEM's systemid, the database name) and, when this task created the
  // slot, its consistent point: task/slot_identity.h checks them at every start. Empty / nullopt when unknown (a
  // checkpoint written before they were recorded).
  std::string system_identifier;
  std::string database;
  std::optional<uint64_t> slot_created_lsn;
  // The generation of the task lease (state/task_lease.h) that last saved this checkpoint: recovery discards the
  // journal intents of older generations. 0 when unknown (written before leases).
  uint64_t lease_generation = 0;
  CheckpointPhase phase = CheckpointPhase::kFullLoad;
  uint64_t confirmed_lsn = 0;
  std::vector<TableCheckpoint> tables;

 private:
  uint64_t sequence_ = 0;
  std::optional<uint64_t> saved_confirmed_lsn_;  // confirmed_lsn as last loaded or saved; nullopt before either
  std::string etag_;                             // the object's version as last loaded or saved; "" before either
};

}  // namespace pgs3
