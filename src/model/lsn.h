// Lsn: a position in the write-ahead log (PostgreSQL's XLogRecPtr), a uint64 byte offset.
//
// PostgreSQL prints an LSN as two hexadecimal numbers, the high and low 32 bits, separated by a slash: "16/B374D848"
// (pg_lsn_out, "%X/%X": upper-case, no leading zeros; PostgreSQL 18 pads the low half to 8 digits, "16/0000D848").
// to_string() prints the unpadded form that PostgreSQL 14-17 print; parse() accepts both forms and either case,
// and refuses anything else (empty halves, more than 8 digits per half, signs, spaces, trailing characters).
// Lsn 0 is InvalidXLogRecPtr ("0/0"): is_valid() is false for it.
//
// A value type: trivially copyable, thread-safe as any integer is.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgs3 {

class Lsn {
 public:
  constexpr Lsn() = default;
  constexpr explicit Lsn(uint64_t value) : value_(value) {}

  // "X/Y" as above; nullopt when `text` is not an LSN.
  static std::optional<Lsn> parse(std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::optional<uint32_t> hi = parse_half(text.substr(0, slash));
    std::optional<uint32_t> lo = parse_half(text.substr(slash + 1));
    if (!hi || !lo) return std::nullopt;
    return Lsn((static_cast<uint64_t>(*hi) << 32) | *lo);
  }

  std::string to_string() const {
    std::string out;
    append_hex(static_cast<uint32_t>(value_ >> 32), out);
    out += '/';
    append_hex(static_cast<uint32_t>(value_), out);
    return out;
  }

  constexpr uint64_t value() const { return value_; }
  constexpr bool is_valid() const { return value_ != 0; }
  constexpr auto operator<=>(const Lsn&) const = default;

 private:
  static std::optional<uint32_t> parse_half(std::string_view half) {
    if (half.empty() || half.size() > 8) return std::nullopt;
    uint32_t v = 0;
    for (char c : half) {
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else {
        return std::nullopt;
      }
      v = (v << 4) | d;
    }
    return v;
  }
  static void append_hex(uint32_t v, std::string& out) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    char buf[8];
    int n = 0;
    do {
      buf[n++] = kHex[v & 0xF];
      v >>= 4;
    } while (v != 0);
    while (n > 0) out += buf[--n];
  }

  uint64_t value_ = 0;
};

}  // namespace pgs3
