// CdcStream: the replication loop — pgoutput messages in, change files and checkpoints out (DESIGN.md §1 and §3).
//
//   ReplicationSource -> PgoutputDecoder -> one handler per message -> ChangeFileWriter (one per selected table,
//                                                                        or one TransactionFileWriter for all)
//                                                                        -> ObjectStore (files)
//                              ProgressLedger (journal intents, checkpoint) <- FileSummary of each committed file
//                              standby status update: flush = the ledger's confirmed_lsn()
//
// Routing: a change is routed by its relation OID to the writer of the selected table with that OID (the
// publication publishes partitions through their root, so a partitioned table's changes carry the root's OID). A
// relation that is not selected (a publication FOR ALL TABLES, or one shared with others) is ignored. Relation
// messages go to the table's writer, which starts a new file when the columns change (ALTER TABLE). With
// PreserveTransactions every selected table shares one writer of transaction files (sink/transaction_file_writer.h),
// whose durable position and statistics live in the checkpoint entry kTransactionFilesEntry (state/checkpoint.h).
//
// Positions and confirmation (invariants 2 and 3): every change has (commit LSN, seq); each committed file's
// summary goes to the ledger (state/progress_ledger.h), which alone moves checkpoint entries, computes the
// confirmable position from the writers' oldest pending commit LSNs and the processed end, and decides when to save.
// Only the confirmed_lsn of a saved checkpoint is ever sent to PostgreSQL as the flush position. Keepalives move the
// processed end when no transaction is open, so an idle slot does not hold WAL.
//
// Tables that change under the stream (task/table_watch.h): each Relation message is checked (a watched table
// renamed, or a selected table the task does not know: the stream stops, kBadInput, before writing any change of it),
// and with services.read_catalog the catalog is read every kCatalogCheckEvery, between messages (a DROP TABLE, which
// pgoutput never sends; a partition attached, detached or truncated). A dropped table is handled once the stream has
// received everything committed before the catalog showed it gone (the WAL insert position read with the catalog),
// outside a transaction: its writer is flushed, HandleSourceTableDropped applies (task/truncate_policy.h), its entry
// is marked dropped and a checkpoint saved; later changes of its OID (a replay) are ignored.
//
// TRUNCATE: the table's writer closes its file; the truncate policy (task/truncate_policy.h) removes the table's
// objects, and the truncate's position is checkpointed at once, so that a replay after a crash cannot remove files
// written after it.
//
// The store side runs off this thread (sink/upload_queue.h, target.uploadConcurrency workers): closed change files
// are uploaded, and checkpoints saved (one at a time, state/progress_ledger.h's begin/write/end_save), by workers,
// while the loop goes on reading, replying to keepalives and sending status updates. Each writer is a lane, so a
// table's files become durable in order; a file is durable, and its position checkpointable, only once the loop has
// collected its upload. When the queue is full (jobs or bytes held), the loop stops reading the source — back-
// pressure — but still sends a status update every second, so that wal_sender_timeout never fires however long S3
// is slow. Steps that must see every earlier file durable (a TRUNCATE's or a drop's policy, a checkpoint saved on
// the spot, finish()) first wait for the queue to drain, sending status updates meanwhile.
//
// Ending: run() returns when cancel_requested() (SIGTERM/SIGINT), when the stop condition is reached
// (task/stop_condition.h), or on an error. finish() then closes every open file (even inside a transaction:
// positions are per change, so a replay after a restart skips what was written), waits for the uploads, saves a
// checkpoint and confirms it. A failed upload (the stop's grace over: task/cancellation.h) is finish()'s error; what
// became durable before it is still checkpointed.
// A lost connection (kUnavailable) leaves the writers as they are: the caller calls finish(nullptr) and reconnects
// from the checkpoint.
//
// Not thread-safe: one thread runs the loop (the upload workers touch only their jobs).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "pg/catalog.h"
#include "pg/pgoutput_decoder.h"
#include "pg/replication_connection.h"
#include "pg/replication_source.h"
#include "rules/object_tagging.h"
#include "rules/table_selector.h"
#include "rules/task_config.h"
#include "sink/change_writer.h"
#include "sink/upload_queue.h"
#include "state/progress_ledger.h"
#include "store/object_store.h"
#include "task/heartbeat.h"
#include "task/stop_condition.h"
#include "task/table_watch.h"
#include "task/toast_warnings.h"
#include "task/value_warnings.h"

namespace pgs3 {

class MemoryBudget;
class TaskMetrics;
struct TableMetrics;

enum class CdcEnd { kCancelled, kStopPosition };

struct CdcStreamTotals {
  uint64_t changes = 0;  // row changes received (replays included)
  uint64_t transactions = 0;
  uint64_t files = 0;
  uint64_t checkpoints = 0;
};

// What the stream needs besides its configuration; every pointer may be null.
struct CdcStreamServices {
  MemoryBudget* memory_budget = nullptr;
  TaskMetrics* metrics = nullptr;
  // For a time stop position: the server's WAL insert position (task/stop_condition.h).
  StopCondition::WalInsertLsn wal_insert_lsn;
  // HeartbeatEnable: runs pg_logical_emit_message() on a normal connection (task/heartbeat.h).
  std::function<Status()> emit_heartbeat;
  // Where the writers' spill files go (ChangeWriterOptions::spill_directory); empty: $TMPDIR, or /tmp.
  std::string spill_directory;
  // The wall clock for file names and ages (ChangeWriterOptions::clock); default system_clock.
  std::function<std::chrono::system_clock::time_point()> wall_clock;
  // The store's retried requests by cause, for pgs3_retries_total (task/target_store.h: store_retry_counts()).
  std::function<std::vector<std::pair<std::string, uint64_t>>()> retry_counts;
  // The clock of the loop's cadences (polls, status updates, checkpoints); default steady_clock.
  std::function<std::chrono::steady_clock::time_point()> steady_clock;
  // Reads the catalog for the table watch (pg/catalog.h: read_catalog_snapshot() with these roots and known leaves,
  // check_new_leaves true). Null: no periodic check.
  std::function<Result<CatalogSnapshot>(const std::vector<uint32_t>& roots, const std::vector<uint32_t>& known_leaves)>
      read_catalog;
  // Whether a reload request waits (state/reload_requests.h); checked with the catalog, so it must not block: the
  // requests are polled off the loop (task/cdc_task.cc), since the loop never waits on the store. Null: never.
  std::function<bool()> reload_requested;
  // Tables of the checkpoint that were dropped while the task was stopped (no catalog columns: their remaining
  // changes are written as the Relation messages describe them, then HandleSourceTableDropped applies).
  std::vector<SourceTable> dropped_tables;
};

class CdcStream {
 public:
  // `config`, `store` and `ledger` must outlive the stream. The ledger's checkpoint is the task's loaded (or freshly
  // saved) one: its tables' durable positions are skipped through, its confirmed_lsn is where the stream starts.
  // `tables`: the selected tables (catalog columns, for the type mapping).
  CdcStream(const TaskConfig& config, ObjectStore& store, ProgressLedger& ledger,
            const std::vector<SourceTable>& tables, int money_fraction_digits, CdcStreamServices services = {});
  ~CdcStream();

  // The options for ReplicationConnection::start(): the slot, publication and start position, binary tuples when
  // the server (14+) and every selected column allow it.
  StartOptions start_options(int server_version_num) const;

  // Streams from `source` (already started with start_options()) until cancelled, the stop position, or an error.
  Result<CdcEnd> run(ReplicationSource& source);

  // Closes every open file and saves a checkpoint. Then, when `source` is given and streaming, confirms it and ends
  // streaming.
  Status finish(ReplicationSource* source);

  const CdcStreamTotals& totals() const { return totals_; }
  // The position processed in full (the end of the last transaction received, or the last keepalive's position).
  uint64_t processed_end_lsn() const { return processed_end_; }

 private:
  struct TableState;

  Status on_event(const ReplicationEvent& event, bool& reply);
  Status on_message(const PgoutputMessage& message);
  Status on_begin(const TransactionBegin& begin);
  Status on_commit(const TransactionCommit& commit);
  Status on_relation(const RelationDescriptor& relation);
  Status on_row(const PgoutputMessage& message);
  Status on_truncate(const TruncateChange& truncate);
  Status on_logical_message(const LogicalMessage& message);
  Status check_catalog();
  // A full-load-and-cdc task loads a table new to it (kRestart: its runner starts it again).
  CatalogCheckOptions catalog_options() const {
    return CatalogCheckOptions{.load_new_tables = config_.migration_type == MigrationType::kFullLoadAndCdc};
  }
  Status handle_dropped_tables();
  // Runs the done() of finished uploads and saves; the first failure of a checkpoint save is returned.
  Status collect_uploads();
  // Waits until no upload or save is outstanding, sending status updates meanwhile.
  Status drain_uploads();
  // Back-pressure: the queue is full; waits a little for it, keeping the walsender's timeout at bay.
  Status wait_for_uploads(ReplicationSource& source);
  void start_save();
  // A checkpoint was saved: totals and metrics.
  void count_checkpoint();

  std::vector<std::optional<uint64_t>> pending_commit_lsns() const;
  Status save_checkpoint();
  Status maybe_checkpoint(ReplicationSource& source, std::chrono::steady_clock::time_point now);
  Status send_status(ReplicationSource& source, bool reply_requested = false);
  void update_gauges();
  std::chrono::steady_clock::time_point steady_now() const;
  TableState* table_for(uint32_t oid);
  Result<TableState*> writer_for_relation(const RelationDescriptor& relation);
  ChangeWriterOptions writer_options(const TableState& state, TableMetrics* table_metrics);
  void resume(const EntryRef& entry, ChangeWriter& writer) const;

  const TaskConfig& config_;
  TableSelector selector_;
  ObjectStore& store_;
  ProgressLedger& ledger_;
  std::vector<SourceTable> tables_;
  int money_fraction_digits_;
  CdcStreamServices services_;
  StopCondition stop_at_;
  Heartbeat heartbeat_;
  ToastWarnings toast_warnings_;
  ValueWarnings value_warnings_;

  std::map<uint32_t, std::unique_ptr<TableState>> by_oid_;  // the selected tables' writers, created on first use
  std::unique_ptr<ChangeWriter> transaction_writer_;        // PreserveTransactions: every table's changes
  // Declared after the writers, so destroyed before them: no job outlives the writer it reports to.
  std::unique_ptr<UploadQueue> uploads_;
  ReplicationSource* source_ = nullptr;  // during run(): for status updates while waiting on uploads
  Status save_failure_;                  // a checkpoint save that failed on a worker
  PgoutputDecoder decoder_;
  PgoutputMessage message_;

  // The open transaction.
  bool in_transaction_ = false;
  int64_t commit_time_us_ = 0;
  std::vector<TableState*> touched_;  // writers that received a change of the open transaction

  uint64_t received_lsn_ = 0;   // the end of the WAL received (for the status update's write position)
  uint64_t processed_end_ = 0;  // see processed_end_lsn()
  bool stop_ = false;           // the stop position was reached
  std::chrono::steady_clock::time_point last_status_{};
  std::chrono::steady_clock::time_point last_poll_{};
  std::chrono::steady_clock::time_point last_catalog_check_{};
  bool catalog_failing_ = false;             // the last catalog reading failed (logged once per incident)
  std::set<uint32_t> roots_;                 // the partitioned tables among tables_
  std::map<uint32_t, uint64_t> dropped_at_;  // dropped tables not handled yet: OID -> the WAL insert LSN seen with it
  std::optional<int64_t> last_received_commit_us_;  // commit time of the open (or last) transaction received
  std::optional<int64_t> last_durable_commit_us_;   // commit time of the last change made durable
  CdcStreamTotals totals_;
};

}  // namespace pgs3
