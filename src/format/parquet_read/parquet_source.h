// ParquetSource: random access to the bytes of one Parquet file, for ParquetFileReader, which reads the footer first
// and then one column chunk at a time. Implementations: MemoryParquetSource (bytes already in memory) here; a local
// file and an S3 object in the code that opens them (src/cli/cat_command.cc), so that format does not depend on store.
// Not thread-safe; one source per reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pgs3 {

class ParquetSource {
 public:
  virtual ~ParquetSource() = default;
  // The file's size in bytes.
  virtual uint64_t size() const = 0;
  // Replaces *out with the `length` bytes at `offset`; the range lies inside the file (the reader checks it first).
  virtual Status read(uint64_t offset, size_t length, std::string* out) = 0;
};

// A file held in memory. `bytes` must outlive the source.
class MemoryParquetSource final : public ParquetSource {
 public:
  explicit MemoryParquetSource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  Status read(uint64_t offset, size_t length, std::string* out) override {
    if (offset > bytes_.size() || length > bytes_.size() - offset) {
      return Status::data_error("a read runs past the end of the file");
    }
    out->assign(bytes_.substr(static_cast<size_t>(offset), length));
    return Status::ok();
  }

 private:
  std::string_view bytes_;
};

}  // namespace pgs3
