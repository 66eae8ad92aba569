#include "cli/cat_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/compression.h"
#include "format/parquet_read/parquet_column.h"
#include "format/parquet_read/parquet_reader.h"
#include "format/parquet_read/parquet_source.h"
#include "format/parquet_read/parquet_value_text.h"
#include "store/aws_credentials.h"
#include "store/s3_store.h"

namespace pgs3 {

namespace pt = parquet_thrift;

namespace {

constexpr size_t kFlushBytes = 256 * 1024;
constexpr size_t kCsvReadBytes = 1024 * 1024;
constexpr size_t kMaxShownValue = 200;  // key-value metadata values longer than this are cut in --schema text

// Buffered stdout. A failed write (a closed pipe, a full disk) is remembered and ends the command.
class Output {
 public:
  ~Output() { flush(); }
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kFlushBytes) flush();
  }
  void flush() {
    if (!buffer_.empty() && ok_) {
      if (std::fwrite(buffer_.data(), 1, buffer_.size(), stdout) != buffer_.size() || std::fflush(stdout) != 0) {
        ok_ = false;
      }
    }
    buffer_.clear();
  }
  bool ok() const { return ok_; }

 private:
  std::string buffer_;
  bool ok_ = true;
};

// A local file read with pread.
class LocalFileSource final : public ParquetSource {
 public:
  static Result<std::unique_ptr<LocalFileSource>> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == ENOENT) return Status::io_error("no such file");
      return Status::io_error(std::string("cannot open it: ") + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return Status::io_error("not a regular file");
    }
    return std::unique_ptr<LocalFileSource>(new LocalFileSource(fd, static_cast<uint64_t>(st.st_size)));
  }
  ~LocalFileSource() override { ::close(fd_); }
  uint64_t size() const override { return size_; }
  Status read(uint64_t offset, size_t length, std::string* out) override {
    if (offset > size_ || length > size_ - offset) return Status::data_error("a read runs past the end of the file");
    out->resize(length);
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd_, out->data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::io_error(std::string("read failed: ") + std::strerror(errno));
      if (n == 0) return Status::io_error("the file became shorter while being read");
      done += static_cast<size_t>(n);
    }
    return Status::ok();
  }

 private:
  LocalFileSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

// An S3 object, fetched whole (S3Client has no ranged GET yet).
class S3ObjectSource final : public ParquetSource {
 public:
  explicit S3ObjectSource(std::string bytes) : bytes_(std::move(bytes)), memory_(bytes_) {}
  uint64_t size() const override { return memory_.size(); }
  Status read(uint64_t offset, size_t length, std::string* out) override { return memory_.read(offset, length, out); }

 private:
  std::string bytes_;
  MemoryParquetSource memory_;
};

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

struct S3Url {
  std::string bucket;
  std::string key;
};

Result<S3Url> parse_s3_url(const std::string& url) {
  std::string rest = url.substr(5);
  size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size()) {
    return Status::bad_input("an S3 URL must be s3://BUCKET/KEY");
  }
  return S3Url{rest.substr(0, slash), rest.substr(slash + 1)};
}

// The S3 stores opened so far, one per bucket.
class S3Access {
 public:
  explicit S3Access(const CatOptions& options) : options_(options) {}

  Result<std::unique_ptr<ParquetSource>> open(const S3Url& url) {
    auto it = stores_.find(url.bucket);
    if (it == stores_.end()) {
      S3StoreConfig config;
      config.client.bucket = url.bucket;
      config.client.endpoint_url =
          !options_.endpoint_url.empty() ? options_.endpoint_url : env("AWS_ENDPOINT_URL").value_or("");
      while (!config.client.endpoint_url.empty() && config.client.endpoint_url.back() == '/') {
        config.client.endpoint_url.pop_back();
      }
      config.client.region = !options_.region.empty()
                                 ? options_.region
                                 : env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or("us-east-1"));
      config.http.ca_bundle = env("AWS_CA_BUNDLE").value_or("");
      PGS3_ASSIGN_OR_RETURN(std::unique_ptr<S3Store> store, S3Store::open(config));
      it = stores_.emplace(url.bucket, std::move(store)).first;
    }
    PGS3_ASSIGN_OR_RETURN(std::optional<std::string> body, it->second->client().get_object(url.key));
    if (!body) return Status::io_error("no such object");
    return std::unique_ptr<ParquetSource>(new S3ObjectSource(std::move(*body)));
  }

 private:
  const CatOptions& options_;
  std::map<std::string, std::unique_ptr<S3Store>> stores_;
};

// RFC 4180: a field is quoted when it holds a comma, a quote, CR or LF; an empty string is quoted too, so that it
// differs from NULL (an empty unquoted field), as in pgs3's CSV files.
void append_csv_field(std::string_view text, std::string& out) {
  if (!text.empty() && text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

// An incremental RFC 4180 parser: bytes in, records (fields + whether each was quoted) out.
class CsvRecordParser {
 public:
  struct Field {
    std::string text;
    bool quoted = false;
  };
  using Record = std::vector<Field>;

  // Feeds bytes; calls on_record(record) for every complete record.
  template <typename F>
  void feed(std::string_view bytes, F&& on_record) {
    for (char c : bytes) {
      started_ = true;
      if (in_quotes_) {
        if (c == '"') {
          in_quotes_ = false;
          after_quote_ = true;
        } else {
          field_.text.push_back(c);
        }
        continue;
      }
      if (c == '"') {
        if (after_quote_) field_.text.push_back('"');  // a doubled quote inside a quoted field
        in_quotes_ = true;
        field_.quoted = true;
        after_quote_ = false;
        continue;
      }
      after_quote_ = false;
      if (c == ',') {
        record_.push_back(std::move(field_));
        field_ = Field();
      } else if (c == '\n') {
        end_record(on_record);
      } else {
        field_.text.push_back(c);
      }
    }
  }
  template <typename F>
  void finish(F&& on_record) {
    if (started_) end_record(on_record);
  }

 private:
  template <typename F>
  void end_record(F&& on_record) {
    if (!field_.quoted && !field_.text.empty() && field_.text.back() == '\r') field_.text.pop_back();
    if (field_.quoted && !field_.text.empty() && field_.text.back() == '\r') field_.text.pop_back();
    record_.push_back(std::move(field_));
    field_ = Field();
    on_record(record_);
    record_.clear();
    started_ = false;
  }

  Record record_;
  Field field_;
  bool in_quotes_ = false;
  bool after_quote_ = false;
  bool started_ = false;
};

bool looks_like_header(const CsvRecordParser::Record& record) {
  std::set<std::string> seen;
  for (const auto& f : record) {
    if (f.quoted || f.text.empty() || !seen.insert(f.text).second) return false;
    char c = f.text[0];
    char d = f.text.size() > 1 ? f.text[1] : '\0';
    if ((c >= '0' && c <= '9') || ((c == '-' || c == '+' || c == '.') && d >= '0' && d <= '9')) return false;
  }
  return true;
}

// Streams the bytes of a CSV object (gunzipped when it starts with the gzip magic) to a callback.
class CsvByteStream {
 public:
  CsvByteStream(ParquetSource* source, bool gzip) : source_(source), gzip_(gzip) {}
  ~CsvByteStream() {
    if (inflating_) inflateEnd(&z_);
  }

  template <typename F>
  Status for_each_block(F&& on_bytes) {
    std::string in;
    std::string out(kCsvReadBytes, '\0');
    if (gzip_) {
      std::memset(&z_, 0, sizeof(z_));
      if (inflateInit2(&z_, 15 + 16) != Z_OK) return Status::internal("zlib inflateInit2 failed");
      inflating_ = true;
    }
    bool member_done = false;
    for (uint64_t offset = 0; offset < source_->size();) {
      size_t length = static_cast<size_t>(std::min<uint64_t>(kCsvReadBytes, source_->size() - offset));
      PGS3_RETURN_IF_ERROR(source_->read(offset, length, &in));
      offset += length;
      if (!gzip_) {
        on_bytes(std::string_view(in));
        continue;
      }
      z_.next_in = reinterpret_cast<Bytef*>(in.data());
      z_.avail_in = static_cast<uInt>(in.size());
      while (z_.avail_in > 0) {
        if (member_done) {  // RFC 1952: a gzip file may hold several members, one after the other
          if (inflateReset(&z_) != Z_OK) return Status::data_error("gzip data is corrupt");
          member_done = false;
        }
        z_.next_out = reinterpret_cast<Bytef*>(out.data());
        z_.avail_out = static_cast<uInt>(out.size());
        int rc = inflate(&z_, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
          return Status::data_error(std::string("gzip data is corrupt: ") + (z_.msg ? z_.msg : "inflate failed"));
        }
        on_bytes(std::string_view(out.data(), out.size() - z_.avail_out));
        if (rc == Z_STREAM_END) member_done = true;
        if (rc == Z_BUF_ERROR && z_.avail_out != 0) break;
      }
    }
    if (gzip_) {
      // Drain what zlib still holds for the last input.
      for (;;) {
        if (member_done) break;
        z_.next_out = reinterpret_cast<Bytef*>(out.data());
        z_.avail_out = static_cast<uInt>(out.size());
        z_.avail_in = 0;
        int rc = inflate(&z_, Z_FINISH);
        on_bytes(std::string_view(out.data(), out.size() - z_.avail_out));
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && z_.avail_out == out.size()) {
          return Status::data_error("gzip data ends early (truncated file?)");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) return Status::data_error("gzip data is corrupt");
      }
    }
    return Status::ok();
  }

 private:
  ParquetSource* source_;
  bool gzip_;
  z_stream z_{};
  bool inflating_ = false;
};

class CatCommand {
 public:
  explicit CatCommand(const CatOptions& options) : options_(options), s3_(options) {}

  // 0, 1 or 2 as run_cat_command() returns.
  int run(const std::vector<std::string>& files) {
    if (files.empty()) {
      std::fprintf(stderr, "pgs3 cat: name at least one file (a local path or s3://BUCKET/KEY)\n");
      return 2;
    }
    for (const std::string& file : files) {
      if (file.rfind("s3://", 0) == 0 && !parse_s3_url(file).is_ok()) {
        std::fprintf(stderr, "pgs3 cat: %s: an S3 URL must be s3://BUCKET/KEY\n", file.c_str());
        return 2;
      }
    }
    int rc = 0;
    for (const std::string& file : files) {
      Status s = cat_one(file);
      if (!out_.ok()) {
        std::fprintf(stderr, "pgs3 cat: cannot write to standard output\n");
        return 1;
      }
      if (!s.is_ok()) {
        out_.flush();
        std::fprintf(stderr, "pgs3 cat: %s: %s\n", file.c_str(), s.message().c_str());
        rc = 1;  // arguments were checked above: whatever fails now is reading this file
      }
    }
    out_.flush();
    if (!out_.ok()) {
      std::fprintf(stderr, "pgs3 cat: cannot write to standard output\n");
      return 1;
    }
    return rc;
  }

 private:
  bool json() const { return options_.format == CatOptions::Format::kJson; }

  Status cat_one(const std::string& file) {
    std::unique_ptr<ParquetSource> source;
    if (file.rfind("s3://", 0) == 0) {
      PGS3_ASSIGN_OR_RETURN(S3Url url, parse_s3_url(file));
      PGS3_ASSIGN_OR_RETURN(source, s3_.open(url));
    } else {
      PGS3_ASSIGN_OR_RETURN(source, LocalFileSource::open(file));
    }
    std::string magic;
    size_t sniff = static_cast<size_t>(std::min<uint64_t>(4, source->size()));
    PGS3_RETURN_IF_ERROR(source->read(0, sniff, &magic));
    if (magic == "PAR1") return cat_parquet(file, source.get());
    bool gzip = magic.size() >= 2 && magic[0] == '\x1f' && magic[1] == '\x8b';
    return cat_csv(file, source.get(), gzip);
  }

  // ---- Parquet ----

  Status cat_parquet(const std::string& file, ParquetSource* source) {
    PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ParquetFileReader> reader, ParquetFileReader::open(source));
    if (options_.schema) {
      print_parquet_schema(file, source->size(), *reader);
      return Status::ok();
    }
    const std::vector<ParquetColumn>& columns = reader->columns();
    std::vector<std::string> names;
    names.reserve(columns.size());
    for (const ParquetColumn& c : columns) names.push_back(c.storage.name);
    std::vector<std::string> json_keys;
    for (const std::string& name : names) {
      std::string key;
      append_json_string(name, key);
      json_keys.push_back(key + ":");
    }
    if (!json()) maybe_print_csv_header(names);
    RecordBatch batch;
    std::vector<size_t> next_value(columns.size());
    for (size_t g = 0; g < reader->num_row_groups(); ++g) {
      PGS3_RETURN_IF_ERROR(reader->read_row_group(g, &batch));
      std::fill(next_value.begin(), next_value.end(), 0);
      for (size_t r = 0; r < batch.rows(); ++r) {
        std::string& out = out_.buffer();
        if (json()) out.push_back('{');
        for (size_t c = 0; c < columns.size(); ++c) {
          const ColumnVector& vector = batch.columns[c];
          bool defined = vector.defined()[r] != 0;
          if (json()) {
            if (c > 0) out.push_back(',');
            out.append(json_keys[c]);
            if (defined) {
              append_parquet_value_json(columns[c], vector, next_value[c]++, out);
            } else {
              out.append("null");
            }
          } else {
            if (c > 0) out.push_back(',');
            if (defined) {
              scratch_.clear();
              append_parquet_value_text(columns[c], vector, next_value[c]++, scratch_);
              append_csv_field(scratch_, out);
            }
          }
        }
        out.append(json() ? "}\n" : "\n");
        out_.maybe_flush();
        if (!out_.ok()) return Status::ok();
      }
    }
    return Status::ok();
  }

  void print_parquet_schema(const std::string& file, uint64_t size, const ParquetFileReader& reader) {
    const pt::FileMetaData& meta = reader.metadata();
    std::set<std::string> codecs;
    for (const pt::RowGroup& group : meta.row_groups) {
      for (const pt::ColumnChunk& chunk : group.columns) {
        auto it = pt::_CompressionCodec_VALUES_TO_NAMES.find(chunk.meta_data.codec);
        codecs.insert(it == pt::_CompressionCodec_VALUES_TO_NAMES.end() ? std::to_string(chunk.meta_data.codec)
                                                                        : it->second);
      }
    }
    std::string compression;
    for (const std::string& c : codecs) compression += (compression.empty() ? "" : ",") + c;
    if (compression.empty()) compression = "none";
    std::string& out = out_.buffer();
    if (json()) {
      out.append("{\"file\":");
      append_json_string(file, out);
      out.append(",\"format\":\"parquet\",\"size\":" + std::to_string(size));
      out.append(",\"rows\":" + std::to_string(meta.num_rows));
      out.append(",\"row_groups\":" + std::to_string(meta.row_groups.size()));
      out.append(",\"compression\":");
      append_json_string(compression, out);
      out.append(",\"created_by\":");
      append_json_string(meta.created_by, out);
      out.append(",\"columns\":[");
      for (size_t i = 0; i < reader.columns().size(); ++i) {
        const ParquetColumn& c = reader.columns()[i];
        out.append(i > 0 ? ",{\"name\":" : "{\"name\":");
        append_json_string(c.storage.name, out);
        out.append(",\"physical_type\":");
        append_json_string(c.physical_name, out);
        out.append(",\"logical_type\":");
        if (c.logical_name.empty()) {
          out.append("null");
        } else {
          append_json_string(c.logical_name, out);
        }
        out.append(c.storage.nullable ? ",\"repetition\":\"optional\"}" : ",\"repetition\":\"required\"}");
      }
      out.append("],\"key_value_metadata\":{");
      bool first = true;
      for (const pt::KeyValue& kv : meta.key_value_metadata) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(kv.key, out);
        out.push_back(':');
        append_json_string(kv.value, out);
      }
      out.append("}}\n");
      return;
    }
    out.append("file: " + file + "\n");
    out.append("format: parquet\n");
    out.append("size: " + std::to_string(size) + " bytes\n");
    out.append("rows: " + std::to_string(meta.num_rows) + "\n");
    out.append("row groups: " + std::to_string(meta.row_groups.size()) + "\n");
    out.append("compression: " + compression + "\n");
    out.append("created_by: " + meta.created_by + "\n");
    const std::string* first = reader.key_value("pgs3.position.first");
    const std::string* last = reader.key_value("pgs3.position.last");
    if (first || last) {
      out.append("position range: " + (first ? *first : std::string("?")) + " .. " + (last ? *last : "?") + "\n");
    }
    const std::string* schema = reader.key_value("pgs3.source.schema");
    const std::string* table = reader.key_value("pgs3.source.table");
    if (schema || table) out.append("source: " + (schema ? *schema : "?") + "." + (table ? *table : "?") + "\n");
    out.append("columns:\n");
    size_t width = 0;
    for (const ParquetColumn& c : reader.columns()) width = std::max(width, c.storage.name.size());
    for (const ParquetColumn& c : reader.columns()) {
      std::string line = "  " + c.storage.name + std::string(width - c.storage.name.size() + 2, ' ') + c.physical_name;
      if (!c.logical_name.empty()) line += " " + c.logical_name;
      line += c.storage.nullable ? " optional\n" : " required\n";
      out.append(line);
    }
    out.append("key-value metadata:\n");
    for (const pt::KeyValue& kv : meta.key_value_metadata) {
      std::string value = kv.value;
      if (value.size() > kMaxShownValue) {
        value = value.substr(0, kMaxShownValue) + "... (" + std::to_string(kv.value.size()) + " bytes)";
      }
      for (char& ch : value) {
        if (ch == '\n' || ch == '\r') ch = ' ';
      }
      out.append("  " + kv.key + " = " + value + "\n");
    }
    out.append("\n");
  }

  // Prints the CSV header when it differs from the last one printed (or none was).
  void maybe_print_csv_header(const std::vector<std::string>& names) {
    if (header_printed_ && names == last_header_) return;
    std::string& out = out_.buffer();
    for (size_t i = 0; i < names.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_csv_field(names[i], out);
    }
    out.push_back('\n');
    last_header_ = names;
    header_printed_ = true;
  }

  // ---- CSV ----

  Status cat_csv(const std::string& file, ParquetSource* source, bool gzip) {
    CsvByteStream stream(source, gzip);
    if (options_.schema) return print_csv_schema(file, source->size(), gzip, &stream);
    if (!json()) {
      return stream.for_each_block([&](std::string_view bytes) {
        if (!out_.ok()) return;
        out_.buffer().append(bytes);
        out_.maybe_flush();
      });
    }
    CsvRecordParser parser;
    bool first = true;
    std::vector<std::string> keys;
    auto on_record = [&](const CsvRecordParser::Record& record) {
      if (first) {
        first = false;
        bool header = options_.csv_header == CatOptions::CsvHeader::kPresent ||
                      (options_.csv_header == CatOptions::CsvHeader::kAuto && looks_like_header(record));
        if (header) {
          for (const auto& f : record) {
            std::string key;
            append_json_string(f.text, key);
            keys.push_back(key + ":");
          }
          return;
        }
      }
      while (keys.size() < record.size()) {
        keys.push_back("\"col" + std::to_string(keys.size() + 1) + "\":");
      }
      std::string& out = out_.buffer();
      out.push_back('{');
      for (size_t i = 0; i < record.size(); ++i) {
        if (i > 0) out.push_back(',');
        out.append(keys[i]);
        if (!record[i].quoted && record[i].text.empty()) {
          out.append("null");
        } else {
          append_json_string(record[i].text, out);
        }
      }
      out.append("}\n");
      out_.maybe_flush();
    };
    PGS3_RETURN_IF_ERROR(stream.for_each_block([&](std::string_view bytes) { parser.feed(bytes, on_record); }));
    parser.finish(on_record);
    return Status::ok();
  }

  Status print_csv_schema(const std::string& file, uint64_t size, bool gzip, CsvByteStream* stream) {
    CsvRecordParser parser;
    uint64_t records = 0;
    uint64_t bytes = 0;
    std::optional<CsvRecordParser::Record> first;
    size_t max_fields = 0;
    auto on_record = [&](const CsvRecordParser::Record& record) {
      if (!first) first = record;
      ++records;
      max_fields = std::max(max_fields, record.size());
    };
    PGS3_RETURN_IF_ERROR(stream->for_each_block([&](std::string_view block) {
      bytes += block.size();
      parser.feed(block, on_record);
    }));
    parser.finish(on_record);
    bool header = first && (options_.csv_header == CatOptions::CsvHeader::kPresent ||
                            (options_.csv_header == CatOptions::CsvHeader::kAuto && looks_like_header(*first)));
    std::string& out = out_.buffer();
    if (json()) {
      out.append("{\"file\":");
      append_json_string(file, out);
      out.append(",\"format\":\"csv\",\"compression\":");
      out.append(gzip ? "\"gzip\"" : "\"none\"");
      out.append(",\"size\":" + std::to_string(size) + ",\"uncompressed_size\":" + std::to_string(bytes));
      out.append(",\"records\":" + std::to_string(records) + ",\"rows\":" + std::to_string(records - (header ? 1 : 0)) +
                 ",\"fields\":" + std::to_string(max_fields));
      out.append(",\"header\":");
      if (header) {
        out.push_back('[');
        for (size_t i = 0; i < first->size(); ++i) {
          if (i > 0) out.push_back(',');
          append_json_string((*first)[i].text, out);
        }
        out.push_back(']');
      } else {
        out.append("null");
      }
      out.append("}\n");
      return Status::ok();
    }
    out.append("file: " + file + "\n");
    out.append(std::string("format: csv") + (gzip ? " (gzip)" : "") + "\n");
    out.append("size: " + std::to_string(size) + " bytes" +
               (gzip ? " (" + std::to_string(bytes) + " uncompressed)" : std::string()) + "\n");
    out.append("records: " + std::to_string(records) + " (" + std::to_string(records - (header ? 1 : 0)) + " rows)\n");
    out.append("fields per record: " + std::to_string(max_fields) + " at most\n");
    if (header) {
      out.append("header:");
      for (const auto& f : *first) out.append(" " + f.text);
      out.append("\n");
    } else {
      out.append("header: none detected\n");
    }
    out.append("\n");
    return Status::ok();
  }

  const CatOptions& options_;
  S3Access s3_;
  Output out_;
  std::string scratch_;
  std::vector<std::string> last_header_;
  bool header_printed_ = false;
};

}  // namespace

int run_cat_command(const std::vector<std::string>& files, const CatOptions& options) {
  CatCommand command(options);
  return command.run(files);
}

}  // namespace pgs3
