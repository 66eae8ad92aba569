// PgoutputBytes: builds pgoutput messages byte by byte for unit tests (protocol-logicalrep-message-formats):
// big-endian integers, NUL-terminated strings, TupleData values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgs3::test_support {

class PgoutputBytes {
 public:
  PgoutputBytes& u8(uint8_t v) { return put(v, 1); }
  PgoutputBytes& ch(char c) { return put(static_cast<uint8_t>(c), 1); }
  PgoutputBytes& u16(uint16_t v) { return put(v, 2); }
  PgoutputBytes& u32(uint32_t v) { return put(v, 4); }
  PgoutputBytes& u64(uint64_t v) { return put(v, 8); }
  PgoutputBytes& str(std::string_view s) {
    s_.append(s);
    s_ += '\0';
    return *this;
  }
  PgoutputBytes& raw(std::string_view s) {
    s_.append(s);
    return *this;
  }
  // Tuple value helpers.
  PgoutputBytes& null() { return ch('n'); }
  PgoutputBytes& unchanged() { return ch('u'); }
  PgoutputBytes& text(std::string_view v) { return ch('t').u32(static_cast<uint32_t>(v.size())).raw(v); }
  PgoutputBytes& binary(std::string_view v) { return ch('b').u32(static_cast<uint32_t>(v.size())).raw(v); }
  const std::string& str() const { return s_; }
  operator std::string_view() const { return s_; }  // NOLINT(google-explicit-constructor)

 private:
  PgoutputBytes& put(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) s_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    return *this;
  }
  std::string s_;
};

}  // namespace pgs3::test_support
