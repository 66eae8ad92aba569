// PLAIN encoding (Encodings.md, "Plain", PLAIN = 0) of single values and runs of values.
//
// Fixed-width values are their little-endian bytes back to back, BYTE_ARRAY values a 4-byte little-endian length
// followed by the bytes, FIXED_LEN_BYTE_ARRAY values just the bytes, and BOOLEAN values one bit each, packed LSB
// first. ColumnVector already stores fixed-width values in little-endian order (pgs3 only builds for little-endian
// hosts), so those are copied as they are. Stateless functions; thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace pgs3 {

static_assert(std::endian::native == std::endian::little,
              "PLAIN encoding copies values: pgs3 needs a little-endian host");

// Appends `bytes` bytes of fixed-width values (already little-endian) to *out.
inline void append_plain_fixed(const uint8_t* values, size_t bytes, std::string* out) {
  out->append(reinterpret_cast<const char*>(values), bytes);
}

// Appends one BYTE_ARRAY value: its 4-byte little-endian length, then its bytes.
inline void append_plain_byte_array(std::string_view value, std::string* out) {
  uint32_t length = static_cast<uint32_t>(value.size());
  char prefix[4];
  std::memcpy(prefix, &length, 4);
  out->append(prefix, 4);
  out->append(value);
}

// Appends n booleans (one byte each, 0 or 1) bit-packed LSB first; the last byte is zero-padded.
void append_plain_booleans(const uint8_t* values, size_t n, std::string* out);

}  // namespace pgs3
