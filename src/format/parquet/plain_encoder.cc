#include "format/parquet/plain_encoder.h"

namespace pgs3 {

void append_plain_booleans(const uint8_t* values, size_t n, std::string* out) {
  size_t start = out->size();
  out->resize(start + (n + 7) / 8);
  auto* p = reinterpret_cast<uint8_t*>(out->data() + start);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    *p++ = static_cast<uint8_t>((values[i] & 1) | (values[i + 1] & 1) << 1 | (values[i + 2] & 1) << 2 |
                                (values[i + 3] & 1) << 3 | (values[i + 4] & 1) << 4 | (values[i + 5] & 1) << 5 |
                                (values[i + 6] & 1) << 6 | (values[i + 7] & 1) << 7);
  }
  if (i < n) {
    uint8_t byte = 0;
    for (int bit = 0; i < n; ++i, ++bit) byte |= static_cast<uint8_t>((values[i] & 1) << bit);
    *p = byte;
  }
}

}  // namespace pgs3
