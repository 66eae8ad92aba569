// ChangeFileWriter: one table's change (CDC) files — the ChangeWriter (sink/change_writer.h) that puts them where
// DMS does (AWS DMS User Guide, "Using Amazon S3 as a target"; sink/change_file_name.h for the name):
//
//   <BucketFolder>/<schema>/<table>/[<date folder>/]<yyyymmdd-hhmmssfff>.<ext>
//
// The date folder (DatePartitionEnabled) is the commit date of the file's first change. Each file's Parquet
// key-value metadata also names the table (pgs3.source.schema, pgs3.source.table, as the LOAD files do), and so does
// its S3 user metadata.
//
// Not thread-safe: one thread (the replication loop) drives a writer.
#pragma once

#include "sink/change_writer.h"

namespace pgs3 {

class ChangeFileWriter final : public ChangeWriter {
 public:
  // `store` (and options.memory_budget) must outlive the writer. Nothing is written before the first change.
  ChangeFileWriter(ObjectStore& store, const S3Settings& settings, ChangeWriterOptions options = {});

 private:
  std::string file_key(std::chrono::system_clock::time_point opened_at, const DmsRowShape& shape,
                       int64_t commit_time_us) override;
  void add_file_metadata(const DmsRowShape& shape, KeyValueMetadata& metadata) const override;

  std::string extension_;
};

}  // namespace pgs3
