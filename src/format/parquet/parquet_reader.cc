#include "format/parquet/parquet_reader.h"

#include <cstring>
#include <vector>

#include "format/compression.h"
#include "format/parquet/file_metadata.h"
#include "format/parquet/parquet_schema.h"
#include "format/parquet/rle_bit_packed.h"
#include "format/parquet/thrift_codec.h"

namespace pgs3 {

namespace pt = parquet_thrift;

namespace {

Result<Compression> compression_of(pt::CompressionCodec::type codec) {
  switch (codec) {
    case pt::CompressionCodec::UNCOMPRESSED: return Compression::kNone;
    case pt::CompressionCodec::SNAPPY: return Compression::kSnappy;
    case pt::CompressionCodec::GZIP: return Compression::kGzip;
    case pt::CompressionCodec::ZSTD: return Compression::kZstd;
    default: return Status::data_error("compression codec " + std::to_string(codec) + " is not supported");
  }
}

// Decodes one column chunk into a ColumnVector.
class ChunkReader {
 public:
  ChunkReader(const ColumnSpec& spec, Compression codec, ColumnVector* out)
      : spec_(spec), codec_(codec), width_(value_width(spec)), out_(out) {}

  Status read(std::string_view chunk, int64_t num_values) {
    int64_t seen = 0;
    while (seen < num_values) {
      if (chunk.empty()) return error("the column chunk ends before its " + std::to_string(num_values) + " values");
      pt::PageHeader header;
      PGS3_ASSIGN_OR_RETURN(uint32_t used, thrift_deserialize(chunk, &header, "a page header"));
      chunk.remove_prefix(used);
      if (header.compressed_page_size < 0 || static_cast<size_t>(header.compressed_page_size) > chunk.size()) {
        return error("a page runs past the end of its column chunk");
      }
      std::string_view body = chunk.substr(0, static_cast<size_t>(header.compressed_page_size));
      chunk.remove_prefix(body.size());
      switch (header.type) {
        case pt::PageType::DICTIONARY_PAGE: PGS3_RETURN_IF_ERROR(read_dictionary(header, body)); break;
        case pt::PageType::DATA_PAGE: {
          PGS3_RETURN_IF_ERROR(
              decompress_block(codec_, body, static_cast<size_t>(header.uncompressed_page_size), &page_));
          const pt::DataPageHeader& data = header.data_page_header;
          std::string_view rest = page_;
          std::string_view levels;
          if (spec_.nullable) {
            if (rest.size() < 4) return error("a v1 data page is too short for its levels' length");
            uint32_t length;
            std::memcpy(&length, rest.data(), 4);
            if (rest.size() - 4 < length) return error("a v1 data page's levels run past the page");
            levels = rest.substr(4, length);
            rest.remove_prefix(4 + length);
          }
          PGS3_RETURN_IF_ERROR(read_values(data.num_values, levels, data.encoding, rest));
          seen += data.num_values;
          break;
        }
        case pt::PageType::DATA_PAGE_V2: {
          const pt::DataPageHeaderV2& data = header.data_page_header_v2;
          size_t level_bytes = static_cast<size_t>(data.definition_levels_byte_length) +
                               static_cast<size_t>(data.repetition_levels_byte_length);
          if (level_bytes > body.size()) return error("a v2 data page's levels run past the page");
          std::string_view levels = body.substr(static_cast<size_t>(data.repetition_levels_byte_length),
                                                static_cast<size_t>(data.definition_levels_byte_length));
          std::string_view values = body.substr(level_bytes);
          size_t uncompressed = static_cast<size_t>(header.uncompressed_page_size) - level_bytes;
          bool compressed = !data.__isset.is_compressed || data.is_compressed;
          PGS3_RETURN_IF_ERROR(
              decompress_block(compressed ? codec_ : Compression::kNone, values, uncompressed, &page_));
          PGS3_RETURN_IF_ERROR(read_values(data.num_values, levels, data.encoding, page_));
          seen += data.num_values;
          break;
        }
        default: break;  // index pages carry nothing we need
      }
    }
    return Status::ok();
  }

 private:
  Status error(const std::string& what) const { return Status::data_error("column \"" + spec_.name + "\": " + what); }

  Status read_dictionary(const pt::PageHeader& header, std::string_view body) {
    PGS3_RETURN_IF_ERROR(
        decompress_block(codec_, body, static_cast<size_t>(header.uncompressed_page_size), &dictionary_bytes_));
    dictionary_.clear();
    std::string_view rest = dictionary_bytes_;
    for (int32_t i = 0; i < header.dictionary_page_header.num_values; ++i) {
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
      uint32_t length;
      std::memcpy(&length, rest->data(), 4);
      rest->remove_prefix(4);
      size = length;
    }
    if (rest->size() < size) return error("PLAIN data ends inside a value");
    *value = rest->substr(0, size);
    rest->remove_prefix(size);
    return Status::ok();
  }

  void append(std::string_view value) {
    if (spec_.physical == PhysicalType::kByteArray || spec_.physical == PhysicalType::kFixedLenByteArray) {
      out_->append_bytes(value);
      return;
    }
    switch (spec_.physical) {
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
      default: break;
    }
  }

  Status read_values(int32_t num_values, std::string_view levels, pt::Encoding::type encoding,
                     std::string_view values) {
    const size_t n = static_cast<size_t>(num_values);
    defined_.assign(n, 1);
    if (spec_.nullable) {
      PGS3_ASSIGN_OR_RETURN(size_t used, decode_rle_bit_packed(levels, 1, n, defined_.data()));
      (void)used;
    }
    size_t present = 0;
    for (uint32_t d : defined_) present += d;

    if (spec_.physical == PhysicalType::kBoolean) {
      if (encoding != pt::Encoding::PLAIN) return error("BOOLEAN encoding " + std::to_string(encoding));
      if (values.size() * 8 < present) return error("PLAIN booleans end early");
      size_t bit = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!defined_[i]) {
          out_->append_null();
          continue;
        }
        out_->append_bool((static_cast<uint8_t>(values[bit / 8]) >> (bit % 8)) & 1);
        ++bit;
      }
      return Status::ok();
    }
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
      if (values.empty()) {
        if (present > 0) return error("a dictionary-encoded page has no bit width");
      } else {
        int width = static_cast<uint8_t>(values[0]);
        indices_.resize(present);
        PGS3_ASSIGN_OR_RETURN(size_t used, decode_rle_bit_packed(values.substr(1), width, present, indices_.data()));
        (void)used;
      }
      size_t k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!defined_[i]) {
          out_->append_null();
          continue;
        }
        uint32_t index = indices_[k++];
        if (index >= dictionary_.size()) return error("a dictionary index is past the dictionary");
        append(dictionary_[index]);
      }
      return Status::ok();
    }
    return error("encoding " + std::to_string(encoding) + " is not supported");
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
};

}  // namespace

Result<RecordBatch> read_parquet_file(std::string_view file_bytes) {
  if (file_bytes.size() < 12 || file_bytes.substr(0, 4) != "PAR1") {
    return Status::data_error("not a Parquet file: it does not start with \"PAR1\"");
  }
  PGS3_ASSIGN_OR_RETURN(pt::FileMetaData file, read_file_metadata(file_bytes));
  std::vector<ColumnSpec> schema;
  for (size_t i = 1; i < file.schema.size(); ++i) {
    PGS3_ASSIGN_OR_RETURN(ColumnSpec spec, column_spec_from(file.schema[i]));
    schema.push_back(std::move(spec));
  }
  RecordBatch batch(schema);
  for (const pt::RowGroup& group : file.row_groups) {
    if (group.columns.size() != schema.size()) {
      return Status::data_error("a row group has " + std::to_string(group.columns.size()) + " column chunks for " +
                                std::to_string(schema.size()) + " columns");
    }
    for (size_t c = 0; c < schema.size(); ++c) {
      const pt::ColumnMetaData& meta = group.columns[c].meta_data;
      int64_t start = meta.__isset.dictionary_page_offset ? meta.dictionary_page_offset : meta.data_page_offset;
      if (start < 0 || meta.total_compressed_size < 0 ||
          static_cast<uint64_t>(start) + static_cast<uint64_t>(meta.total_compressed_size) > file_bytes.size()) {
        return Status::data_error("column \"" + schema[c].name + "\": its chunk lies outside the file");
      }
      PGS3_ASSIGN_OR_RETURN(Compression codec, compression_of(meta.codec));
      ChunkReader reader(schema[c], codec, &batch.columns[c]);
      PGS3_RETURN_IF_ERROR(
          reader.read(file_bytes.substr(static_cast<size_t>(start), static_cast<size_t>(meta.total_compressed_size)),
                      meta.num_values));
    }
  }
  return batch;
}

}  // namespace pgs3
