#include "sink/load_file_writer.h"

#include "base/log.h"
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

Status LoadFileWriter::close_current() {
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
  PGS3_ASSIGN_OR_RETURN(auto existing, store_.list(prefix_ + "LOAD"));
  for (const auto& obj : existing) {
    std::string name = obj.key.substr(prefix_.size());
    auto number = parse_load_file_name(name, extension_);
    if (number && *number > files_) {
      log_info("removing " + obj.key + ", left by an earlier load of the table with more files");
      PGS3_RETURN_IF_ERROR(store_.remove(obj.key));
    }
  }
  return Status::ok();
}

}  // namespace pgs3
