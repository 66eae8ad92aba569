#include "sink/load_file_set.h"

#include "base/log.h"
#include "base/object_key.h"

namespace pgs3 {

Status LoadFileSet::remove_earlier_objects(const std::string& keep) {
  PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_.list(prefix_));
  std::vector<std::string> keys;
  size_t load_files = 0;
  for (const ObjectInfo& o : objects) {
    if (o.key == keep) continue;  // replaced in place when the new file commits
    if (base_name(o.key).starts_with("LOAD")) ++load_files;
    keys.push_back(o.key);
  }
  if (keys.empty()) return Status::ok();
  PGS3_RETURN_IF_ERROR(store_.remove_all(keys));
  log_info("removed " + std::to_string(keys.size()) + " earlier object(s) under " + prefix_ +
           " before the new full load's first file (" + std::to_string(load_files) + " LOAD file(s), " +
           std::to_string(keys.size() - load_files) +
           " change file(s) or others): they would replay stale rows over the new load");
  return Status::ok();
}

Status LoadFileSet::before_commit(const std::string& key) {
  // The table's earlier objects go before its first new file is visible: a reader then finds either the old files
  // (with the one this file replaces) or the new ones, and a crash in between leaves nothing stale behind the new
  // files (the next run loads the table again). Files of other segments still being written are not listed (an
  // object appears only when committed), so they are not touched.
  std::lock_guard<std::mutex> lock(mutex_);
  if (earlier_removed_) return Status::ok();
  PGS3_RETURN_IF_ERROR(remove_earlier_objects(key));
  earlier_removed_ = true;
  return Status::ok();
}

void LoadFileSet::committed(uint64_t bytes) {
  files_.fetch_add(1);
  bytes_.fetch_add(bytes);
}

Status LoadFileSet::finish() {
  // An empty table writes no file: its earlier objects still go (the new image of the table is empty).
  if (files_.load() > 0) return Status::ok();
  std::lock_guard<std::mutex> lock(mutex_);
  if (earlier_removed_) return Status::ok();
  PGS3_RETURN_IF_ERROR(remove_earlier_objects(""));
  earlier_removed_ = true;
  return Status::ok();
}

}  // namespace pgs3
