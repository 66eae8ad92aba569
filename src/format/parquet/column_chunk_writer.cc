#include "format/parquet/column_chunk_writer.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "format/parquet/parquet_schema.h"
#include "format/parquet/rle_bit_packed.h"

namespace pgs3 {

namespace {

namespace pt = parquet_thrift;

// Rows handed to the typed writer per call: small enough that a page closed early (large values) does not make us
// rescan many definition levels, large enough that the virtual call and the bookkeeping are amortized.
constexpr size_t kMiniBatchRows = 4096;

size_t count_defined(const uint8_t* defined, size_t rows) {
  size_t n = 0;
  for (size_t i = 0; i < rows; ++i) n += defined[i];
  return n;
}

// Rows from the start of `defined` up to and including the one that holds the `values`-th value.
size_t rows_holding(const uint8_t* defined, size_t values) {
  if (values == 0) return 0;
  size_t seen = 0;
  size_t i = 0;
  for (;; ++i) {
    seen += defined[i];
    if (seen == values) return i + 1;
  }
}

}  // namespace

ColumnChunkWriter::ColumnChunkWriter(const ColumnSpec& spec, const ParquetWriterOptions& options,
                                     BlockCompressor* compressor, ThriftSerializer* serializer)
    : spec_(spec),
      data_page_size_(static_cast<size_t>(options.data_page_size)),
      dict_page_size_limit_(static_cast<size_t>(options.dict_page_size_limit)),
      use_dictionary_(options.encoding != ParquetEncoding::kPlain && spec.physical != PhysicalType::kBoolean),
      statistics_(options.enable_statistics),
      version_(options.version),
      encoding_(options.encoding),
      nullable_(spec.nullable),
      compressor_(compressor),
      serializer_(serializer) {}

pt::Encoding::type ColumnChunkWriter::dictionary_data_encoding() const {
  // Parquet 1.0 writers marked both the dictionary page and the data pages PLAIN_DICTIONARY; the current
  // specification uses RLE_DICTIONARY for data pages and PLAIN for the dictionary page (Encodings.md).
  return encoding_ == ParquetEncoding::kPlainDictionary ? pt::Encoding::PLAIN_DICTIONARY : pt::Encoding::RLE_DICTIONARY;
}

pt::Encoding::type ColumnChunkWriter::dictionary_page_encoding() const {
  return encoding_ == ParquetEncoding::kPlainDictionary ? pt::Encoding::PLAIN_DICTIONARY : pt::Encoding::PLAIN;
}

Status ColumnChunkWriter::append(const ColumnVector& column, size_t row_begin, size_t row_end, size_t* value_cursor) {
  const uint8_t* defined = column.defined().data();
  size_t value = *value_cursor;
  while (row_begin < row_end) {
    size_t rows = std::min({row_end - row_begin, static_cast<size_t>(kMaxPageRows) - page_rows_, kMiniBatchRows});
    size_t values = nullable_ ? count_defined(defined + row_begin, rows) : rows;
    size_t taken = values == 0 ? 0 : put_values(column, value, values);
    if (taken < values) rows = nullable_ ? rows_holding(defined + row_begin, taken) : taken;
    if (nullable_) {
      page_levels_.insert(page_levels_.end(), defined + row_begin, defined + row_begin + rows);
      page_nulls_ += rows - taken;
      chunk_nulls_ += static_cast<int64_t>(rows - taken);
    }
    page_rows_ += rows;
    chunk_rows_ += static_cast<int64_t>(rows);
    row_begin += rows;
    value += taken;
    // A page full of NULLs still costs its levels: count them (1 bit each at most) toward the page size.
    if (page_close_requested_ || rows == 0 || page_rows_ >= static_cast<size_t>(kMaxPageRows) ||
        page_values_size() + page_levels_.size() / 8 >= data_page_size_) {
      PGS3_RETURN_IF_ERROR(close_page());
    }
  }
  *value_cursor = value;
  return Status::ok();
}

Status ColumnChunkWriter::close_page() {
  page_close_requested_ = false;
  if (page_rows_ == 0) return Status::ok();
  const bool v2 = version_ == ParquetVersion::kV2;

  // Definition levels (max level 1, so bit width 1): v1 prefixes them with their 4-byte length and compresses them
  // with the values; v2 keeps them apart, uncompressed and without the prefix (Encodings.md table; DataPageHeaderV2).
  body_.clear();
  levels_.clear();
  if (nullable_) {
    if (v2) {
      append_rle_bit_packed(page_levels_.data(), page_levels_.size(), 1, &levels_);
    } else {
      body_.append(4, '\0');
      append_rle_bit_packed(page_levels_.data(), page_levels_.size(), 1, &body_);
      auto length = static_cast<uint32_t>(body_.size() - 4);
      std::memcpy(body_.data(), &length, 4);
    }
  }
  pt::Statistics stats;
  pt::Encoding::type encoding = finish_page(&body_, statistics_ ? &stats : nullptr);
  if (statistics_) stats.__set_null_count(static_cast<int64_t>(page_nulls_));

  // A v2 page of NULLs only has no values section: it is stored as it is (is_compressed = false) rather than as the
  // codec's frame of zero bytes, which some readers do not expect.
  const bool compress = compressor_->codec() != Compression::kNone && !(v2 && body_.empty());
  std::string_view compressed = body_;
  if (compress) {
    PGS3_ASSIGN_OR_RETURN(compressed, compressor_->compress(body_));
  }
  bodies_uncompressed_ += body_.size();
  bodies_compressed_ += compressed.size();
  if (body_.size() + levels_.size() > INT32_MAX || compressed.size() + levels_.size() > INT32_MAX) {
    return Status::data_error("column \"" + spec_.name + "\": a data page exceeds 2 GiB; lower DataPageSize");
  }

  pt::PageHeader header;
  header.__set_uncompressed_page_size(static_cast<int32_t>(levels_.size() + body_.size()));
  header.__set_compressed_page_size(static_cast<int32_t>(levels_.size() + compressed.size()));
  if (!v2) {
    pt::DataPageHeader data;
    data.__set_num_values(static_cast<int32_t>(page_rows_));
    data.__set_encoding(encoding);
    data.__set_definition_level_encoding(pt::Encoding::RLE);
    data.__set_repetition_level_encoding(pt::Encoding::RLE);
    if (statistics_) data.__set_statistics(stats);
    header.__set_type(pt::PageType::DATA_PAGE);
    header.__set_data_page_header(data);
  } else {
    pt::DataPageHeaderV2 data;
    data.__set_num_values(static_cast<int32_t>(page_rows_));
    data.__set_num_nulls(static_cast<int32_t>(page_nulls_));
    data.__set_num_rows(static_cast<int32_t>(page_rows_));
    data.__set_encoding(encoding);
    data.__set_definition_levels_byte_length(static_cast<int32_t>(levels_.size()));
    data.__set_repetition_levels_byte_length(0);
    data.__set_is_compressed(compress);
    if (statistics_) data.__set_statistics(stats);
    header.__set_type(pt::PageType::DATA_PAGE_V2);
    header.__set_data_page_header_v2(data);
  }
  header_.clear();
  PGS3_RETURN_IF_ERROR(serializer_->append(header, &header_));
  chunk_pages_.append(header_);
  chunk_pages_.append(levels_);
  chunk_pages_.append(compressed);
  chunk_uncompressed_ += static_cast<int64_t>(header_.size() + levels_.size() + body_.size());
  data_page_encodings_ |= 1u << encoding;
  ++data_pages_by_encoding_[encoding];

  page_levels_.clear();
  page_rows_ = 0;
  page_nulls_ = 0;
  return Status::ok();
}

Status ColumnChunkWriter::write_chunk(OutputStream* out, uint64_t file_start, pt::ColumnChunk* chunk) {
  PGS3_RETURN_IF_ERROR(close_page());
  const bool v2 = version_ == ParquetVersion::kV2;
  pt::ColumnMetaData meta;
  int64_t total_uncompressed = chunk_uncompressed_;
  int64_t total_compressed = 0;
  std::vector<pt::PageEncodingStats> encoding_stats;
  uint32_t encodings = data_page_encodings_ | 1u << pt::Encoding::RLE;  // RLE: the definition levels

  values_.clear();
  int32_t entries = 0;
  if (dictionary_page(&values_, &entries)) {
    PGS3_ASSIGN_OR_RETURN(std::string_view compressed, compressor_->compress(values_));
    bodies_uncompressed_ += values_.size();
    bodies_compressed_ += compressed.size();
    pt::DictionaryPageHeader dictionary;
    dictionary.__set_num_values(entries);
    dictionary.__set_encoding(dictionary_page_encoding());
    dictionary.__set_is_sorted(false);
    pt::PageHeader header;
    header.__set_type(pt::PageType::DICTIONARY_PAGE);
    header.__set_uncompressed_page_size(static_cast<int32_t>(values_.size()));
    header.__set_compressed_page_size(static_cast<int32_t>(compressed.size()));
    header.__set_dictionary_page_header(dictionary);
    header_.clear();
    PGS3_RETURN_IF_ERROR(serializer_->append(header, &header_));
    meta.__set_dictionary_page_offset(static_cast<int64_t>(out->position() - file_start));
    PGS3_RETURN_IF_ERROR(out->append(header_));
    PGS3_RETURN_IF_ERROR(out->append(compressed));
    total_uncompressed += static_cast<int64_t>(header_.size() + values_.size());
    total_compressed += static_cast<int64_t>(header_.size() + compressed.size());
    encodings |= 1u << dictionary_page_encoding();
    pt::PageEncodingStats page_stats;
    page_stats.__set_page_type(pt::PageType::DICTIONARY_PAGE);
    page_stats.__set_encoding(dictionary_page_encoding());
    page_stats.__set_count(1);
    encoding_stats.push_back(page_stats);
  }
  meta.__set_data_page_offset(static_cast<int64_t>(out->position() - file_start));
  PGS3_RETURN_IF_ERROR(out->append(chunk_pages_));
  total_compressed += static_cast<int64_t>(chunk_pages_.size());

  for (int e = 0; e < static_cast<int>(std::size(data_pages_by_encoding_)); ++e) {
    if (data_pages_by_encoding_[e] == 0) continue;
    pt::PageEncodingStats page_stats;
    page_stats.__set_page_type(v2 ? pt::PageType::DATA_PAGE_V2 : pt::PageType::DATA_PAGE);
    page_stats.__set_encoding(static_cast<pt::Encoding::type>(e));
    page_stats.__set_count(data_pages_by_encoding_[e]);
    encoding_stats.push_back(page_stats);
  }
  std::vector<pt::Encoding::type> encoding_list;
  for (int e = 0; e < 32; ++e) {
    if (encodings & (1u << e)) encoding_list.push_back(static_cast<pt::Encoding::type>(e));
  }

  meta.__set_type(physical_type_of(spec_.physical));
  meta.__set_encodings(encoding_list);
  meta.__set_path_in_schema({spec_.name});
  meta.__set_codec(codec_of(compressor_->codec()));
  meta.__set_num_values(chunk_rows_);
  meta.__set_total_uncompressed_size(total_uncompressed);
  meta.__set_total_compressed_size(total_compressed);
  meta.__set_encoding_stats(encoding_stats);
  if (statistics_) {
    pt::Statistics stats;
    chunk_statistics(&stats);
    stats.__set_null_count(chunk_nulls_);
    meta.__set_statistics(stats);
  }
  // file_offset is deprecated; the specification asks writers for 0 when no ColumnMetaData is written outside the
  // footer.
  chunk->__set_file_offset(0);
  chunk->__set_meta_data(meta);

  chunk_pages_.clear();
  chunk_rows_ = 0;
  chunk_nulls_ = 0;
  chunk_uncompressed_ = 0;
  data_page_encodings_ = 0;
  std::fill(std::begin(data_pages_by_encoding_), std::end(data_pages_by_encoding_), 0);
  reset_chunk();
  return Status::ok();
}

uint64_t ColumnChunkWriter::buffered_size() const {
  double ratio = bodies_uncompressed_ == 0 ? 1.0 : static_cast<double>(bodies_compressed_) / bodies_uncompressed_;
  const uint64_t open_bytes = dictionary_size() + page_values_size() + page_levels_.size() / 8;
  double open = static_cast<double>(open_bytes);
  return chunk_pages_.size() + static_cast<uint64_t>(open * ratio);
}

uint64_t ColumnChunkWriter::memory_bytes() const {
  return values_memory_bytes() + page_levels_.capacity() + chunk_pages_.capacity() + levels_.capacity() +
         values_.capacity() + body_.capacity() + header_.capacity();
}

void ColumnChunkWriter::release_buffers() {
  std::vector<uint8_t>().swap(page_levels_);
  for (std::string* buffer : {&chunk_pages_, &levels_, &values_, &body_, &header_}) std::string().swap(*buffer);
  release_values();
}

}  // namespace pgs3
