#include "format/parquet_read/parquet_reader.h"

#include <cstring>
#include <utility>
#include <vector>

#include "format/compression.h"
#include "format/parquet/parquet_schema.h"
#include "format/parquet/rle_bit_packed.h"
#include "format/parquet/thrift_codec.h"
#include "format/parquet_read/delta_encoding.h"
#include "format/parquet_read/file_metadata.h"
#include "format/parquet_read/parquet_footer.h"

namespace pgs3 {

namespace pt = parquet_thrift;

namespace {

const char* encoding_name(pt::Encoding::type encoding) {
  auto it = pt::_Encoding_VALUES_TO_NAMES.find(encoding);
  return it == pt::_Encoding_VALUES_TO_NAMES.end() ? "unknown" : it->second;
}

Result<Compression> compression_of(pt::CompressionCodec::type codec) {
  switch (codec) {
    case pt::CompressionCodec::UNCOMPRESSED: return Compression::kNone;
    case pt::CompressionCodec::SNAPPY: return Compression::kSnappy;
    case pt::CompressionCodec::GZIP: return Compression::kGzip;
    case pt::CompressionCodec::ZSTD: return Compression::kZstd;
    default: {
      auto it = pt::_CompressionCodec_VALUES_TO_NAMES.find(codec);
      std::string name = it == pt::_CompressionCodec_VALUES_TO_NAMES.end() ? std::to_string(codec) : it->second;
      return Status::data_error("compression codec " + name + " is not supported (none, snappy, gzip, zstd are)");
    }
  }
}

uint32_t read_le32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Decodes the pages of one column chunk into a ColumnVector.
class ChunkDecoder {
 public:
  ChunkDecoder(const ColumnSpec& spec, Compression codec, ColumnVector* out)
      : spec_(spec), codec_(codec), width_(value_width(spec)), out_(out) {}

  Status decode(std::string_view chunk, int64_t num_values) {
    int64_t seen = 0;
    while (seen < num_values) {
      if (chunk.empty()) {
        return error("the column chunk ends after " + std::to_string(seen) + " of its " + std::to_string(num_values) +
                     " values");
      }
      pt::PageHeader header;
      PGS3_ASSIGN_OR_RETURN(uint32_t used, thrift_deserialize(chunk, &header, "a page header"));
      chunk.remove_prefix(used);
      if (header.compressed_page_size < 0 || static_cast<size_t>(header.compressed_page_size) > chunk.size()) {
        return error("a page runs past the end of its column chunk");
      }
      if (header.uncompressed_page_size < 0 || static_cast<size_t>(header.uncompressed_page_size) > kMaxPageBytes) {
        return error("a page header gives an uncompressed size of " + std::to_string(header.uncompressed_page_size) +
                     " bytes");
      }
      std::string_view body = chunk.substr(0, static_cast<size_t>(header.compressed_page_size));
      chunk.remove_prefix(body.size());
      switch (header.type) {
        case pt::PageType::DICTIONARY_PAGE: PGS3_RETURN_IF_ERROR(read_dictionary(header, body)); break;
        case pt::PageType::DATA_PAGE: {
          if (!header.__isset.data_page_header) return error("a v1 data page has no data page header");
          const pt::DataPageHeader& data = header.data_page_header;
          PGS3_RETURN_IF_ERROR(check_value_count(data.num_values, num_values - seen));
          PGS3_RETURN_IF_ERROR(decompress(codec_, body, static_cast<size_t>(header.uncompressed_page_size), &page_));
          std::string_view rest = page_;
          std::string_view levels;
          if (spec_.nullable) {
            if (data.definition_level_encoding != pt::Encoding::RLE) {
              return error(std::string("definition levels encoded as ") +
                           encoding_name(data.definition_level_encoding) + " are not supported (RLE is)");
            }
            if (rest.size() < 4) return error("a v1 data page is too short for its levels' length");
            uint32_t length = read_le32(rest.data());
            if (rest.size() - 4 < length) return error("a v1 data page's definition levels run past the page");
            levels = rest.substr(4, length);
            rest.remove_prefix(4 + static_cast<size_t>(length));
          }
          PGS3_RETURN_IF_ERROR(read_values(data.num_values, levels, data.encoding, rest));
          seen += data.num_values;
          break;
        }
        case pt::PageType::DATA_PAGE_V2: {
          if (!header.__isset.data_page_header_v2) return error("a v2 data page has no data page header");
          const pt::DataPageHeaderV2& data = header.data_page_header_v2;
          PGS3_RETURN_IF_ERROR(check_value_count(data.num_values, num_values - seen));
          if (data.definition_levels_byte_length < 0 || data.repetition_levels_byte_length < 0) {
            return error("a v2 data page gives a negative levels length");
          }
          if (data.repetition_levels_byte_length != 0) return error("a v2 data page has repetition levels");
          size_t level_bytes = static_cast<size_t>(data.definition_levels_byte_length);
          if (level_bytes > body.size() || level_bytes > static_cast<size_t>(header.uncompressed_page_size)) {
            return error("a v2 data page's levels run past the page");
          }
          std::string_view levels = body.substr(0, level_bytes);
          std::string_view values = body.substr(level_bytes);
          size_t uncompressed = static_cast<size_t>(header.uncompressed_page_size) - level_bytes;
          bool compressed = !data.__isset.is_compressed || data.is_compressed;
          PGS3_RETURN_IF_ERROR(decompress(compressed ? codec_ : Compression::kNone, values, uncompressed, &page_));
          if (!spec_.nullable && data.num_nulls != 0) return error("a REQUIRED column has a page with NULLs");
          PGS3_RETURN_IF_ERROR(
              read_values(data.num_values, spec_.nullable ? levels : std::string_view(), data.encoding, page_));
          seen += data.num_values;
          break;
        }
        default: break;  // index pages carry nothing a reader of values needs
      }
    }
    return Status::ok();
  }

 private:
  Status error(const std::string& what) const { return Status::data_error("column \"" + spec_.name + "\": " + what); }

  Status check_value_count(int32_t page_values, int64_t remaining) const {
    if (page_values < 0 || page_values > kMaxPageValues || page_values > remaining) {
      return error("a data page claims " + std::to_string(page_values) + " values where at most " +
                   std::to_string(remaining) + " remain in the column chunk");
    }
    return Status::ok();
  }

  Status decompress(Compression codec, std::string_view input, size_t uncompressed_size, std::string* out) const {
    Status s = decompress_block(codec, input, uncompressed_size, out);
    if (!s.is_ok()) return error("a page does not decompress: " + s.message());
    return Status::ok();
  }

  Status read_dictionary(const pt::PageHeader& header, std::string_view body) {
    if (spec_.physical == PhysicalType::kBoolean) return error("a BOOLEAN column has a dictionary page");
    if (!header.__isset.dictionary_page_header) return error("a dictionary page has no dictionary page header");
    PGS3_RETURN_IF_ERROR(
        decompress(codec_, body, static_cast<size_t>(header.uncompressed_page_size), &dictionary_bytes_));
    dictionary_.clear();
    std::string_view rest = dictionary_bytes_;
    int32_t count = header.dictionary_page_header.num_values;
    if (count < 0) return error("a dictionary page claims a negative number of values");
    for (int32_t i = 0; i < count; ++i) {
      std::string_view value;
      PGS3_RETURN_IF_ERROR(next_plain(&rest, &value));
      dictionary_.push_back(value);
    }
    return Status::ok();
  }

  // The next PLAIN value (not BOOLEAN) as its bytes.
  Status next_plain(std::string_view* rest, std::string_view* value) const {
    size_t size = static_cast<size_t>(width_);
    if (spec_.physical == PhysicalType::kByteArray) {
      if (rest->size() < 4) return error("PLAIN data ends inside a length");
      size = read_le32(rest->data());
      rest->remove_prefix(4);
    }
    if (rest->size() < size) return error("PLAIN data ends inside a value");
    *value = rest->substr(0, size);
    rest->remove_prefix(size);
    return Status::ok();
  }

  void append(std::string_view value) {
    switch (spec_.physical) {
      case PhysicalType::kByteArray:
      case PhysicalType::kFixedLenByteArray: out_->append_bytes(value); break;
      case PhysicalType::kInt32: {
        int32_t v;
        std::memcpy(&v, value.data(), 4);
        out_->append_int32(v);
        break;
      }
      case PhysicalType::kInt64: {
        int64_t v;
        std::memcpy(&v, value.data(), 8);
        out_->append_int64(v);
        break;
      }
      case PhysicalType::kFloat: {
        float v;
        std::memcpy(&v, value.data(), 4);
        out_->append_float(v);
        break;
      }
      case PhysicalType::kDouble: {
        double v;
        std::memcpy(&v, value.data(), 8);
        out_->append_double(v);
        break;
      }
      case PhysicalType::kBoolean: break;  // never: booleans are bits, decoded by read_booleans()
    }
  }

  Status read_booleans(size_t n, pt::Encoding::type encoding, std::string_view values, size_t present) {
    if (encoding == pt::Encoding::RLE) {
      // Encodings.md: RLE booleans (data page v2) carry a 4-byte length before the hybrid runs.
      if (values.size() < 4) return error("RLE booleans lack their length");
      uint32_t length = read_le32(values.data());
      if (values.size() - 4 < length) return error("RLE booleans run past the page");
      bits_.resize(present);
      PGS3_RETURN_IF_ERROR(decode_rle_bit_packed(values.substr(4, length), 1, present, bits_.data()).status());
    } else if (encoding == pt::Encoding::PLAIN) {
      if (values.size() * 8 < present) return error("PLAIN booleans end early");
      bits_.resize(present);
      for (size_t b = 0; b < present; ++b) bits_[b] = (static_cast<uint8_t>(values[b / 8]) >> (b % 8)) & 1;
    } else {
      return error(std::string("BOOLEAN values encoded as ") + encoding_name(encoding) + " are not supported");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!defined_[i]) {
        out_->append_null();
      } else {
        out_->append_bool(bits_[k++] != 0);
      }
    }
    return Status::ok();
  }

  Status read_values(int32_t num_values, std::string_view levels, pt::Encoding::type encoding,
                     std::string_view values) {
    const auto n = static_cast<size_t>(num_values);
    defined_.assign(n, 1);
    if (spec_.nullable) {
      Result<size_t> used = decode_rle_bit_packed(levels, 1, n, defined_.data());
      if (!used.is_ok()) return error("definition levels: " + used.status().message());
    }
    size_t present = 0;
    for (uint32_t d : defined_) {
      if (d > 1) return error("a definition level is above 1 in a flat schema");
      present += d;
    }
    if (spec_.physical == PhysicalType::kBoolean) return read_booleans(n, encoding, values, present);
    if (encoding == pt::Encoding::PLAIN) {
      for (size_t i = 0; i < n; ++i) {
        if (!defined_[i]) {
          out_->append_null();
          continue;
        }
        std::string_view value;
        PGS3_RETURN_IF_ERROR(next_plain(&values, &value));
        append(value);
      }
      return Status::ok();
    }
    if (encoding == pt::Encoding::PLAIN_DICTIONARY || encoding == pt::Encoding::RLE_DICTIONARY) {
      indices_.resize(present);
      if (present > 0) {
        if (values.empty()) return error("a dictionary-encoded page has no bit width");
        int width = static_cast<uint8_t>(values[0]);
        if (width > 32) return error("a dictionary-encoded page has bit width " + std::to_string(width));
        Result<size_t> used = decode_rle_bit_packed(values.substr(1), width, present, indices_.data());
        if (!used.is_ok()) return error("dictionary indices: " + used.status().message());
      }
      size_t k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!defined_[i]) {
          out_->append_null();
          continue;
        }
        uint32_t index = indices_[k++];
        if (index >= dictionary_.size()) {
          return error("dictionary index " + std::to_string(index) + " is past the dictionary's " +
                       std::to_string(dictionary_.size()) + " values");
        }
        append(dictionary_[index]);
      }
      return Status::ok();
    }
    if (encoding == pt::Encoding::DELTA_BINARY_PACKED &&
        (spec_.physical == PhysicalType::kInt32 || spec_.physical == PhysicalType::kInt64)) {
      deltas_.resize(present);
      if (present > 0) {
        Result<size_t> used = decode_delta_binary_packed(values, present, deltas_.data());
        if (!used.is_ok()) return error(used.status().message());
      }
      size_t k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!defined_[i]) {
          out_->append_null();
        } else if (spec_.physical == PhysicalType::kInt32) {
          out_->append_int32(static_cast<int32_t>(static_cast<uint32_t>(deltas_[k++])));
        } else {
          out_->append_int64(deltas_[k++]);
        }
      }
      return Status::ok();
    }
    if (encoding == pt::Encoding::BYTE_STREAM_SPLIT && spec_.physical != PhysicalType::kByteArray) {
      // Encodings.md: byte k of value i is at k * count + i (K streams of the values' k-th bytes).
      const auto w = static_cast<size_t>(width_);
      if (values.size() != present * w) {
        return error("BYTE_STREAM_SPLIT data has " + std::to_string(values.size()) + " bytes for " +
                     std::to_string(present) + " values of " + std::to_string(w) + " bytes");
      }
      std::string value(w, '\0');
      size_t k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!defined_[i]) {
          out_->append_null();
          continue;
        }
        for (size_t b = 0; b < w; ++b) value[b] = values[b * present + k];
        ++k;
        append(value);
      }
      return Status::ok();
    }
    bool delta_length = encoding == pt::Encoding::DELTA_LENGTH_BYTE_ARRAY && spec_.physical == PhysicalType::kByteArray;
    bool delta_bytes =
        encoding == pt::Encoding::DELTA_BYTE_ARRAY &&
        (spec_.physical == PhysicalType::kByteArray || spec_.physical == PhysicalType::kFixedLenByteArray);
    if (delta_length || delta_bytes) {
      views_.clear();
      if (present > 0) {
        Status s = delta_length ? decode_delta_length_byte_array(values, present, &views_)
                                : decode_delta_byte_array(values, present, &delta_storage_, &views_);
        if (!s.is_ok()) return error(s.message());
      }
      size_t k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!defined_[i]) {
          out_->append_null();
          continue;
        }
        std::string_view value = views_[k++];
        if (spec_.physical == PhysicalType::kFixedLenByteArray && value.size() != static_cast<size_t>(width_)) {
          return error("a DELTA_BYTE_ARRAY value has " + std::to_string(value.size()) + " bytes, not " +
                       std::to_string(width_));
        }
        out_->append_bytes(value);
      }
      return Status::ok();
    }
    return error(std::string("values encoded as ") + encoding_name(encoding) + " are not supported for " +
                 physical_name(spec_.physical) +
                 " (PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, the DELTA encodings and BYTE_STREAM_SPLIT are)");
  }

  const ColumnSpec& spec_;
  Compression codec_;
  int width_;
  ColumnVector* out_;
  std::string page_;
  std::string dictionary_bytes_;
  std::vector<std::string_view> dictionary_;  // views into dictionary_bytes_
  std::vector<uint32_t> defined_;
  std::vector<uint32_t> indices_;
  std::vector<uint32_t> bits_;
  std::vector<int64_t> deltas_;
  std::vector<std::string_view> views_;  // into values or delta_storage_
  std::string delta_storage_;
};

}  // namespace

ParquetFileReader::ParquetFileReader(ParquetSource* source, const pt::FileMetaData& metadata,
                                     std::vector<ParquetColumn> columns)
    : source_(source), metadata_(metadata), columns_(std::move(columns)) {
  schema_.reserve(columns_.size());
  for (const ParquetColumn& column : columns_) schema_.push_back(column.storage);
}

Result<std::unique_ptr<ParquetFileReader>> ParquetFileReader::open(ParquetSource* source) {
  const uint64_t size = source->size();
  if (size < 4 + kParquetTrailerSize) {
    return Status::data_error("not a Parquet file: " + std::to_string(size) + " bytes is too short");
  }
  std::string bytes;
  PGS3_RETURN_IF_ERROR(source->read(0, 4, &bytes));
  if (bytes != "PAR1") return Status::data_error("not a Parquet file: it does not start with \"PAR1\"");
  std::string trailer;
  PGS3_RETURN_IF_ERROR(source->read(size - kParquetTrailerSize, kParquetTrailerSize, &trailer));
  if (trailer.substr(4) != "PAR1") {
    return Status::data_error("not a complete Parquet file: it does not end with \"PAR1\" (truncated?)");
  }
  uint32_t length = read_le32(trailer.data());
  if (length == 0 || length > size - 4 - kParquetTrailerSize) {
    return Status::data_error("the Parquet footer length " + std::to_string(length) + " does not fit in the file's " +
                              std::to_string(size) + " bytes");
  }
  PGS3_RETURN_IF_ERROR(source->read(size - kParquetTrailerSize - length, length, &bytes));
  PGS3_ASSIGN_OR_RETURN(pt::FileMetaData metadata, parse_file_metadata(bytes));
  if (metadata.schema.empty()) return Status::data_error("the Parquet footer has an empty schema");
  const pt::SchemaElement& root = metadata.schema[0];
  if (!root.__isset.num_children || root.num_children != static_cast<int32_t>(metadata.schema.size() - 1)) {
    return Status::data_error("the Parquet schema is not flat (nested groups are not supported)");
  }
  std::vector<ParquetColumn> columns;
  for (size_t i = 1; i < metadata.schema.size(); ++i) {
    PGS3_ASSIGN_OR_RETURN(ParquetColumn column, parquet_column_from(metadata.schema[i]));
    columns.push_back(std::move(column));
  }
  if (metadata.num_rows < 0) return Status::data_error("the Parquet footer gives a negative row count");
  return std::unique_ptr<ParquetFileReader>(new ParquetFileReader(source, metadata, std::move(columns)));
}

const std::string* ParquetFileReader::key_value(std::string_view key) const {
  for (const pt::KeyValue& kv : metadata_.key_value_metadata) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

Status ParquetFileReader::read_row_group(size_t index, RecordBatch* out) {
  *out = RecordBatch(schema_);
  const pt::RowGroup& group = metadata_.row_groups.at(index);
  const std::string where = "row group " + std::to_string(index) + ": ";
  if (group.columns.size() != schema_.size()) {
    return Status::data_error(where + "has " + std::to_string(group.columns.size()) + " column chunks for " +
                              std::to_string(schema_.size()) + " columns");
  }
  if (group.num_rows < 0) return Status::data_error(where + "has a negative row count");
  const uint64_t file_size = source_->size();
  for (size_t c = 0; c < schema_.size(); ++c) {
    const pt::ColumnChunk& chunk = group.columns[c];
    const std::string column_where = where + "column \"" + schema_[c].name + "\": ";
    if (!chunk.file_path.empty()) return Status::data_error(column_where + "its data is in another file");
    if (!chunk.__isset.meta_data) return Status::data_error(column_where + "has no column metadata");
    const pt::ColumnMetaData& meta = chunk.meta_data;
    // Some writers set dictionary_page_offset to 0 when there is no dictionary; only an offset before the first
    // data page can be a dictionary page.
    int64_t start = meta.__isset.dictionary_page_offset && meta.dictionary_page_offset > 0 &&
                            meta.dictionary_page_offset < meta.data_page_offset
                        ? meta.dictionary_page_offset
                        : meta.data_page_offset;
    if (start < 4 || meta.total_compressed_size < 0 ||
        static_cast<uint64_t>(start) + static_cast<uint64_t>(meta.total_compressed_size) > file_size) {
      return Status::data_error(column_where + "its chunk lies outside the file");
    }
    if (meta.num_values != group.num_rows) {
      return Status::data_error(column_where + "has " + std::to_string(meta.num_values) + " values for " +
                                std::to_string(group.num_rows) + " rows");
    }
    Result<Compression> codec = compression_of(meta.codec);
    if (!codec.is_ok()) return Status::data_error(column_where + codec.status().message());
    PGS3_RETURN_IF_ERROR(
        source_->read(static_cast<uint64_t>(start), static_cast<size_t>(meta.total_compressed_size), &chunk_));
    ChunkDecoder decoder(schema_[c], *codec, &out->columns[c]);
    Status s = decoder.decode(chunk_, meta.num_values);
    if (!s.is_ok()) return Status::data_error(where + s.message());
    if (out->columns[c].rows() != static_cast<size_t>(group.num_rows)) {
      return Status::data_error(column_where + "decoded " + std::to_string(out->columns[c].rows()) + " rows, not " +
                                std::to_string(group.num_rows));
    }
  }
  return Status::ok();
}

Result<RecordBatch> read_parquet_file(std::string_view file_bytes) {
  MemoryParquetSource source(file_bytes);
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ParquetFileReader> reader, ParquetFileReader::open(&source));
  RecordBatch all(reader->schema());
  RecordBatch group;
  for (size_t g = 0; g < reader->num_row_groups(); ++g) {
    PGS3_RETURN_IF_ERROR(reader->read_row_group(g, &group));
    for (size_t c = 0; c < all.columns.size(); ++c) {
      const ColumnVector& from = group.columns[c];
      ColumnVector& to = all.columns[c];
      size_t v = 0;
      for (size_t r = 0; r < from.rows(); ++r) {
        if (!from.defined()[r]) {
          to.append_null();
          continue;
        }
        switch (from.physical()) {
          case PhysicalType::kBoolean: to.append_bool(from.fixed_at<uint8_t>(v) != 0); break;
          case PhysicalType::kInt32: to.append_int32(from.fixed_at<int32_t>(v)); break;
          case PhysicalType::kInt64: to.append_int64(from.fixed_at<int64_t>(v)); break;
          case PhysicalType::kFloat: to.append_float(from.fixed_at<float>(v)); break;
          case PhysicalType::kDouble: to.append_double(from.fixed_at<double>(v)); break;
          case PhysicalType::kByteArray: to.append_bytes(from.bytes_at(v)); break;
          case PhysicalType::kFixedLenByteArray: to.append_bytes(from.fixed_bytes_at(v)); break;
        }
        ++v;
      }
    }
  }
  return all;
}

}  // namespace pgs3
