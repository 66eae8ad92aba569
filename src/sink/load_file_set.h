// LoadFileSet: the LOAD files of one table's full load, written by one LoadFileWriter per segment of the table
// (task/load_plan.h), from several threads at once.
//
// Numbering: the files of all segments share one counter, LOAD00000001, LOAD00000002, ..., a number taken when a
// file opens — the only naming DMS documents for an S3 target (no folder or name per segment), so readers that list
// LOAD* see one table. Every file opened is committed or the load fails, so a finished load has no gap.
//
// A new full load replaces the table's image: every object found under its prefix when the first new file (of any
// segment) is about to be committed — LOAD files of an earlier load (whatever their number or format) and change
// files of an earlier CDC task (with their date folders) — is removed first, with a log line that counts them, so
// that no reader replays stale history over the new LOAD files (the checkpoint that named them may be gone: a task
// started over). Commits of other segments wait for that removal. The first file's own key is left to be replaced in
// place, so a table loaded as one file is never seen empty. A table with no rows writes no file; finish() then
// removes its earlier objects.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "store/object_store.h"

namespace pgs3 {

class LoadFileSet {
 public:
  LoadFileSet(ObjectStore& store, std::string prefix) : store_(store), prefix_(std::move(prefix)) {}

  const std::string& prefix() const { return prefix_; }
  // The number of the next file to open: 1, 2, ...
  uint32_t next_number() { return next_number_.fetch_add(1, std::memory_order_relaxed); }
  // Called before each file's commit, with its key: the first call removes the earlier objects.
  Status before_commit(const std::string& key);
  // Called after each file's commit.
  void committed(uint64_t bytes);
  // Called once every segment's writer has finished.
  Status finish();

  uint64_t files() const { return files_.load(); }
  uint64_t bytes() const { return bytes_.load(); }

 private:
  // Removes every object under the prefix but `keep`, logging how many.
  Status remove_earlier_objects(const std::string& keep);

  ObjectStore& store_;
  const std::string prefix_;
  std::atomic<uint32_t> next_number_{1};
  std::mutex mutex_;  // held while the earlier objects are removed
  bool earlier_removed_ = false;
  std::atomic<uint64_t> files_{0};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace pgs3
