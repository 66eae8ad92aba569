// RollingObjectWriter: writes a sequence of objects of one kind (a table's LOAD files, its change files, the
// transaction files), one open at a time — rows in, encoded by the S3Settings' format (sink/output_format.h),
// committed objects out. The caller decides when a file is opened (its key) and when it is committed (rotation:
// MaxFileSize for LOAD files, the CDC batch rules for change files); this class owns what every file goes through:
// the encoder, where its bytes wait, the key-value metadata, the commit.
//
// Staging:
//   kDirect  the object is created when the file opens and the encoder writes into it (LOAD files: nothing about
//            them is unknown at the start, and nothing is held in memory but the encoder's buffers).
//   kStaged  the bytes wait in a StagedOutput (sink/staged_output.h: memory blocks, moved to a local spill file by
//            spill()) and the object is created at commit, because S3 takes user metadata when an object is created
//            and a change file's position range is known only when it closes. The key-value metadata given to
//            commit() then also goes into the object's S3 user metadata (names with '-' for '.'; values
//            percent-encoded outside printable ASCII, since HTTP headers carry ASCII only), and the bytes are
//            streamed to the object in appends of at most kUploadChunkBytes.
//
// A failed call leaves the writer to be abort()ed; abort() discards the open file (an object being written is never
// committed; a spill file is removed). Committed objects stay.
//
// Not thread-safe: one writer's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "format/file_encoder.h"
#include "rules/task_config.h"
#include "sink/sealed_object.h"
#include "sink/staged_output.h"
#include "store/object_store.h"

namespace pgs3 {

class RollingObjectWriter {
 public:
  enum class Staging { kDirect, kStaged };
  // Bytes handed to the store per ObjectWriter::append() when a staged file is uploaded.
  static constexpr size_t kUploadChunkBytes = 8 << 20;

  // `store` must outlive the writer. `spill_directory` (kStaged): where spill files go; empty means $TMPDIR or /tmp.
  RollingObjectWriter(ObjectStore& store, const S3Settings& settings, Staging staging,
                      std::string spill_directory = {});
  ~RollingObjectWriter();  // aborts the open file
  RollingObjectWriter(const RollingObjectWriter&) = delete;
  RollingObjectWriter& operator=(const RollingObjectWriter&) = delete;

  // Opens a file under `key`. `columns` empty: the encoder takes each batch's columns (CSV only). `options` (tags,
  // metadata) go with the object.
  Status open(std::string key, const std::vector<ColumnSpec>& columns, ObjectOptions options);
  bool is_open() const { return encoder_ != nullptr; }
  const std::string& key() const { return key_; }

  Status write(const RecordBatch& batch);
  // The size the file would have if committed now (the encoder's estimate); 0 without an open file.
  uint64_t estimated_size() const;
  // Bytes held in memory for the open file: staged bytes (or the spill file's write buffer) and the encoder's
  // buffers (FileEncoder::memory_bytes(): their capacity, the footer metadata included).
  uint64_t memory_bytes() const;
  // The encoder's footer metadata held until the file closes (FileEncoder::footer_bytes(); in memory_bytes()).
  uint64_t footer_bytes() const { return encoder_ ? encoder_->footer_bytes() : 0; }
  // kStaged: the staged bytes in memory (not counting the encoder's buffers).
  uint64_t staged_memory_bytes() const { return staged_ ? staged_->memory_bytes() : 0; }
  // kStaged: moves the staged bytes to a spill file; later bytes go there too. The encoder's open row group goes
  // first (FileEncoder::flush_buffered(): a shorter row group) when it holds at least `min_row_group_bytes`: each row
  // group costs footer metadata held until the file closes, so tiny ones would trade data for metadata.
  Status spill(uint64_t min_row_group_bytes = 0);
  // Bytes the encoder holds for its open row group: its memory less the footer metadata.
  uint64_t encoder_buffered_bytes() const;
  bool spilled() const { return staged_ && staged_->spilled(); }
  uint64_t spilled_bytes() const { return staged_ ? staged_->spilled_bytes() : 0; }

  // Finishes the open file with `metadata` and commits its object. kStaged: `before_upload` (may be null) is called
  // with the file's size just before the object is created; its failure uploads nothing. Returns the file's size.
  Result<uint64_t> commit(const KeyValueMetadata& metadata, const std::function<Status(uint64_t)>& before_upload);
  // kStaged: finishes the open file with `metadata` and hands its bytes over, to be uploaded later (on another
  // thread, sink/upload_queue.h). The writer has no open file afterwards.
  Result<std::unique_ptr<SealedObject>> seal(const KeyValueMetadata& metadata);
  void abort();

 private:
  ObjectStore& store_;
  const S3Settings& settings_;
  const Staging staging_;
  std::string spill_directory_;
  std::string key_;
  ObjectOptions options_;
  std::unique_ptr<ObjectWriter> object_;  // kDirect
  std::unique_ptr<StagedOutput> staged_;  // kStaged
  std::unique_ptr<FileEncoder> encoder_;
};

}  // namespace pgs3
