// ChangeWriter: the change (CDC) files of a stream of row changes — decoded changes in, committed objects out. The
// part every kind of change file shares: positions, replay, transactions, rotation, the memory budget, statistics.
// Two kinds derive from it and say only where files go and what they are named:
//   ChangeFileWriter      (sink/change_file_writer.h)       one table's files, <BucketFolder>/<schema>/<table>/...
//   TransactionFileWriter (sink/transaction_file_writer.h)  PreserveTransactions: every table's changes in stream
//                                                           order, <BucketFolder>/<CdcPath>/CDC_TXN-...
// Rows are shaped as DMS writes them (sink/dms_row_shape.h: Op column, key change as D + U, CdcInsertsOnly /
// CdcInsertsAndUpdates, unchanged TOAST); bytes are encoded, staged and committed by a RollingObjectWriter
// (sink/rolling_object_writer.h, staged: S3 takes user metadata at creation and the position range is known only at
// close).
//
// The replication loop hands it each table's Relation descriptors, the row changes (with their transaction's commit
// time), the end of each transaction that touched it, and TRUNCATEs.
//
// Files and rotation. One file is open at a time. A file is opened by the first change written to it; its key's
// timestamp is that moment on the writer's clock. It is closed — committed to the store — when, at the end of a
// transaction (end_transaction(), or a change of a later transaction) or in poll(), it has reached CdcMinFileSize KB
// or is CdcMaxBatchInterval seconds old, whichever comes first (DMS: "the file write is triggered by whichever
// parameter condition is met first"). Size and age close a file only between transactions, so a file holds whole
// transactions and readers never see half a transaction; a transaction that runs long is closed at its end. Three
// things close a file inside a transaction: a schema change (a table's new Relation descriptor that differs from its
// current one: a column added, dropped, renamed, retyped, a key or replica-identity change, or a table rename — new
// files then go under the new name), a TRUNCATE, and reaching max_file_bytes (MaxFileSize by default: DMS's bound on a
// file's size; memory is bounded by the budget below, not by this). Exactly-once does not depend on transaction
// boundaries: positions are per change.
//
// TRUNCATE: DMS applies a truncate to an S3 target by removing the table's files and folders (with
// HandleSourceTableTruncated), not by writing rows. The writer writes nothing for it: it closes the current file, so
// that the changes before and after the truncate are in different files, and counts it; what to do with the
// objects is the caller's policy (task/truncate_policy.h).
//
// Positions and durability (DESIGN.md §3). Every file records the range of positions it holds, first and last
// (commit_lsn, seq) as "0/16B6C50:3", in its Parquet key-value metadata (pgs3.position.first, pgs3.position.last,
// with pgs3.version) and in S3 user metadata (pgs3-position-first, ...). options.before_upload is called with the
// file's summary just before its object is created (a journal intent), options.after_commit right after the commit.
// durable_position() is the position of the last change in a committed file (or the skip_through() position,
// whichever is higher); oldest_pending_commit_lsn() is the commit LSN of the oldest change not in a committed file
// (a file being uploaded, or the open file) — the confirmed flush LSN must stay below it (invariant 3).
//
// Uploads (options.uploads, sink/upload_queue.h): a file that closes is sealed (its bytes and metadata fixed,
// sink/sealed_object.h) and handed to the queue, with before_upload run on the worker just before the object is
// created; the writer goes on with its next file at once. Its durable position, statistics, last_file() and
// after_commit move when the queue's collect() reports the upload done; a failed upload fails the writer, and none
// of its later files is uploaded (a restart would adopt them and skip the failed file's changes). Sealed files
// still count in memory_bytes() (what they hold in memory) until then, and spill() moves those whose upload has not
// started to spill files. Without a queue the upload happens
// inside the call that closes the file. Changes at or below the highest position already seen
// (skip_through(), or a change already written: a stream resumed after a reconnect resends transactions that are not
// confirmed) are dropped and counted (stats().replayed), so nothing is written twice.
//
// Memory (DESIGN.md §3 invariant 5): one open file — its encoded bytes (staged until it closes, at most about
// CdcMinFileSize plus one transaction's rows, and never more than max_file_bytes), the encoder's open row group
// (RowGroupLength rows for Parquet; the encoder's estimate, and the footer metadata of its row groups), up to
// staging_rows decoded rows (or staging_bytes of them), and the closed files waiting for their upload; memory_bytes()
// is their sum. With options.memory_budget, the writer registers with the budget (sink/memory_budget.h) and reports
// memory_bytes() after every change; when the budget asks (spill()), the writer hands its staged decoded rows to the
// encoder and moves its staged encoded bytes to a spill file in options.spill_directory, where the rest of the file
// then goes (unless they are no more than a spill file's write buffer, SpillFile::kBufferBytes: that would free
// nothing). Each spilled open file holds one file descriptor. The encoder's open row group is closed early and moved
// with them once it is large enough (min_early_row_group_bytes(); Parquet then has shorter row groups; no value
// changes); a smaller one stays in memory and counted. A spill that fails fails the writer with an error naming the
// directory or file. Without a budget the whole open file stays in memory: give one in production.
//
// Errors: a malformed change (wrong relation, wrong column count, undecodable value), a failure of the store or of a
// spill (also one the memory budget asked for while another writer was reporting) fails the writer: the open file is
// discarded (never committed, so its changes are not durable), oldest_pending_commit_lsn() keeps the commit LSN of
// the oldest change lost, and every later call (poll() too) returns the same error.
//
// Not thread-safe: one thread (the replication loop) drives a writer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/file_encoder.h"
#include "model/change.h"
#include "model/column.h"
#include "model/file_summary.h"
#include "pg/catalog.h"
#include "rules/task_config.h"
#include "sink/change_file_name.h"
#include "sink/dms_row_shape.h"
#include "sink/memory_budget.h"
#include "sink/rolling_object_writer.h"
#include "sink/upload_queue.h"
#include "store/object_store.h"

namespace pgs3 {

struct ChangeWriterOptions {
  // The source's money fraction digits (money_fraction_digits(conn)), as for the full load.
  int money_fraction_digits = 2;
  // The catalog's columns of the table (list_tables()), so that domains, enums and citext map as the full load maps
  // them and NOT NULL key columns stay REQUIRED (see RowShapeOptions::catalog_columns). A transaction-file writer
  // takes them per table, in set_relation().
  std::vector<SourceColumn> catalog_columns;
  // Tags (and any other metadata) for every file; the writer adds its position metadata.
  ObjectOptions object_options;
  // The wall clock, for file names and the age of the open file. Default: std::chrono::system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock;
  // A file whose estimated size reaches this many bytes is closed even inside a transaction. 0 (the default):
  // S3Settings::max_file_size_kb * 1024 (MaxFileSize).
  uint64_t max_file_bytes = 0;
  // Decoded rows held before they are handed to the encoder: at most this many, and at most staging_bytes of
  // values (wide rows: 1024 rows of 2 kB would be 2 MB per table).
  size_t staging_rows = 1024;
  size_t staging_bytes = 256 * 1024;
  // Called with the file just before its object is created, e.g. to record a journal intent
  // (state/progress_ledger.h). A failure fails the writer and nothing is uploaded.
  std::function<Status(const FileSummary& file)> before_upload;
  // Called with the file right after its object is committed (last_file() is then that file).
  std::function<void(const FileSummary& file)> after_commit;
  // The task's memory budget, shared by all its writers; it must outlive the writer. Null: no budget.
  MemoryBudget* memory_budget = nullptr;
  // Where spill files go (created when missing). Empty: $TMPDIR, or /tmp.
  std::string spill_directory;
  // Under REPLICA IDENTITY FULL: the names of the table's key columns (RowShapeOptions::full_identity_key_columns).
  std::vector<std::string> identity_full_key_columns;
  // Where closed files are uploaded (sink/upload_queue.h; the writer is its own lane, so its files become durable in
  // order). Null: on the caller's thread, before close returns.
  UploadQueue* uploads = nullptr;
};

struct ChangeWriterStats {
  uint64_t files = 0;    // files committed
  uint64_t bytes = 0;    // bytes committed
  uint64_t rows = 0;     // rows in committed files
  uint64_t inserts = 0;  // rows written (open file included), by operation
  uint64_t updates = 0;  // key-changing UPDATEs included
  uint64_t deletes = 0;
  uint64_t key_updates = 0;            // key-changing UPDATEs written as a D row and a U row (also counted in updates)
  uint64_t filtered = 0;               // changes dropped by CdcInsertsOnly / CdcInsertsAndUpdates
  uint64_t replayed = 0;               // changes and truncates dropped because their position was already seen
  uint64_t truncates = 0;              // TRUNCATEs
  uint64_t schema_changes = 0;         // Relation descriptors that differed from the table's previous one
  uint64_t unchanged_toast_nulls = 0;  // unchanged TOAST values written as NULL (all columns)
};

// Private MemoryConsumer: the budget calls memory_bytes() and spill(), which are also public.
class ChangeWriter : private MemoryConsumer {
 public:
  // spill() closes the encoder's open row group early once it holds a quarter of the budget's share per table
  // (MemoryBudget::share_bytes()), within these bounds: each row group's footer metadata stays in memory until its
  // file closes, so smaller ones would trade data for metadata; with many tables a small budget still holds every
  // table's open row group. Below it, an open row group stays in memory and counted.
  static constexpr uint64_t kMinEarlyRowGroupBytes = 256 * 1024;
  static constexpr uint64_t kMinEarlyRowGroupFloorBytes = 32 * 1024;
  // A file whose footer metadata (the row groups the budget closed early) reaches this closes at the next end of a
  // transaction, like one that reached CdcMinFileSize: the metadata of many short row groups is not held longer. So
  // does a file that still holds more than the table's share of the budget after a spill (its spill buffer and
  // footer): with many tables under a small budget, files are then smaller, and memory stays bounded.
  static constexpr uint64_t kMaxFooterBytes = 128 * 1024;

  ~ChangeWriter() override;  // discards the open file (not committed: its changes are not durable)
  ChangeWriter(const ChangeWriter&) = delete;
  ChangeWriter& operator=(const ChangeWriter&) = delete;

  // A table's descriptor, from each Relation message (the first one before any change of the table). A descriptor
  // equal to the table's current one changes nothing; a different one closes the open file, and the next file has
  // the new columns (and, after a rename, the new names). `catalog_columns` (may be null: the options') are the
  // table's catalog columns.
  Status set_relation(const RelationDescriptor& relation, const std::vector<SourceColumn>* catalog_columns = nullptr);

  // One INSERT, UPDATE or DELETE (its Relation descriptor must have been set). `commit_time_us`: its transaction's
  // commit time, TransactionBegin::commit_time_us. A change of a later transaction than the open one ends the open
  // one first (see end_transaction).
  Status append(const RowChange& change, int64_t commit_time_us);

  // The end of the transaction whose commit LSN is `commit_lsn` (TransactionCommit::commit_lsn). Call it for each
  // writer that received changes in the transaction (calling it for others is harmless). Closes the open file when
  // it has reached CdcMinFileSize or CdcMaxBatchInterval.
  Status end_transaction(uint64_t commit_lsn);

  // A TRUNCATE: closes the open file, writes nothing, counts it.
  Status truncate(const TruncateChange& truncate);

  // Closes the open file if it is outside a transaction and has reached CdcMaxBatchInterval (by `now`) or
  // CdcMinFileSize. Call it regularly, so that a quiet table's changes become durable.
  Status poll(std::chrono::system_clock::time_point now);

  // Closes the open file whatever its size and age, even inside a transaction (shutdown, or before a checkpoint).
  // With options.uploads the file is then on its way: durable once uploading() is false (UploadQueue::collect()).
  Status flush();
  // Files closed and handed to options.uploads whose upload has not been collected yet.
  bool uploading() const { return !in_flight_.empty(); }
  // The first failure (ok while none): a failed upload is reported here, and by every later call.
  const Status& status() const { return status_; }

  // Discards the open file (and removes its spill file); committed files stay. The writer can go on (the discarded
  // changes are lost to it: the caller must restart the stream from the durable position).
  void abort();

  uint64_t memory_bytes() const override;
  Status spill() override;

  // Changes at or below `position` are dropped (replay after a restart: the checkpointed position, DESIGN.md §3.2).
  // Raises durable_position() to `position`.
  void skip_through(const ChangePosition& position);
  // Makes later file names sort after `file_name` (the newest file found in the target). False when it is not a
  // change-file name.
  bool order_after(std::string_view file_name) { return namer_.observe(file_name); }

  std::optional<ChangePosition> durable_position() const { return durable_; }
  // The commit LSN of the oldest change not yet in a committed file; nullopt when every change is. A failed writer
  // keeps reporting the oldest change it lost, so that no checkpoint confirms past it (invariant 3).
  std::optional<uint64_t> oldest_pending_commit_lsn() const;
  bool in_transaction() const { return open_txn_.has_value(); }

  const ChangeWriterStats& stats() const { return stats_; }
  // Unchanged TOAST values written as NULL, by column (DmsRowShape names them).
  const std::map<std::string, uint64_t>& unchanged_toast_nulls() const { return toast_nulls_.by_column; }
  const std::optional<FileSummary>& last_file() const { return last_file_; }
  // The key of the open file, if any (it does not exist in the store until it closes).
  std::optional<std::string> open_file_key() const;
  bool open_file_spilled() const { return file_.spilled(); }
  // The shape of relation `oid`'s rows, null before its descriptor.
  const DmsRowShape* shape_of(uint32_t oid) const;
  // The output columns of the last descriptor set (leading Op / timestamp columns included).
  const std::vector<ColumnSpec>& schema() const;

 protected:
  // `settings` are the writer's own (a transaction-file writer's say csv). `mixed_tables`: one file holds rows of
  // several tables (DmsRowShape's table_name columns; the encoder takes each batch's columns).
  ChangeWriter(ObjectStore& store, const S3Settings& settings, ChangeWriterOptions options, bool mixed_tables);

  const S3Settings& settings() const { return settings_; }
  ChangeFileNamer& namer() { return namer_; }

 private:
  // Where the kind's files go: the key of a file opened at `opened_at` by a change of `shape` committed at
  // `commit_time_us`.
  virtual std::string file_key(std::chrono::system_clock::time_point opened_at, const DmsRowShape& shape,
                               int64_t commit_time_us) = 0;
  // Key-value metadata of the kind, besides version and positions (`shape`: the last change's).
  virtual void add_file_metadata(const DmsRowShape& shape, KeyValueMetadata& metadata) const = 0;

  Status append_change(const RowChange& change, int64_t commit_time_us);
  Status use_shape(DmsRowShape& shape);
  Status open_file(DmsRowShape& shape, const RowChange& change, int64_t commit_time_us);
  Status close_file();
  Status close_if_due(std::chrono::system_clock::time_point now);
  Status report_memory();
  void report_spill_progress();
  // How large the open row group must be for spill() to close it early (see kMinEarlyRowGroupBytes).
  uint64_t min_early_row_group_bytes() const;
  Status flush_staged_rows();
  uint64_t estimated_size() const;
  Status fail(Status status);
  void on_uploaded(const Status& status);
  std::chrono::system_clock::time_point now() const;
  void count(const RowChange& change, bool key_change);

  const S3Settings settings_;
  const bool mixed_tables_;
  ChangeWriterOptions options_;
  bool include_op_;
  ChangeFileNamer namer_;
  RollingObjectWriter file_;

  std::map<uint32_t, std::unique_ptr<DmsRowShape>> shapes_;  // by relation OID
  DmsRowShape* shape_ = nullptr;                             // the shape of the rows in rows_: the last change's table
  DmsRowShape* last_set_ = nullptr;                          // the shape of the last set_relation()

  // The open file.
  RecordBatch rows_;  // decoded rows not yet handed to the encoder
  std::chrono::system_clock::time_point opened_at_;
  FileSummary open_;                   // what the open file holds so far (key, positions, counts)
  uint64_t spill_bytes_reported_ = 0;  // of the open file's spill file, told to the memory budget
  bool spill_file_reported_ = false;
  bool crowding_ = false;  // after a spill, the open file held more than its share of the budget (spill())

  std::optional<uint64_t> open_txn_;          // commit LSN of a transaction that gave a change and has not ended
  std::optional<ChangePosition> high_water_;  // highest position seen (or skipped through)
  std::optional<ChangePosition> durable_;
  int64_t timestamp_for_us_ = 0;  // the commit time whose text is in timestamp_text_
  std::string timestamp_text_;

  Status status_;                          // the first failure; every later call returns it
  std::optional<uint64_t> lost_from_;      // after a failure: the commit LSN of the oldest change lost
  std::optional<uint64_t> appending_lsn_;  // during append(): the change's commit LSN
  ChangeWriterStats stats_;
  ToastNullCounts toast_nulls_;
  std::optional<FileSummary> last_file_;
  // Closed files handed to options.uploads, oldest first (the queue finishes a lane's jobs in order).
  struct InFlight {
    FileSummary file;
    std::shared_ptr<SealedObject> object;  // shared with the upload job
  };
  std::deque<InFlight> in_flight_;
  uint64_t in_flight_memory() const;
  std::shared_ptr<std::atomic<bool>> upload_failed_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace pgs3
