#include "sink/spill_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>

#include "base/process_alive.h"

namespace pgs3 {
namespace {

std::atomic<uint64_t> next_spill_number{1};
constexpr std::string_view kSpillPrefix = "pgs3-spill-";

// This process's private directory in each spill directory, made when a file is first needed there and removed
// when its last file is: open files hold a reference.
struct PrivateDirectory {
  std::string path;
  int files = 0;
};
std::mutex private_directories_mutex;
std::map<std::string, PrivateDirectory>& private_directories() {
  static auto* directories = new std::map<std::string, PrivateDirectory>();  // never destroyed: used at exit
  return *directories;
}

// The private directory in `dir` with one more reference, made (mode 0700, by mkdtemp) when there is none.
Result<std::string> acquire_private_directory(const std::string& dir) {
  std::lock_guard<std::mutex> lock(private_directories_mutex);
  PrivateDirectory& entry = private_directories()[dir];
  if (entry.files == 0) {
    std::string templ =
        (std::filesystem::path(dir) / (std::string(kSpillPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) {
      const int err = errno;
      private_directories().erase(dir);
      return Status::io_error("cannot create a private directory in spill directory " + dir + ": " +
                              std::strerror(err) + "; set a writable spill directory");
    }
    entry.path = templ;
  }
  ++entry.files;
  return entry.path;
}

void release_private_directory(const std::string& dir) {
  std::lock_guard<std::mutex> lock(private_directories_mutex);
  auto it = private_directories().find(dir);
  if (it == private_directories().end() || --it->second.files > 0) return;
  ::rmdir(it->second.path.c_str());
  private_directories().erase(it);
}

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
  namespace fs = std::filesystem;
  std::error_code ec;
  int removed = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kSpillPrefix, 0) != 0) continue;
    const std::optional<long> pid = leading_pid(std::string_view(name).substr(kSpillPrefix.size()));
    if (!pid || process_alive(*pid)) continue;
    std::error_code type_ec;
    const fs::file_status type = it->symlink_status(type_ec);
    if (fs::is_regular_file(type)) {
      // A file of pgs3 before spill files went into private directories.
      if (::unlink(it->path().c_str()) == 0) ++removed;
    } else if (fs::is_directory(type)) {
      std::error_code inner_ec;
      for (auto f = fs::directory_iterator(it->path(), inner_ec); !inner_ec && f != fs::directory_iterator();
           f.increment(inner_ec)) {
        if (::unlink(f->path().c_str()) == 0) ++removed;
      }
      ::rmdir(it->path().c_str());
    }
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
  PGS3_ASSIGN_OR_RETURN(std::string private_dir, acquire_private_directory(dir));
  // O_EXCL: a file is never shared, even should the private directory have been tampered with.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::string path = (std::filesystem::path(private_dir) / (std::string(kSpillPrefix) + std::to_string(::getpid()) +
                                                              "-" + std::to_string(next_spill_number.fetch_add(1))))
                           .string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) return std::unique_ptr<SpillFile>(new SpillFile(dir, std::move(path), fd));
    if (errno != EEXIST) {
      const int err = errno;
      release_private_directory(dir);
      return Status::io_error("cannot create spill file " + path + " in spill directory " + dir + ": " +
                              errno_text(err) + "; set a writable spill directory");
    }
  }
  release_private_directory(dir);
  return Status::io_error("cannot create a spill file in spill directory " + dir +
                          ": too many pgs3-spill-* files of this process id already exist; remove them");
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
  ::unlink(path_.c_str());
  release_private_directory(directory_);
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
