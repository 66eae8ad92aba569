// SealedObject: a staged file that is complete and waits only for its upload — its bytes (in memory or in a spill
// file: sink/staged_output.h), its key, and its options with the S3 user metadata already fixed.
//
// RollingObjectWriter::seal() makes one when a kStaged file closes; upload() then creates the object and streams the
// bytes to it in appends of at most chunk_bytes, which is when the object appears (ObjectStore: atomically). A failed
// upload aborts the object (nothing is visible) and can be repeated. Destroying a SealedObject frees its bytes and
// removes its spill file.
//
// Made on one thread (the replication loop), uploaded on another (an upload worker: sink/upload_queue.h). spill() —
// the memory budget asking, on the loop's thread — moves the bytes to a spill file while the upload has not started,
// and does nothing once it has; memory_bytes() may be read from any thread. The store must outlive it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
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
  uint64_t size() const { return size_; }
  // Bytes held in memory (once spilled, the spill file's write buffer).
  uint64_t memory_bytes() const { return memory_bytes_.load(); }

  // Moves the bytes to a spill file unless the upload has started. A failure leaves them in memory (the upload still
  // works).
  Status spill();
  Status upload();

 private:
  ObjectStore& store_;
  std::string key_;
  ObjectOptions options_;
  std::unique_ptr<StagedOutput> bytes_;
  size_t chunk_bytes_;
  uint64_t size_;
  std::mutex mu_;           // spill() against the start of upload()
  bool uploading_ = false;  // guarded by mu_
  std::atomic<uint64_t> memory_bytes_;
};

}  // namespace pgs3
