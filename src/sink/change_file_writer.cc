#include "sink/change_file_writer.h"

#include "model/change_position_text.h"
#include "sink/date_partition.h"
#include "sink/object_keys.h"

namespace pgs3 {

ChangeFileWriter::ChangeFileWriter(ObjectStore& store, const S3Settings& settings, ChangeWriterOptions options)
    : ChangeWriter(store, settings, std::move(options), /*mixed_tables=*/false), extension_(file_extension(settings)) {}

std::string ChangeFileWriter::file_key(std::chrono::system_clock::time_point opened_at, const DmsRowShape& shape,
                                       int64_t commit_time_us) {
  const RelationDescriptor& rel = shape.relation();
  std::string key = table_prefix(settings(), rel.schema, rel.name);
  if (settings().date_partition.enabled) {
    key += date_partition_folder(settings().date_partition, commit_time_point(commit_time_us)) + "/";
  }
  return key + namer().next(opened_at) + "." + extension_;
}

void ChangeFileWriter::add_file_metadata(const DmsRowShape& shape, KeyValueMetadata& metadata) const {
  metadata.emplace_back("pgs3.source.schema", shape.relation().schema);
  metadata.emplace_back("pgs3.source.table", shape.relation().name);
}

}  // namespace pgs3
