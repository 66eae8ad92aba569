#include "format/csv/csv_writer.h"

#include <zlib.h>

#include <algorithm>

#include "format/value_text.h"

namespace pgs3 {
namespace {

// Text is handed to the stream (or to deflate) in pieces of about this size.
constexpr size_t kFlushAt = 64 * 1024;
constexpr size_t kDeflateChunk = 64 * 1024;

bool same_schema(const std::vector<ColumnSpec>& a, const std::vector<ColumnSpec>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].physical != b[i].physical || a[i].logical != b[i].logical ||
        a[i].scale != b[i].scale || a[i].fixed_length != b[i].fixed_length) {
      return false;
    }
  }
  return true;
}

}  // namespace

struct CsvWriter::Deflater {
  z_stream z{};
  bool initialized = false;
  std::string chunk;
  ~Deflater() {
    if (initialized) deflateEnd(&z);
  }
};

CsvWriter::CsvWriter(std::vector<ColumnSpec> schema, CsvOptions options, OutputStream* out)
    : schema_(std::move(schema)), options_(std::move(options)), out_(out) {
  buffer_.reserve(kFlushAt + 1024);
  // A byte that may start something that forces quoting; quote_if_needed() checks precisely only after one is seen.
  for (char c : {'"', '\r', '\n'}) special_[static_cast<unsigned char>(c)] = true;
  if (!options_.delimiter.empty()) special_[static_cast<unsigned char>(options_.delimiter[0])] = true;
  if (!options_.row_delimiter.empty()) special_[static_cast<unsigned char>(options_.row_delimiter[0])] = true;
  if (options_.gzip) {
    deflater_ = std::make_unique<Deflater>();
    // windowBits 15 + 16: a gzip header and trailer around the deflate stream (zlib manual, deflateInit2).
    int rc = deflateInit2(&deflater_->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) {
      status_ = Status::internal("zlib deflateInit2 failed with code " + std::to_string(rc));
    } else {
      deflater_->initialized = true;
      deflater_->chunk.resize(kDeflateChunk);
    }
  }
  if (options_.add_column_name) {
    for (size_t c = 0; c < schema_.size(); ++c) {
      if (c > 0) buffer_.append(options_.delimiter);
      size_t begin = buffer_.size();
      buffer_.append(schema_[c].name);
      quote_if_needed(begin);
    }
    buffer_.append(options_.row_delimiter);
  }
}

CsvWriter::~CsvWriter() = default;

void CsvWriter::quote_if_needed(size_t begin) {
  if (!options_.rfc4180) return;
  std::string_view value(buffer_.data() + begin, buffer_.size() - begin);
  bool needed = value == options_.null_value;
  if (!needed) {
    bool maybe = false;
    for (char c : value) {
      if (special_[static_cast<unsigned char>(c)]) {
        maybe = true;
        break;
      }
    }
    needed = maybe && (value.find_first_of("\"\r\n") != std::string_view::npos ||
                       value.find(options_.delimiter) != std::string_view::npos ||
                       value.find(options_.row_delimiter) != std::string_view::npos);
  }
  if (!needed) return;
  // Enclose in quotes and double the quotes inside, in place, moving from the back.
  size_t quotes = static_cast<size_t>(std::count(value.begin(), value.end(), '"'));
  size_t old_end = buffer_.size();
  buffer_.resize(old_end + 2 + quotes);
  char* d = buffer_.data();
  size_t w = buffer_.size();
  d[--w] = '"';
  for (size_t r = old_end; r-- > begin;) {
    char c = d[r];
    d[--w] = c;
    if (c == '"') d[--w] = '"';
  }
  d[--w] = '"';
}

Status CsvWriter::write(const RecordBatch& batch) {
  if (!status_.is_ok()) return status_;
  if (finished_) return Status::internal("CsvWriter::write called after finish");
  // With no columns of its own, the writer takes each batch's (rows of many tables in one file).
  const std::vector<ColumnSpec>& schema = schema_.empty() ? batch.schema : schema_;
  if (!same_schema(batch.schema, schema) || batch.columns.size() != schema.size()) {
    return Status::internal("CsvWriter::write: the batch's schema differs from the file's");
  }
  const size_t columns = schema.size();
  const size_t rows = batch.rows();
  value_index_.assign(columns, 0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) buffer_.append(options_.delimiter);
      const ColumnVector& column = batch.columns[c];
      if (column.defined()[r] == 0) {
        buffer_.append(options_.null_value);
        continue;
      }
      size_t begin = buffer_.size();
      append_value_text(schema[c], column, value_index_[c]++, buffer_);
      quote_if_needed(begin);
    }
    buffer_.append(options_.row_delimiter);
    ++rows_;
    if (buffer_.size() >= kFlushAt) {
      status_ = flush_buffer(false);
      if (!status_.is_ok()) return status_;
    }
  }
  return Status::ok();
}

Status CsvWriter::flush_buffer(bool final) {
  if (!deflater_) {
    if (!buffer_.empty()) {
      PGS3_RETURN_IF_ERROR(out_->append(buffer_));
      bytes_out_ += buffer_.size();
      buffer_.clear();
    }
    return Status::ok();
  }
  z_stream& z = deflater_->z;
  z.next_in = reinterpret_cast<Bytef*>(buffer_.data());
  z.avail_in = static_cast<uInt>(buffer_.size());
  bytes_in_ += buffer_.size();
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(deflater_->chunk.data());
    z.avail_out = static_cast<uInt>(deflater_->chunk.size());
    int rc = deflate(&z, final ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) return Status::internal("zlib deflate failed (stream error)");
    size_t produced = deflater_->chunk.size() - z.avail_out;
    if (produced > 0) {
      PGS3_RETURN_IF_ERROR(out_->append(std::string_view(deflater_->chunk.data(), produced)));
      bytes_out_ += produced;
    }
    // deflate() has consumed all input and has nothing more to give when it leaves output space unused.
    if (final ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) break;
  }
  buffer_.clear();
  return Status::ok();
}

uint64_t CsvWriter::estimated_size() const {
  if (!deflater_) return bytes_out_ + buffer_.size();
  double ratio =
      bytes_in_ > 0 && bytes_out_ > 0 ? static_cast<double>(bytes_out_) / static_cast<double>(bytes_in_) : 1.0;
  return bytes_out_ + static_cast<uint64_t>(static_cast<double>(buffer_.size()) * ratio);
}

uint64_t CsvWriter::memory_bytes() const {
  uint64_t bytes = buffer_.capacity() + value_index_.capacity() * sizeof(size_t);
  // zlib's documented deflate footprint, windowBits 15 and memLevel 8, and the output chunk.
  if (deflater_) bytes += (uint64_t{1} << 17) + (uint64_t{1} << 17) + deflater_->chunk.capacity();
  return bytes;
}

Status CsvWriter::finish(const KeyValueMetadata&) {
  if (!status_.is_ok()) return status_;
  if (finished_) return Status::internal("CsvWriter::finish called twice");
  status_ = flush_buffer(true);
  finished_ = true;
  return status_;
}

}  // namespace pgs3
