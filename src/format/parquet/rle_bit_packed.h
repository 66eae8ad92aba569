// The RLE / bit-packing hybrid encoding of Parquet (Encodings.md, "Run Length Encoding / Bit-Packing Hybrid", RLE = 3)
// used for definition levels and dictionary indices, and the LSB-first bit packing it shares with PLAIN booleans.
//
//   encoded-data   := <run>*
//   bit-packed-run := varint((number of 8-value groups) << 1 | 1) followed by the values packed LSB first
//   rle-run        := varint(run length << 1) followed by the value in ceil(bit_width / 8) little-endian bytes
//
// The encoder works on a whole array (a page's levels or indices): runs of 8 or more equal values that start on an
// 8-value group boundary of the pending literals become RLE runs, everything else is bit-packed in groups of 8; the
// last group is padded with zeros, which readers ignore because the page header gives the number of values. The
// 4-byte length prefix that some page kinds need is the caller's job. Stateless functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pgs3 {

// Bits needed to represent `max_value`: 0 for 0, 1 for 1, 2 for 2..3, ...
inline int bit_width(uint64_t max_value) { return max_value == 0 ? 0 : 64 - __builtin_clzll(max_value); }

// Appends the hybrid encoding of values[0..n), each of which must fit in `bit_width` (0..32) bits, to *out.
void append_rle_bit_packed(const uint8_t* values, size_t n, int bit_width, std::string* out);
void append_rle_bit_packed(const uint32_t* values, size_t n, int bit_width, std::string* out);

// Appends values[0..n) packed LSB first with `bit_width` bits each, no header; the last byte is zero-padded.
void append_bit_packed(const uint32_t* values, size_t n, int bit_width, std::string* out);

// Decodes `count` values of the hybrid encoding (no length prefix) from the start of `data` into out[0..count).
// Returns the bytes consumed. Fails with kDataError when the data ends early or a run header is invalid.
Result<size_t> decode_rle_bit_packed(std::string_view data, int bit_width, size_t count, uint32_t* out);

}  // namespace pgs3
