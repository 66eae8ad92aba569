#include "format/parquet_read/parquet_footer.h"

#include <cstring>

#include "format/parquet/gen/parquet_types.h"
#include "format/parquet/parquet_schema.h"
#include "format/parquet/thrift_codec.h"
#include "format/parquet_read/file_metadata.h"

namespace pgs3 {

namespace pt = parquet_thrift;

Result<uint32_t> read_parquet_metadata_length(std::string_view file_tail) {
  if (file_tail.size() < kParquetTrailerSize) {
    return Status::data_error("not a Parquet file: " + std::to_string(file_tail.size()) +
                              " bytes cannot hold the 8-byte trailer");
  }
  if (file_tail.substr(file_tail.size() - 4) != "PAR1") {
    return Status::data_error(
        "not a Parquet file: it does not end with \"PAR1\" (encrypted footers, \"PARE\", are not "
        "supported)");
  }
  uint32_t length;
  std::memcpy(&length, file_tail.data() + file_tail.size() - kParquetTrailerSize, 4);
  return length;
}

Result<parquet_thrift::FileMetaData> read_file_metadata(std::string_view file_tail) {
  PGS3_ASSIGN_OR_RETURN(uint32_t length, read_parquet_metadata_length(file_tail));
  if (file_tail.size() - kParquetTrailerSize < length) {
    return Status::data_error("the Parquet footer is " + std::to_string(length) + " bytes but only " +
                              std::to_string(file_tail.size() - kParquetTrailerSize) +
                              " bytes precede the trailer: read a longer tail of the file");
  }
  return parse_file_metadata(file_tail.substr(file_tail.size() - kParquetTrailerSize - length, length));
}

Result<parquet_thrift::FileMetaData> parse_file_metadata(std::string_view metadata) {
  pt::FileMetaData file;
  PGS3_ASSIGN_OR_RETURN(uint32_t used, thrift_deserialize(metadata, &file, "the Parquet footer"));
  if (used != metadata.size()) {
    return Status::data_error("the Parquet footer holds " + std::to_string(metadata.size() - used) +
                              " bytes after its FileMetaData");
  }
  return file;
}

Result<ParquetFooter> footer_from(const pt::FileMetaData& file) {
  ParquetFooter footer;
  footer.num_rows = file.num_rows;
  footer.num_row_groups = file.row_groups.size();
  if (file.__isset.created_by) footer.created_by = file.created_by;
  if (file.schema.empty()) return Status::data_error("the Parquet footer has no schema");
  const pt::SchemaElement& root = file.schema.front();
  int32_t children = root.__isset.num_children ? root.num_children : 0;
  if (children != static_cast<int32_t>(file.schema.size()) - 1) {
    return Status::data_error("the Parquet schema is nested (the root has " + std::to_string(children) +
                              " children but there are " + std::to_string(file.schema.size() - 1) +
                              " elements); pgs3 reads flat schemas only");
  }
  for (size_t i = 1; i < file.schema.size(); ++i) {
    PGS3_ASSIGN_OR_RETURN(ColumnSpec spec, column_spec_from(file.schema[i]));
    footer.schema.push_back(std::move(spec));
  }
  if (file.__isset.key_value_metadata) {
    for (const pt::KeyValue& kv : file.key_value_metadata) {
      footer.key_value_metadata.emplace_back(kv.key, kv.__isset.value ? kv.value : std::string());
    }
  }
  return footer;
}

Result<ParquetFooter> read_parquet_footer(std::string_view file_tail) {
  PGS3_ASSIGN_OR_RETURN(pt::FileMetaData file, read_file_metadata(file_tail));
  return footer_from(file);
}

Result<ParquetFooter> parse_parquet_metadata(std::string_view metadata) {
  PGS3_ASSIGN_OR_RETURN(pt::FileMetaData file, parse_file_metadata(metadata));
  return footer_from(file);
}

}  // namespace pgs3
