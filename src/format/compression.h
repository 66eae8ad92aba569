// Block compression for file encoders: Parquet pages (and whole CSV objects).
//
// Each call compresses one complete block; the codecs follow the Parquet specification (Compression.md): SNAPPY is
// the raw snappy format without framing, GZIP is the gzip format of RFC 1952 (not bare zlib or deflate), ZSTD is a
// Zstandard frame (RFC 8878). Decompression is here for tests and for readers of our own files.
//
// BlockCompressor keeps its codec context (zlib stream, zstd context) and output buffer between calls, so
// compressing many pages does not allocate per page. Not thread-safe: one compressor per writer.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "format/format_options.h"

namespace pgs3 {

// The name used in settings and messages: "none", "snappy", "gzip", "zstd".
const char* compression_name(Compression codec);

class BlockCompressor {
 public:
  explicit BlockCompressor(Compression codec);
  ~BlockCompressor();
  BlockCompressor(const BlockCompressor&) = delete;
  BlockCompressor& operator=(const BlockCompressor&) = delete;

  Compression codec() const { return codec_; }

  // Compresses `input` as one block. The result views either `input` itself (kNone) or a buffer owned by the
  // compressor, valid until the next call.
  Result<std::string_view> compress(std::string_view input);

  // Bytes held: the output buffer's capacity and the codec's state (zstd's context, zlib's deflate window and hash).
  uint64_t memory_bytes() const;
  // Frees the output buffer (and the codec's state); the next compress() allocates them again.
  void release();

 private:
  struct Contexts;
  Compression codec_;
  std::unique_ptr<Contexts> contexts_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
};

// Decompresses one block whose decompressed size is known (the Parquet page header carries it). Fails with kDataError
// when the block is corrupt or its size differs from `uncompressed_size`. GZIP blocks made of several gzip members
// are accepted, as the specification asks of readers.
Status decompress_block(Compression codec, std::string_view input, size_t uncompressed_size, std::string* out);

}  // namespace pgs3
