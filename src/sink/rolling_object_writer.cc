#include "sink/rolling_object_writer.h"

#include "sink/output_format.h"

namespace pgs3 {
namespace {

// S3 user metadata travels in HTTP headers, which carry ASCII: bytes outside printable ASCII, and '%', are
// percent-encoded (UTF-8 bytes, RFC 3986 style), so a schema named "Vendas é" reads back as "Vendas%20%C3%A9".
std::string metadata_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (c > 0x20 && c < 0x7F && c != '%') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace

RollingObjectWriter::RollingObjectWriter(ObjectStore& store, const S3Settings& settings, Staging staging,
                                         std::string spill_directory)
    : store_(store), settings_(settings), staging_(staging), spill_directory_(std::move(spill_directory)) {}

RollingObjectWriter::~RollingObjectWriter() { abort(); }

Status RollingObjectWriter::open(std::string key, const std::vector<ColumnSpec>& columns, ObjectOptions options) {
  abort();
  OutputStream* out = nullptr;
  if (staging_ == Staging::kDirect) {
    PGS3_ASSIGN_OR_RETURN(object_, store_.create(key, options));
    out = object_.get();
  } else {
    staged_ = std::make_unique<StagedOutput>(spill_directory_);
    out = staged_.get();
  }
  Result<std::unique_ptr<FileEncoder>> encoder = make_file_encoder(settings_, columns, out);
  if (!encoder.is_ok()) {
    abort();
    return encoder.status();
  }
  encoder_ = std::move(encoder).value();
  key_ = std::move(key);
  options_ = std::move(options);
  return Status::ok();
}

Status RollingObjectWriter::write(const RecordBatch& batch) {
  if (batch.rows() == 0) return Status::ok();
  return encoder_->write(batch);
}

uint64_t RollingObjectWriter::estimated_size() const { return encoder_ ? encoder_->estimated_size() : 0; }

uint64_t RollingObjectWriter::encoder_buffered_bytes() const {
  if (!encoder_) return 0;
  const uint64_t held = encoder_->memory_bytes();
  const uint64_t footer = encoder_->footer_bytes();
  return held > footer ? held - footer : 0;
}

uint64_t RollingObjectWriter::memory_bytes() const {
  if (!encoder_) return 0;
  return staged_memory_bytes() + encoder_->memory_bytes();
}

Status RollingObjectWriter::spill(uint64_t min_row_group_bytes) {
  if (!staged_) return Status::ok();
  // The encoder's open row group goes to the staged bytes first, and with them to the spill file.
  if (encoder_ && encoder_buffered_bytes() >= min_row_group_bytes) PGS3_RETURN_IF_ERROR(encoder_->flush_buffered());
  return staged_->spill();
}

Result<uint64_t> RollingObjectWriter::commit(const KeyValueMetadata& metadata,
                                             const std::function<Status(uint64_t)>& before_upload) {
  if (staging_ == Staging::kDirect) {
    PGS3_RETURN_IF_ERROR(encoder_->finish(metadata));
    const uint64_t bytes = object_->position();
    PGS3_RETURN_IF_ERROR(object_->commit());
    object_.reset();
    encoder_.reset();
    return bytes;
  }
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<SealedObject> sealed, seal(metadata));
  if (before_upload) PGS3_RETURN_IF_ERROR(before_upload(sealed->size()));
  PGS3_RETURN_IF_ERROR(sealed->upload());
  return sealed->size();
}

Result<std::unique_ptr<SealedObject>> RollingObjectWriter::seal(const KeyValueMetadata& metadata) {
  if (staging_ != Staging::kStaged) return Status::internal("seal() of a file that is not staged: " + key_);
  PGS3_RETURN_IF_ERROR(encoder_->finish(metadata));
  ObjectOptions options = options_;
  for (const auto& [name, value] : metadata) {
    std::string s3_name = name;
    for (char& ch : s3_name) {
      if (ch == '.') ch = '-';
    }
    options.metadata.emplace_back(std::move(s3_name), metadata_value(value));
  }
  auto sealed = std::make_unique<SealedObject>(store_, key_, std::move(options), std::move(staged_), kUploadChunkBytes);
  abort();  // releases the encoder; the staged bytes now belong to `sealed`
  return sealed;
}

void RollingObjectWriter::abort() {
  encoder_.reset();
  if (object_) object_->abort();
  object_.reset();
  staged_.reset();  // removes the spill file
}

}  // namespace pgs3
