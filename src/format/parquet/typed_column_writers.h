// The value-encoding halves of ColumnChunkWriter, one per physical type family:
//   FixedWidthColumnWriter<T>  INT32, INT64, FLOAT, DOUBLE  (dictionary keyed by bit pattern, or PLAIN)
//   BinaryColumnWriter<kFixed> BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY (dictionary of byte strings, or PLAIN)
//   BooleanColumnWriter        BOOLEAN (always PLAIN: a dictionary cannot beat one bit per value)
//
// Dictionary encoding (Encodings.md): values are replaced by indices into the chunk's dictionary; a data page holds
// one byte with the indices' bit width followed by the indices in the RLE/bit-packed hybrid. When the dictionary would
// grow past DictPageSizeLimit the writer closes the page it is filling (still dictionary-encoded) and writes the
// rest of the chunk PLAIN, as parquet-mr and Arrow do; the next chunk starts with a fresh dictionary.
//
// The inner loops run over a run of values with no virtual call and no allocation per value; page-size checks are a
// comparison per value (or one per run for PLAIN fixed-width values). Not thread-safe.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "format/parquet/column_chunk_writer.h"
#include "format/parquet/column_statistics.h"
#include "format/parquet/dictionary_builder.h"
#include "format/parquet/plain_encoder.h"
#include "format/parquet/rle_bit_packed.h"

namespace pgs3 {

// Bit width of dictionary indices for a dictionary of `entries` entries.
inline int index_bit_width(size_t entries) { return entries <= 1 ? 0 : bit_width(entries - 1); }

// Shared by the dictionary-capable writers: the indices of the open page and the switch to PLAIN.
class DictionaryPageState {
 public:
  std::vector<uint32_t> indices;
  bool dictionary_mode = false;
  bool fall_back_after_page = false;

  // Bytes the indices hold, and freeing them (between chunks).
  size_t memory_bytes() const { return indices.capacity() * sizeof(uint32_t); }
  void release() { std::vector<uint32_t>().swap(indices); }

  // Estimated bytes of the open page's indices: bit width byte plus bit-packed indices. Width at least 1, so that a
  // one-entry dictionary still fills pages.
  size_t encoded_size(size_t entries) const {
    return 1 + (indices.size() * static_cast<size_t>(std::max(1, index_bit_width(entries))) + 7) / 8;
  }

  // Writes the open page's values to `out`: in dictionary mode (with a dictionary of `entries` entries) the indices'
  // bit width and the indices, RLE/bit-packed; otherwise the PLAIN bytes `plain` (moved when `out` is empty), which
  // are then cleared. True when the page is dictionary-encoded. A dictionary that filled switches to PLAIN after it.
  bool finish_page(size_t entries, std::string& plain, std::string* out) {
    bool encoded = false;
    if (dictionary_mode && entries > 0) {
      int width = index_bit_width(entries);
      out->push_back(static_cast<char>(width));
      append_rle_bit_packed(indices.data(), indices.size(), width, out);
      indices.clear();
      encoded = true;
      if (fall_back_after_page) {
        dictionary_mode = false;
        fall_back_after_page = false;
      }
    } else if (out->empty()) {
      out->swap(plain);
    } else {
      out->append(plain);
    }
    plain.clear();
    return encoded;
  }
};

template <typename T, typename Bits>
class FixedWidthColumnWriter final : public ColumnChunkWriter {
  static_assert(sizeof(T) == sizeof(Bits));

 public:
  FixedWidthColumnWriter(const ColumnSpec& spec, const ParquetWriterOptions& options, BlockCompressor* compressor,
                         ThriftSerializer* serializer)
      : ColumnChunkWriter(spec, options, compressor, serializer) {
    dict_.dictionary_mode = use_dictionary_;
  }

 protected:
  size_t put_values(const ColumnVector& column, size_t first, size_t count) override {
    const uint8_t* data = column.fixed_data() + first * sizeof(T);
    size_t taken = dict_.dictionary_mode ? put_dictionary(data, count) : put_plain(data, count);
    if (statistics_) {
      for (size_t i = 0; i < taken; ++i) {
        T v;
        std::memcpy(&v, data + i * sizeof(T), sizeof(T));
        page_bounds_.update(v);
      }
    }
    return taken;
  }

  size_t page_values_size() const override {
    return dict_.dictionary_mode ? dict_.encoded_size(dictionary_.size()) : values_.size();
  }

  parquet_thrift::Encoding::type finish_page(std::string* out, parquet_thrift::Statistics* stats) override {
    const bool dictionary = dict_.finish_page(dictionary_.size(), values_, out);
    if (stats != nullptr) set_statistics(page_bounds_, stats);
    chunk_bounds_.merge(page_bounds_);
    page_bounds_.reset();
    return dictionary ? dictionary_data_encoding() : parquet_thrift::Encoding::PLAIN;
  }

  bool dictionary_page(std::string* out, int32_t* entries) override {
    if (dictionary_.size() == 0) return false;
    out->append(dictionary_.plain());
    *entries = static_cast<int32_t>(dictionary_.size());
    return true;
  }
  size_t dictionary_size() const override { return dictionary_.plain_size(); }
  size_t values_memory_bytes() const override {
    return dictionary_.memory_bytes() + dict_.memory_bytes() + values_.capacity();
  }
  void release_values() override {
    dictionary_.release();
    dict_.release();
    std::string().swap(values_);
  }
  void chunk_statistics(parquet_thrift::Statistics* stats) const override { set_statistics(chunk_bounds_, stats); }
  void reset_chunk() override {
    dictionary_.clear();
    dict_.dictionary_mode = use_dictionary_;
    dict_.fall_back_after_page = false;
    chunk_bounds_.reset();
  }

 private:
  size_t put_plain(const uint8_t* data, size_t count) {
    // Whole values until the page reaches its size: at least one value per call.
    size_t room = values_.size() < data_page_size_ ? (data_page_size_ - values_.size() + sizeof(T) - 1) / sizeof(T) : 1;
    size_t n = std::min(count, room);
    append_plain_fixed(data, n * sizeof(T), &values_);
    return n;
  }

  size_t put_dictionary(const uint8_t* data, size_t count) {
    const size_t page_bits = data_page_size_ * 8;
    for (size_t i = 0; i < count; ++i) {
      Bits key;
      std::memcpy(&key, data + i * sizeof(T), sizeof(T));
      int32_t index = dictionary_.index_of(key, dict_page_size_limit_);
      if (index < 0) {
        if (dict_.indices.empty()) {
          // Nothing dictionary-encoded in the open page: it simply becomes PLAIN.
          dict_.dictionary_mode = false;
          return i + put_plain(data + i * sizeof(T), count - i);
        }
        dict_.fall_back_after_page = true;
        request_page_close();
        return i;
      }
      dict_.indices.push_back(static_cast<uint32_t>(index));
      if (dict_.indices.size() * static_cast<size_t>(std::max(1, index_bit_width(dictionary_.size()))) >= page_bits) {
        return i + 1;
      }
    }
    return count;
  }

  FixedWidthDictionary<Bits> dictionary_;
  DictionaryPageState dict_;
  std::string values_;  // PLAIN values of the open page
  NumericMinMax<T> page_bounds_;
  NumericMinMax<T> chunk_bounds_;
};

// BYTE_ARRAY (kFixed = false) and FIXED_LEN_BYTE_ARRAY (kFixed = true).
template <bool kFixed>
class BinaryColumnWriter final : public ColumnChunkWriter {
 public:
  BinaryColumnWriter(const ColumnSpec& spec, const ParquetWriterOptions& options, BlockCompressor* compressor,
                     ThriftSerializer* serializer)
      : ColumnChunkWriter(spec, options, compressor, serializer),
        dictionary_(/*length_prefix=*/!kFixed),
        page_bounds_(spec.logical == LogicalType::kDecimal),
        chunk_bounds_(spec.logical == LogicalType::kDecimal) {
    dict_.dictionary_mode = use_dictionary_;
  }

 protected:
  static std::string_view value_at(const ColumnVector& column, size_t i) {
    if constexpr (kFixed) {
      return column.fixed_bytes_at(i);
    } else {
      return column.bytes_at(i);
    }
  }

  size_t put_values(const ColumnVector& column, size_t first, size_t count) override {
    size_t taken = dict_.dictionary_mode ? put_dictionary(column, first, count) : put_plain(column, first, count);
    if (statistics_) {
      for (size_t i = first; i < first + taken; ++i) page_bounds_.update(value_at(column, i));
    }
    return taken;
  }

  size_t page_values_size() const override {
    return dict_.dictionary_mode ? dict_.encoded_size(dictionary_.size()) : values_.size();
  }

  parquet_thrift::Encoding::type finish_page(std::string* out, parquet_thrift::Statistics* stats) override {
    const bool dictionary = dict_.finish_page(dictionary_.size(), values_, out);
    if (stats != nullptr) set_statistics(page_bounds_, !kFixed, spec_.logical == LogicalType::kString, stats);
    chunk_bounds_.merge(page_bounds_);
    page_bounds_.reset();
    return dictionary ? dictionary_data_encoding() : parquet_thrift::Encoding::PLAIN;
  }

  bool dictionary_page(std::string* out, int32_t* entries) override {
    if (dictionary_.size() == 0) return false;
    out->append(dictionary_.plain());
    *entries = static_cast<int32_t>(dictionary_.size());
    return true;
  }
  size_t dictionary_size() const override { return dictionary_.plain_size(); }
  size_t values_memory_bytes() const override {
    return dictionary_.memory_bytes() + dict_.memory_bytes() + values_.capacity() + page_bounds_.memory_bytes() +
           chunk_bounds_.memory_bytes();
  }
  void release_values() override {
    dictionary_.release();
    dict_.release();
    std::string().swap(values_);
    page_bounds_.release();
    chunk_bounds_.release();
  }
  void chunk_statistics(parquet_thrift::Statistics* stats) const override {
    set_statistics(chunk_bounds_, !kFixed, spec_.logical == LogicalType::kString, stats);
  }
  void reset_chunk() override {
    dictionary_.clear();
    dict_.dictionary_mode = use_dictionary_;
    dict_.fall_back_after_page = false;
    chunk_bounds_.reset();
  }

 private:
  size_t put_plain(const ColumnVector& column, size_t first, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      std::string_view v = value_at(column, first + i);
      if constexpr (kFixed) {
        values_.append(v);
      } else {
        append_plain_byte_array(v, &values_);
      }
      if (values_.size() >= data_page_size_) return i + 1;
    }
    return count;
  }

  size_t put_dictionary(const ColumnVector& column, size_t first, size_t count) {
    const size_t page_bits = data_page_size_ * 8;
    for (size_t i = 0; i < count; ++i) {
      int32_t index = dictionary_.index_of(value_at(column, first + i), dict_page_size_limit_);
      if (index < 0) {
        if (dict_.indices.empty()) {
          dict_.dictionary_mode = false;
          return i + put_plain(column, first + i, count - i);
        }
        dict_.fall_back_after_page = true;
        request_page_close();
        return i;
      }
      dict_.indices.push_back(static_cast<uint32_t>(index));
      if (dict_.indices.size() * static_cast<size_t>(std::max(1, index_bit_width(dictionary_.size()))) >= page_bits) {
        return i + 1;
      }
    }
    return count;
  }

  BinaryDictionary dictionary_;
  DictionaryPageState dict_;
  std::string values_;
  BinaryMinMax page_bounds_;
  BinaryMinMax chunk_bounds_;
};

class BooleanColumnWriter final : public ColumnChunkWriter {
 public:
  BooleanColumnWriter(const ColumnSpec& spec, const ParquetWriterOptions& options, BlockCompressor* compressor,
                      ThriftSerializer* serializer)
      : ColumnChunkWriter(spec, options, compressor, serializer) {}

 protected:
  size_t put_values(const ColumnVector& column, size_t first, size_t count) override {
    const size_t page_bits = data_page_size_ * 8;
    size_t room = values_.size() < page_bits ? page_bits - values_.size() : 1;
    size_t n = std::min(count, room);
    const uint8_t* data = column.fixed_data() + first;
    values_.insert(values_.end(), data, data + n);
    if (statistics_) {
      for (size_t i = 0; i < n; ++i) page_bounds_.update(data[i] != 0);
    }
    return n;
  }
  size_t page_values_size() const override { return (values_.size() + 7) / 8; }
  parquet_thrift::Encoding::type finish_page(std::string* out, parquet_thrift::Statistics* stats) override {
    append_plain_booleans(values_.data(), values_.size(), out);
    values_.clear();
    if (stats != nullptr) set_statistics(page_bounds_, stats);
    chunk_bounds_.merge(page_bounds_);
    page_bounds_.reset();
    return parquet_thrift::Encoding::PLAIN;
  }
  bool dictionary_page(std::string*, int32_t*) override { return false; }
  size_t dictionary_size() const override { return 0; }
  size_t values_memory_bytes() const override { return values_.capacity(); }
  void release_values() override { std::vector<uint8_t>().swap(values_); }
  void chunk_statistics(parquet_thrift::Statistics* stats) const override { set_statistics(chunk_bounds_, stats); }
  void reset_chunk() override { chunk_bounds_.reset(); }

 private:
  std::vector<uint8_t> values_;  // one byte (0 or 1) per value of the open page; bit-packed when the page closes
  BooleanMinMax page_bounds_;
  BooleanMinMax chunk_bounds_;
};

}  // namespace pgs3
