#include "format/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace pgs3 {

namespace {

// The libraries' default levels, which are also what parquet-mr writes (zstd 3, gzip 6): a fair speed/size balance.
constexpr int kZstdLevel = ZSTD_CLEVEL_DEFAULT;
constexpr int kGzipLevel = Z_DEFAULT_COMPRESSION;
// zlib's windowBits: 15 is a 32 KiB window; +16 asks deflate for a gzip header and trailer (RFC 1952), and +32 asks
// inflate to detect zlib or gzip headers.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kInflateAutoWindowBits = 15 + 32;

}  // namespace

const char* compression_name(Compression codec) {
  switch (codec) {
    case Compression::kNone: return "none";
    case Compression::kSnappy: return "snappy";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

struct BlockCompressor::Contexts {
  ZSTD_CCtx* zstd = nullptr;
  z_stream zlib{};
  bool zlib_ready = false;

  ~Contexts() {
    if (zstd != nullptr) ZSTD_freeCCtx(zstd);
    if (zlib_ready) deflateEnd(&zlib);
  }
};

BlockCompressor::BlockCompressor(Compression codec) : codec_(codec), contexts_(std::make_unique<Contexts>()) {}

BlockCompressor::~BlockCompressor() = default;

uint64_t BlockCompressor::memory_bytes() const {
  uint64_t bytes = capacity_;
  if (contexts_->zstd != nullptr) bytes += ZSTD_sizeof_CCtx(contexts_->zstd);
  // zlib's documented deflate footprint: (1 << (windowBits + 2)) + (1 << (memLevel + 9)), memLevel 8.
  if (contexts_->zlib_ready) bytes += (uint64_t{1} << (kGzipWindowBits % 16 + 2)) + (uint64_t{1} << (8 + 9));
  return bytes;
}

void BlockCompressor::release() {
  buffer_.reset();
  capacity_ = 0;
  contexts_ = std::make_unique<Contexts>();
}

Result<std::string_view> BlockCompressor::compress(std::string_view input) {
  if (codec_ == Compression::kNone) return input;
  if (input.size() > UINT_MAX / 2) {
    return Status::data_error("a block of " + std::to_string(input.size()) + " bytes is too large to compress");
  }
  size_t bound = 0;
  switch (codec_) {
    case Compression::kSnappy: bound = snappy::MaxCompressedLength(input.size()); break;
    case Compression::kZstd: bound = ZSTD_compressBound(input.size()); break;
    case Compression::kGzip:
      if (!contexts_->zlib_ready) {
        if (deflateInit2(&contexts_->zlib, kGzipLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
          return Status::internal("zlib: deflateInit2 failed");
        }
        contexts_->zlib_ready = true;
      } else if (deflateReset(&contexts_->zlib) != Z_OK) {
        return Status::internal("zlib: deflateReset failed");
      }
      bound = deflateBound(&contexts_->zlib, static_cast<uLong>(input.size()));
      break;
    case Compression::kNone: break;
  }
  if (bound > capacity_) {
    // Grow geometrically so that slowly growing pages do not reallocate each time.
    capacity_ = std::max(bound, capacity_ + capacity_ / 2);
    buffer_ = std::make_unique<char[]>(capacity_);  // NOLINT: uninitialized on purpose, fully overwritten
  }
  char* out = buffer_.get();
  switch (codec_) {
    case Compression::kSnappy: {
      size_t n = 0;
      snappy::RawCompress(input.data(), input.size(), out, &n);
      return std::string_view(out, n);
    }
    case Compression::kZstd: {
      ZSTD_CCtx*& cctx = contexts_->zstd;
      if (cctx == nullptr) cctx = ZSTD_createCCtx();
      if (cctx == nullptr) return Status::internal("zstd: cannot create a compression context");
      size_t n = ZSTD_compressCCtx(cctx, out, capacity_, input.data(), input.size(), kZstdLevel);
      if (ZSTD_isError(n)) return Status::internal(std::string("zstd: ") + ZSTD_getErrorName(n));
      return std::string_view(out, n);
    }
    case Compression::kGzip: {
      z_stream& zs = contexts_->zlib;
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
      zs.avail_in = static_cast<uInt>(input.size());
      zs.next_out = reinterpret_cast<Bytef*>(out);
      zs.avail_out = static_cast<uInt>(capacity_);
      int rc = deflate(&zs, Z_FINISH);
      if (rc != Z_STREAM_END) return Status::internal("zlib: deflate did not finish (code " + std::to_string(rc) + ")");
      return std::string_view(out, zs.total_out);
    }
    case Compression::kNone: break;
  }
  return input;
}

namespace {

Status size_mismatch(Compression codec, size_t got, size_t want) {
  return Status::data_error(std::string(compression_name(codec)) + " block decompressed to " + std::to_string(got) +
                            " bytes, the page header says " + std::to_string(want));
}

Status gunzip(std::string_view input, size_t uncompressed_size, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, kInflateAutoWindowBits) != Z_OK) return Status::internal("zlib: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  Status status;
  for (;;) {
    int rc = inflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_END) {
      // Several gzip members may follow each other in one page (Compression.md): continue with the next one.
      if (zs.avail_in == 0) break;
      if (inflateReset(&zs) != Z_OK) {
        status = Status::internal("zlib: inflateReset failed");
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) {
      status = Status::data_error("gzip block decompresses to more than the " + std::to_string(uncompressed_size) +
                                  " bytes its page header says");
    } else {
      status = Status::data_error("gzip block is corrupt (zlib code " + std::to_string(rc) + ")");
    }
    break;
  }
  size_t produced = out->size() - zs.avail_out;
  inflateEnd(&zs);
  PGS3_RETURN_IF_ERROR(status);
  if (produced != uncompressed_size) return size_mismatch(Compression::kGzip, produced, uncompressed_size);
  return Status::ok();
}

}  // namespace

Status decompress_block(Compression codec, std::string_view input, size_t uncompressed_size, std::string* out) {
  out->resize(uncompressed_size);
  switch (codec) {
    case Compression::kNone:
      if (input.size() != uncompressed_size) return size_mismatch(codec, input.size(), uncompressed_size);
      if (!input.empty()) std::memcpy(out->data(), input.data(), input.size());
      return Status::ok();
    case Compression::kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(input.data(), input.size(), &n)) {
        return Status::data_error("snappy block is corrupt (no valid length header)");
      }
      if (n != uncompressed_size) return size_mismatch(codec, n, uncompressed_size);
      if (!snappy::RawUncompress(input.data(), input.size(), out->data())) {
        return Status::data_error("snappy block is corrupt");
      }
      return Status::ok();
    }
    case Compression::kGzip: return gunzip(input, uncompressed_size, out);
    case Compression::kZstd: {
      size_t n = ZSTD_decompress(out->data(), out->size(), input.data(), input.size());
      if (ZSTD_isError(n)) return Status::data_error(std::string("zstd block is corrupt: ") + ZSTD_getErrorName(n));
      if (n != uncompressed_size) return size_mismatch(codec, n, uncompressed_size);
      return Status::ok();
    }
  }
  return Status::internal("unknown compression codec");
}

}  // namespace pgs3
