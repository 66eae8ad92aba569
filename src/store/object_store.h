// ObjectStore: where output files go. One interface, two implementations: a local directory (the embedded default,
// src/store/local_store.h) and S3 (src/store/s3_store.h). The pipeline never knows which one it writes to.
//
// Keys are '/'-separated relative paths ("raw/app/public/orders/LOAD00000001.parquet"). An object appears
// atomically: readers see either nothing or the whole object, never a part (local: temporary name, fsync, rename;
// S3: PutObject or a completed multipart upload). Implementations are thread-safe; each ObjectWriter is used by one
// thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/output_stream.h"
#include "base/status.h"

namespace pgs3 {

// An object being written. Bytes are appended; commit() makes the object visible under its key, abort() discards
// it. Destroying a writer that was neither committed nor aborted aborts it.
class ObjectWriter : public OutputStream {
 public:
  virtual Status commit() = 0;
  virtual void abort() = 0;
};

// What travels with a new object besides its bytes. The local directory keeps none of it (tags and metadata are
// S3 features; pgs3 says so at start when they are configured). Object metadata holds no secret.
struct ObjectOptions {
  std::vector<std::pair<std::string, std::string>> metadata;  // S3 user metadata (x-amz-meta-<name>)
  std::vector<std::pair<std::string, std::string>> tags;      // S3 object tags, already checked against S3's limits
};

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
};

// A small object read whole with what a conditional write needs: its version and how long ago it was written.
struct VersionedObject {
  std::string bytes;
  std::string etag;  // opaque; changes with every write of the object
  // now - last write, both by the store's own clock (S3: the answer's Date less Last-Modified; a directory: its
  // machine's clock less the file's mtime), so that writers on machines whose clocks differ agree on it. Never
  // negative; whole seconds (S3 dates have no finer grain).
  std::chrono::seconds age{0};
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // A human-readable name of the target for messages ("directory /data/out", "s3://bucket").
  virtual std::string describe() const = 0;
  virtual Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions& options) = 0;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key) { return create(key, ObjectOptions{}); }
  // Writes `bytes` as the whole object `key` (create, append, commit): for small state objects.
  Status put(const std::string& key, std::string_view bytes) {
    PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, create(key));
    PGS3_RETURN_IF_ERROR(writer->append(bytes));
    return writer->commit();
  }
  // Objects whose keys start with `prefix`, in key order.
  virtual Result<std::vector<ObjectInfo>> list(const std::string& prefix) = 0;
  // The whole object, or std::nullopt when it does not exist.
  virtual Result<std::optional<std::string>> get(const std::string& key) = 0;
  virtual Status remove(const std::string& key) = 0;

  // Conditional writes, for the small objects that coordinate writers (the task's lease, checkpoint and journal
  // intents: DESIGN.md §3). get_versioned() reads an object with its version; put_if() writes `bytes` whole under
  // `key` only if the object's current version is `expected_etag`, or, when `expected_etag` is empty, only if there
  // is no such object (S3: If-Match / If-None-Match: *). It returns the new version. When the precondition fails,
  // kConflict — unless the object already holds exactly `bytes` (an earlier attempt of this same write succeeded
  // and its answer was lost), which is success with that object's version. Atomic against other put_if() calls on
  // the same key, from any process.
  virtual Result<std::optional<VersionedObject>> get_versioned(const std::string& key) = 0;
  virtual Result<std::string> put_if(const std::string& key, std::string_view bytes,
                                     const std::string& expected_etag) = 0;
  // Removes every key (missing ones are no error). The default removes them one by one; S3 sends one DeleteObjects
  // request per 1000 keys. On failure some keys may be removed and others not.
  virtual Status remove_all(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) PGS3_RETURN_IF_ERROR(remove(key));
    return Status::ok();
  }
};

}  // namespace pgs3
