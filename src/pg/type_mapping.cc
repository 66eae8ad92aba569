#include "pg/type_mapping.h"

#include <cstring>
#include <limits>

#include "pg/connection.h"

namespace pgs3 {
namespace {

// Built-in type OIDs (src/include/catalog/pg_type.dat); these are fixed across PostgreSQL versions.
constexpr uint32_t kBoolOid = 16;
constexpr uint32_t kByteaOid = 17;
constexpr uint32_t kNameOid = 19;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt2Oid = 21;
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kTextOid = 25;
constexpr uint32_t kJsonOid = 114;
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat8Oid = 701;
constexpr uint32_t kMoneyOid = 790;
constexpr uint32_t kBpcharOid = 1042;
constexpr uint32_t kVarcharOid = 1043;
constexpr uint32_t kDateOid = 1082;
constexpr uint32_t kTimeOid = 1083;
constexpr uint32_t kTimestampOid = 1114;
constexpr uint32_t kTimestamptzOid = 1184;
constexpr uint32_t kIntervalOid = 1186;
constexpr uint32_t kTimetzOid = 1266;
constexpr uint32_t kNumericOid = 1700;
constexpr uint32_t kUuidOid = 2950;
constexpr uint32_t kJsonbOid = 3802;

constexpr int32_t kVarHdrSz = 4;
constexpr int kDecimalBytes = 16;
constexpr int kMaxDecimalPrecision = 38;
constexpr int kMoneyScale = 4;

// Days and microseconds from 1970-01-01 (Unix epoch) to 2000-01-01 (PostgreSQL's epoch).
constexpr int64_t kEpochShiftDays = 10957;
constexpr int64_t kEpochShiftMicros = kEpochShiftDays * 86400LL * 1000000LL;
constexpr int64_t kEpochShiftMillis = kEpochShiftDays * 86400LL * 1000LL;
constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;

// numeric's binary sign word (src/backend/utils/adt/numeric.c: NUMERIC_POS/NEG/NAN/PINF/NINF).
constexpr uint16_t kNumericPos = 0x0000;
constexpr uint16_t kNumericNeg = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPInf = 0xD000;
constexpr uint16_t kNumericNInf = 0xF000;
constexpr uint16_t kNumericDscaleMask = 0x3FFF;

uint16_t be_u16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}
uint32_t be_u32(const char* p) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(p[0])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 8) | static_cast<uint32_t>(static_cast<uint8_t>(p[3]));
}
uint64_t be_u64(const char* p) { return (static_cast<uint64_t>(be_u32(p)) << 32) | be_u32(p + 4); }

using Int128 = __int128;

constexpr Int128 pow10_128(int n) {
  Int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

// 10^0 .. 10^38 (10^38 < 2^127).
struct Pow10Table {
  Int128 v[kMaxDecimalPrecision + 1];
  constexpr Pow10Table() : v() {
    for (int i = 0; i <= kMaxDecimalPrecision; ++i) v[i] = pow10_128(i);
  }
};
constexpr Pow10Table kPow10;

// Parquet DECIMAL in a FIXED_LEN_BYTE_ARRAY: the unscaled value as big-endian two's complement.
void append_decimal128(Int128 unscaled, ColumnVector& out) {
  char bytes[kDecimalBytes];
  auto u = static_cast<unsigned __int128>(unscaled);
  for (int i = kDecimalBytes - 1; i >= 0; --i) {
    bytes[i] = static_cast<char>(static_cast<uint8_t>(u & 0xFF));
    u >>= 8;
  }
  out.append_bytes(std::string_view(bytes, kDecimalBytes));
}

void append_uint(uint64_t v, std::string& out) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out += buf[--n];
}

void append_two_digits(uint32_t v, std::string& out) {
  out += static_cast<char>('0' + v / 10);
  out += static_cast<char>('0' + v % 10);
}

uint64_t abs_u64(int64_t v) { return v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v); }

// AddPostgresIntPart() of src/backend/utils/adt/datetime.c.
void add_postgres_int_part(int64_t value, const char* unit, bool& is_zero, bool& is_before, std::string& out) {
  if (value == 0) return;
  if (!is_zero) out += ' ';
  if (is_before && value > 0) out += '+';
  if (value < 0) out += '-';
  append_uint(abs_u64(value), out);
  out += ' ';
  out += unit;
  if (value != 1) out += 's';
  // "Each nonzero field sets is_before for (only) the next one."
  is_before = value < 0;
  is_zero = false;
}

}  // namespace

// ---- mapping ----

MappedColumn map_column(const SourceColumn& column, const TypeMappingOptions& options) {
  MappedColumn m;
  m.source_name = column.name;
  m.spec.name = column.name;
  m.spec.nullable = !column.not_null;
  m.select_expr = quote_ident(column.name);
  ColumnSpec& s = m.spec;
  auto set = [&](PhysicalType physical, LogicalType logical, ValueDecoder decoder) {
    s.physical = physical;
    s.logical = logical;
    m.decoder = decoder;
  };
  auto set_decimal = [&](int32_t precision, int32_t scale, ValueDecoder decoder) {
    set(PhysicalType::kFixedLenByteArray, LogicalType::kDecimal, decoder);
    s.fixed_length = kDecimalBytes;
    s.precision = m.decimal_precision = precision;
    s.scale = m.decimal_scale = scale;
  };

  switch (column.base_type_oid) {
    case kBoolOid: set(PhysicalType::kBoolean, LogicalType::kNone, ValueDecoder::kBool); return m;
    case kInt2Oid: set(PhysicalType::kInt32, LogicalType::kInt16, ValueDecoder::kInt2); return m;
    case kInt4Oid: set(PhysicalType::kInt32, LogicalType::kNone, ValueDecoder::kInt4); return m;
    case kInt8Oid: set(PhysicalType::kInt64, LogicalType::kNone, ValueDecoder::kInt8); return m;
    case kFloat4Oid: set(PhysicalType::kFloat, LogicalType::kNone, ValueDecoder::kFloat4); return m;
    case kFloat8Oid: set(PhysicalType::kDouble, LogicalType::kNone, ValueDecoder::kFloat8); return m;
    case kNumericOid: {
      // numeric's typmod: ((precision << 16) | (scale & 0x7ff)) + VARHDRSZ, the scale an 11-bit signed value
      // (negative scales since PostgreSQL 15). -1: unconstrained.
      int32_t typmod = column.base_typmod;
      if (typmod >= kVarHdrSz) {
        int32_t precision = ((typmod - kVarHdrSz) >> 16) & 0xFFFF;
        int32_t scale = (((typmod - kVarHdrSz) & 0x7FF) ^ 1024) - 1024;
        if (!options.decimal_as_text && precision >= 1 && precision <= kMaxDecimalPrecision && scale >= 0 &&
            scale <= precision) {
          set_decimal(precision, scale, ValueDecoder::kNumericDecimal);
          return m;
        }
      }
      set(PhysicalType::kByteArray, LogicalType::kString, ValueDecoder::kNumericText);
      return m;
    }
    case kMoneyOid:
      set_decimal(kMaxDecimalPrecision, kMoneyScale, ValueDecoder::kMoney);
      m.money_fraction_digits = options.money_fraction_digits;
      return m;
    case kTextOid:
    case kVarcharOid:
    case kBpcharOid:
    case kNameOid:
    case kJsonOid: set(PhysicalType::kByteArray, LogicalType::kString, ValueDecoder::kText); return m;
    case kJsonbOid: set(PhysicalType::kByteArray, LogicalType::kString, ValueDecoder::kJsonb); return m;
    case kByteaOid: set(PhysicalType::kByteArray, LogicalType::kNone, ValueDecoder::kBytea); return m;
    case kDateOid: set(PhysicalType::kInt32, LogicalType::kDate, ValueDecoder::kDate); return m;
    case kTimeOid: set(PhysicalType::kInt64, LogicalType::kTimeMicros, ValueDecoder::kTime); return m;
    case kTimetzOid:
      set(PhysicalType::kInt64, LogicalType::kTimeMicros, ValueDecoder::kTimeTz);
      s.utc_adjusted = true;
      return m;
    case kTimestampOid:
    case kTimestamptzOid:
      if (options.timestamp_millis) {
        set(PhysicalType::kInt64, LogicalType::kTimestampMillis, ValueDecoder::kTimestampMillis);
      } else {
        set(PhysicalType::kInt64, LogicalType::kTimestampMicros, ValueDecoder::kTimestampMicros);
      }
      s.utc_adjusted = column.base_type_oid == kTimestamptzOid;
      return m;
    case kIntervalOid: set(PhysicalType::kByteArray, LogicalType::kString, ValueDecoder::kInterval); return m;
    case kUuidOid: set(PhysicalType::kByteArray, LogicalType::kString, ValueDecoder::kUuid); return m;
    default: break;
  }
  set(PhysicalType::kByteArray, LogicalType::kString, ValueDecoder::kText);
  // citext is an extension type without a fixed OID; its send function is textsend. An enum's is its label.
  bool text_binary = (column.typtype == TypType::kBase && !column.is_array && column.base_type_name == "citext") ||
                     column.typtype == TypType::kEnum;
  if (column.base_type_name == "inet" && !column.is_array) {
    // The inet -> text cast (text(inet)) always appends the mask; inet's output function, like abbrev(inet), omits
    // it when it covers the whole address. The README promises the output function's form.
    m.select_expr = "abbrev(" + m.select_expr + ")";
  } else if (!text_binary) {
    // No native decoder: PostgreSQL converts to text, so the binary value of the expression is the text output.
    // (Every other type with a cast function to text — bpchar, "char", name, cidr, boolean — prints as its output
    // function does, or has a native decoder.)
    m.select_expr += "::text";
  }
  return m;
}

std::vector<MappedColumn> map_columns(const SourceTable& table, const TypeMappingOptions& options) {
  std::vector<MappedColumn> out;
  out.reserve(table.columns.size());
  for (const auto& c : table.columns) out.push_back(map_column(c, options));
  return out;
}

// ---- text forms ----

Status append_numeric_text(const char* data, int32_t length, std::string& out) {
  if (length < 8) return Status::data_error("numeric value shorter than its 8-byte header");
  int32_t ndigits = static_cast<int16_t>(be_u16(data));
  int32_t weight = static_cast<int16_t>(be_u16(data + 2));
  uint16_t sign = be_u16(data + 4);
  uint16_t dscale_word = be_u16(data + 6);
  if (ndigits < 0 || length != 8 + 2 * ndigits) return Status::data_error("numeric value length does not match digits");
  switch (sign) {
    case kNumericNaN: out += "NaN"; return Status::ok();
    case kNumericPInf: out += "Infinity"; return Status::ok();
    case kNumericNInf: out += "-Infinity"; return Status::ok();
    case kNumericPos:
    case kNumericNeg: break;
    default: return Status::data_error("numeric value has an invalid sign word");
  }
  if ((dscale_word & ~kNumericDscaleMask) != 0) return Status::data_error("numeric value has an invalid scale");
  int32_t dscale = dscale_word;
  const char* digits = data + 8;
  auto digit_at = [&](int32_t i) -> int32_t { return i >= 0 && i < ndigits ? be_u16(digits + 2 * i) : 0; };
  for (int32_t i = 0; i < ndigits; ++i) {
    if (digit_at(i) > 9999) return Status::data_error("numeric value has a base-10000 digit above 9999");
  }

  // get_str_from_var() of src/backend/utils/adt/numeric.c.
  if (sign == kNumericNeg) out += '-';
  int32_t d;
  if (weight < 0) {
    d = weight + 1;
    out += '0';
  } else {
    for (d = 0; d <= weight; ++d) {
      int32_t dig = digit_at(d);
      bool put = d > 0;  // in the first group, suppress leading zeros
      for (int32_t div = 1000; div >= 1; div /= 10) {
        int32_t q = dig / div;
        dig -= q * div;
        put = put || q > 0 || div == 1;
        if (put) out += static_cast<char>('0' + q);
      }
    }
  }
  if (dscale > 0) {
    out += '.';
    size_t end = out.size() + static_cast<size_t>(dscale);
    for (int32_t i = 0; i < dscale; ++d, i += 4) {
      int32_t dig = digit_at(d);
      for (int32_t div = 1000; div >= 1; div /= 10) {
        int32_t q = dig / div;
        dig -= q * div;
        out += static_cast<char>('0' + q);
      }
    }
    out.resize(end);
  }
  return Status::ok();
}

void append_interval_postgres(int64_t micros, int32_t days, int32_t months, std::string& out) {
  // PostgreSQL 17 added infinite intervals: all fields at their maximum (or minimum).
  if (months == std::numeric_limits<int32_t>::max() && days == std::numeric_limits<int32_t>::max() &&
      micros == std::numeric_limits<int64_t>::max()) {
    out += "infinity";
    return;
  }
  if (months == std::numeric_limits<int32_t>::min() && days == std::numeric_limits<int32_t>::min() &&
      micros == std::numeric_limits<int64_t>::min()) {
    out += "-infinity";
    return;
  }
  // interval2itm() and EncodeInterval(INTSTYLE_POSTGRES) of src/backend/utils/adt/{timestamp,datetime}.c. C's
  // division truncates toward zero, so every part carries the sign of its whole.
  int64_t year = months / 12;
  int64_t mon = months % 12;
  int64_t hour = micros / 3600000000LL;
  int64_t rest = micros - hour * 3600000000LL;
  int64_t min = rest / 60000000LL;
  rest -= min * 60000000LL;
  int64_t sec = rest / 1000000LL;
  int64_t fsec = rest - sec * 1000000LL;

  bool is_zero = true;
  bool is_before = false;
  add_postgres_int_part(year, "year", is_zero, is_before, out);
  add_postgres_int_part(mon, "mon", is_zero, is_before, out);
  add_postgres_int_part(days, "day", is_zero, is_before, out);
  if (is_zero || hour != 0 || min != 0 || sec != 0 || fsec != 0) {
    bool minus = hour < 0 || min < 0 || sec < 0 || fsec < 0;
    if (!is_zero) out += ' ';
    if (minus) {
      out += '-';
    } else if (is_before) {
      out += '+';
    }
    uint64_t h = abs_u64(hour);
    if (h < 10) out += '0';
    append_uint(h, out);
    out += ':';
    append_two_digits(static_cast<uint32_t>(abs_u64(min)), out);
    out += ':';
    append_two_digits(static_cast<uint32_t>(abs_u64(sec)), out);
    // AppendSeconds(): six fractional digits at most, trailing zeros dropped.
    if (fsec != 0) {
      char frac[6];
      uint64_t f = abs_u64(fsec);
      for (int i = 5; i >= 0; --i) {
        frac[i] = static_cast<char>('0' + f % 10);
        f /= 10;
      }
      int len = 6;
      while (len > 0 && frac[len - 1] == '0') --len;
      out += '.';
      out.append(frac, static_cast<size_t>(len));
    }
  }
}

// ---- decoding ----

ColumnDecoder::ColumnDecoder(std::string table, const MappedColumn& column)
    : table_(std::move(table)), column_(column) {}

Status ColumnDecoder::malformed(std::string_view what, int32_t length) const {
  return Status::data_error("table " + table_ + " column " + quote_ident(column_.source_name) + ": malformed " +
                            std::string(what) + " value (" + std::to_string(length) + " bytes)");
}

Status ColumnDecoder::decode_null(ColumnVector& out) {
  if (!column_.spec.nullable) {
    return Status::data_error("table " + table_ + " column " + quote_ident(column_.source_name) +
                              " is NOT NULL (through its domain) but holds a NULL, which the REQUIRED Parquet column "
                              "cannot store; update the row or drop NOT NULL from the domain");
  }
  out.append_null();
  return Status::ok();
}

Status ColumnDecoder::decode_numeric_decimal(const char* data, int32_t length, ColumnVector& out) {
  if (length < 8) return malformed("numeric", length);
  int32_t ndigits = static_cast<int16_t>(be_u16(data));
  int32_t weight = static_cast<int16_t>(be_u16(data + 2));
  uint16_t sign = be_u16(data + 4);
  if (ndigits < 0 || length != 8 + 2 * ndigits) return malformed("numeric", length);
  if (sign == kNumericNaN || sign == kNumericPInf || sign == kNumericNInf) {
    // README: a DECIMAL cannot hold NaN or ±Infinity.
    if (!column_.spec.nullable) {
      const char* what = sign == kNumericNaN ? "NaN" : sign == kNumericPInf ? "Infinity" : "-Infinity";
      return Status::data_error("table " + table_ + " column " + quote_ident(column_.source_name) + " holds " + what +
                                ", which a Parquet DECIMAL(" + std::to_string(column_.decimal_precision) + "," +
                                std::to_string(column_.decimal_scale) +
                                ") cannot hold, and the column is NOT NULL; map it as text instead: declare the "
                                "column unconstrained numeric");
    }
    ++nulled_special_numerics_;
    out.append_null();
    return Status::ok();
  }
  if (sign != kNumericPos && sign != kNumericNeg) return malformed("numeric", length);

  // The value is sum(digit[i] * 10000^(weight - i)); the unscaled DECIMAL is value * 10^scale.
  const Int128 limit = kPow10.v[column_.decimal_precision];
  const int32_t scale = column_.decimal_scale;
  Int128 acc = 0;
  for (int32_t i = 0; i < ndigits; ++i) {
    int32_t digit = be_u16(data + 8 + 2 * i);
    if (digit > 9999) return malformed("numeric", length);
    if (digit == 0) continue;
    int32_t exp10 = 4 * (weight - i) + scale;
    if (exp10 >= 0) {
      if (exp10 > kMaxDecimalPrecision || digit > (limit - 1 - acc) / kPow10.v[exp10]) {
        return Status::data_error("table " + table_ + " column " + quote_ident(column_.source_name) +
                                  ": a numeric value has more digits than DECIMAL(" +
                                  std::to_string(column_.decimal_precision) + "," + std::to_string(scale) + ") holds");
      }
      acc += static_cast<Int128>(digit) * kPow10.v[exp10];
    } else {
      int32_t drop = -exp10;
      int32_t divisor = drop >= 4 ? 10000 : static_cast<int32_t>(kPow10.v[drop]);
      if (digit % divisor != 0) {
        return Status::data_error("table " + table_ + " column " + quote_ident(column_.source_name) +
                                  ": a numeric value has more fractional digits than the column's scale " +
                                  std::to_string(scale));
      }
      acc += digit / divisor;
      if (acc >= limit) return malformed("numeric", length);
    }
  }
  append_decimal128(sign == kNumericNeg ? -acc : acc, out);
  return Status::ok();
}

Status ColumnDecoder::decode_numeric_text(const char* data, int32_t length, ColumnVector& out) {
  scratch_.clear();
  Status s = append_numeric_text(data, length, scratch_);
  if (!s.is_ok()) return malformed("numeric", length);
  out.append_bytes(scratch_);
  return Status::ok();
}

Status ColumnDecoder::decode_interval(const char* data, int32_t length, ColumnVector& out) {
  if (length != 16) return malformed("interval", length);
  // interval_send(): int64 time (microseconds), int32 day, int32 month.
  scratch_.clear();
  append_interval_postgres(static_cast<int64_t>(be_u64(data)), static_cast<int32_t>(be_u32(data + 8)),
                           static_cast<int32_t>(be_u32(data + 12)), scratch_);
  out.append_bytes(scratch_);
  return Status::ok();
}

Status ColumnDecoder::decode_value(const char* data, int32_t length, ColumnVector& out) {
  switch (column_.decoder) {
    case ValueDecoder::kBool:
      if (length != 1) return malformed("boolean", length);
      out.append_bool(data[0] != 0);
      return Status::ok();
    case ValueDecoder::kInt2:
      if (length != 2) return malformed("smallint", length);
      out.append_int32(static_cast<int16_t>(be_u16(data)));
      return Status::ok();
    case ValueDecoder::kInt4:
      if (length != 4) return malformed("integer", length);
      out.append_int32(static_cast<int32_t>(be_u32(data)));
      return Status::ok();
    case ValueDecoder::kInt8:
      if (length != 8) return malformed("bigint", length);
      out.append_int64(static_cast<int64_t>(be_u64(data)));
      return Status::ok();
    case ValueDecoder::kFloat4: {
      if (length != 4) return malformed("real", length);
      uint32_t bits = be_u32(data);
      float v;
      std::memcpy(&v, &bits, sizeof v);
      out.append_float(v);
      return Status::ok();
    }
    case ValueDecoder::kFloat8: {
      if (length != 8) return malformed("double precision", length);
      uint64_t bits = be_u64(data);
      double v;
      std::memcpy(&v, &bits, sizeof v);
      out.append_double(v);
      return Status::ok();
    }
    case ValueDecoder::kNumericDecimal: return decode_numeric_decimal(data, length, out);
    case ValueDecoder::kNumericText: return decode_numeric_text(data, length, out);
    case ValueDecoder::kMoney: {
      if (length != 8) return malformed("money", length);
      // cash_send(): int64 in units of 10^-frac_digits; rescaled to DECIMAL(38,4).
      Int128 cash = static_cast<int64_t>(be_u64(data));
      int frac = column_.money_fraction_digits;
      if (frac <= kMoneyScale) {
        cash *= kPow10.v[kMoneyScale - frac];
      } else {
        Int128 divisor = kPow10.v[frac - kMoneyScale];
        if (cash % divisor != 0) {
          return Status::data_error("table " + table_ + " column " + quote_ident(column_.source_name) +
                                    ": a money value has more than 4 fractional digits");
        }
        cash /= divisor;
      }
      append_decimal128(cash, out);
      return Status::ok();
    }
    case ValueDecoder::kText:
    case ValueDecoder::kBytea:
      out.append_bytes(std::string_view(data, static_cast<size_t>(length)));
      return Status::ok();
    case ValueDecoder::kJsonb:
      // jsonb_send(): a version byte (1), then the text.
      if (length < 1 || data[0] != 1) return malformed("jsonb", length);
      out.append_bytes(std::string_view(data + 1, static_cast<size_t>(length - 1)));
      return Status::ok();
    case ValueDecoder::kDate: {
      if (length != 4) return malformed("date", length);
      int32_t days = static_cast<int32_t>(be_u32(data));
      // DATEVAL_NOBEGIN / DATEVAL_NOEND: -infinity / infinity, written as -INT32_MAX / INT32_MAX, the values DuckDB
      // uses for them (README).
      if (days == std::numeric_limits<int32_t>::min() || days == std::numeric_limits<int32_t>::max()) {
        ++infinities_;
        out.append_int32(days == std::numeric_limits<int32_t>::max() ? days : -std::numeric_limits<int32_t>::max());
        return Status::ok();
      }
      int64_t unix_days = static_cast<int64_t>(days) + kEpochShiftDays;
      if (unix_days >= std::numeric_limits<int32_t>::max()) return malformed("date", length);
      out.append_int32(static_cast<int32_t>(unix_days));
      return Status::ok();
    }
    case ValueDecoder::kTime:
      if (length != 8) return malformed("time", length);
      out.append_int64(static_cast<int64_t>(be_u64(data)));
      return Status::ok();
    case ValueDecoder::kTimeTz: {
      if (length != 12) return malformed("time with time zone", length);
      // timetz_send(): int64 microseconds of local time, int32 zone in seconds west of UTC; UTC = local + zone.
      int64_t local = static_cast<int64_t>(be_u64(data));
      int32_t zone = static_cast<int32_t>(be_u32(data + 8));
      if (local < 0 || local > kMicrosPerDay || zone < -86400 || zone > 86400) {
        return malformed("time with time zone", length);
      }
      int64_t utc = (local + static_cast<int64_t>(zone) * 1000000LL) % kMicrosPerDay;
      if (utc < 0) utc += kMicrosPerDay;
      out.append_int64(utc);
      return Status::ok();
    }
    case ValueDecoder::kTimestampMicros:
    case ValueDecoder::kTimestampMillis: {
      if (length != 8) return malformed("timestamp", length);
      int64_t pg = static_cast<int64_t>(be_u64(data));
      // DT_NOBEGIN / DT_NOEND: -infinity / infinity, written as -INT64_MAX / INT64_MAX in both units, the values
      // DuckDB uses for them (README).
      if (pg == std::numeric_limits<int64_t>::min() || pg == std::numeric_limits<int64_t>::max()) {
        ++infinities_;
        out.append_int64(pg == std::numeric_limits<int64_t>::max() ? pg : -std::numeric_limits<int64_t>::max());
        return Status::ok();
      }
      if (column_.decoder == ValueDecoder::kTimestampMillis) {
        // Floor division: sub-millisecond digits are truncated toward negative infinity (README).
        int64_t millis = pg / 1000 - ((pg % 1000) < 0 ? 1 : 0);
        out.append_int64(millis + kEpochShiftMillis);
        return Status::ok();
      }
      if (pg > std::numeric_limits<int64_t>::max() - kEpochShiftMicros) {
        return Status::data_error("table " + table_ + " column " + quote_ident(column_.source_name) +
                                  ": a timestamp after year 294246 cannot be written as microseconds since 1970; "
                                  "use ParquetTimestampInMillisecond");
      }
      out.append_int64(pg + kEpochShiftMicros);
      return Status::ok();
    }
    case ValueDecoder::kInterval: return decode_interval(data, length, out);
    case ValueDecoder::kUuid: {
      if (length != 16) return malformed("uuid", length);
      static constexpr char kHex[] = "0123456789abcdef";
      char text[36];
      int at = 0;
      for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text[at++] = '-';
        auto b = static_cast<uint8_t>(data[i]);
        text[at++] = kHex[b >> 4];
        text[at++] = kHex[b & 0xF];
      }
      out.append_bytes(std::string_view(text, sizeof text));
      return Status::ok();
    }
  }
  return Status::internal("unknown value decoder");
}

}  // namespace pgs3
