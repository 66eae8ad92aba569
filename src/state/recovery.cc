#include "state/recovery.h"

#include "model/change_position_text.h"
#include "state/file_journal.h"
#include "state/progress_ledger.h"

namespace pgs3 {
namespace {

Result<bool> object_exists(ObjectStore& store, const std::string& key) {
  // list() rather than get(): a change file can be large, and only its presence matters.
  PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> found, store.list(key));
  for (const ObjectInfo& info : found) {
    if (info.key == key) return true;
  }
  return false;
}

// Adopts the file of `intent` into `checkpoint`. False when the checkpoint already includes it.
bool adopt(Checkpoint& checkpoint, const FileIntent& intent) {
  if (FileJournal::covers(checkpoint, intent)) return false;
  apply_committed_file(checkpoint, EntryRef{intent.relation_oid, intent.schema, intent.table}, intent);
  return true;
}

}  // namespace

Result<RecoveryReport> recover(ObjectStore& store, const std::string& prefix, Checkpoint& checkpoint) {
  PGS3_ASSIGN_OR_RETURN(std::vector<JournalEntry> entries, FileJournal::read_all(store, prefix));
  RecoveryReport report;
  if (entries.empty()) return report;
  // Work on a copy: a failed save must leave the caller's checkpoint as it was, and the intents where they are.
  Checkpoint updated = checkpoint;
  std::vector<const JournalEntry*> present;
  std::vector<const JournalEntry*> missing;
  for (const JournalEntry& entry : entries) {
    const FileIntent& intent = entry.intent;
    PGS3_ASSIGN_OR_RETURN(bool exists, object_exists(store, intent.key));
    if (intent.lease_generation != 0 && intent.lease_generation < checkpoint.lease_generation) {
      if (exists) {
        PGS3_RETURN_IF_ERROR(
            store.remove(intent.key)
                .with_context("removing " + intent.key + ", written by a process whose lease was taken over"));
        report.fenced.push_back(intent.key);
      }
      continue;
    }
    if (!exists) {
      report.discarded.push_back(intent.key);
      missing.push_back(&entry);
    } else if (adopt(updated, intent)) {
      report.adopted.push_back(intent.key);
      present.push_back(&entry);
    } else {
      report.covered.push_back(intent.key);
      present.push_back(&entry);
    }
  }
  // A missing file's changes are replayed only from past the table's durable position. If adoption moved that
  // position past the missing file's first change, those changes must be in a file that exists (a retry of the same
  // changes under a new name); otherwise they would be lost without a word. The writer uploads a table's files in
  // order and stops at the first failure, so this is a bug or a damaged target, never a crash.
  for (const JournalEntry* gone : missing) {
    const FileIntent& d = gone->intent;
    const TableCheckpoint* before = checkpoint.find_table(d.relation_oid, d.schema, d.table);
    const TableCheckpoint* after = updated.find_table(d.relation_oid, d.schema, d.table);
    const bool was_replayable = !before || !before->durable_position || *before->durable_position < d.first;
    const bool now_skipped = after && after->durable_position && *after->durable_position >= d.first;
    if (!was_replayable || !now_skipped) continue;
    bool held = false;
    for (const JournalEntry* e : present) {
      const FileIntent& f = e->intent;
      const bool same = f.relation_oid != 0 && d.relation_oid != 0 ? f.relation_oid == d.relation_oid
                                                                   : f.schema == d.schema && f.table == d.table;
      if (same && f.first <= d.first && d.first <= f.last) held = true;
    }
    if (!held) {
      return Status::data_error("change file " + d.key + " (intent " + gone->journal_key +
                                ") is not in the target, but later files of \"" + d.schema + "\".\"" + d.table +
                                "\" are: its changes from " + format_change_position(d.first) +
                                " would be lost; restore the file, or reload the table");
    }
  }
  if (!report.adopted.empty()) {
    PGS3_RETURN_IF_ERROR(updated.save(store, prefix).with_context("recovering change files"));
    report.checkpoint_saved = true;
    checkpoint = std::move(updated);
  }
  // Only now may the intents go: the checkpoint holds everything they told.
  for (const JournalEntry& entry : entries) {
    PGS3_RETURN_IF_ERROR(store.remove(entry.journal_key).with_context("removing file intent " + entry.journal_key));
    ++report.intents_removed;
  }
  return report;
}

}  // namespace pgs3
