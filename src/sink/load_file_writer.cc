#include "sink/load_file_writer.h"

#include "base/log.h"
#include "base/object_key.h"
#include "sink/object_keys.h"

namespace pgs3 {

LoadFileWriter::LoadFileWriter(ObjectStore& store, const S3Settings& settings, std::string prefix,
                               std::vector<ColumnSpec> schema, KeyValueMetadata metadata, ObjectOptions object_options)
    : store_(store),
      settings_(settings),
      object_options_(std::move(object_options)),
      prefix_(std::move(prefix)),
      extension_(file_extension(settings)),
      schema_(std::move(schema)),
      metadata_(std::move(metadata)),
      file_(store, settings, RollingObjectWriter::Staging::kDirect) {}

Status LoadFileWriter::remove_earlier_objects(const std::string& keep) {
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

Status LoadFileWriter::close_current() {
  // The table's earlier objects go before its first new file is visible: a reader then finds either the old files
  // (with the one this file replaces) or the new ones, and a crash in between leaves nothing stale behind the new
  // LOAD00000001 (the next run loads the table again). The key being committed is kept: its new object replaces it.
  if (files_ == 0) PGS3_RETURN_IF_ERROR(remove_earlier_objects(file_.key()));
  PGS3_ASSIGN_OR_RETURN(uint64_t bytes, file_.commit(metadata_, nullptr));
  bytes_ += bytes;
  ++files_;
  return Status::ok();
}

Status LoadFileWriter::write(const RecordBatch& batch) {
  if (batch.rows() == 0) return Status::ok();
  if (!file_.is_open()) {
    const std::string key = prefix_ + load_file_name(static_cast<uint32_t>(files_ + 1), extension_);
    PGS3_RETURN_IF_ERROR(file_.open(key, schema_, object_options_));
  }
  PGS3_RETURN_IF_ERROR(file_.write(batch));
  if (file_.estimated_size() >= static_cast<uint64_t>(settings_.max_file_size_kb) * 1024) {
    PGS3_RETURN_IF_ERROR(close_current());
  }
  return Status::ok();
}

Status LoadFileWriter::finish() {
  if (file_.is_open()) PGS3_RETURN_IF_ERROR(close_current());
  // An empty table writes no file: its earlier objects still go (the new image of the table is empty).
  if (files_ == 0) PGS3_RETURN_IF_ERROR(remove_earlier_objects(""));
  return Status::ok();
}

}  // namespace pgs3
