// SpillFile: a local temporary file that holds bytes the memory budget moved out of memory (DESIGN.md §3
// invariant 5), written once from the start and read back once at the end.
//
// Spill files hold rows in plaintext, so no other user may read them: the file is
// "<directory>/pgs3-spill-<pid>-XXXXXX/pgs3-spill-<pid>-<n>" (n counts the files this process created), created with
// O_EXCL and mode 0600 inside a directory private to this process (mode 0700, made by mkdtemp when the process's
// first spill file there is created, removed with its last one), so two processes or two writers never share one.
// A file is removed (unlinked) when the SpillFile is destroyed, whatever happened; a process killed with SIGKILL
// leaves its directory behind, and the name says which process made it: remove_stale() removes those of processes
// that no longer run (the CDC task calls it at start), and the loose pgs3-spill-<pid>-<n> files of earlier pgs3
// versions. `directory` itself is created (with its parents) when missing.
//
// Errors name the file or directory: a directory that cannot be created or a file that cannot be opened is kIoError;
// a write that fails because the disk or the quota is full is kUnavailable (space may come back, the caller may retry
// from its durable position); any other write or read failure is kIoError.
//
// Appends go through a write buffer of kBufferBytes (memory_bytes()), so that the encoder's small writes (page
// headers, CSV lines) do not each cost a system call.
//
// Not thread-safe: one thread uses a SpillFile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pgs3 {

class SpillFile {
 public:
  static constexpr size_t kBufferBytes = 64 * 1024;

  // Creates a new, empty spill file in `directory` (created when missing). An empty `directory` means
  // default_directory().
  static Result<std::unique_ptr<SpillFile>> create(const std::string& directory);
  // $TMPDIR when it is set and not empty, otherwise /tmp.
  static std::string default_directory();
  // Removes the spill files in `directory` (empty: default_directory()) whose process no longer runs. Returns how
  // many; a directory that does not exist has none.
  static Result<int> remove_stale(const std::string& directory);

  ~SpillFile();  // closes and unlinks the file
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  Status append(std::string_view bytes);
  // Bytes appended so far (buffered ones included).
  uint64_t size() const { return size_; }
  // Bytes held in memory: the write buffer's capacity.
  uint64_t memory_bytes() const { return buffer_.capacity(); }
  // Reads the whole file from its start, handing `sink` chunks of at most `chunk_bytes` bytes in order. The first
  // failure of a read or of `sink` is returned. The file can still be appended to afterwards.
  Status read_all(size_t chunk_bytes, const std::function<Status(std::string_view)>& sink);
  const std::string& path() const { return path_; }

 private:
  SpillFile(std::string directory, std::string path, int fd)
      : directory_(std::move(directory)), path_(std::move(path)), fd_(fd) {}
  Status write_out(std::string_view bytes);
  Status flush_buffer();

  std::string directory_;  // the spill directory (the private directory is in it)
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string buffer_;  // appended bytes not yet written to the file
};

}  // namespace pgs3
