#include "format/parquet_read/delta_encoding.h"

#include <algorithm>

namespace pgs3 {

namespace {

// Largest block pgs3 accepts: the specification's writers use 128 (parquet-mr, Arrow) or 2048 values.
constexpr uint64_t kMaxBlockSize = 1 << 16;

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  Result<uint64_t> uleb128() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Status::data_error("DELTA_BINARY_PACKED data ends inside a number");
      auto byte = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return Status::data_error("DELTA_BINARY_PACKED has a number longer than 64 bits");
  }
  Result<int64_t> zigzag() {
    PGS3_ASSIGN_OR_RETURN(uint64_t v, uleb128());
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  Result<uint8_t> byte() {
    if (pos_ >= data_.size()) return Status::data_error("DELTA_BINARY_PACKED data ends inside a block header");
    return static_cast<uint8_t>(data_[pos_++]);
  }
  // `bytes` bytes from the current position, consumed.
  Result<std::string_view> take(size_t bytes) {
    if (bytes > remaining()) return Status::data_error("DELTA_BINARY_PACKED data ends inside a miniblock");
    std::string_view out = data_.substr(pos_, bytes);
    pos_ += bytes;
    return out;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// The index-th value of `width` bits packed LSB first.
uint64_t unpack(std::string_view packed, int width, size_t index) {
  uint64_t v = 0;
  int got = 0;
  size_t bit = index * static_cast<size_t>(width);
  while (got < width) {
    auto byte = static_cast<uint8_t>(packed[bit / 8]);
    int shift = static_cast<int>(bit % 8);
    int take = std::min(8 - shift, width - got);
    v |= static_cast<uint64_t>((byte >> shift) & ((1u << take) - 1)) << got;
    got += take;
    bit += static_cast<size_t>(take);
  }
  return v;
}

}  // namespace

Result<size_t> decode_delta_binary_packed(std::string_view data, size_t count, int64_t* out) {
  ByteReader in(data);
  PGS3_ASSIGN_OR_RETURN(uint64_t block_size, in.uleb128());
  PGS3_ASSIGN_OR_RETURN(uint64_t miniblocks, in.uleb128());
  PGS3_ASSIGN_OR_RETURN(uint64_t total, in.uleb128());
  PGS3_ASSIGN_OR_RETURN(int64_t first, in.zigzag());
  if (block_size == 0 || block_size % 128 != 0 || block_size > kMaxBlockSize || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
    return Status::data_error("DELTA_BINARY_PACKED has an invalid block size " + std::to_string(block_size) + " / " +
                              std::to_string(miniblocks) + " miniblocks");
  }
  if (total != count) {
    return Status::data_error("DELTA_BINARY_PACKED holds " + std::to_string(total) + " values where the page has " +
                              std::to_string(count));
  }
  const uint64_t per_miniblock = block_size / miniblocks;
  if (total == 0) return in.position();
  uint64_t value = static_cast<uint64_t>(first);
  if (count > 0) out[0] = first;
  size_t done = 1;
  std::vector<uint8_t> widths(miniblocks);
  // Reads the blocks of all `total` values, so that the returned position is the end of the encoding.
  uint64_t left = total - 1;
  while (left > 0) {
    PGS3_ASSIGN_OR_RETURN(int64_t min_delta, in.zigzag());
    for (auto& w : widths) {
      PGS3_ASSIGN_OR_RETURN(w, in.byte());
    }
    for (uint64_t m = 0; m < miniblocks && left > 0; ++m) {
      int width = widths[m];
      if (width > 64) return Status::data_error("DELTA_BINARY_PACKED has a bit width of " + std::to_string(width));
      PGS3_ASSIGN_OR_RETURN(std::string_view packed, in.take(per_miniblock * static_cast<uint64_t>(width) / 8));
      uint64_t n = std::min(per_miniblock, left);
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t delta = width == 0 ? 0 : unpack(packed, width, i);
        value += static_cast<uint64_t>(min_delta) + delta;  // wraps as the specification asks
        if (done < count) out[done] = static_cast<int64_t>(value);
        ++done;
      }
      left -= n;
    }
  }
  return in.position();
}

Status decode_delta_length_byte_array(std::string_view data, size_t count, std::vector<std::string_view>* out) {
  std::vector<int64_t> lengths(count);
  PGS3_ASSIGN_OR_RETURN(size_t used, decode_delta_binary_packed(data, count, lengths.data()));
  std::string_view bytes = data.substr(used);
  out->clear();
  out->reserve(count);
  for (int64_t length : lengths) {
    if (length < 0 || static_cast<uint64_t>(length) > bytes.size()) {
      return Status::data_error("DELTA_LENGTH_BYTE_ARRAY lengths run past the data");
    }
    out->push_back(bytes.substr(0, static_cast<size_t>(length)));
    bytes.remove_prefix(static_cast<size_t>(length));
  }
  return Status::ok();
}

Status decode_delta_byte_array(std::string_view data, size_t count, std::string* storage,
                               std::vector<std::string_view>* out) {
  std::vector<int64_t> prefixes(count);
  PGS3_ASSIGN_OR_RETURN(size_t used, decode_delta_binary_packed(data, count, prefixes.data()));
  std::vector<std::string_view> suffixes;
  PGS3_RETURN_IF_ERROR(decode_delta_length_byte_array(data.substr(used), count, &suffixes));
  storage->clear();
  std::vector<std::pair<size_t, size_t>> spans;  // offset, length in *storage (views are made once it stops growing)
  spans.reserve(count);
  size_t previous_offset = 0;
  size_t previous_length = 0;
  for (size_t i = 0; i < count; ++i) {
    if (prefixes[i] < 0 || static_cast<uint64_t>(prefixes[i]) > previous_length) {
      return Status::data_error("DELTA_BYTE_ARRAY has a prefix longer than the previous value");
    }
    size_t offset = storage->size();
    // The prefix is copied first: append() may reallocate, so it goes through a temporary.
    std::string prefix = storage->substr(previous_offset, static_cast<size_t>(prefixes[i]));
    storage->append(prefix);
    storage->append(suffixes[i]);
    previous_offset = offset;
    previous_length = storage->size() - offset;
    spans.emplace_back(offset, previous_length);
  }
  out->clear();
  out->reserve(count);
  for (auto [offset, length] : spans) out->push_back(std::string_view(*storage).substr(offset, length));
  return Status::ok();
}

}  // namespace pgs3
