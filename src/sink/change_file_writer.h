// ChangeFileWriter: the change (CDC) files of one table — decoded row changes in, committed objects out.
//
// The replication loop hands it the table's Relation descriptors, its row changes (with their transaction's commit
// time), the end of each transaction that touched it, and TRUNCATEs; it writes DMS-shaped change files
// (change_file_name.h for the key) and reports which position is durable.
//
// Rows (AWS DMS User Guide, "Using Amazon S3 as a target"):
//   Op                   "I", "U" or "D" (a string column). Left out when CdcInsertsOnly or CdcInsertsAndUpdates is
//                        set and IncludeOpForFullLoad is not: DMS then writes "CDC records ... without an indication
//                        of INSERT or UPDATE operations". DMS documents that interplay "for .csv format only"; pgs3
//                        applies it to Parquet too, so that LOAD and change files of a table keep one column layout.
//   <TimestampColumnName> when set: the transaction's commit time, "yyyy-MM-dd HH:mm:ss.SSSSSS" in UTC (DMS: "For a
//                        CDC load, each row ... contains the timestamp for the commit of that row").
//   the table's columns  mapped as the full load maps them (pg/type_mapping.h, through pg::TupleDecoder), in the
//                        Relation message's column order.
// INSERT and UPDATE rows carry the new row; DELETE rows carry the old replica-identity (key) values — the whole old
// row under REPLICA IDENTITY FULL — and NULL in every other column. Hence in change files every non-key column is
// OPTIONAL (nullable), even when it is NOT NULL in the source (and REQUIRED in the LOAD files); key columns keep the
// source's nullability (known only when the catalog's columns are given, otherwise OPTIONAL too).
// CdcInsertsOnly keeps only inserts; CdcInsertsAndUpdates keeps inserts and updates. Dropped changes are counted
// (stats().filtered).
//
// An UPDATE that changes the key is written as two rows with the same position: first a "D" row carrying the old key
// (as a DELETE row: the whole old row under REPLICA IDENTITY FULL), then a "U" row with the new row. A reader that
// applies rows in order — I inserts, U replaces the row with the U row's key (or inserts it), D deletes by key —
// therefore rebuilds the table; with a "U" row alone the row under the old key would stay. An UPDATE changes the key
// when a key column's old and new values differ (their bytes as the source sent them; a NULL differs from a value;
// an unchanged TOAST value is unchanged). Which columns are the key:
//   REPLICA IDENTITY DEFAULT / INDEX  the descriptor's is_key columns. pgoutput sends the old key ('K') only when it
//                                     may have changed, so an UPDATE without old values changes no key.
//   REPLICA IDENTITY FULL             options.identity_full_key_columns when given. Otherwise the descriptor's is_key
//                                     columns — unless every column is flagged, which is what pgoutput sends under
//                                     FULL (proto.c, logicalrep_write_attrs: "REPLICA IDENTITY FULL means all columns
//                                     are sent as part of key") and so names no key: every UPDATE is then written as
//                                     one "U" row, as when the table has no key columns at all.
// Such an UPDATE counts as one update (stats().updates, FileSummary::updates) plus one key_updates; a file has
// rows = inserts + updates + deletes + key_updates. CdcInsertsOnly drops both rows (one filtered change);
// CdcInsertsAndUpdates keeps only the "U" row (counted as an update, not as a key update).
//
// Unchanged TOAST values (pgoutput 'u': an out-of-line value the UPDATE did not change, which the source does not
// send) are taken from the old tuple when it holds the column: always under REPLICA IDENTITY FULL, and for key
// columns when the old key was sent. Otherwise the value is written as NULL and counted, per column
// (unchanged_toast_nulls()): the caller warns, naming the table and columns and the fix (REPLICA IDENTITY FULL).
// Such a value in a REQUIRED key column cannot be written as NULL: kDataError.
//
// Files and rotation. One file is open at a time. A file is opened by the first change written to it; its key's
// timestamp is that moment on the writer's clock, and its date folder (DatePartitionEnabled) the commit date of that
// first change. It is closed — committed to the store — when, at the end of a transaction (end_transaction(), or a
// change of a later transaction) or in poll(), it has reached CdcMinFileSize KB or is CdcMaxBatchInterval seconds
// old, whichever comes first (DMS: "the file write is triggered by whichever parameter condition is met first").
// Size and age close a file only between transactions, so a file holds whole transactions of the table and readers
// never see half a transaction; a transaction that runs long is closed at its end. Three things close a file
// inside a transaction: a schema change (a new Relation descriptor that differs from the current one: a column
// added, dropped, renamed, retyped, a key or replica-identity change, or a table rename — new files then go under
// the new name), a TRUNCATE, and reaching max_file_bytes (MaxFileSize by default: DMS's bound on a file's size;
// memory is bounded by the budget below, not by this). Exactly-once does not depend on transaction boundaries:
// positions are per change.
//
// TRUNCATE: DMS applies a truncate to an S3 target by removing the table's files and folders (with
// HandleSourceTableTruncated), not by writing rows. This writer writes nothing for it: it closes the current file,
// so that the changes before and after the truncate are in different files, and counts it (stats().truncates); what
// to do with the table's objects is the caller's policy.
//
// Positions and durability (DESIGN.md §3). Every file records the range of positions it holds, first and last
// (commit_lsn, seq) as "0/16B6C50:3", in its Parquet key-value metadata (pgs3.position.first, pgs3.position.last,
// with pgs3.version, pgs3.source.schema, pgs3.source.table as the LOAD files) and in S3 user metadata (the same
// names with '-' for '.': pgs3-position-first, ...; values percent-encoded outside printable ASCII, since HTTP
// headers carry ASCII only). Because S3 takes user metadata when an object is created and the last position is
// known only when the file closes, a file's bytes are staged (task/staged_output.h: in memory, or in a local spill
// file once the memory budget asked) and the object is created, written (in appends of at most kUploadChunkBytes,
// from memory or from the spill file) and committed when the file closes; options.after_commit is then called.
// durable_position() is the position of the last change in a committed file (or the skip_through() position,
// whichever is higher); oldest_pending_commit_lsn() is the commit LSN of the oldest change in the open file — the
// confirmed flush LSN must stay below it (invariant 3). Changes at or below the highest
// position already seen (skip_through(), or a change already written: a stream resumed after a reconnect resends
// transactions that are not confirmed) are dropped and counted (stats().replayed), so nothing is written twice.
//
// Memory (DESIGN.md §3 invariant 5): one open file — its encoded bytes (staged until it closes, at most about
// CdcMinFileSize plus one transaction's rows of this table, and never more than max_file_bytes — MaxFileSize by
// default — past which the file closes even inside a transaction), the encoder's open row group (RowGroupLength rows
// for Parquet; the encoder's estimate) and up to staging_rows decoded rows; memory_bytes() is their sum. With
// options.memory_budget, the writer registers with the budget (task/memory_budget.h) and reports memory_bytes()
// after every change; when the budget asks (spill()), the writer hands its staged decoded rows to the encoder and
// moves its staged encoded bytes to a spill file in options.spill_directory, where the rest of the file then goes
// (unless they are no more than a spill file's write buffer, SpillFile::kBufferBytes: that would free nothing). Each
// spilled open file holds one file descriptor.
// The encoder's open row group stays in memory (FileEncoder has no way to end a row group early; it is bounded by
// RowGroupLength rows) and stays counted. Spilling changes no byte of the file. A spill that fails (the directory
// cannot be created, the disk is full) fails the writer with an error naming the directory or file. Without a budget
// the whole open file stays in memory: give one in production.
//
// Errors: a malformed change (wrong relation, wrong column count, undecodable value) or a failure of the store
// fails the writer: the open file is discarded (never committed, so its changes are not durable and
// oldest_pending_commit_lsn() keeps holding the flush LSN back) and every later call returns the same error.
//
// Transaction files (S3Settings::preserve_transactions; AWS DMS User Guide, "Capturing data changes (CDC) including
// transaction order on the S3 target"). One writer takes the changes of every table, in the order the stream
// delivers them (commit order, and statement order within a transaction), and writes them to files
// <BucketFolder>/<CdcPath>/CDC_TXN-<yyyymmddhhmmssfff>.csv, always CSV (DMS: "AWS DMS always stores the row changes in
// .csv files regardless of the value of the DataFormat S3 setting"; CompressionType, CsvDelimiter, CsvRowDelimiter,
// CsvNullValue and Rfc4180 apply). Each row is "operation,table_name,database_schema_name,field_value,..." as DMS
// documents it: Op, the table, its schema, the commit time when TimestampColumnName is set, then the table's
// columns (so rows of different tables have different numbers of values). The Op column is always written. Every
// table's Relation descriptor goes to set_relation(); a table's changed descriptor closes the open file as above, so
// that within a file each table has one column layout. Rotation, positions, durability, memory and errors are as for
// a table's files; the files carry no pgs3.source.* metadata.
//
// Not thread-safe: one thread (the replication loop) drives a writer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/output_stream.h"
#include "base/status.h"
#include "format/file_encoder.h"
#include "model/change.h"
#include "model/column.h"
#include "model/file_summary.h"
#include "pg/catalog.h"
#include "rules/task_config.h"
#include "store/object_store.h"
#include "sink/change_file_name.h"
#include "sink/memory_budget.h"
#include "sink/staged_output.h"

namespace pgs3 {

class TupleDecoder;  // pg/pgoutput_decoder.h

struct ChangeFileWriterOptions {
  // The source's money fraction digits (money_fraction_digits(conn)), as for the full load.
  int money_fraction_digits = 2;
  // The catalog's columns of the table (list_tables()), so that domains, enums and citext map as the full load maps
  // them and NOT NULL key columns stay REQUIRED. A catalog column is used only while its name, type OID and typmod
  // match the Relation message's column (after an ALTER TABLE the catalog may be stale). Empty: map by type OID.
  std::vector<SourceColumn> catalog_columns;
  // Tags (and any other metadata) for every file; the writer adds its position metadata.
  ObjectOptions object_options;
  // The wall clock, for file names and the age of the open file. Default: std::chrono::system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock;
  // A file whose estimated size reaches this many bytes is closed even inside a transaction. 0 (the default):
  // S3Settings::max_file_size_kb * 1024 (MaxFileSize).
  uint64_t max_file_bytes = 0;
  // Decoded rows held before they are handed to the encoder.
  size_t staging_rows = 1024;
  // Called with the file just before its object is created, e.g. to record a FileJournal intent
  // (task/file_journal.h). A failure fails the writer and nothing is uploaded.
  std::function<Status(const FileSummary& file)> before_upload;
  // Called with the file right after its object is committed (last_file() is then that file).
  std::function<void(const FileSummary& file)> after_commit;
  // The task's memory budget, shared by all its writers; it must outlive the writer. Null: no budget (the open file
  // stays in memory).
  MemoryBudget* memory_budget = nullptr;
  // Where spill files go (created when missing). Empty: $TMPDIR, or /tmp.
  std::string spill_directory;
  // Under REPLICA IDENTITY FULL: the names of the table's key columns (its primary key, or the unique index a reader
  // keys on), which tell a key-changing UPDATE from another (see the header comment). Unused under other identities.
  std::vector<std::string> identity_full_key_columns;
};

struct ChangeFileWriterStats {
  uint64_t files = 0;    // files committed
  uint64_t bytes = 0;    // bytes committed
  uint64_t rows = 0;     // rows in committed files
  uint64_t inserts = 0;  // rows written (open file included), by operation
  uint64_t updates = 0;  // key-changing UPDATEs included
  uint64_t deletes = 0;
  uint64_t key_updates = 0;            // key-changing UPDATEs written as a D row and a U row (also counted in updates)
  uint64_t filtered = 0;               // changes dropped by CdcInsertsOnly / CdcInsertsAndUpdates
  uint64_t replayed = 0;               // changes and truncates dropped because their position was already seen
  uint64_t truncates = 0;              // TRUNCATEs of the table
  uint64_t schema_changes = 0;         // Relation descriptors that differed from the previous one
  uint64_t unchanged_toast_nulls = 0;  // unchanged TOAST values written as NULL (all columns)
};

// Private MemoryConsumer: the budget calls memory_bytes() and spill(), which are also public.
class ChangeFileWriter : private MemoryConsumer {
 public:
  // Bytes handed to the store per ObjectWriter::append() when a file is uploaded.
  static constexpr size_t kUploadChunkBytes = 8 << 20;

  // `store` (and options.memory_budget) must outlive the writer. Nothing is written before the first change. With
  // settings.preserve_transactions it writes the transaction files of all tables (see above).
  ChangeFileWriter(ObjectStore& store, const S3Settings& settings, ChangeFileWriterOptions options = {});
  ~ChangeFileWriter() override;  // discards the open file (not committed: its changes are not durable)

  ChangeFileWriter(const ChangeFileWriter&) = delete;
  ChangeFileWriter& operator=(const ChangeFileWriter&) = delete;

  // The table's descriptor, from each Relation message of the table (the first one before any change). A
  // descriptor equal to the current one changes nothing; a different one closes the open file, and the next file
  // has the new columns (and, after a rename, the new prefix). A transaction-file writer keeps one per table
  // (relation OID); its `catalog_columns` (ChangeFileWriterOptions::catalog_columns, here per table) may be given.
  Status set_relation(const RelationDescriptor& relation, const std::vector<SourceColumn>* catalog_columns = nullptr);

  // One INSERT, UPDATE or DELETE of the table (change.relation_oid must be the descriptor's oid).
  // `commit_time_us`: its transaction's commit time, TransactionBegin::commit_time_us (microseconds since
  // 2000-01-01 UTC). A change of a later transaction than the open one ends the open one first (see end_transaction).
  Status append(const RowChange& change, int64_t commit_time_us);

  // The end of the transaction whose commit LSN is `commit_lsn` (TransactionCommit::commit_lsn). Call it for each
  // writer that received changes in the transaction (calling it for others is harmless). Closes the open file when
  // it has reached CdcMinFileSize or CdcMaxBatchInterval.
  Status end_transaction(uint64_t commit_lsn);

  // A TRUNCATE naming the table: closes the open file, writes nothing, counts it.
  Status truncate(const TruncateChange& truncate);

  // Closes the open file if it is outside a transaction and has reached CdcMaxBatchInterval (by `now`) or
  // CdcMinFileSize. Call it regularly (e.g. on every keepalive), so that a quiet table's changes become durable.
  Status poll(std::chrono::system_clock::time_point now);

  // Closes the open file whatever its size and age, even inside a transaction (shutdown, or before a checkpoint).
  Status flush();

  // Discards the open file (and removes its spill file); committed files stay. The writer can go on (the discarded
  // changes are lost to it: the caller must restart the stream from the durable position).
  void abort();

  // Bytes the open file holds in memory: staged encoded bytes (or the spill file's write buffer), the encoder's open
  // row group (its estimate) and the staged decoded rows. 0 without an open file.
  uint64_t memory_bytes() const override;
  // Moves what it can of the open file out of memory (see "Memory" above); the memory budget calls it. Nothing to do
  // without an open file. A failure fails the writer.
  Status spill() override;

  // Changes at or below `position` are dropped (replay after a restart: the table's checkpointed position,
  // DESIGN.md §3.2). Raises durable_position() to `position`.
  void skip_through(const ChangePosition& position);

  // Makes later file names sort after `file_name` (the newest change file of the table found in the target).
  // False when it is not a change-file name.
  bool order_after(std::string_view file_name) { return namer_.observe(file_name); }

  // The position of the last change in a committed file (or the skip_through() position, if higher); nullopt
  // before either.
  std::optional<ChangePosition> durable_position() const { return durable_; }
  // The commit LSN of the oldest change not yet in a committed file; nullopt when every change is.
  std::optional<uint64_t> oldest_pending_commit_lsn() const;
  // True while a transaction that gave this writer a change has not ended.
  bool in_transaction() const { return open_txn_.has_value(); }

  const ChangeFileWriterStats& stats() const { return stats_; }
  // Unchanged TOAST values written as NULL, by column name (only columns that had some); a transaction-file writer
  // names them "schema"."table".column.
  const std::map<std::string, uint64_t>& unchanged_toast_nulls() const { return toast_nulls_by_column_; }
  // The last file committed, if any.
  const std::optional<FileSummary>& last_file() const { return last_file_; }
  // The key of the open file, if any (it does not exist in the store until it closes).
  std::optional<std::string> open_file_key() const;
  // True when the open file's bytes are in a spill file rather than in memory.
  bool open_file_spilled() const { return staged_ && staged_->spilled(); }
  // The output columns of the last descriptor set (leading Op / timestamp columns included).
  const std::vector<ColumnSpec>& schema() const;

 private:
  // What a Relation descriptor makes of a table's rows; a table's writer has one, a transaction-file writer one per
  // table.
  struct Shape {
    RelationDescriptor relation;
    std::unique_ptr<TupleDecoder> decoder;
    std::vector<ColumnSpec> schema;    // the rows' columns, leading ones included
    size_t first_table_column = 0;     // index in schema of the relation's first column
    std::vector<size_t> key_columns;   // indexes in the relation of the columns that identify a row (changes_key())
  };

  Status use_shape(Shape& shape);
  Status open_file(const RowChange& change, int64_t commit_time_us);
  Status close_file();
  Status close_if_due(std::chrono::system_clock::time_point now);
  Status append_row(const RowChange& change, ChangeOp op, int64_t commit_time_us);
  bool changes_key(const RowChange& change) const;
  FileSummary open_file_info(uint64_t bytes) const;
  Status report_memory();
  void report_spill_progress();
  Status flush_staged_rows();
  uint64_t estimated_size() const;
  Status fail(Status status);
  std::chrono::system_clock::time_point now() const;

  ObjectStore& store_;
  const S3Settings settings_;  // a copy: a transaction-file writer changes DataFormat to csv
  const bool transaction_files_;
  ChangeFileWriterOptions options_;
  std::string extension_;
  bool include_op_;
  ChangeFileNamer namer_;

  std::map<uint32_t, Shape> shapes_;  // by relation OID
  Shape* shape_ = nullptr;            // the shape of the rows in rows_: the last change's table
  Shape* last_set_ = nullptr;         // the shape of the last set_relation()

  // The open file.
  std::string open_key_;
  std::unique_ptr<StagedOutput> staged_;
  std::unique_ptr<FileEncoder> encoder_;
  RecordBatch rows_;  // decoded rows not yet handed to the encoder
  std::chrono::system_clock::time_point opened_at_;
  ChangePosition first_;
  ChangePosition last_;
  uint64_t file_rows_ = 0;
  uint64_t file_inserts_ = 0;
  uint64_t file_updates_ = 0;
  uint64_t file_deletes_ = 0;
  uint64_t file_key_updates_ = 0;
  std::optional<int64_t> file_last_commit_time_us_;
  uint64_t spill_bytes_reported_ = 0;  // of the open file's spill file, told to the memory budget
  bool spill_file_reported_ = false;

  std::optional<uint64_t> open_txn_;          // commit LSN of a transaction that gave a change and has not ended
  std::optional<ChangePosition> high_water_;  // highest position seen (or skipped through)
  std::optional<ChangePosition> durable_;
  int64_t timestamp_for_us_ = 0;  // the commit time whose text is in timestamp_text_
  std::string timestamp_text_;

  Status status_;  // the first failure; every later call returns it
  ChangeFileWriterStats stats_;
  std::map<std::string, uint64_t> toast_nulls_by_column_;
  std::optional<FileSummary> last_file_;
};

}  // namespace pgs3
