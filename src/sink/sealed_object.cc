#include "sink/sealed_object.h"

namespace pgs3 {

SealedObject::SealedObject(ObjectStore& store, std::string key, ObjectOptions options,
                           std::unique_ptr<StagedOutput> bytes, size_t chunk_bytes)
    : store_(store),
      key_(std::move(key)),
      options_(std::move(options)),
      bytes_(std::move(bytes)),
      chunk_bytes_(chunk_bytes),
      size_(bytes_->position()),
      memory_bytes_(bytes_->memory_bytes()) {}

Status SealedObject::spill() {
  std::lock_guard<std::mutex> lock(mu_);
  if (uploading_ || bytes_->spilled()) return Status::ok();
  PGS3_RETURN_IF_ERROR(bytes_->spill());
  memory_bytes_ = bytes_->memory_bytes();
  return Status::ok();
}

Status SealedObject::upload() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    uploading_ = true;  // from now on spill() leaves the bytes alone: they are read without the lock
  }
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> object, store_.create(key_, options_));
  Status st = bytes_->copy_to(*object, chunk_bytes_);
  if (st.is_ok()) st = object->commit();
  if (!st.is_ok()) object->abort();
  return st;
}

}  // namespace pgs3
