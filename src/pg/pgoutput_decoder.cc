#include "pg/pgoutput_decoder.h"

#include <charconv>
#include <cstring>
#include <limits>

#include "pg/connection.h"

namespace pgs3 {

// Reads the fields of one pgoutput message (big-endian integers, NUL-terminated strings) and builds the kDataError
// for a malformed one, naming the message type byte and the offset.
class PgoutputReader {
 public:
  PgoutputReader(std::string_view payload) : data_(payload) {}

  char type() const { return data_.empty() ? '\0' : data_[0]; }
  size_t offset() const { return pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  Status error(const std::string& what) const { return error_at(pos_, what); }
  Status error_at(size_t offset, const std::string& what) const {
    std::string type_text;
    char t = type();
    if (t >= 0x20 && t < 0x7F) {
      type_text = std::string("'") + t + "'";
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      auto b = static_cast<uint8_t>(t);
      type_text = std::string("0x") + kHex[b >> 4] + kHex[b & 0xF];
    }
    return Status::data_error("malformed pgoutput message " + type_text + " (" + std::to_string(data_.size()) +
                              " bytes) at byte offset " + std::to_string(offset) + ": " + what);
  }

  Status u8(uint8_t& v, const char* what) {
    PGS3_RETURN_IF_ERROR(need(1, what));
    v = static_cast<uint8_t>(data_[pos_++]);
    return Status::ok();
  }
  Status u16(uint16_t& v, const char* what) {
    PGS3_RETURN_IF_ERROR(need(2, what));
    v = static_cast<uint16_t>((byte(0) << 8) | byte(1));
    pos_ += 2;
    return Status::ok();
  }
  Status u32(uint32_t& v, const char* what) {
    PGS3_RETURN_IF_ERROR(need(4, what));
    v = (static_cast<uint32_t>(byte(0)) << 24) | (static_cast<uint32_t>(byte(1)) << 16) |
        (static_cast<uint32_t>(byte(2)) << 8) | static_cast<uint32_t>(byte(3));
    pos_ += 4;
    return Status::ok();
  }
  Status u64(uint64_t& v, const char* what) {
    uint32_t hi = 0;
    uint32_t lo = 0;
    PGS3_RETURN_IF_ERROR(need(8, what));
    PGS3_RETURN_IF_ERROR(u32(hi, what));
    PGS3_RETURN_IF_ERROR(u32(lo, what));
    v = (static_cast<uint64_t>(hi) << 32) | lo;
    return Status::ok();
  }
  Status i64(int64_t& v, const char* what) {
    uint64_t u = 0;
    PGS3_RETURN_IF_ERROR(u64(u, what));
    v = static_cast<int64_t>(u);
    return Status::ok();
  }
  // A NUL-terminated string (pq_sendstring); the view excludes the NUL.
  Status string(std::string_view& v, const char* what) {
    size_t end = data_.find('\0', pos_);
    if (end == std::string_view::npos) return error(std::string("unterminated string (") + what + ")");
    v = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return Status::ok();
  }
  Status bytes(size_t n, std::string_view& v, const char* what) {
    PGS3_RETURN_IF_ERROR(need(n, what));
    v = data_.substr(pos_, n);
    pos_ += n;
    return Status::ok();
  }
  Status finish() const {
    if (!at_end()) return error(std::to_string(data_.size() - pos_) + " unexpected trailing bytes");
    return Status::ok();
  }

 private:
  uint32_t byte(size_t i) const { return static_cast<uint8_t>(data_[pos_ + i]); }
  Status need(size_t n, const char* what) const {
    if (data_.size() - pos_ < n) {
      return error(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
                   std::to_string(data_.size() - pos_) + " left");
    }
    return Status::ok();
  }

  std::string_view data_;
  size_t pos_ = 0;
};

namespace {

// TupleData (protocol-logicalrep-message-formats): Int16 column count, then per column a kind byte: 'n' NULL,
// 'u' unchanged TOAST value (not sent), 't' text or 'b' binary, the last two followed by Int32 length and the bytes.
Status read_tuple(PgoutputReader& r, std::vector<TupleValue>& out) {
  uint16_t count = 0;
  PGS3_RETURN_IF_ERROR(r.u16(count, "tuple column count"));
  out.clear();
  out.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    size_t at = r.offset();
    uint8_t kind = 0;
    PGS3_RETURN_IF_ERROR(r.u8(kind, "tuple value kind"));
    TupleValue v;
    switch (kind) {
      case 'n': v.kind = TupleValueKind::kNull; break;
      case 'u': v.kind = TupleValueKind::kUnchangedToast; break;
      case 't':
      case 'b': {
        v.kind = kind == 't' ? TupleValueKind::kText : TupleValueKind::kBinary;
        uint32_t length = 0;
        PGS3_RETURN_IF_ERROR(r.u32(length, "tuple value length"));
        if (length > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
          return r.error_at(at, "tuple value of column " + std::to_string(i + 1) + " has a negative length");
        }
        PGS3_RETURN_IF_ERROR(r.bytes(length, v.bytes, "tuple value"));
        break;
      }
      default:
        return r.error_at(at, "unknown tuple value kind " + std::to_string(kind) + " for column " +
                                  std::to_string(i + 1));
    }
    out.push_back(v);
  }
  return Status::ok();
}

}  // namespace

const RelationDescriptor* PgoutputDecoder::relation(uint32_t oid) const {
  auto it = relations_.find(oid);
  return it == relations_.end() ? nullptr : it->second.get();
}

const TypeDescriptor* PgoutputDecoder::type(uint32_t oid) const {
  auto it = types_.find(oid);
  return it == types_.end() ? nullptr : &it->second;
}

Status PgoutputDecoder::decode(std::string_view payload, PgoutputMessage& out) {
  PgoutputReader r(payload);
  uint8_t type = 0;
  PGS3_RETURN_IF_ERROR(r.u8(type, "message type"));
  out.relation = nullptr;
  Status s;
  switch (type) {
    case 'B': s = decode_begin(r, out); break;
    case 'C': s = decode_commit(r, out); break;
    case 'O':
      out.type = PgoutputMessageType::kOrigin;
      s = r.u64(out.origin.origin_lsn, "origin commit LSN");
      if (s.is_ok()) s = r.string(out.origin.name, "origin name");
      break;
    case 'R': s = decode_relation(r, out); break;
    case 'Y': {
      out.type = PgoutputMessageType::kType;
      std::string_view schema;
      std::string_view name;
      s = r.u32(out.type_info.oid, "type oid");
      if (s.is_ok()) s = r.string(schema, "type namespace");
      if (s.is_ok()) s = r.string(name, "type name");
      if (s.is_ok()) {
        out.type_info.schema.assign(schema.empty() ? std::string_view("pg_catalog") : schema);
        out.type_info.name.assign(name);
        types_[out.type_info.oid] = out.type_info;
      }
      break;
    }
    case 'I':
    case 'U':
    case 'D': s = decode_row(r, static_cast<char>(type), out); break;
    case 'T': s = decode_truncate(r, out); break;
    case 'M': s = decode_message(r, out); break;
    default:
      s = r.error_at(0, "unknown message type (pgs3 decodes pgoutput protocol version 1: B C O R Y I U D T M)");
      break;
  }
  if (s.is_ok()) s = r.finish();
  if (!s.is_ok()) {
    in_transaction_ = false;
    seq_ = 0;
  }
  return s;
}

Status PgoutputDecoder::decode_begin(PgoutputReader& r, PgoutputMessage& out) {
  out.type = PgoutputMessageType::kBegin;
  if (in_transaction_) return r.error_at(0, "Begin inside a transaction that has not committed");
  PGS3_RETURN_IF_ERROR(r.u64(out.begin.final_lsn, "final LSN"));
  PGS3_RETURN_IF_ERROR(r.i64(out.begin.commit_time_us, "commit timestamp"));
  PGS3_RETURN_IF_ERROR(r.u32(out.begin.xid, "xid"));
  PGS3_RETURN_IF_ERROR(r.finish());
  in_transaction_ = true;
  commit_lsn_ = out.begin.final_lsn;
  seq_ = 0;
  return Status::ok();
}

Status PgoutputDecoder::decode_commit(PgoutputReader& r, PgoutputMessage& out) {
  out.type = PgoutputMessageType::kCommit;
  if (!in_transaction_) return r.error_at(0, "Commit outside a transaction");
  PGS3_RETURN_IF_ERROR(r.u8(out.commit.flags, "flags"));
  PGS3_RETURN_IF_ERROR(r.u64(out.commit.commit_lsn, "commit LSN"));
  PGS3_RETURN_IF_ERROR(r.u64(out.commit.end_lsn, "end LSN"));
  PGS3_RETURN_IF_ERROR(r.i64(out.commit.commit_time_us, "commit timestamp"));
  PGS3_RETURN_IF_ERROR(r.finish());
  if (out.commit.commit_lsn != commit_lsn_) {
    return r.error_at(2, "commit LSN differs from the final LSN its Begin announced");
  }
  in_transaction_ = false;
  seq_ = 0;
  return Status::ok();
}

Status PgoutputDecoder::decode_relation(PgoutputReader& r, PgoutputMessage& out) {
  out.type = PgoutputMessageType::kRelation;
  auto rel = std::make_unique<RelationDescriptor>();
  std::string_view schema;
  std::string_view name;
  uint8_t identity = 0;
  uint16_t count = 0;
  PGS3_RETURN_IF_ERROR(r.u32(rel->oid, "relation oid"));
  PGS3_RETURN_IF_ERROR(r.string(schema, "relation namespace"));
  PGS3_RETURN_IF_ERROR(r.string(name, "relation name"));
  size_t identity_at = r.offset();
  PGS3_RETURN_IF_ERROR(r.u8(identity, "replica identity"));
  switch (identity) {
    case 'd':
    case 'n':
    case 'f':
    case 'i': rel->replica_identity = static_cast<ReplicaIdentity>(identity); break;
    default: return r.error_at(identity_at, "unknown replica identity " + std::to_string(identity));
  }
  PGS3_RETURN_IF_ERROR(r.u16(count, "column count"));
  // The namespace is empty for pg_catalog (protocol-logicalrep-message-formats).
  rel->schema.assign(schema.empty() ? std::string_view("pg_catalog") : schema);
  rel->name.assign(name);
  rel->columns.resize(count);
  for (auto& column : rel->columns) {
    uint8_t flags = 0;
    std::string_view column_name;
    uint32_t typmod = 0;
    PGS3_RETURN_IF_ERROR(r.u8(flags, "column flags"));
    PGS3_RETURN_IF_ERROR(r.string(column_name, "column name"));
    PGS3_RETURN_IF_ERROR(r.u32(column.type_oid, "column type oid"));
    PGS3_RETURN_IF_ERROR(r.u32(typmod, "column type modifier"));
    column.is_key = (flags & 1) != 0;  // the only flag: part of the key
    column.name.assign(column_name);
    column.typmod = static_cast<int32_t>(typmod);
  }
  PGS3_RETURN_IF_ERROR(r.finish());
  auto& slot = relations_[rel->oid];
  slot = std::move(rel);
  out.relation = slot.get();
  return Status::ok();
}

Status PgoutputDecoder::next_position(PgoutputReader& r, ChangePosition& position) {
  if (!in_transaction_) return r.error_at(0, "change outside a transaction (no Begin before it)");
  position.commit_lsn = commit_lsn_;
  position.seq = ++seq_;
  return Status::ok();
}

Status PgoutputDecoder::decode_row(PgoutputReader& r, char type, PgoutputMessage& out) {
  RowChange& row = out.row;
  out.type = static_cast<PgoutputMessageType>(type);
  row.op = type == 'I' ? ChangeOp::kInsert : type == 'U' ? ChangeOp::kUpdate : ChangeOp::kDelete;
  row.old_kind = OldTupleKind::kNone;
  row.old_tuple.clear();
  row.new_tuple.clear();
  PGS3_RETURN_IF_ERROR(r.u32(row.relation_oid, "relation oid"));
  const RelationDescriptor* rel = relation(row.relation_oid);
  if (rel == nullptr) {
    return r.error_at(1, "relation oid " + std::to_string(row.relation_oid) + " was not described by a Relation message");
  }
  size_t marker_at = r.offset();
  uint8_t marker = 0;
  PGS3_RETURN_IF_ERROR(r.u8(marker, "tuple marker"));
  if ((type == 'U' || type == 'D') && (marker == 'K' || marker == 'O')) {
    row.old_kind = static_cast<OldTupleKind>(marker);
    PGS3_RETURN_IF_ERROR(read_tuple(r, row.old_tuple));
    if (row.old_tuple.size() != rel->columns.size()) {
      return r.error_at(marker_at, "old tuple has " + std::to_string(row.old_tuple.size()) + " columns, relation " +
                                       quote_qualified(rel->schema, rel->name) + " has " +
                                       std::to_string(rel->columns.size()));
    }
    if (type == 'U') {
      marker_at = r.offset();
      PGS3_RETURN_IF_ERROR(r.u8(marker, "new tuple marker"));
    }
  } else if (type == 'D') {
    return r.error_at(marker_at, "Delete without a 'K' or 'O' old tuple");
  }
  if (type != 'D') {
    if (marker != 'N') return r.error_at(marker_at, "expected 'N' before the new tuple");
    PGS3_RETURN_IF_ERROR(read_tuple(r, row.new_tuple));
    if (row.new_tuple.size() != rel->columns.size()) {
      return r.error_at(marker_at, "new tuple has " + std::to_string(row.new_tuple.size()) + " columns, relation " +
                                       quote_qualified(rel->schema, rel->name) + " has " +
                                       std::to_string(rel->columns.size()));
    }
  }
  PGS3_RETURN_IF_ERROR(r.finish());
  PGS3_RETURN_IF_ERROR(next_position(r, row.position));
  out.relation = rel;
  return Status::ok();
}

Status PgoutputDecoder::decode_truncate(PgoutputReader& r, PgoutputMessage& out) {
  out.type = PgoutputMessageType::kTruncate;
  TruncateChange& t = out.truncate;
  uint32_t count = 0;
  uint8_t options = 0;
  PGS3_RETURN_IF_ERROR(r.u32(count, "relation count"));
  PGS3_RETURN_IF_ERROR(r.u8(options, "options"));
  // Option bits: 1 CASCADE, 2 RESTART IDENTITY.
  t.cascade = (options & 1) != 0;
  t.restart_identity = (options & 2) != 0;
  t.relation_oids.clear();
  // Check the length before reserving, so that a corrupt count cannot allocate.
  if (count > (std::numeric_limits<uint32_t>::max() / 4)) return r.error("relation count too large");
  std::string_view oids;
  PGS3_RETURN_IF_ERROR(r.bytes(static_cast<size_t>(count) * 4, oids, "relation oids"));
  t.relation_oids.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const auto* p = reinterpret_cast<const uint8_t*>(oids.data() + 4 * i);
    t.relation_oids.push_back((static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
                              (static_cast<uint32_t>(p[2]) << 8) | p[3]);
  }
  PGS3_RETURN_IF_ERROR(r.finish());
  return next_position(r, t.position);
}

Status PgoutputDecoder::decode_message(PgoutputReader& r, PgoutputMessage& out) {
  out.type = PgoutputMessageType::kMessage;
  LogicalMessage& m = out.message;
  uint8_t flags = 0;
  uint32_t length = 0;
  PGS3_RETURN_IF_ERROR(r.u8(flags, "flags"));
  PGS3_RETURN_IF_ERROR(r.u64(m.lsn, "message LSN"));
  PGS3_RETURN_IF_ERROR(r.string(m.prefix, "message prefix"));
  PGS3_RETURN_IF_ERROR(r.u32(length, "content length"));
  PGS3_RETURN_IF_ERROR(r.bytes(length, m.content, "message content"));
  PGS3_RETURN_IF_ERROR(r.finish());
  m.transactional = (flags & 1) != 0;
  if (m.transactional) return next_position(r, m.position);
  m.position = ChangePosition{m.lsn, 0};
  return Status::ok();
}

// ---- text forms to binary forms ----

namespace {

constexpr int64_t kMicrosPerDayT = 86400LL * 1000000LL;
constexpr int64_t kDaysFrom1970To2000 = 10957;

void put_be(uint64_t v, int bytes, std::string& out) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// Days from 1970-01-01 to the proleptic Gregorian date y-m-d (astronomical years: 1 BC is year 0).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool parse_digits(std::string_view& s, size_t min, size_t max, int64_t& v) {
  size_t n = 0;
  v = 0;
  while (n < s.size() && n < max && s[n] >= '0' && s[n] <= '9') v = v * 10 + (s[n++] - '0');
  if (n < min) return false;
  s.remove_prefix(n);
  return true;
}

bool eat(std::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// "YYYY-MM-DD" (year of 4 or more digits) -> days since 1970 given the era.
bool parse_date_part(std::string_view& s, bool bc, int64_t& unix_days) {
  int64_t y, m, d;
  if (!parse_digits(s, 4, 9, y) || !eat(s, '-') || !parse_digits(s, 2, 2, m) || !eat(s, '-') ||
      !parse_digits(s, 2, 2, d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1) return false;
  if (bc) y = 1 - y;
  unix_days = days_from_civil(y, m, d);
  return true;
}

// "HH:MM:SS[.f{1,6}]" -> microseconds.
bool parse_time_part(std::string_view& s, int64_t& micros) {
  int64_t h, mi, sec;
  if (!parse_digits(s, 2, 2, h) || !eat(s, ':') || !parse_digits(s, 2, 2, mi) || !eat(s, ':') ||
      !parse_digits(s, 2, 2, sec)) {
    return false;
  }
  int64_t frac = 0;
  if (eat(s, '.')) {
    size_t before = s.size();
    if (!parse_digits(s, 1, 6, frac)) return false;
    for (size_t n = before - s.size(); n < 6; ++n) frac *= 10;
  }
  if (h > 24 || mi > 59 || sec > 60) return false;
  micros = ((h * 60 + mi) * 60 + sec) * 1000000 + frac;
  return true;
}

// "+HH[:MM[:SS]]" -> seconds east of UTC.
bool parse_offset(std::string_view& s, int64_t& seconds_east) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return false;
  bool negative = s[0] == '-';
  s.remove_prefix(1);
  int64_t h, m = 0, sec = 0;
  if (!parse_digits(s, 2, 2, h)) return false;
  if (eat(s, ':') && !parse_digits(s, 2, 2, m)) return false;
  if (eat(s, ':') && !parse_digits(s, 2, 2, sec)) return false;
  seconds_east = (h * 3600 + m * 60 + sec) * (negative ? -1 : 1);
  return true;
}

bool parse_int(std::string_view text, int64_t min, int64_t max, int64_t& v) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() && v >= min && v <= max;
}

template <typename F>
bool parse_float(std::string_view text, F& v) {
  if (text == "NaN") {
    v = std::numeric_limits<F>::quiet_NaN();
    return true;
  }
  if (text == "Infinity" || text == "-Infinity") {
    v = text[0] == '-' ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
    return true;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size();
}

// bytea's text: hex ("\x" then two hex digits per byte) or, with bytea_output = escape, octal escapes "\ooo" and
// "\\" among literal bytes.
bool bytea_text_to_bytes(std::string_view text, std::string& out) {
  out.clear();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    if (text.size() % 2 != 0) return false;
    for (size_t i = 2; i < text.size(); i += 2) {
      int hi = hex(text[i]);
      int lo = hex(text[i + 1]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>((hi << 4) | lo);
    }
    return true;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' && text[i + 2] >= '0' &&
               text[i + 2] <= '7' && text[i + 3] >= '0' && text[i + 3] <= '7') {
      out += static_cast<char>(((text[i + 1] - '0') << 6) | ((text[i + 2] - '0') << 3) | (text[i + 3] - '0'));
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

// money_out: optional '-' or parentheses, a currency symbol, group separators, the locale's fraction digits.
bool money_text_to_units(std::string_view text, int64_t& units) {
  bool negative = false;
  bool any = false;
  __int128 v = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + (c - '0');
      if (v > static_cast<__int128>(std::numeric_limits<int64_t>::max()) + 1) return false;
      any = true;
    } else if (c == '-' || c == '(') {
      negative = true;
    }
  }
  if (!any) return false;
  if (negative) v = -v;
  if (v > std::numeric_limits<int64_t>::max()) return false;
  units = static_cast<int64_t>(v);
  return true;
}

}  // namespace

bool numeric_text_to_binary(std::string_view text, std::string& out) {
  out.clear();
  // numeric_send: Int16 ndigits, Int16 weight, Int16 sign, Int16 dscale, then ndigits base-10000 digits.
  auto header = [&out](int ndigits, int weight, uint16_t sign, int dscale) {
    put_be(static_cast<uint16_t>(ndigits), 2, out);
    put_be(static_cast<uint16_t>(static_cast<int16_t>(weight)), 2, out);
    put_be(sign, 2, out);
    put_be(static_cast<uint16_t>(dscale), 2, out);
  };
  if (text == "NaN") return header(0, 0, 0xC000, 0), true;
  if (text == "Infinity") return header(0, 0, 0xD000, 0), true;
  if (text == "-Infinity") return header(0, 0, 0xF000, 0), true;
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  size_t point = text.find('.');
  std::string_view int_part = text.substr(0, point);
  std::string_view frac_part = point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (int_part.empty() && frac_part.empty()) return false;
  for (char c : int_part) {
    if (c < '0' || c > '9') return false;
  }
  for (char c : frac_part) {
    if (c < '0' || c > '9') return false;
  }
  if (frac_part.size() > 0x3FFF) return false;
  while (!int_part.empty() && int_part[0] == '0') int_part.remove_prefix(1);
  // Base-10000 groups aligned on the decimal point.
  std::string digits(static_cast<size_t>((4 - int_part.size() % 4) % 4), '0');
  digits.append(int_part);
  int weight = static_cast<int>(digits.size() / 4) - 1;
  digits.append(frac_part);
  digits.append(static_cast<size_t>((4 - frac_part.size() % 4) % 4), '0');
  std::vector<uint16_t> groups;
  for (size_t i = 0; i < digits.size(); i += 4) {
    groups.push_back(static_cast<uint16_t>((digits[i] - '0') * 1000 + (digits[i + 1] - '0') * 100 +
                                           (digits[i + 2] - '0') * 10 + (digits[i + 3] - '0')));
  }
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) {
    header(0, 0, 0x0000, static_cast<int>(frac_part.size()));
    return true;
  }
  if (last - first > 0x7FFF) return false;
  header(static_cast<int>(last - first), weight, negative ? 0x4000 : 0x0000, static_cast<int>(frac_part.size()));
  for (size_t i = first; i < last; ++i) put_be(groups[i], 2, out);
  return true;
}

bool date_text_to_days(std::string_view text, int32_t& days) {
  if (text == "infinity") return days = std::numeric_limits<int32_t>::max(), true;
  if (text == "-infinity") return days = std::numeric_limits<int32_t>::min(), true;
  bool bc = strip_suffix(text, " BC");
  int64_t unix_days = 0;
  if (!parse_date_part(text, bc, unix_days) || !text.empty()) return false;
  days = static_cast<int32_t>(unix_days - kDaysFrom1970To2000);
  return true;
}

bool time_text_to_micros(std::string_view text, int64_t& micros) {
  return parse_time_part(text, micros) && text.empty() && micros <= kMicrosPerDayT;
}

bool timestamp_text_to_micros(std::string_view text, int64_t& micros) {
  if (text == "infinity") return micros = std::numeric_limits<int64_t>::max(), true;
  if (text == "-infinity") return micros = std::numeric_limits<int64_t>::min(), true;
  bool bc = strip_suffix(text, " BC");
  int64_t unix_days = 0;
  int64_t time = 0;
  if (!parse_date_part(text, bc, unix_days) || !eat(text, ' ') || !parse_time_part(text, time)) return false;
  int64_t offset = 0;
  if (!text.empty() && !parse_offset(text, offset)) return false;
  if (!text.empty()) return false;
  __int128 v = static_cast<__int128>(unix_days - kDaysFrom1970To2000) * kMicrosPerDayT + time -
               static_cast<__int128>(offset) * 1000000;
  if (v >= std::numeric_limits<int64_t>::max() || v <= std::numeric_limits<int64_t>::min()) return false;
  micros = static_cast<int64_t>(v);
  return true;
}

// ---- TupleDecoder ----

TupleDecoder::TupleDecoder(const RelationDescriptor& relation, const TypeMappingOptions& options,
                           const std::vector<SourceColumn>* resolved)
    : table_label_(quote_qualified(relation.schema, relation.name)) {
  columns_.reserve(relation.columns.size());
  decoders_.reserve(relation.columns.size());
  for (const RelationColumn& rc : relation.columns) {
    SourceColumn sc;
    const SourceColumn* match = nullptr;
    if (resolved != nullptr) {
      for (const auto& c : *resolved) {
        if (c.name == rc.name) match = &c;
      }
    }
    if (match != nullptr) {
      sc = *match;
    } else {
      sc.name = rc.name;
      sc.type_oid = sc.base_type_oid = rc.type_oid;
      sc.typmod = sc.base_typmod = rc.typmod;
    }
    MappedColumn m = map_column(sc, options);
    // map_column reads a column "as is" exactly when its binary form is what its decoder expects (a native decoder,
    // or a type whose send function sends its text); otherwise the full load casts it to text.
    bool as_is = m.select_expr == quote_ident(rc.name);
    binary_is_text_.push_back(as_is);
    type_oids_.push_back(rc.type_oid);
    decoders_.emplace_back(table_label_, m);
    columns_.push_back(std::move(m));
  }
}

Status TupleDecoder::append(size_t index, const TupleValue& value, ColumnVector& out) {
  ColumnDecoder& decoder = decoders_[index];
  switch (value.kind) {
    case TupleValueKind::kNull: return decoder.decode_null(out);
    case TupleValueKind::kUnchangedToast:
      return Status::internal("table " + table_label_ + " column " + quote_ident(columns_[index].source_name) +
                              ": an unchanged TOAST value has no bytes to decode");
    case TupleValueKind::kBinary:
      if (!binary_is_text_[index]) {
        return Status::data_error("table " + table_label_ + " column " + quote_ident(columns_[index].source_name) +
                                  " (type oid " + std::to_string(type_oids_[index]) +
                                  ") arrived in binary form, which pgs3 cannot decode for its type; stream with "
                                  "binary 'false' for this table");
      }
      return decoder.decode(value.bytes, out);
    case TupleValueKind::kText: return append_text(index, value.bytes, out);
  }
  return Status::internal("unknown tuple value kind");
}

Status TupleDecoder::append_text(size_t index, std::string_view text, ColumnVector& out) {
  ColumnDecoder& decoder = decoders_[index];
  const MappedColumn& column = columns_[index];
  auto bad = [&](const char* what) {
    return Status::data_error("table " + table_label_ + " column " + quote_ident(column.source_name) + ": the " +
                              what + " text value \"" + std::string(text.substr(0, 64)) +
                              "\" is not in the form PostgreSQL prints (DateStyle ISO, TimeZone UTC)");
  };
  scratch_.clear();
  switch (column.decoder) {
    case ValueDecoder::kBool:
      if (text != "t" && text != "f") return bad("boolean");
      scratch_ += static_cast<char>(text == "t" ? 1 : 0);
      break;
    case ValueDecoder::kInt2:
    case ValueDecoder::kInt4:
    case ValueDecoder::kInt8: {
      int bytes = column.decoder == ValueDecoder::kInt2 ? 2 : column.decoder == ValueDecoder::kInt4 ? 4 : 8;
      int64_t max = bytes == 8 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (8 * bytes - 1)) - 1;
      int64_t v = 0;
      if (!parse_int(text, -max - 1, max, v)) return bad("integer");
      put_be(static_cast<uint64_t>(v), bytes, scratch_);
      break;
    }
    case ValueDecoder::kFloat4: {
      float v = 0;
      if (!parse_float(text, v)) return bad("real");
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      put_be(bits, 4, scratch_);
      break;
    }
    case ValueDecoder::kFloat8: {
      double v = 0;
      if (!parse_float(text, v)) return bad("double precision");
      uint64_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      put_be(bits, 8, scratch_);
      break;
    }
    case ValueDecoder::kNumericDecimal:
      if (!numeric_text_to_binary(text, scratch_)) return bad("numeric");
      break;
    case ValueDecoder::kMoney: {
      int64_t units = 0;
      if (!money_text_to_units(text, units)) return bad("money");
      put_be(static_cast<uint64_t>(units), 8, scratch_);
      break;
    }
    case ValueDecoder::kBytea:
      if (!bytea_text_to_bytes(text, scratch_)) return bad("bytea");
      break;
    case ValueDecoder::kDate: {
      int32_t days = 0;
      if (!date_text_to_days(text, days)) return bad("date");
      put_be(static_cast<uint32_t>(days), 4, scratch_);
      break;
    }
    case ValueDecoder::kTime: {
      int64_t micros = 0;
      if (!time_text_to_micros(text, micros)) return bad("time");
      put_be(static_cast<uint64_t>(micros), 8, scratch_);
      break;
    }
    case ValueDecoder::kTimeTz: {
      // timetz_out: the local time, then the zone's offset east of UTC; timetz_send's zone is seconds west.
      std::string_view rest = text;
      int64_t micros = 0;
      int64_t east = 0;
      if (!parse_time_part(rest, micros) || !parse_offset(rest, east) || !rest.empty()) return bad("time with time zone");
      put_be(static_cast<uint64_t>(micros), 8, scratch_);
      put_be(static_cast<uint32_t>(static_cast<int32_t>(-east)), 4, scratch_);
      break;
    }
    case ValueDecoder::kTimestampMicros:
    case ValueDecoder::kTimestampMillis: {
      int64_t micros = 0;
      if (!timestamp_text_to_micros(text, micros)) return bad("timestamp");
      put_be(static_cast<uint64_t>(micros), 8, scratch_);
      break;
    }
    case ValueDecoder::kNumericText:  // numeric_out prints what append_numeric_text prints
    case ValueDecoder::kText:         // text types; and every type without a native decoder: its output text
    case ValueDecoder::kJsonb:        // jsonb_out prints the text that jsonb_send sends after its version byte
    case ValueDecoder::kInterval:     // interval_out with IntervalStyle postgres, as append_interval_postgres
    case ValueDecoder::kUuid:         // uuid_out: 36 lower-case characters
      out.append_bytes(text);
      return Status::ok();
  }
  return decoder.decode(scratch_, out);
}

}  // namespace pgs3
