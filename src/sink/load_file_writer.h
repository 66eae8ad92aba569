// LoadFileWriter: one table's full-load rows, written as the numbered objects LOAD00000001.<ext>, LOAD00000002...
//
// A new file is started when the current one reaches MaxFileSize (checked after each batch, so a file can exceed
// the limit by at most one batch). Files are written straight into their objects (RollingObjectWriter, kDirect:
// nothing about a LOAD file is unknown when it starts) and each appears atomically. finish() also removes LOAD
// files numbered beyond the ones this load wrote — leftovers of an earlier, larger load of the same table — only
// after the new files are in place, so a reader never finds the table empty. A table with no rows writes no file.
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
