#include "pg/copy_binary_reader.h"

#include <algorithm>
#include <cstring>

namespace pgs3 {
namespace {

// sql-copy.html, "File Formats / Binary Format": 11-byte signature, int32 flags, int32 header extension length.
constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // plus the terminating '\0': 11 bytes
constexpr size_t kSignatureLength = 11;
constexpr size_t kFixedHeaderLength = kSignatureLength + 4 + 4;
constexpr uint32_t kFlagOids = 1u << 16;
constexpr uint32_t kCriticalFlagsMask = 0xFFFF0000u;

int16_t read_i16(const char* p) {
  uint16_t v = static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
  return static_cast<int16_t>(v);
}
uint32_t read_u32(const char* p) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(p[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 8) | static_cast<uint32_t>(static_cast<uint8_t>(p[3]));
}

}  // namespace

CopyBinaryReader::CopyBinaryReader(int expected_fields, RowCallback on_row)
    : expected_fields_(expected_fields), on_row_(std::move(on_row)) {
  spans_.resize(static_cast<size_t>(std::max(expected_fields, 0)));
  fields_.resize(spans_.size());
}

void CopyBinaryReader::reset_cursor() {
  pos_ = 0;
  field_ = -1;
  field_len_ = -2;
  need_ = 0;
}

Result<CopyBinaryReader::Step> CopyBinaryReader::advance(const char* buf, size_t size) {
  if (!header_seen_) {
    if (size < kFixedHeaderLength) {
      need_ = kFixedHeaderLength;
      return Step::kNeedMore;
    }
    if (std::memcmp(buf, kSignature, kSignatureLength) != 0) {
      return Status::data_error("COPY BINARY stream does not start with the PGCOPY signature");
    }
    uint32_t flags = read_u32(buf + kSignatureLength);
    if ((flags & kFlagOids) != 0) {
      return Status::data_error("COPY BINARY stream includes OIDs, which pgs3 never asks for");
    }
    if ((flags & kCriticalFlagsMask & ~kFlagOids) != 0) {
      return Status::data_error("COPY BINARY stream has unknown critical header flags " + std::to_string(flags));
    }
    uint32_t extension = read_u32(buf + kSignatureLength + 4);
    // The extension area is skipped: "a reader should silently skip any header extension data it does not know".
    if (extension > (1u << 30)) return Status::data_error("COPY BINARY header extension length is implausible");
    size_t total = kFixedHeaderLength + extension;
    if (size < total) {
      need_ = total;
      return Step::kNeedMore;
    }
    pos_ = total;
    return Step::kHeader;
  }
  if (field_ < 0) {
    if (size < pos_ + 2) {
      need_ = pos_ + 2;
      return Step::kNeedMore;
    }
    int16_t count = read_i16(buf + pos_);
    pos_ += 2;
    if (count == -1) return Step::kTrailer;
    if (count != expected_fields_) {
      return Status::data_error("COPY BINARY tuple has " + std::to_string(count) + " fields, expected " +
                                std::to_string(expected_fields_));
    }
    field_ = 0;
  }
  while (field_ < expected_fields_) {
    if (field_len_ == -2) {
      if (size < pos_ + 4) {
        need_ = pos_ + 4;
        return Step::kNeedMore;
      }
      int32_t length = static_cast<int32_t>(read_u32(buf + pos_));
      pos_ += 4;
      if (length < -1) {
        return Status::data_error("COPY BINARY field " + std::to_string(field_ + 1) + " has invalid length " +
                                  std::to_string(length));
      }
      if (length == -1) {
        spans_[static_cast<size_t>(field_)] = {0, -1};
        ++field_;
        continue;
      }
      field_len_ = length;
    }
    if (size < pos_ + static_cast<size_t>(field_len_)) {
      need_ = pos_ + static_cast<size_t>(field_len_);
      return Step::kNeedMore;
    }
    spans_[static_cast<size_t>(field_)] = {pos_, field_len_};
    pos_ += static_cast<size_t>(field_len_);
    field_len_ = -2;
    ++field_;
  }
  return Step::kRow;
}

Status CopyBinaryReader::emit_row(const char* buf) {
  for (size_t i = 0; i < spans_.size(); ++i) {
    fields_[i].length = spans_[i].second;
    fields_[i].data = spans_[i].second < 0 ? nullptr : buf + spans_[i].first;
  }
  ++rows_;
  return on_row_(std::span<const CopyField>(fields_.data(), fields_.size()));
}

Status CopyBinaryReader::feed(std::string_view chunk) {
  if (failed_) return Status::internal("CopyBinaryReader::feed called after a failure");
  const char* data = chunk.data();
  size_t size = chunk.size();
  size_t offset = 0;
  auto fail = [this](Status s) {
    failed_ = true;
    return s;
  };

  // Slow path: finish the unit whose start is in carry_, taking from the chunk only the bytes the parse is known to
  // need, so that the rest of the chunk can again be parsed in place.
  while (!carry_.empty()) {
    size_t take = std::min(need_ - carry_.size(), size - offset);
    carry_.append(data + offset, take);
    offset += take;
    if (carry_.size() < need_) return Status::ok();  // chunk used up
    auto step = advance(carry_.data(), carry_.size());
    if (!step.is_ok()) return fail(step.status());
    if (*step == Step::kNeedMore) continue;
    if (*step == Step::kRow) {
      Status s = emit_row(carry_.data());
      if (!s.is_ok()) return fail(s);
    } else if (*step == Step::kHeader) {
      header_seen_ = true;
    } else {
      trailer_seen_ = true;
    }
    carry_.clear();
    reset_cursor();
  }

  while (offset < size) {
    if (trailer_seen_) return fail(Status::data_error("COPY BINARY stream has data after its trailer"));
    auto step = advance(data + offset, size - offset);
    if (!step.is_ok()) return fail(step.status());
    switch (*step) {
      case Step::kNeedMore:
        // The cursor's offsets are relative to the unit's first byte, which becomes carry_[0].
        carry_.assign(data + offset, size - offset);
        return Status::ok();
      case Step::kRow: {
        Status s = emit_row(data + offset);
        if (!s.is_ok()) return fail(s);
        break;
      }
      case Step::kHeader: header_seen_ = true; break;
      case Step::kTrailer: trailer_seen_ = true; break;
    }
    offset += pos_;
    reset_cursor();
  }
  return Status::ok();
}

Status CopyBinaryReader::finish() const {
  if (failed_) return Status::internal("CopyBinaryReader::finish called after a failure");
  if (!carry_.empty() || !trailer_seen_) {
    return Status::data_error("COPY BINARY stream ended before its trailer (after " + std::to_string(rows_) + " rows)");
  }
  return Status::ok();
}

}  // namespace pgs3
