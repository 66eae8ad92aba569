// CopyBinaryReader: a streaming parser of PostgreSQL's COPY BINARY format (sql-copy.html, "Binary Format").
//
// The stream is: the 11-byte signature "PGCOPY\n\377\r\n\0", an int32 flags field (bit 16: OIDs included; bits 17-31
// must be zero), an int32 header-extension length and that many bytes; then per tuple an int16 field count and, per
// field, an int32 length (-1 = NULL) and that many bytes; then the trailer, an int16 -1. All integers big-endian.
//
// feed() accepts the stream in chunks cut anywhere (a chunk may end inside a length word or a field). Rows that lie
// wholly inside one chunk are handed out without copying (libpq delivers one CopyData per row, so that is the common
// case); a row cut across chunks is assembled in an internal buffer. Each complete row goes to the row callback as a
// span of fields that is valid only during the call. A tuple whose field count differs from the expected count, a
// negative length other than -1, a bad signature, OIDs, unknown critical flags, and bytes after the trailer are
// kDataError. finish() reports a stream that ended before its trailer.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace pgs3 {

// One field of a row: its bytes, or NULL (length -1).
struct CopyField {
  const char* data = nullptr;
  int32_t length = -1;
  bool is_null() const { return length < 0; }
  std::string_view view() const { return length < 0 ? std::string_view() : std::string_view(data, length); }
};

class CopyBinaryReader {
 public:
  using RowCallback = std::function<Status(std::span<const CopyField> fields)>;

  CopyBinaryReader(int expected_fields, RowCallback on_row);

  // Parses `chunk`, calling the row callback for every row it completes. A failure of the callback is returned as is
  // and ends the stream.
  Status feed(std::string_view chunk);
  // Checks that the stream ended with its trailer (and nothing incomplete is buffered).
  Status finish() const;

  uint64_t rows() const { return rows_; }
  bool trailer_seen() const { return trailer_seen_; }

 private:
  enum class Step { kNeedMore, kRow, kHeader, kTrailer };
  // Advances the parse of the unit (header or tuple) that starts at buf[0], resuming from the cursor. On kNeedMore,
  // need_ is the total unit size known to be required so far (always more than `size`).
  Result<Step> advance(const char* buf, size_t size);
  Status emit_row(const char* buf);
  void reset_cursor();

  int expected_fields_;
  RowCallback on_row_;
  bool header_seen_ = false;
  bool trailer_seen_ = false;
  bool failed_ = false;
  uint64_t rows_ = 0;

  // Cursor into the unit being parsed (offsets from its first byte).
  size_t pos_ = 0;
  int field_ = -1;          // -1: the field count is next; otherwise the next field to read
  int32_t field_len_ = -2;  // the length word of field_, once read (-2: not read yet)
  size_t need_ = 0;
  std::vector<std::pair<size_t, int32_t>> spans_;  // (offset, length) of each field of the tuple
  std::vector<CopyField> fields_;
  std::string carry_;  // the start of a unit that did not fit in the previous chunk
};

}  // namespace pgs3
