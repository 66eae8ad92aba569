#include "format/parquet/parquet_writer.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "format/parquet/column_chunk_writer.h"
#include "format/parquet/gen/parquet_types.h"
#include "format/parquet/parquet_schema.h"

namespace pgs3 {

namespace pt = parquet_thrift;

namespace {

constexpr std::string_view kMagic = "PAR1";

}  // namespace

Status ParquetWriterOptions::validate() const {
  if (data_page_size < 1 || data_page_size > (int64_t{1} << 30)) {
    return Status::bad_input("DataPageSize must be between 1 byte and 1 GiB, not " + std::to_string(data_page_size));
  }
  if (dict_page_size_limit < 0 || dict_page_size_limit > (int64_t{1} << 30)) {
    return Status::bad_input("DictPageSizeLimit must be between 0 and 1 GiB, not " +
                             std::to_string(dict_page_size_limit));
  }
  if (row_group_length < 1 || row_group_length > std::numeric_limits<int32_t>::max()) {
    return Status::bad_input("RowGroupLength must be between 1 and 2147483647 rows, not " +
                             std::to_string(row_group_length));
  }
  return Status::ok();
}

ParquetWriter::ParquetWriter(std::vector<ColumnSpec> schema, ParquetWriterOptions options, OutputStream* out)
    : schema_(std::move(schema)),
      options_(std::move(options)),
      out_(out),
      file_start_(out->position()),
      compressor_(options_.compression) {
  status_ = options_.validate();
  if (status_.is_ok() && schema_.empty()) status_ = Status::bad_input("a Parquet file needs at least one column");
  for (const ColumnSpec& spec : schema_) {
    if (!status_.is_ok()) break;
    status_ = validate_column_spec(spec);
  }
  if (!status_.is_ok()) return;
  columns_.reserve(schema_.size());
  for (const ColumnSpec& spec : schema_) {
    columns_.push_back(ColumnChunkWriter::create(spec, options_, &compressor_, &serializer_));
  }
}

ParquetWriter::~ParquetWriter() = default;

Status ParquetWriter::check_batch(const RecordBatch& batch) const {
  if (batch.columns.size() != schema_.size() || batch.schema.size() != schema_.size()) {
    return Status::internal("Parquet writer got a batch of " + std::to_string(batch.columns.size()) +
                            " columns for a file of " + std::to_string(schema_.size()));
  }
  const size_t rows = batch.rows();
  for (size_t c = 0; c < schema_.size(); ++c) {
    const ColumnSpec& spec = schema_[c];
    const ColumnVector& column = batch.columns[c];
    if (batch.schema[c].name != spec.name || column.physical() != spec.physical) {
      return Status::internal("Parquet writer got column \"" + batch.schema[c].name + "\" where the file has \"" +
                              spec.name + "\" of another type");
    }
    if (column.rows() != rows) {
      return Status::internal("column \"" + spec.name + "\" has " + std::to_string(column.rows()) +
                              " rows in a batch of " + std::to_string(rows));
    }
    if (!spec.nullable && column.null_count() > 0) {
      return Status::data_error("column \"" + spec.name + "\" is NOT NULL (REQUIRED in Parquet) but the batch holds " +
                                std::to_string(column.null_count()) + " NULLs");
    }
  }
  return Status::ok();
}

Status ParquetWriter::write_magic_once() {
  if (magic_written_) return Status::ok();
  PGS3_RETURN_IF_ERROR(out_->append(kMagic));
  magic_written_ = true;
  return Status::ok();
}

Status ParquetWriter::write(const RecordBatch& batch) {
  PGS3_RETURN_IF_ERROR(status_);
  if (finished_) return Status::internal("Parquet writer: write() after finish()");
  status_ = check_batch(batch);
  PGS3_RETURN_IF_ERROR(status_);
  const size_t rows = batch.rows();
  std::vector<size_t> value_cursor(columns_.size(), 0);
  size_t row = 0;
  while (row < rows) {
    size_t take = std::min(rows - row, static_cast<size_t>(options_.row_group_length - row_group_rows_));
    for (size_t c = 0; c < columns_.size(); ++c) {
      status_ = columns_[c]->append(batch.columns[c], row, row + take, &value_cursor[c]);
      PGS3_RETURN_IF_ERROR(status_);
    }
    row += take;
    row_group_rows_ += static_cast<int64_t>(take);
    rows_ += take;
    if (row_group_rows_ == options_.row_group_length) {
      status_ = flush_row_group();
      PGS3_RETURN_IF_ERROR(status_);
    }
  }
  return Status::ok();
}

Status ParquetWriter::flush_row_group() {
  if (row_group_rows_ == 0) return Status::ok();
  PGS3_RETURN_IF_ERROR(write_magic_once());
  pt::RowGroup group;
  group.__set_file_offset(static_cast<int64_t>(out_->position() - file_start_));
  int64_t uncompressed = 0;
  int64_t compressed = 0;
  std::vector<pt::ColumnChunk> chunks(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    PGS3_RETURN_IF_ERROR(columns_[c]->write_chunk(out_, file_start_, &chunks[c]));
    uncompressed += chunks[c].meta_data.total_uncompressed_size;
    compressed += chunks[c].meta_data.total_compressed_size;
  }
  group.columns = std::move(chunks);  // Thrift's __set_ copies
  group.__set_num_rows(row_group_rows_);
  group.__set_total_byte_size(uncompressed);
  group.__set_total_compressed_size(compressed);
  if (row_group_count_ <= static_cast<size_t>(std::numeric_limits<int16_t>::max())) {
    group.__set_ordinal(static_cast<int16_t>(row_group_count_));
  }
  // Kept encoded until finish(): Thrift's objects hold several times the bytes of their compact encoding (a
  // ColumnChunk is about 1.5 KB in memory), and a file of many short row groups holds thousands of them.
  PGS3_RETURN_IF_ERROR(serializer_.append(group, &row_groups_encoded_));
  ++row_group_count_;
  row_group_rows_ = 0;
  // The writers keep their buffers' capacity for the next row group; beyond kRetainedBytes that memory is given
  // back, so that a file between row groups costs the memory budget little (hundreds of tables hold a file each).
  if (memory_bytes() > footer_bytes() + kRetainedBytes) release_buffers();
  return Status::ok();
}

void ParquetWriter::release_buffers() {
  for (auto& column : columns_) column->release_buffers();
  compressor_.release();
}

Status ParquetWriter::flush_buffered() {
  PGS3_RETURN_IF_ERROR(status_);
  if (finished_) return Status::ok();
  status_ = flush_row_group();
  PGS3_RETURN_IF_ERROR(status_);
  // The writers' buffers keep their capacity (pages, dictionaries) after a row group: that is the memory the caller
  // wants back.
  release_buffers();
  return Status::ok();
}

uint64_t ParquetWriter::memory_bytes() const {
  uint64_t bytes = compressor_.memory_bytes() + footer_bytes();
  for (const auto& column : columns_) bytes += column->memory_bytes();
  return bytes;
}

uint64_t ParquetWriter::estimated_size() const {
  uint64_t size = (out_->position() - file_start_) + (magic_written_ ? 0 : kMagic.size());
  for (const auto& column : columns_) size += column->buffered_size();
  return size;
}

Status ParquetWriter::finish(const KeyValueMetadata& metadata) {
  PGS3_RETURN_IF_ERROR(status_);
  if (finished_) return Status::internal("Parquet writer: finish() called twice");
  status_ = flush_row_group();
  PGS3_RETURN_IF_ERROR(status_);
  status_ = write_magic_once();
  PGS3_RETURN_IF_ERROR(status_);

  pt::FileMetaData file;
  // The specification asks writers for version 1 whatever page format they use ("readers should accept 1 and 2").
  file.__set_version(1);
  std::vector<pt::SchemaElement> elements;
  elements.reserve(schema_.size() + 1);
  pt::SchemaElement root;
  root.__set_name("schema");
  root.__set_num_children(static_cast<int32_t>(schema_.size()));
  elements.push_back(root);
  for (const ColumnSpec& spec : schema_) elements.push_back(schema_element_for(spec));
  file.schema = std::move(elements);
  file.__set_num_rows(static_cast<int64_t>(rows_));
  file.row_groups.reserve(row_group_count_);
  for (std::string_view encoded = row_groups_encoded_; !encoded.empty();) {
    pt::RowGroup group;
    Result<uint32_t> used = thrift_deserialize(encoded, &group, "a row group's metadata");
    if (!used.is_ok()) return status_ = used.status().with_context("Parquet writer");
    file.row_groups.push_back(std::move(group));
    encoded.remove_prefix(*used);
  }
  std::string().swap(row_groups_encoded_);
  if (!metadata.empty()) {
    std::vector<pt::KeyValue> kvs;
    kvs.reserve(metadata.size());
    for (const auto& [key, value] : metadata) {
      pt::KeyValue kv;
      kv.__set_key(key);
      kv.__set_value(value);
      kvs.push_back(std::move(kv));
    }
    file.key_value_metadata = std::move(kvs);
    file.__isset.key_value_metadata = true;
  }
  file.__set_created_by(options_.created_by);
  pt::ColumnOrder order;
  order.__set_TYPE_ORDER(pt::TypeDefinedOrder());
  file.__set_column_orders(std::vector<pt::ColumnOrder>(schema_.size(), order));

  std::string footer;
  status_ = serializer_.append(file, &footer);
  PGS3_RETURN_IF_ERROR(status_);
  if (footer.size() > std::numeric_limits<uint32_t>::max()) {
    status_ = Status::data_error("the Parquet footer exceeds 4 GiB; lower the file size");
    return status_;
  }
  auto length = static_cast<uint32_t>(footer.size());
  char trailer[8];
  std::memcpy(trailer, &length, 4);  // little-endian
  std::memcpy(trailer + 4, kMagic.data(), 4);
  footer.append(trailer, 8);
  status_ = out_->append(footer);
  PGS3_RETURN_IF_ERROR(status_);
  finished_ = true;
  return Status::ok();
}

}  // namespace pgs3
