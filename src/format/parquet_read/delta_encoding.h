// Decoders of the DELTA encodings of Parquet (Encodings.md), which pgs3 never writes but other writers do for data
// page v2 (DuckDB, parquet-mr, Arrow):
//
//   DELTA_BINARY_PACKED (5)      INT32 / INT64: a header (block size, miniblocks per block, value count, first value),
//                                then blocks of (min delta, one bit width per miniblock, bit-packed miniblocks).
//   DELTA_LENGTH_BYTE_ARRAY (6)  BYTE_ARRAY: the lengths DELTA_BINARY_PACKED, then all the bytes concatenated.
//   DELTA_BYTE_ARRAY (7)         BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY: prefix lengths (shared with the previous value)
//                                DELTA_BINARY_PACKED, then the suffixes DELTA_LENGTH_BYTE_ARRAY.
//
// Every decoder checks every length against the input and fails with kDataError rather than reading past it.
// Stateless functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace pgs3 {

// Decodes the `count` values of DELTA_BINARY_PACKED at the start of `data` (its header must say `count`) into
// out[0..count); arithmetic wraps modulo 2^64, so INT32 values are their low 32 bits. Returns the bytes used.
Result<size_t> decode_delta_binary_packed(std::string_view data, size_t count, int64_t* out);

// Decodes `count` values of DELTA_LENGTH_BYTE_ARRAY; the views point into `data`.
Status decode_delta_length_byte_array(std::string_view data, size_t count, std::vector<std::string_view>* out);

// Decodes `count` values of DELTA_BYTE_ARRAY; the values are rebuilt in *storage and viewed by *out.
Status decode_delta_byte_array(std::string_view data, size_t count, std::string* storage,
                               std::vector<std::string_view>* out);

}  // namespace pgs3
