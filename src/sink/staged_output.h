// StagedOutput: the bytes of one output file that cannot be uploaded before it is complete, kept in memory until the
// memory budget asks for them, then in a local spill file.
//
// Why staging at all: S3 takes an object's user metadata when the object is created, and a change file's position
// range is known only when the file closes (sink/change_writer.h), so nothing is sent before then.
//
// In memory the bytes are kept in blocks (4 KiB growing to 256 KiB), never in one contiguous buffer: growing never
// copies what is already staged, a small file costs little, and memory_bytes() (the blocks' capacity) is what is
// really held. spill() moves the blocks to a new SpillFile (sink/spill_file.h) in `spill_directory` and frees them;
// every later append() goes to that file (through its write buffer). copy_to() streams the bytes, from memory or from
// the file, to an OutputStream (the ObjectWriter) in chunks of at most `chunk_bytes`, so no second whole copy of the
// file is ever made. The spill file is removed by discard() and on destruction.
//
// After a failed append() or spill() the output is failed: every later call returns that error.
// Not thread-safe: one thread (the file's writer) uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/output_stream.h"
#include "base/status.h"
#include "sink/spill_file.h"

namespace pgs3 {

class StagedOutput final : public OutputStream {
 public:
  static constexpr size_t kMinBlockBytes = 4 * 1024;
  static constexpr size_t kMaxBlockBytes = 256 * 1024;

  // `spill_directory`: where spill() creates its file; empty means SpillFile::default_directory().
  explicit StagedOutput(std::string spill_directory = {}) : spill_directory_(std::move(spill_directory)) {}

  Status append(std::string_view bytes) override;
  uint64_t position() const override { return size_; }

  // Bytes held in memory: the blocks' capacity before a spill, the spill file's write buffer after.
  uint64_t memory_bytes() const;
  bool spilled() const { return file_ != nullptr; }
  // Bytes written to the spill file (0 before a spill).
  uint64_t spilled_bytes() const { return file_ ? file_->size() : 0; }
  // The spill file's path ("" before a spill).
  std::string spill_path() const { return file_ ? file_->path() : std::string(); }

  // Moves the staged bytes to a new spill file; later appends go to it. Does nothing once spilled.
  Status spill();
  // Appends every byte staged so far to `out`, in order, in appends of at most `chunk_bytes`.
  Status copy_to(OutputStream& out, size_t chunk_bytes);
  // Frees the memory and removes the spill file; the output is empty (and in memory) again.
  void discard();

 private:
  std::string spill_directory_;
  std::vector<std::string> blocks_;  // in memory, before a spill
  std::unique_ptr<SpillFile> file_;  // after a spill
  uint64_t size_ = 0;
  uint64_t block_capacity_ = 0;  // sum of the blocks' capacities
  Status status_;
};

}  // namespace pgs3
