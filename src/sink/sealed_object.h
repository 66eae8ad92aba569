// SealedObject: a staged file that is complete and waits only for its upload — its bytes (in memory or in a spill
// file: sink/staged_output.h), its key, and its options with the S3 user metadata already fixed.
//
// RollingObjectWriter::seal() makes one when a kStaged file closes; upload() then creates the object and streams the
// bytes to it in appends of at most chunk_bytes, which is when the object appears (ObjectStore: atomically). A failed
// upload aborts the object (nothing is visible) and can be repeated. Destroying a SealedObject frees its bytes and
// removes its spill file.
//
// Made on one thread (the replication loop), uploaded on another (an upload worker: sink/upload_queue.h): one thread
// at a time uses it. The store must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "sink/staged_output.h"
#include "store/object_store.h"

namespace pgs3 {

class SealedObject {
 public:
  SealedObject(ObjectStore& store, std::string key, ObjectOptions options, std::unique_ptr<StagedOutput> bytes,
               size_t chunk_bytes);

  const std::string& key() const { return key_; }
  uint64_t size() const { return bytes_->position(); }
  // Bytes held in memory (0 once spilled to a file, but the spill file's write buffer).
  uint64_t memory_bytes() const { return bytes_->memory_bytes(); }

  Status upload();

 private:
  ObjectStore& store_;
  std::string key_;
  ObjectOptions options_;
  std::unique_ptr<StagedOutput> bytes_;
  size_t chunk_bytes_;
};

}  // namespace pgs3
