// FileJournal: intent records that let a restarted task adopt the change files a crash left out of its checkpoint
// (DESIGN.md §3, invariant 2), whatever the store and the format — a CSV file in a local directory carries no
// metadata to read positions back from, so the positions travel in the journal instead.
//
// Protocol, for each change file:
//   1. record(): before the object is created, an intent "<prefix>journal/<sequence>.json" (sequence: 20 decimal
//      digits, zero-padded, so key order is sequence order) holds {object key, table, first and last position, rows}.
//   2. The object is uploaded and committed (ChangeFileWriter).
//   3. A checkpoint that includes the file (its table's durable_position at or past the file's last position) is
//      saved; then release() removes the intents that checkpoint covers.
// A crash between any two steps leaves an intent behind. On start, before anything is written, recover()
// (state/recovery.h) settles every intent, in sequence order:
//   - the object exists: the file is adopted — unless the checkpoint already covers it (durable_position at or past
//     its last position: a crash between steps 3 and the removal), its table's durable_position becomes the file's
//     last position, its last_change_file the file's name, and its statistics count the file;
//   - the object does not exist: the upload never completed; the intent is dropped. Its changes come again from the
//     slot, because confirmed_lsn never passed them (invariant 3), and go into a file with a new name.
// Then, if any file was adopted, the checkpoint is saved; only after that are the intents removed. Every step is
// idempotent: a crash during recovery leaves the intents in place, and the next recovery reaches the same checkpoint
// (object keys are never reused for other content: change file names are unique and only move forward, so an
// object found under an intent's key is that intent's file, even when an earlier attempt uploaded it).
//
// Thread-safe: record() runs on the upload workers (sink/upload_queue.h), each just before its file's upload, and
// release() with the checkpoint saves; recover() runs before the journal is opened.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/change.h"
#include "model/file_summary.h"
#include "state/checkpoint.h"
#include "store/object_store.h"

namespace pgs3 {

// One change file about to be uploaded: the file's summary and the checkpoint entry it belongs to.
struct FileIntent : FileSummary {
  std::string schema;
  std::string table;
  uint32_t relation_oid = 0;
  // The task lease's generation of the process that wrote the intent (state/task_lease.h); 0 when unknown.
  uint64_t lease_generation = 0;

  bool operator==(const FileIntent&) const = default;
};

struct JournalEntry {
  uint64_t sequence = 0;
  std::string journal_key;  // the intent's own object key
  FileIntent intent;
};

class FileJournal {
 public:
  // "<prefix>journal/"; `prefix` is task_state_prefix().
  static std::string journal_prefix(const std::string& prefix);
  // "<prefix>journal/00000000000000000042.json"
  static std::string intent_key(const std::string& prefix, uint64_t sequence);

  // Every intent under `prefix`, in sequence order. kDataError, naming the object, for an intent that cannot be
  // read (objects under the journal prefix that are not intents are ignored).
  static Result<std::vector<JournalEntry>> read_all(ObjectStore& store, const std::string& prefix);

  // A journal whose next sequence follows the highest intent present (call after recover(), which leaves none).
  // Its intents carry `lease_generation`.
  static Result<FileJournal> open(ObjectStore& store, const std::string& prefix, uint64_t lease_generation = 0);

  // Writes the intent for a change file (step 1), never over an existing object (ObjectStore::put_if: an intent of
  // that sequence written by another process is kConflict). Returns its sequence. The intent stays outstanding
  // until release() removes it.
  Result<uint64_t> record(const FileIntent& intent);

  // Removes every outstanding intent whose file `checkpoint` includes (step 3; call after the checkpoint is saved).
  // Intents of files not yet included stay. On a store failure the remaining intents stay outstanding and a later
  // call retries them (a leftover intent is harmless: recovery finds its file covered).
  Status release(const Checkpoint& checkpoint);

  // Intents recorded and not yet released, in sequence order.
  std::vector<JournalEntry> outstanding() const;
  uint64_t next_sequence() const;

  // True when `checkpoint` includes the file: its table's durable_position is at or past intent.last.
  static bool covers(const Checkpoint& checkpoint, const FileIntent& intent);

 private:
  FileJournal(ObjectStore& store, std::string prefix, uint64_t next_sequence, uint64_t lease_generation)
      : store_(&store),
        prefix_(std::move(prefix)),
        next_sequence_(next_sequence),
        lease_generation_(lease_generation),
        mu_(std::make_unique<std::mutex>()) {}

  ObjectStore* store_;
  std::string prefix_;
  uint64_t next_sequence_;  // guarded by *mu_
  uint64_t lease_generation_;
  std::vector<JournalEntry> outstanding_;  // guarded by *mu_, in sequence order
  std::unique_ptr<std::mutex> mu_;         // a pointer: a FileJournal is returned by value
};

// The JSON of an intent, and its inverse (`where` names the object in messages).
std::string intent_to_json(const FileIntent& intent);
Result<FileIntent> parse_intent(const std::string& text, const std::string& where);

}  // namespace pgs3
