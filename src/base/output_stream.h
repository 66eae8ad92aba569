// OutputStream: an append-only byte sink that encoders write into.
//
// The file encoders (Parquet, CSV) write through this interface and know nothing of where the bytes go: a local
// temporary file, an S3 multipart upload, or a memory buffer in tests. Not thread-safe: one writer at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pgs3 {

class OutputStream {
 public:
  virtual ~OutputStream() = default;
  virtual Status append(std::string_view bytes) = 0;
  // Bytes appended so far.
  virtual uint64_t position() const = 0;
};

// An OutputStream into memory, for tests and small objects.
class StringOutputStream final : public OutputStream {
 public:
  Status append(std::string_view bytes) override {
    data_.append(bytes);
    return Status::ok();
  }
  uint64_t position() const override { return data_.size(); }
  const std::string& data() const { return data_; }
  std::string take() { return std::move(data_); }

 private:
  std::string data_;
};

}  // namespace pgs3
