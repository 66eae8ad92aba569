// LocalStore: an ObjectStore in a local directory that plays the bucket (the embedded default target).
//
// An object "a/b/c.parquet" is the file <root>/a/b/c.parquet. Objects appear atomically: bytes go to a hidden
// temporary file beside the final one (".c.parquet.pgs3-tmp-<pid>-<n>"), which is fsynced, renamed into place, and
// its directory fsynced — so a reader never sees a partial object, and a committed object survives a power cut.
// Directories are made one level at a time, each new level's parent fsynced (a new directory's entry is as
// volatile as a new file's), and a removal fsyncs the directory it removed from, so that a power cut neither loses a
// committed object nor brings back a removed one (a TRUNCATE's, a reload's). Keys and prefixes with a "." or ".."
// part are refused: nothing is ever read, written, listed or removed outside the root.
// Temporary files left by a killed process are ignored by list() and removed by remove_stale_temporaries(), which the
// task calls at start for its own folders.
// Thread-safe, except set_directory_sync_observer(), which is called before the store is used.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "store/object_store.h"

namespace pgs3 {

class LocalObjectWriter;  // local_store.cc

class LocalStore final : public ObjectStore {
 public:
  explicit LocalStore(std::string root);

  std::string describe() const override { return "directory " + root_; }
  using ObjectStore::create;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions& options) override;
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override;
  Result<std::optional<std::string>> get(const std::string& key) override;
  Status remove(const std::string& key) override;
  // Versions are the file's inode, mtime (ns) and size: every write renames a new file into place. put_if() holds
  // an flock on the object's directory while it compares and renames, so conditional writers on this machine (or
  // on a file system with working flock) are serialized.
  Result<std::optional<VersionedObject>> get_versioned(const std::string& key) override;
  Result<std::string> put_if(const std::string& key, std::string_view bytes, const std::string& expected_etag) override;
  // Removes the files, then fsyncs each directory they were in once.
  Status remove_all(const std::vector<std::string>& keys) override;

  // Removes temporary files that a dead process left under `prefix` (base/process_alive.h: those of a live writer
  // stay). Returns how many were removed.
  Result<int> remove_stale_temporaries(const std::string& prefix);

  // True when `name` (a file name, not a path) is one of this store's temporary files.
  static bool is_temporary_name(const std::string& name);

  // Tests: `observer` is called with every directory this store (or one of its writers) has fsynced.
  void set_directory_sync_observer(std::function<void(const std::string&)> observer) {
    sync_observer_ = std::move(observer);
  }

 private:
  friend class LocalObjectWriter;
  Status sync_directory(const std::string& path) const;
  // Makes the missing directories of `dir`, top down, fsyncing the parent of each one made.
  Status create_directories(const std::string& dir) const;

  std::string root_;
  std::function<void(const std::string&)> sync_observer_;
  std::atomic<uint64_t> next_tmp_{0};
};

}  // namespace pgs3
