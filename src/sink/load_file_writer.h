// LoadFileWriter: one table's full-load rows, written as the numbered objects LOAD00000001.<ext>, LOAD00000002...
//
// A new file is started when the current one reaches MaxFileSize (checked after each batch, so a file can exceed
// the limit by at most one batch). Files are written straight into their objects (RollingObjectWriter, kDirect:
// nothing about a LOAD file is unknown when it starts) and each appears atomically.
//
// A new full load replaces the table's image: every object found under its prefix when the first new file is about
// to be committed — LOAD files of an earlier load (whatever their number or format) and change files of an earlier
// CDC task (with their date folders) — is removed first, with a log line that counts them, so that no reader
// replays stale history over the new LOAD files (the checkpoint that named them may be gone: a task started over).
// The first file's own key is left to be replaced in place, so a one-file table is never seen empty. A table with no
// rows writes no file; finish() then removes its earlier objects.
// Used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/file_encoder.h"
#include "rules/task_config.h"
#include "sink/rolling_object_writer.h"
#include "store/object_store.h"

namespace pgs3 {

class LoadFileWriter {
 public:
  // `object_options` (the table's S3 tags) go with every file; `metadata` into every file's key-value metadata.
  LoadFileWriter(ObjectStore& store, const S3Settings& settings, std::string prefix, std::vector<ColumnSpec> schema,
                 KeyValueMetadata metadata, ObjectOptions object_options = {});

  Status write(const RecordBatch& batch);
  Status finish();
  // Discards the file being written (committed files stay).
  void abort() { file_.abort(); }

  uint64_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }

 private:
  Status close_current();
  // Removes every object under the prefix but `keep`, logging how many.
  Status remove_earlier_objects(const std::string& keep);

  ObjectStore& store_;
  const S3Settings& settings_;
  ObjectOptions object_options_;
  std::string prefix_;
  std::string extension_;
  std::vector<ColumnSpec> schema_;
  KeyValueMetadata metadata_;
  RollingObjectWriter file_;
  uint64_t files_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace pgs3
