#include "sink/load_file_writer.h"

#include "sink/object_keys.h"

namespace pgs3 {

LoadFileWriter::LoadFileWriter(ObjectStore& store, const S3Settings& settings, LoadFileSet& set,
                               std::vector<ColumnSpec> schema, KeyValueMetadata metadata, ObjectOptions object_options)
    : settings_(settings),
      set_(set),
      object_options_(std::move(object_options)),
      extension_(file_extension(settings)),
      schema_(std::move(schema)),
      metadata_(std::move(metadata)),
      file_(store, settings, RollingObjectWriter::Staging::kDirect) {}

Status LoadFileWriter::close_current() {
  PGS3_RETURN_IF_ERROR(set_.before_commit(file_.key()));
  PGS3_ASSIGN_OR_RETURN(uint64_t bytes, file_.commit(metadata_, nullptr));
  set_.committed(bytes);
  bytes_ += bytes;
  ++files_;
  return Status::ok();
}

Status LoadFileWriter::write(const RecordBatch& batch) {
  if (batch.rows() == 0) return Status::ok();
  if (!file_.is_open()) {
    const std::string key = set_.prefix() + load_file_name(set_.next_number(), extension_);
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
  return Status::ok();
}

}  // namespace pgs3
