#include "sink/spill_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/process_alive.h"

namespace pgs3 {
namespace {

std::atomic<uint64_t> next_spill_number{1};

std::string errno_text(int error) { return std::strerror(error); }

Status write_error(const std::string& path, int error) {
  std::string message = "cannot write spill file " + path + ": " + errno_text(error);
  if (error == ENOSPC || error == EDQUOT) {
    return Status::unavailable(message + "; free space in its directory or set another spill directory");
  }
  return Status::io_error(message);
}

}  // namespace

std::string SpillFile::default_directory() {
  const char* tmp = std::getenv("TMPDIR");
  if (tmp != nullptr && *tmp != '\0') return tmp;
  return "/tmp";
}

Result<int> SpillFile::remove_stale(const std::string& directory) {
  const std::string dir = directory.empty() ? default_directory() : directory;
  std::error_code ec;
  int removed = 0;
  constexpr std::string_view kPrefix = "pgs3-spill-";
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || !it->is_regular_file(ec)) continue;
    const std::optional<long> pid = leading_pid(std::string_view(name).substr(kPrefix.size()));
    if (!pid || process_alive(*pid)) continue;
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::io_error("cannot scan spill directory " + dir + ": " + ec.message());
  }
  return removed;
}

Result<std::unique_ptr<SpillFile>> SpillFile::create(const std::string& directory) {
  const std::string dir = directory.empty() ? default_directory() : directory;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::io_error("cannot create spill directory " + dir + ": " + ec.message() +
                            "; set a writable spill directory");
  }
  // O_EXCL: a file left by an earlier process with the same pid is never reused; take the next number instead.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::string path = (std::filesystem::path(dir) / ("pgs3-spill-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(next_spill_number.fetch_add(1))))
                           .string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return std::unique_ptr<SpillFile>(new SpillFile(std::move(path), fd));
    if (errno != EEXIST) {
      return Status::io_error("cannot create spill file " + path + " in spill directory " + dir + ": " +
                              errno_text(errno) + "; set a writable spill directory");
    }
  }
  return Status::io_error("cannot create a spill file in spill directory " + dir +
                          ": too many pgs3-spill-* files of this process id already exist; remove them");
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
  ::unlink(path_.c_str());
}

Status SpillFile::append(std::string_view bytes) {
  size_ += bytes.size();
  if (buffer_.size() + bytes.size() <= kBufferBytes) {
    if (buffer_.capacity() < kBufferBytes) buffer_.reserve(kBufferBytes);
    buffer_.append(bytes);
    return Status::ok();
  }
  PGS3_RETURN_IF_ERROR(flush_buffer());
  if (bytes.size() >= kBufferBytes) return write_out(bytes);
  buffer_.append(bytes);
  return Status::ok();
}

Status SpillFile::flush_buffer() {
  if (buffer_.empty()) return Status::ok();
  Status st = write_out(buffer_);
  buffer_.clear();
  return st;
}

Status SpillFile::write_out(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return write_error(path_, errno);
    }
    if (n == 0) return write_error(path_, ENOSPC);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status SpillFile::read_all(size_t chunk_bytes, const std::function<Status(std::string_view)>& sink) {
  PGS3_RETURN_IF_ERROR(flush_buffer());
  if (chunk_bytes == 0) chunk_bytes = 1;
  std::string chunk(static_cast<size_t>(std::min<uint64_t>(chunk_bytes, size_)), '\0');
  uint64_t offset = 0;
  while (offset < size_) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size_ - offset));
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, chunk.data() + got, want - got, static_cast<off_t>(offset + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::io_error("cannot read spill file " + path_ + ": " + errno_text(errno));
      }
      if (n == 0) {
        return Status::io_error("spill file " + path_ + " is shorter than written (" + std::to_string(offset + got) +
                                " of " + std::to_string(size_) + " bytes): was it truncated by another process?");
      }
      got += static_cast<size_t>(n);
    }
    PGS3_RETURN_IF_ERROR(sink(std::string_view(chunk.data(), want)));
    offset += want;
  }
  return Status::ok();
}

}  // namespace pgs3
