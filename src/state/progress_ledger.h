// ProgressLedger: how far the stream has safely gone — the only code that moves a checkpoint entry for a committed
// file, that computes the position pgs3 may confirm to PostgreSQL (invariant 3), and that decides when a checkpoint
// is saved (DESIGN.md §3).
//
//   sink writers --FileSummary--> record_intent() (before the upload: a journal intent, state/file_journal.h)
//                                 file_committed() (after the commit: the entry's durable position and statistics)
//   loop --------pending commit LSNs, processed end--> save_due() / save() --> checkpoint.json --> confirmed_lsn()
//
// Positions. Every writer reports the commit LSN of its oldest change not yet durable (nullopt: none); the loop
// reports the end of what it has received in full (processed end: the end LSN of the last transaction received, or
// a keepalive's WAL end while no transaction is open). confirmable() is the processed end, lowered strictly below
// the lowest pending commit LSN, and never below the confirmed_lsn already saved (a pending commit record may start
// exactly where the last confirmed transaction ended; confirming that end stays safe). On restart PostgreSQL resends
// every transaction whose commit LSN is not below the confirmed flush position, so a pending change is never lost.
//
// Cadence. save_due() is true when a file was committed (or an entry moved: durable_through()) and the last save is
// at least `min_gap` old, or when `idle_gap` has passed and confirmable() moved (keepalives move the processed end,
// so an idle slot does not hold WAL). save() saves at once (a TRUNCATE whose objects were removed, the end of the
// stream). After each save the journal's intents that the checkpoint covers are released.
//
// Only confirmed_lsn() — the confirmed_lsn of a checkpoint that has been saved — may be sent to PostgreSQL.
//
// Not thread-safe: the replication loop's thread owns it (write_save() excepted). `store`, `checkpoint` and `journal`
// must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/file_summary.h"
#include "state/checkpoint.h"
#include "state/file_journal.h"
#include "store/object_store.h"

namespace pgs3 {

// The checkpoint entry a writer's files go to: a table (found by OID when non-zero, else by name), or the
// transaction files' entry (kTransactionFilesEntry).
struct EntryRef {
  uint32_t relation_oid = 0;
  std::string schema;
  std::string table;
};

// Applies a committed file to its entry of `checkpoint`: the entry takes the file's names (the current ones: a
// table renamed since keeps its entry, found by OID), its durable position moves to the file's last position (never
// back), its last change file and statistics count the file. Recovery (state/recovery.h) and the live stream both
// call it.
void apply_committed_file(Checkpoint& checkpoint, const EntryRef& entry, const FileSummary& file);

// See the file comment.
uint64_t confirmable_lsn(const std::vector<std::optional<uint64_t>>& oldest_pending, uint64_t processed_end_lsn,
                         uint64_t confirmed_lsn);

class ProgressLedger {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kMinGap{1};    // a committed file is checkpointed within this
  static constexpr std::chrono::seconds kIdleGap{10};  // a moved confirmable position, without new files

  ProgressLedger(ObjectStore& store, std::string prefix, Checkpoint& checkpoint, FileJournal& journal);

  // Before a file's object is created: records its journal intent. A failure means the file must not be uploaded.
  Status record_intent(const EntryRef& entry, const FileSummary& file);
  // Right after a file's object is committed.
  void file_committed(const EntryRef& entry, const FileSummary& file);
  // Changes of `entry` at or below `position` need no file (a TRUNCATE removed them, or they are in a snapshot of
  // the table's own): raises the entry's durable position.
  void durable_through(const EntryRef& entry, const ChangePosition& position);
  // The entry, for statistics that no file carries (DDLs, truncates).
  TableCheckpoint& entry(const EntryRef& entry);

  uint64_t confirmable(const std::vector<std::optional<uint64_t>>& oldest_pending, uint64_t processed_end) const {
    return confirmable_lsn(oldest_pending, processed_end, checkpoint_.confirmed_lsn);
  }
  bool save_due(Clock::time_point now, const std::vector<std::optional<uint64_t>>& oldest_pending,
                uint64_t processed_end) const;
  // Saves the checkpoint (phase "cdc", confirmed_lsn = confirmable()) and releases the intents it covers. On a
  // failure nothing moves: confirmed_lsn() stays what was saved before.
  Status save(Clock::time_point now, const std::vector<std::optional<uint64_t>>& oldest_pending,
              uint64_t processed_end);
  // A save in three steps, so that the write runs off the loop's thread (sink/upload_queue.h):
  //   begin_save()   loop:   the checkpoint as save() would write it, copied; save_due() is false until end_save()
  //   write_save()   worker: writes the copy and releases the intents it covers (touches no ledger state but the
  //                          journal, which is thread-safe)
  //   end_save()     loop:   on success confirmed_lsn() becomes the copy's; on failure nothing moves (retried when
  //                          due)
  struct PendingSave {
    Checkpoint checkpoint;
    Clock::time_point started;
  };
  PendingSave begin_save(Clock::time_point now, const std::vector<std::optional<uint64_t>>& oldest_pending,
                         uint64_t processed_end);
  Status write_save(PendingSave& save);
  void end_save(const PendingSave& save, const Status& written);
  bool saving() const { return saving_; }
  // Starts the cadence's clock (the stream's start).
  void restart_clock(Clock::time_point now) { last_save_ = now; }

  uint64_t confirmed_lsn() const { return checkpoint_.confirmed_lsn; }
  const Checkpoint& checkpoint() const { return checkpoint_; }
  uint64_t saves() const { return saves_; }

 private:
  ObjectStore& store_;
  std::string prefix_;
  Checkpoint& checkpoint_;
  FileJournal& journal_;
  bool dirty_ = false;   // an entry moved since the last save
  bool saving_ = false;  // between begin_save() and end_save()
  Clock::time_point last_save_{};
  uint64_t saves_ = 0;
};

}  // namespace pgs3
