#include "state/progress_ledger.h"

#include <algorithm>

#include "base/log.h"
#include "base/object_key.h"

namespace pgs3 {

void apply_committed_file(Checkpoint& checkpoint, const EntryRef& ref, const FileSummary& file) {
  TableCheckpoint& t = checkpoint.table_entry(ref.relation_oid, ref.schema, ref.table);
  t.schema = ref.schema;
  t.table = ref.table;
  if (ref.relation_oid != 0) t.relation_oid = ref.relation_oid;
  if (!t.durable_position || *t.durable_position < file.last) t.durable_position = file.last;
  t.last_change_file = base_name(file.key);
  TableStatistics& s = t.statistics;
  s.files += 1;
  s.inserts += file.inserts;
  s.updates += file.updates;
  s.deletes += file.deletes;
  s.key_updates += file.key_updates;
  s.last_file_key = file.key;
  if (file.last_commit_time_us) s.last_commit_time_us = file.last_commit_time_us;
}

uint64_t confirmable_lsn(const std::vector<std::optional<uint64_t>>& oldest_pending, uint64_t processed_end_lsn,
                         uint64_t confirmed_lsn) {
  uint64_t result = processed_end_lsn;
  for (const std::optional<uint64_t>& pending : oldest_pending) {
    if (pending) result = std::min(result, *pending == 0 ? 0 : *pending - 1);
  }
  return std::max(result, confirmed_lsn);
}

ProgressLedger::ProgressLedger(ObjectStore& store, std::string prefix, Checkpoint& checkpoint, FileJournal& journal)
    : store_(store), prefix_(std::move(prefix)), checkpoint_(checkpoint), journal_(journal) {}

Status ProgressLedger::record_intent(const EntryRef& entry, const FileSummary& file) {
  FileIntent intent;
  static_cast<FileSummary&>(intent) = file;
  intent.schema = entry.schema;
  intent.table = entry.table;
  intent.relation_oid = entry.relation_oid;
  return journal_.record(intent).status();
}

void ProgressLedger::file_committed(const EntryRef& entry, const FileSummary& file) {
  apply_committed_file(checkpoint_, entry, file);
  dirty_ = true;
}

void ProgressLedger::durable_through(const EntryRef& ref, const ChangePosition& position) {
  TableCheckpoint& t = entry(ref);
  if (!t.durable_position || *t.durable_position < position) {
    t.durable_position = position;
    dirty_ = true;
  }
}

TableCheckpoint& ProgressLedger::entry(const EntryRef& ref) {
  TableCheckpoint& t = checkpoint_.table_entry(ref.relation_oid, ref.schema, ref.table);
  if (ref.relation_oid != 0) t.relation_oid = ref.relation_oid;
  return t;
}

bool ProgressLedger::save_due(Clock::time_point now, const std::vector<std::optional<uint64_t>>& oldest_pending,
                              uint64_t processed_end) const {
  if (saving_) return false;
  if (dirty_ && now - last_save_ >= kMinGap) return true;
  return now - last_save_ >= kIdleGap && confirmable(oldest_pending, processed_end) > checkpoint_.confirmed_lsn;
}

Status ProgressLedger::save(Clock::time_point now, const std::vector<std::optional<uint64_t>>& oldest_pending,
                            uint64_t processed_end) {
  // The three steps of a save off the loop's thread, run one after the other.
  PendingSave pending = begin_save(now, oldest_pending, processed_end);
  Status written = write_save(pending);
  end_save(pending, written);
  return written;
}

ProgressLedger::PendingSave ProgressLedger::begin_save(Clock::time_point now,
                                                       const std::vector<std::optional<uint64_t>>& oldest_pending,
                                                       uint64_t processed_end) {
  PendingSave save{checkpoint_, now};
  save.checkpoint.phase = CheckpointPhase::kCdc;
  save.checkpoint.confirmed_lsn = confirmable(oldest_pending, processed_end);
  saving_ = true;
  dirty_ = false;  // entries that move from now on make the next save due
  return save;
}

Status ProgressLedger::write_save(PendingSave& save) {
  PGS3_RETURN_IF_ERROR(save.checkpoint.save(store_, prefix_));
  Status released = journal_.release(save.checkpoint);
  if (!released.is_ok()) log_warn("could not remove journal intents (they are harmless): " + released.message());
  return Status::ok();
}

void ProgressLedger::end_save(const PendingSave& save, const Status& written) {
  saving_ = false;
  if (!written.is_ok()) {
    dirty_ = true;
    return;
  }
  checkpoint_.adopt_saved(save.checkpoint);
  ++saves_;
  last_save_ = save.started;
}

}  // namespace pgs3
