// CdcStream: the replication loop — pgoutput messages in, change files and checkpoints out (DESIGN.md §1 and §3).
//
//   ReplicationConnection -> PgoutputDecoder -> route by relation OID -> ChangeFileWriter (one per selected table)
//                                                                         -> ObjectStore (files, journal intents)
//                                                     checkpoint <- durable positions <-+
//                                                     standby status update (flush = the checkpoint's confirmed_lsn)
//
// Routing: a change is routed by its relation OID to the writer of the selected table with that OID (the
// publication publishes partitions through their root, so a partitioned table's changes carry the root's OID). A
// relation that is not selected (a publication FOR ALL TABLES, or one shared with others) is ignored. Relation
// messages go to the table's writer, which starts a new file when the columns change (ALTER TABLE). With
// PreserveTransactions every selected table shares one writer of transaction files (task/change_file_writer.h), whose
// durable position and statistics live in the checkpoint entry kTransactionFilesEntry (task/checkpoint.h).
//
// Positions and confirmation (invariants 2 and 3): every change has (commit LSN, seq); writers report the position
// durable in the target and the commit LSN of their oldest change not yet durable. A checkpoint is saved when a
// file was committed (at most once a second), after a TRUNCATE's objects were removed, and every 10 seconds when
// the confirmable position moved; only the confirmed_lsn of a saved checkpoint is ever sent to PostgreSQL as the
// flush position. Keepalives move the confirmable position when no transaction is open, so an idle slot does not
// hold WAL. The journal's intents are released after each save (task/file_journal.h).
//
// TRUNCATE: the table's writer closes its file; with HandleSourceTableTruncated (the default) every object under the
// table's prefix is then removed (LOAD and change files: what the table held before the truncate) and a checkpoint
// records the truncate's position at once, so that a replay after a crash cannot remove files written after it.
//
// Ending: run() returns when cancel_requested() (SIGTERM/SIGINT), when the CdcStopPosition is reached, or on an
// error. finish() then closes every open file (even inside a transaction: positions are per change, so a replay
// after a restart skips what was written), saves a checkpoint and confirms it. A lost connection (kUnavailable)
// leaves the writers as they are: the caller calls finish_files() and reconnects from the checkpoint.
//
// Not thread-safe: one thread runs the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "pg/catalog.h"
#include "pg/pgoutput_decoder.h"
#include "pg/replication_connection.h"
#include "rules/cdc_stop_position.h"
#include "rules/object_tagging.h"
#include "rules/task_config.h"
#include "store/object_store.h"
#include "task/change_file_writer.h"
#include "task/checkpoint.h"
#include "task/file_journal.h"

namespace pgs3 {

class MemoryBudget;
class PgConnection;
class TaskMetrics;
struct TableMetrics;

enum class CdcEnd { kCancelled, kStopPosition };

struct CdcStreamTotals {
  uint64_t changes = 0;  // row changes received (replays included)
  uint64_t transactions = 0;
  uint64_t files = 0;
  uint64_t checkpoints = 0;
};

class CdcStream {
 public:
  // `config`, `store`, `checkpoint` and `journal` must outlive the stream. `checkpoint` is the task's loaded (or
  // freshly saved) checkpoint: its tables' durable positions are skipped through, its confirmed_lsn is where the
  // stream starts. `tables`: the selected tables (catalog columns, for the type mapping).
  CdcStream(const TaskConfig& config, ObjectStore& store, std::string state_prefix, Checkpoint& checkpoint,
            FileJournal& journal, const std::vector<SourceTable>& tables, int money_fraction_digits,
            MemoryBudget* memory_budget, TaskMetrics* metrics);
  ~CdcStream();

  // The options for StartReplicationConnection::start(): the slot, publication and start position, binary tuples
  // when the server (14+) and every selected column allow it.
  StartOptions start_options(int server_version_num) const;

  // Streams from `conn` (already started with start_options()) until cancelled, the stop position, or an error.
  // `heartbeat`, when not null, is a normal connection on which pg_logical_emit_message() runs every
  // HeartbeatFrequency minutes.
  Result<CdcEnd> run(ReplicationConnection& conn, PgConnection* heartbeat);

  // Closes every open file and saves a checkpoint. Then, when `conn` is given and streaming, confirms it and ends
  // streaming.
  Status finish(ReplicationConnection* conn);

  const CdcStreamTotals& totals() const { return totals_; }
  // The position processed in full (the end of the last transaction received, or the last keepalive's position).
  uint64_t processed_end_lsn() const { return processed_end_; }

 private:
  struct TableState;

  Status on_message(const PgoutputMessage& message);
  Status on_truncate(const TruncateChange& truncate);
  Status maybe_checkpoint(ReplicationConnection& conn, std::chrono::steady_clock::time_point now, bool force);
  Status save_checkpoint();
  Status send_status(ReplicationConnection& conn, bool reply_requested = false);
  bool stop_reached_at_begin(const TransactionBegin& begin) const;
  bool stop_reached_idle(const ReplicationEvent& event);
  void heartbeat(PgConnection* conn, std::chrono::steady_clock::time_point now);
  void update_gauges();
  TableState* table_for(uint32_t oid);
  Result<TableState*> writer_for_relation(const RelationDescriptor& relation);
  Result<std::unique_ptr<ChangeFileWriter>> make_writer(const TableState& state, TableMetrics* table_metrics,
                                                        ObjectTags tags,
                                                        std::vector<std::string> identity_full_key_columns);

  const TaskConfig& config_;
  ObjectStore& store_;
  std::string state_prefix_;
  Checkpoint& checkpoint_;
  FileJournal& journal_;
  std::vector<SourceTable> tables_;
  int money_fraction_digits_;
  MemoryBudget* memory_budget_;
  TaskMetrics* metrics_;  // may be null
  CdcStopPosition stop_at_;

  std::map<uint32_t, std::unique_ptr<TableState>> by_oid_;  // the selected tables' writers, created on first use
  std::unique_ptr<ChangeFileWriter> transaction_writer_;     // PreserveTransactions: every table's changes
  std::map<const ChangeFileWriter*, uint64_t> toast_nulls_warned_;  // unchanged TOAST NULLs when last warned
  PgoutputDecoder decoder_;
  PgoutputMessage message_;

  // The open transaction.
  bool in_transaction_ = false;
  int64_t commit_time_us_ = 0;
  std::vector<TableState*> touched_;  // writers that received a change of the open transaction

  uint64_t received_lsn_ = 0;   // the end of the WAL received (for the status update's write position)
  uint64_t processed_end_ = 0;  // see processed_end_lsn()
  bool dirty_ = false;          // a file was committed (or objects removed) since the last checkpoint
  bool stop_ = false;           // the stop position was reached
  std::chrono::steady_clock::time_point last_checkpoint_{};
  std::chrono::steady_clock::time_point last_status_{};
  std::chrono::steady_clock::time_point last_poll_{};
  std::chrono::steady_clock::time_point last_heartbeat_{};
  bool heartbeat_warned_ = false;
  // A time stop position: the server's WAL insert position read once its clock passed the stop time; the stream
  // ends when it has sent everything up to there.
  std::optional<uint64_t> time_stop_lsn_;
  std::unique_ptr<PgConnection> sql_;  // a normal connection for that query, opened when needed
  std::optional<int64_t> last_received_commit_us_;  // commit time of the open (or last) transaction received
  std::optional<int64_t> last_durable_commit_us_;   // commit time of the last change made durable
  CdcStreamTotals totals_;
};

}  // namespace pgs3
