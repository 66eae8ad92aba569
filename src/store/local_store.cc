#include "store/local_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/process_alive.h"

namespace pgs3 {
namespace fs = std::filesystem;
namespace {

constexpr char kTmpMarker[] = ".pgs3-tmp-";

std::string errno_text(int err) { return std::strerror(err); }

// Keys and prefixes are relative, '/'-separated, and may not climb out of the root (pgs3 escapes the names it puts in
// keys, base/object_key.h; this is the last line of defence). A prefix may be empty (the whole root).
Status check_relative(const std::string& key, bool prefix) {
  if ((!prefix && key.empty()) || (!key.empty() && key.front() == '/')) {
    return Status::internal("object key must be relative: '" + key + "'");
  }
  for (const auto& part : fs::path(key)) {
    if (part == ".." || part == ".") return Status::internal("object key has a '.' or '..' part: '" + key + "'");
  }
  return Status::ok();
}
Status check_key(const std::string& key) { return check_relative(key, false); }

}  // namespace

class LocalObjectWriter final : public ObjectWriter {
 public:
  LocalObjectWriter(const LocalStore& store, std::string tmp_path, std::string final_path, int fd)
      : store_(store), tmp_path_(std::move(tmp_path)), final_path_(std::move(final_path)), fd_(fd) {}
  ~LocalObjectWriter() override { abort(); }

  Status append(std::string_view bytes) override {
    if (fd_ < 0) return Status::internal("write to a closed object " + final_path_);
    const char* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::io_error("cannot write " + tmp_path_ + ": " + errno_text(errno));
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    position_ += bytes.size();
    return Status::ok();
  }

  uint64_t position() const override { return position_; }

  Status commit() override {
    if (fd_ < 0) return Status::internal("commit of a closed object " + final_path_);
    // Order matters for durability: data on disk, then the name, then the directory entry.
    if (::fsync(fd_) != 0) return Status::io_error("fsync of " + tmp_path_ + " failed: " + errno_text(errno));
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_path_.c_str(), final_path_.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp_path_.c_str());
      return Status::io_error("cannot rename " + tmp_path_ + " to " + final_path_ + ": " + errno_text(err));
    }
    committed_ = true;
    return store_.sync_directory(fs::path(final_path_).parent_path().string());
  }

  void abort() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!committed_ && !aborted_) {
      ::unlink(tmp_path_.c_str());
      aborted_ = true;
    }
  }

 private:
  const LocalStore& store_;
  std::string tmp_path_;
  std::string final_path_;
  int fd_;
  uint64_t position_ = 0;
  bool committed_ = false;
  bool aborted_ = false;
};

namespace {

std::string version_of(const struct stat& st) {
  const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return std::to_string(st.st_ino) + "-" + std::to_string(mtime_ns) + "-" + std::to_string(st.st_size);
}

// An flock held on a directory for as long as it lives.
class DirectoryLock {
 public:
  static Result<DirectoryLock> take(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::io_error("cannot open directory " + dir + ": " + errno_text(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status::io_error("cannot lock directory " + dir + ": " + errno_text(err));
    }
    return DirectoryLock(fd);
  }
  DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

LocalStore::LocalStore(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

bool LocalStore::is_temporary_name(const std::string& name) {
  return !name.empty() && name.front() == '.' && name.find(kTmpMarker) != std::string::npos;
}

Status LocalStore::sync_directory(const std::string& path) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::io_error("cannot open directory " + path + " to fsync it: " + errno_text(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::io_error("fsync of directory " + path + " failed: " + errno_text(err));
  if (sync_observer_) sync_observer_(path);
  return Status::ok();
}

Status LocalStore::create_directories(const std::string& dir) const {
  std::vector<fs::path> missing;  // deepest first
  std::error_code ec;
  for (fs::path p = dir; !p.empty() && !fs::is_directory(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;  // "/"
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    // EEXIST: another writer made it a moment ago; its entry may not be durable yet, so the parent is synced anyway.
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::io_error("cannot create directory " + it->string() + ": " + errno_text(errno));
    }
    const fs::path parent = it->parent_path();
    PGS3_RETURN_IF_ERROR(sync_directory(parent.empty() ? "." : parent.string()));
  }
  return Status::ok();
}

Result<std::unique_ptr<ObjectWriter>> LocalStore::create(const std::string& key, const ObjectOptions& /*options*/) {
  PGS3_RETURN_IF_ERROR(check_key(key));
  fs::path final_path = fs::path(root_) / key;
  PGS3_RETURN_IF_ERROR(create_directories(final_path.parent_path().string()));
  // The name starts from a std::string, not from "." + ...: GCC 12 at -O3 reports a false -Wrestrict on
  // operator+(const char*, std::string&&) (GCC bug 105329).
  std::string tmp_name(1, '.');
  tmp_name +=
      final_path.filename().string() + kTmpMarker + std::to_string(::getpid()) + "-" + std::to_string(next_tmp_++);
  std::string tmp = (final_path.parent_path() / tmp_name).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io_error("cannot create " + tmp + ": " + errno_text(errno));
  return std::unique_ptr<ObjectWriter>(new LocalObjectWriter(*this, tmp, final_path.string(), fd));
}

Result<std::vector<ObjectInfo>> LocalStore::list(const std::string& prefix) {
  PGS3_RETURN_IF_ERROR(check_relative(prefix, true));
  std::vector<ObjectInfo> out;
  // Walk from the deepest directory the prefix names, then filter by the full prefix.
  std::string dir_part = prefix.substr(0, prefix.rfind('/') == std::string::npos ? 0 : prefix.rfind('/'));
  fs::path start = dir_part.empty() ? fs::path(root_) : fs::path(root_) / dir_part;
  std::error_code ec;
  if (!fs::exists(start, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(start, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (is_temporary_name(it->path().filename().string())) continue;
    std::string key = fs::relative(it->path(), root_, ec).generic_string();
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    out.push_back({key, static_cast<uint64_t>(it->file_size(ec))});
  }
  if (ec) return Status::io_error("cannot list " + start.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Result<std::optional<std::string>> LocalStore::get(const std::string& key) {
  PGS3_RETURN_IF_ERROR(check_key(key));
  fs::path path = fs::path(root_) / key;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::io_error("cannot read " + path.string() + ": " + errno_text(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::optional<std::string>(ss.str());
}

Status LocalStore::remove(const std::string& key) { return remove_all({key}); }

Status LocalStore::remove_all(const std::vector<std::string>& keys) {
  std::set<std::string> directories;  // those a file was removed from: fsynced once each, after the unlinks
  for (const std::string& key : keys) {
    PGS3_RETURN_IF_ERROR(check_key(key));
    fs::path path = fs::path(root_) / key;
    if (::unlink(path.c_str()) == 0) {
      directories.insert(path.parent_path().string());
    } else if (errno != ENOENT) {
      return Status::io_error("cannot remove " + path.string() + ": " + errno_text(errno));
    }
  }
  for (const std::string& dir : directories) PGS3_RETURN_IF_ERROR(sync_directory(dir));
  return Status::ok();
}

Result<int> LocalStore::remove_stale_temporaries(const std::string& prefix) {
  PGS3_RETURN_IF_ERROR(check_relative(prefix, true));
  int removed = 0;
  fs::path start = fs::path(root_) / prefix;
  std::error_code ec;
  if (!fs::exists(start, ec)) return 0;
  for (auto it = fs::recursive_directory_iterator(start, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_regular_file(ec) || !is_temporary_name(name)) continue;
    // A live writer's temporary (this process's, or another's on this machine) is an object being written.
    const size_t marker = name.find(kTmpMarker);
    const std::optional<long> pid = leading_pid(std::string_view(name).substr(marker + sizeof(kTmpMarker) - 1));
    if (pid && process_alive(*pid)) continue;
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  if (ec) return Status::io_error("cannot scan " + start.string() + ": " + ec.message());
  return removed;
}

Result<std::optional<VersionedObject>> LocalStore::get_versioned(const std::string& key) {
  PGS3_RETURN_IF_ERROR(check_key(key));
  const std::string path = (fs::path(root_) / key).string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<VersionedObject>();
    return Status::io_error("cannot read " + path + ": " + errno_text(errno));
  }
  VersionedObject out;
  struct stat st {};
  Status status;
  if (::fstat(fd, &st) != 0) status = Status::io_error("cannot stat " + path + ": " + errno_text(errno));
  char buffer[65536];
  while (status.is_ok()) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      status = Status::io_error("cannot read " + path + ": " + errno_text(errno));
      break;
    }
    out.bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  PGS3_RETURN_IF_ERROR(status);
  out.etag = version_of(st);
  const auto written = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
  out.age = std::max(std::chrono::seconds(0),
                     std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - written));
  return std::optional<VersionedObject>(std::move(out));
}

Result<std::string> LocalStore::put_if(const std::string& key, std::string_view bytes,
                                       const std::string& expected_etag) {
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, create(key));
  auto* file = static_cast<LocalObjectWriter*>(writer.get());
  PGS3_RETURN_IF_ERROR(file->append(bytes));
  const fs::path final_path = fs::path(root_) / key;
  PGS3_ASSIGN_OR_RETURN(DirectoryLock lock, DirectoryLock::take(final_path.parent_path().string()));
  struct stat st {};
  const bool exists = ::stat(final_path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT)
    return Status::io_error("cannot stat " + final_path.string() + ": " + errno_text(errno));
  const std::string current = exists ? version_of(st) : "";
  if (current != expected_etag) {
    auto now = get_versioned(key);
    if (now.is_ok() && *now && (*now)->bytes == bytes) return (*now)->etag;
    return Status::conflict(final_path.string() +
                            (expected_etag.empty()
                                 ? " exists already"
                                 : (exists ? " was changed by another writer" : " was removed by another writer")));
  }
  PGS3_RETURN_IF_ERROR(file->commit());
  if (::stat(final_path.c_str(), &st) != 0) {
    return Status::io_error("cannot stat " + final_path.string() + ": " + errno_text(errno));
  }
  return version_of(st);
}

}  // namespace pgs3
