#include "pg/tuple_decoder.h"

#include <cstring>
#include <limits>

#include "pg/connection.h"
#include "pg/text_value_parser.h"

namespace pgs3 {

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
    return Status::data_error("table " + table_label_ + " column " + quote_ident(column.source_name) + ": the " + what +
                              " text value \"" + std::string(text.substr(0, 64)) +
                              "\" is not in the form PostgreSQL prints (DateStyle ISO, TimeZone UTC)");
  };
  scratch_.clear();
  switch (column.decoder) {
    case ValueDecoder::kBool: {
      bool v = false;
      if (!boolean_text_to_bool(text, v)) return bad("boolean");
      scratch_ += static_cast<char>(v ? 1 : 0);
      break;
    }
    case ValueDecoder::kInt2:
    case ValueDecoder::kInt4:
    case ValueDecoder::kInt8: {
      int bytes = column.decoder == ValueDecoder::kInt2 ? 2 : column.decoder == ValueDecoder::kInt4 ? 4 : 8;
      int64_t max = bytes == 8 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (8 * bytes - 1)) - 1;
      int64_t v = 0;
      if (!integer_text_to_int64(text, -max - 1, max, v)) return bad("integer");
      append_big_endian(static_cast<uint64_t>(v), bytes, scratch_);
      break;
    }
    case ValueDecoder::kFloat4: {
      float v = 0;
      if (!real_text_to_float(text, v)) return bad("real");
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      append_big_endian(bits, 4, scratch_);
      break;
    }
    case ValueDecoder::kFloat8: {
      double v = 0;
      if (!double_text_to_double(text, v)) return bad("double precision");
      uint64_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      append_big_endian(bits, 8, scratch_);
      break;
    }
    case ValueDecoder::kNumericDecimal:
      if (!numeric_text_to_binary(text, scratch_)) return bad("numeric");
      break;
    case ValueDecoder::kMoney: {
      int64_t units = 0;
      if (!money_text_to_units(text, units)) return bad("money");
      append_big_endian(static_cast<uint64_t>(units), 8, scratch_);
      break;
    }
    case ValueDecoder::kBytea:
      if (!bytea_text_to_bytes(text, scratch_)) return bad("bytea");
      break;
    case ValueDecoder::kDate: {
      int32_t days = 0;
      if (!date_text_to_days(text, days)) return bad("date");
      append_big_endian(static_cast<uint32_t>(days), 4, scratch_);
      break;
    }
    case ValueDecoder::kTime: {
      int64_t micros = 0;
      if (!time_text_to_micros(text, micros)) return bad("time");
      append_big_endian(static_cast<uint64_t>(micros), 8, scratch_);
      break;
    }
    case ValueDecoder::kTimeTz: {
      // timetz_out: the local time, then the zone's offset east of UTC; timetz_send's zone is seconds west.
      int64_t micros = 0;
      int64_t east = 0;
      if (!timetz_text_to_micros(text, micros, east)) return bad("time with time zone");
      append_big_endian(static_cast<uint64_t>(micros), 8, scratch_);
      append_big_endian(static_cast<uint32_t>(static_cast<int32_t>(-east)), 4, scratch_);
      break;
    }
    case ValueDecoder::kTimestampMicros:
    case ValueDecoder::kTimestampMillis: {
      int64_t micros = 0;
      if (!timestamp_text_to_micros(text, micros)) return bad("timestamp");
      append_big_endian(static_cast<uint64_t>(micros), 8, scratch_);
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
