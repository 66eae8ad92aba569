#include "format/parquet/rle_bit_packed.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace pgs3 {

namespace {

// A run of this many equal values costs at most 6 bytes as an RLE run, less than 8 bit-packed values of any width >= 6
// and never more than one extra byte otherwise; it is also the threshold parquet-mr and Arrow use.
constexpr size_t kMinRleRun = 8;
// Run lengths must fit in a signed 32-bit integer (Encodings.md, note 3).
constexpr size_t kMaxRunLength = (size_t{1} << 31) - 1;
constexpr size_t kMaxLiteralGroups = kMaxRunLength / 8;

char* put_varint(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Packs values[0..n) LSB first and then `pad` zero values; returns the end of the written bytes.
template <typename T>
char* pack(const T* values, size_t n, size_t pad, int bit_width, char* p) {
  uint64_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n + pad; ++i) {
    uint64_t v = i < n ? static_cast<uint64_t>(values[i]) : 0;
    acc |= v << bits;
    bits += bit_width;
    while (bits >= 8) {
      *p++ = static_cast<char>(acc & 0xFF);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) *p++ = static_cast<char>(acc & 0xFF);
  return p;
}

template <typename T>
char* put_literals(const T* values, size_t n, int bit_width, char* p) {
  while (n > 0) {
    size_t groups = std::min((n + 7) / 8, kMaxLiteralGroups);
    size_t count = std::min(n, groups * 8);
    p = put_varint((uint64_t{groups} << 1) | 1, p);
    p = pack(values, count, groups * 8 - count, bit_width, p);
    values += count;
    n -= count;
  }
  return p;
}

char* put_rle_run(uint64_t value, size_t run, int bit_width, char* p) {
  const int value_bytes = (bit_width + 7) / 8;
  while (run > 0) {
    size_t len = std::min(run, kMaxRunLength);
    p = put_varint(uint64_t{len} << 1, p);
    for (int b = 0; b < value_bytes; ++b) *p++ = static_cast<char>((value >> (8 * b)) & 0xFF);
    run -= len;
  }
  return p;
}

template <typename T>
void encode(const T* values, size_t n, int bit_width, std::string* out) {
  assert(bit_width >= 0 && bit_width <= 32);
  if (n == 0) return;
  // Worst case: every value bit-packed (n rounded up to groups of 8), plus, for each of the at most n/8 RLE runs, its
  // header (<= 5 bytes), its value (<= 4 bytes) and the header of the literals before it (<= 5 bytes).
  size_t worst = (n + 7) / 8 * static_cast<size_t>(bit_width) + (n / 8 + 2) * 16;
  size_t start = out->size();
  out->resize(start + worst);
  char* p = out->data() + start;

  size_t literal_start = 0;  // pending literal values are [literal_start, i); their count is a multiple of 8
  size_t i = 0;
  while (i < n) {
    const T v = values[i];
    size_t j = i + 1;
    while (j < n && values[j] == v) ++j;
    if (j - i >= kMinRleRun) {
      p = put_literals(values + literal_start, i - literal_start, bit_width, p);
      p = put_rle_run(v, j - i, bit_width, p);
      i = j;
      literal_start = i;
    } else {
      // Too short for a run: the next 8 values join the literals (a long run starting inside them is caught at the
      // next group boundary, losing at most 7 of its values to bit packing).
      i = std::min(i + 8, n);
    }
  }
  p = put_literals(values + literal_start, n - literal_start, bit_width, p);
  out->resize(static_cast<size_t>(p - out->data()));
}

}  // namespace

void append_rle_bit_packed(const uint8_t* values, size_t n, int bit_width, std::string* out) {
  encode(values, n, bit_width, out);
}

void append_rle_bit_packed(const uint32_t* values, size_t n, int bit_width, std::string* out) {
  encode(values, n, bit_width, out);
}

void append_bit_packed(const uint32_t* values, size_t n, int bit_width, std::string* out) {
  size_t start = out->size();
  out->resize(start + (n * static_cast<size_t>(bit_width) + 7) / 8);
  char* end = pack(values, n, 0, bit_width, out->data() + start);
  out->resize(static_cast<size_t>(end - out->data()));
}

Result<size_t> decode_rle_bit_packed(std::string_view data, int bit_width, size_t count, uint32_t* out) {
  if (bit_width < 0 || bit_width > 32) {
    return Status::data_error("RLE/bit-packed data has bit width " + std::to_string(bit_width) + " (allowed: 0..32)");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const auto* end = p + data.size();
  const size_t value_bytes = (static_cast<size_t>(bit_width) + 7) / 8;
  const uint64_t mask = bit_width == 32 ? 0xFFFFFFFFull : (uint64_t{1} << bit_width) - 1;
  size_t produced = 0;
  while (produced < count) {
    uint64_t header = 0;
    int shift = 0;
    for (;;) {
      if (p == end) return Status::data_error("RLE/bit-packed data ends inside a run header");
      if (shift > 35) return Status::data_error("RLE/bit-packed run header is longer than 5 bytes");
      uint8_t b = *p++;
      header |= uint64_t{b & 0x7Fu} << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    if (header & 1) {
      size_t values = static_cast<size_t>(header >> 1) * 8;
      size_t bytes = values / 8 * static_cast<size_t>(bit_width);
      if (values == 0) return Status::data_error("RLE/bit-packed data holds an empty bit-packed run");
      if (static_cast<size_t>(end - p) < bytes) return Status::data_error("RLE/bit-packed data ends inside a run");
      uint64_t acc = 0;
      int bits = 0;
      const uint8_t* q = p;
      for (size_t k = 0; k < values; ++k) {
        while (bits < bit_width) {
          acc |= uint64_t{*q++} << bits;
          bits += 8;
        }
        uint32_t v = static_cast<uint32_t>(acc & mask);
        acc = bit_width == 0 ? acc : acc >> bit_width;
        bits -= bit_width;
        if (produced < count) out[produced++] = v;  // values past `count` are the padding of the last group
      }
      p += bytes;
    } else {
      size_t run = static_cast<size_t>(header >> 1);
      if (run == 0) return Status::data_error("RLE/bit-packed data holds an empty RLE run");
      if (static_cast<size_t>(end - p) < value_bytes)
        return Status::data_error("RLE/bit-packed data ends inside a run");
      uint32_t v = 0;
      for (size_t b = 0; b < value_bytes; ++b) v |= uint32_t{p[b]} << (8 * b);
      p += value_bytes;
      if ((v & mask) != v) return Status::data_error("RLE run value does not fit its bit width");
      size_t take = std::min(run, count - produced);
      std::fill(out + produced, out + produced + take, v);
      produced += take;
    }
  }
  return static_cast<size_t>(p - reinterpret_cast<const uint8_t*>(data.data()));
}

}  // namespace pgs3
