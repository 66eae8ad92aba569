#include "base/object_key.h"

namespace pgs3 {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool escaped_byte(unsigned char c) { return c == '%' || c == '/' || c < 0x20 || c == 0x7F; }

void append_escaped(std::string& out, unsigned char c) {
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // escape_key_segment() writes upper case only: "%2f" is not one of its segments
}

}  // namespace

std::string escape_key_segment(std::string_view name) {
  // Whole segments that mean something else as a path or in pgs3's layout: their first character is encoded, which
  // is enough to make them ordinary names.
  if (name == "." || name == ".." || name == kStateFolderName) {
    std::string out;
    append_escaped(out, static_cast<unsigned char>(name[0]));
    if (name == "..") {
      append_escaped(out, '.');
    } else {
      out += name.substr(1);
    }
    return out;
  }
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (escaped_byte(c)) {
      append_escaped(out, c);
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> unescape_key_segment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    const int high = hex_value(segment[i + 1]);
    const int low = hex_value(segment[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  // Only the canonical form is one of escape_key_segment()'s segments (one name, one folder).
  if (escape_key_segment(out) != segment) return std::nullopt;
  return out;
}

}  // namespace pgs3
