#include "pg/pgoutput_decoder.h"

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
        return r.error_at(at,
                          "unknown tuple value kind " + std::to_string(kind) + " for column " + std::to_string(i + 1));
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
    return r.error_at(1,
                      "relation oid " + std::to_string(row.relation_oid) + " was not described by a Relation message");
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

}  // namespace pgs3
