#include "sink/staged_output.h"

#include <algorithm>

namespace pgs3 {

uint64_t StagedOutput::memory_bytes() const { return file_ ? file_->memory_bytes() : block_capacity_; }

Status StagedOutput::append(std::string_view bytes) {
  PGS3_RETURN_IF_ERROR(status_);
  size_ += bytes.size();
  if (file_) {
    status_ = file_->append(bytes);
    return status_;
  }
  while (!bytes.empty()) {
    if (blocks_.empty() || blocks_.back().size() == blocks_.back().capacity()) {
      // Each new block is as large as what is staged so far (within bounds): few blocks for a large file, little
      // slack for a small one.
      const size_t capacity =
          std::clamp<size_t>(static_cast<size_t>(size_ - bytes.size()), kMinBlockBytes, kMaxBlockBytes);
      blocks_.emplace_back();
      blocks_.back().reserve(capacity);
      block_capacity_ += blocks_.back().capacity();
    }
    std::string& block = blocks_.back();
    const size_t take = std::min(bytes.size(), block.capacity() - block.size());
    block.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
  }
  return Status::ok();
}

Status StagedOutput::spill() {
  PGS3_RETURN_IF_ERROR(status_);
  if (file_) return Status::ok();
  Result<std::unique_ptr<SpillFile>> file = SpillFile::create(spill_directory_);
  if (!file.is_ok()) {
    status_ = file.status();
    return status_;
  }
  for (const std::string& block : blocks_) {
    status_ = (*file)->append(block);
    PGS3_RETURN_IF_ERROR(status_);  // the new file is removed as `file` goes out of scope
  }
  file_ = std::move(file).value();
  blocks_.clear();
  blocks_.shrink_to_fit();
  block_capacity_ = 0;
  return Status::ok();
}

Status StagedOutput::copy_to(OutputStream& out, size_t chunk_bytes) {
  PGS3_RETURN_IF_ERROR(status_);
  if (chunk_bytes == 0) chunk_bytes = 1;
  if (file_) return file_->read_all(chunk_bytes, [&out](std::string_view chunk) { return out.append(chunk); });
  for (const std::string& block : blocks_) {
    std::string_view rest = block;
    while (!rest.empty()) {
      const size_t take = std::min(rest.size(), chunk_bytes);
      PGS3_RETURN_IF_ERROR(out.append(rest.substr(0, take)));
      rest.remove_prefix(take);
    }
  }
  return Status::ok();
}

void StagedOutput::discard() {
  blocks_.clear();
  blocks_.shrink_to_fit();
  block_capacity_ = 0;
  file_.reset();
  size_ = 0;
  status_ = Status::ok();
}

}  // namespace pgs3
