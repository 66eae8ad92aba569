// LoadFileWriter: the rows of one segment of a table's full load (the whole table when it is not split), written as
// numbered objects LOAD00000001.<ext>, LOAD00000002... of the table's LoadFileSet (sink/load_file_set.h: the
// numbering and the removal of the table's earlier objects are shared by the segments).
//
// A new file is started when the current one reaches MaxFileSize (checked after each batch, so a file can exceed
// the limit by at most one batch). Files are written straight into their objects (RollingObjectWriter, kDirect:
// nothing about a LOAD file is unknown when it starts) and each appears atomically. A segment with no rows writes no
// file.
// Used by one thread (several writers of one set may run on several).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/file_encoder.h"
#include "rules/task_config.h"
#include "sink/load_file_set.h"
#include "sink/rolling_object_writer.h"
#include "store/object_store.h"

namespace pgs3 {

class LoadFileWriter {
 public:
  // `object_options` (the table's S3 tags) go with every file; `metadata` into every file's key-value metadata.
  LoadFileWriter(ObjectStore& store, const S3Settings& settings, LoadFileSet& set, std::vector<ColumnSpec> schema,
                 KeyValueMetadata metadata, ObjectOptions object_options = {});

  Status write(const RecordBatch& batch);
  // Commits the file being written. The set's finish() comes after every writer of the set has finished.
  Status finish();
  // Discards the file being written (committed files stay).
  void abort() { file_.abort(); }

  // This writer's files and their bytes.
  uint64_t files() const { return files_; }
  uint64_t bytes() const { return bytes_; }

 private:
  Status close_current();

  const S3Settings& settings_;
  LoadFileSet& set_;
  ObjectOptions object_options_;
  std::string extension_;
  std::vector<ColumnSpec> schema_;
  KeyValueMetadata metadata_;
  RollingObjectWriter file_;
  uint64_t files_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace pgs3
