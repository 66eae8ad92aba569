#include "pg/type_mapping.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace pgs3 {
namespace {

struct Sample {
  const char* sql_type;
  uint32_t base_oid;
  int32_t base_typmod;
  char typtype;
  const char* typname;
  const char* kind;
  bool selected_as_text;
  const char* hex;
  const char* text;    // PostgreSQL's output for the value
  const char* oracle;  // the physical value pgs3 must write, computed by PostgreSQL (nullptr: NULL)
};

// PostgreSQL 15 is the oracle: field bytes, text output and expected physical values all come from a real server
// (see capture_pg_samples.py).
const Sample kSamples[] = {
#include "pg_binary_samples.inc"
};

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The DECIMAL's 16 big-endian two's complement bytes as a decimal integer string.
std::string decimal_bytes_to_string(std::string_view bytes) {
  EXPECT_EQ(bytes.size(), 16u);
  unsigned __int128 u = 0;
  for (unsigned char c : bytes) u = (u << 8) | c;
  __int128 v = static_cast<__int128>(u);
  bool neg = v < 0;
  unsigned __int128 mag = neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  return neg ? "-" + digits : digits;
}

int64_t parse_i64(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_TRUE(ec == std::errc() && end == s.data() + s.size()) << s;
  return v;
}

SourceColumn column_for(const Sample& s) {
  SourceColumn c;
  c.name = "v";
  c.type_oid = s.base_oid;
  c.base_type_oid = s.base_oid;
  c.base_typmod = s.base_typmod;
  c.typmod = s.base_typmod;
  c.typtype = static_cast<TypType>(s.typtype);
  c.base_type_name = s.typname;
  c.is_array = s.typname[0] == '_';
  c.type_text = s.sql_type;
  return c;
}

void PrintTo(const Sample& s, std::ostream* os) { *os << s.sql_type << " " << s.text; }

class PostgresSampleTest : public testing::TestWithParam<Sample> {};

TEST_P(PostgresSampleTest, DecodesLikePostgres) {
  const Sample& s = GetParam();
  TypeMappingOptions options;
  options.timestamp_millis = std::string(s.kind) == "timestamp_millis";
  MappedColumn m = map_column(column_for(s), options);
  if (std::string(s.sql_type) == "inet") {
    EXPECT_EQ(m.select_expr, "abbrev(\"v\")");  // inet's output form, not the text(inet) cast's
  } else {
    EXPECT_EQ(m.select_expr, s.selected_as_text ? "\"v\"::text" : "\"v\"");
  }

  ColumnVector out(m.spec);
  ColumnDecoder decoder("\"public\".\"t\"", m);
  std::string bytes = from_hex(s.hex);
  Status st = decoder.decode(bytes, out);
  ASSERT_TRUE(st.is_ok()) << st.message();
  ASSERT_EQ(out.rows(), 1u);

  const std::string text = s.text;
  const std::string kind = s.kind;
  if (s.oracle == nullptr) {
    EXPECT_EQ(out.null_count(), 1u);
    EXPECT_EQ(decoder.nulled_special_numerics(), 1u);
    return;
  }
  const std::string oracle = s.oracle;
  ASSERT_EQ(out.null_count(), 0u);
  switch (m.decoder) {
    case ValueDecoder::kBool: EXPECT_EQ(out.fixed_at<uint8_t>(0), text == "t" ? 1 : 0); break;
    case ValueDecoder::kInt2:
    case ValueDecoder::kInt4: EXPECT_EQ(out.fixed_at<int32_t>(0), parse_i64(oracle)); break;
    case ValueDecoder::kInt8: EXPECT_EQ(out.fixed_at<int64_t>(0), parse_i64(oracle)); break;
    case ValueDecoder::kFloat4: {
      float got = out.fixed_at<float>(0);
      if (oracle == "NaN") {
        EXPECT_TRUE(std::isnan(got));
      } else {
        float want = std::strtof(oracle.c_str(), nullptr);
        EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << got << " vs " << oracle;
      }
      break;
    }
    case ValueDecoder::kFloat8: {
      double got = out.fixed_at<double>(0);
      if (oracle == "NaN") {
        EXPECT_TRUE(std::isnan(got));
      } else {
        double want = std::strtod(oracle.c_str(), nullptr);
        EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << got << " vs " << oracle;
      }
      break;
    }
    case ValueDecoder::kNumericDecimal:
    case ValueDecoder::kMoney: EXPECT_EQ(decimal_bytes_to_string(out.fixed_bytes_at(0)), oracle); break;
    case ValueDecoder::kBytea: EXPECT_EQ("\\x" + to_hex(out.bytes_at(0)), oracle); break;
    case ValueDecoder::kDate:
      if (oracle == "infinity" || oracle == "-infinity") {
        EXPECT_EQ(out.fixed_at<int32_t>(0),
                  oracle == "infinity" ? std::numeric_limits<int32_t>::max() : -std::numeric_limits<int32_t>::max());
        EXPECT_EQ(decoder.infinities(), 1u);
      } else {
        EXPECT_EQ(out.fixed_at<int32_t>(0), parse_i64(oracle));
        EXPECT_EQ(decoder.infinities(), 0u);
      }
      break;
    case ValueDecoder::kTimestampMicros:
    case ValueDecoder::kTimestampMillis:
      if (oracle == "infinity" || oracle == "-infinity") {
        EXPECT_EQ(out.fixed_at<int64_t>(0),
                  oracle == "infinity" ? std::numeric_limits<int64_t>::max() : -std::numeric_limits<int64_t>::max());
        EXPECT_EQ(decoder.infinities(), 1u);
      } else {
        EXPECT_EQ(out.fixed_at<int64_t>(0), parse_i64(oracle));
      }
      break;
    case ValueDecoder::kTime:
    case ValueDecoder::kTimeTz: EXPECT_EQ(out.fixed_at<int64_t>(0), parse_i64(oracle)); break;
    case ValueDecoder::kNumericText:
    case ValueDecoder::kText:
    case ValueDecoder::kJsonb:
    case ValueDecoder::kInterval:
    case ValueDecoder::kUuid: EXPECT_EQ(out.bytes_at(0), oracle); break;
  }
}

std::string sample_name(const testing::TestParamInfo<Sample>& info) {
  std::string name = std::to_string(info.index) + "_";
  for (const char* p = info.param.sql_type; *p != '\0'; ++p) {
    name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Pg15, PostgresSampleTest, testing::ValuesIn(kSamples), sample_name);

// ---- mapping ----

SourceColumn column(uint32_t oid, int32_t typmod = -1, bool not_null = false) {
  SourceColumn c;
  c.name = "c";
  c.type_oid = c.base_type_oid = oid;
  c.typmod = c.base_typmod = typmod;
  c.not_null = not_null;
  return c;
}

int32_t numeric_typmod(int precision, int scale) { return ((precision << 16) | (scale & 0x7ff)) + 4; }

TEST(TypeMappingTest, NumericWithinDecimalRangeIsFixedLenDecimal) {
  for (auto [p, s] : {std::pair{1, 0}, {10, 2}, {38, 0}, {38, 38}, {5, 5}}) {
    MappedColumn m = map_column(column(1700, numeric_typmod(p, s)), {});
    EXPECT_EQ(m.decoder, ValueDecoder::kNumericDecimal) << p << "," << s;
    EXPECT_EQ(m.spec.physical, PhysicalType::kFixedLenByteArray);
    EXPECT_EQ(m.spec.logical, LogicalType::kDecimal);
    EXPECT_EQ(m.spec.fixed_length, 16);
    EXPECT_EQ(m.spec.precision, p);
    EXPECT_EQ(m.spec.scale, s);
  }
}

TEST(TypeMappingTest, NumericOutsideDecimalRangeIsExactText) {
  for (int32_t typmod :
       {-1, numeric_typmod(39, 2), numeric_typmod(1000, 0), numeric_typmod(5, -2), numeric_typmod(3, 5)}) {
    MappedColumn m = map_column(column(1700, typmod), {});
    EXPECT_EQ(m.decoder, ValueDecoder::kNumericText) << typmod;
    EXPECT_EQ(m.spec.physical, PhysicalType::kByteArray);
    EXPECT_EQ(m.spec.logical, LogicalType::kString);
    EXPECT_EQ(m.select_expr, "\"c\"");
  }
}

TEST(TypeMappingTest, PhysicalTypesFollowTheReadmeTable) {
  struct Row {
    uint32_t oid;
    PhysicalType physical;
    LogicalType logical;
    bool utc;
  };
  const Row rows[] = {
      {16, PhysicalType::kBoolean, LogicalType::kNone, false},
      {21, PhysicalType::kInt32, LogicalType::kInt16, false},
      {23, PhysicalType::kInt32, LogicalType::kNone, false},
      {20, PhysicalType::kInt64, LogicalType::kNone, false},
      {700, PhysicalType::kFloat, LogicalType::kNone, false},
      {701, PhysicalType::kDouble, LogicalType::kNone, false},
      {790, PhysicalType::kFixedLenByteArray, LogicalType::kDecimal, false},
      {25, PhysicalType::kByteArray, LogicalType::kString, false},
      {17, PhysicalType::kByteArray, LogicalType::kNone, false},
      {1082, PhysicalType::kInt32, LogicalType::kDate, false},
      {1083, PhysicalType::kInt64, LogicalType::kTimeMicros, false},
      {1266, PhysicalType::kInt64, LogicalType::kTimeMicros, true},
      {1114, PhysicalType::kInt64, LogicalType::kTimestampMicros, false},
      {1184, PhysicalType::kInt64, LogicalType::kTimestampMicros, true},
      {1186, PhysicalType::kByteArray, LogicalType::kString, false},
      {2950, PhysicalType::kByteArray, LogicalType::kString, false},
      {114, PhysicalType::kByteArray, LogicalType::kString, false},
      {3802, PhysicalType::kByteArray, LogicalType::kString, false},
  };
  for (const Row& r : rows) {
    MappedColumn m = map_column(column(r.oid), {});
    EXPECT_EQ(m.spec.physical, r.physical) << r.oid;
    EXPECT_EQ(m.spec.logical, r.logical) << r.oid;
    EXPECT_EQ(m.spec.utc_adjusted, r.utc) << r.oid;
    EXPECT_EQ(m.select_expr, "\"c\"") << r.oid;
  }
  MappedColumn money = map_column(column(790), {});
  EXPECT_EQ(money.spec.precision, 38);
  EXPECT_EQ(money.spec.scale, 4);
}

TEST(TypeMappingTest, TimestampMillisOption) {
  TypeMappingOptions options;
  options.timestamp_millis = true;
  for (uint32_t oid : {1114u, 1184u}) {
    MappedColumn m = map_column(column(oid), options);
    EXPECT_EQ(m.spec.logical, LogicalType::kTimestampMillis);
    EXPECT_EQ(m.decoder, ValueDecoder::kTimestampMillis);
    EXPECT_EQ(m.spec.utc_adjusted, oid == 1184u);
  }
}

TEST(TypeMappingTest, NotNullMakesColumnRequired) {
  EXPECT_FALSE(map_column(column(23, -1, true), {}).spec.nullable);
  EXPECT_TRUE(map_column(column(23, -1, false), {}).spec.nullable);
}

TEST(TypeMappingTest, OtherTypesAreSelectedAsText) {
  SourceColumn array = column(1007);
  array.is_array = true;
  array.base_type_name = "_int4";
  array.name = "Odd \"Name\"";
  MappedColumn m = map_column(array, {});
  EXPECT_EQ(m.select_expr, "\"Odd \"\"Name\"\"\"::text");
  EXPECT_EQ(m.decoder, ValueDecoder::kText);
  EXPECT_EQ(m.spec.logical, LogicalType::kString);
  EXPECT_EQ(m.spec.name, "Odd \"Name\"");

  SourceColumn citext = column(16389);
  citext.base_type_name = "citext";
  EXPECT_EQ(map_column(citext, {}).select_expr, "\"c\"");
  SourceColumn citext_array = column(16394);
  citext_array.base_type_name = "_citext";
  citext_array.is_array = true;
  EXPECT_EQ(map_column(citext_array, {}).select_expr, "\"c\"::text");
  SourceColumn mood = column(17006);
  mood.typtype = TypType::kEnum;
  mood.base_type_name = "mood";
  EXPECT_EQ(map_column(mood, {}).select_expr, "\"c\"");
  SourceColumn range = column(3904);
  range.typtype = TypType::kRange;
  EXPECT_EQ(map_column(range, {}).select_expr, "\"c\"::text");
}

// ---- decoder failures and special values ----

std::string be64(int64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xFF);
    v = static_cast<int64_t>(static_cast<uint64_t>(v) >> 8);
  }
  return out;
}

TEST(ColumnDecoderTest, WrongLengthsAreDataErrorsNamingTableAndColumn) {
  const uint32_t oids[] = {16, 21, 23, 20, 700, 701, 790, 1082, 1083, 1266, 1114, 1184, 1186, 2950, 3802};
  for (uint32_t oid : oids) {
    MappedColumn m = map_column(column(oid), {});
    ColumnDecoder decoder("\"s\".\"t\"", m);
    ColumnVector out(m.spec);
    for (int32_t length : {0, 3, 7, 9, 11, 15, 17}) {
      std::string bytes(static_cast<size_t>(length), '\x05');
      Status s = decoder.decode(bytes, out);
      if (s.is_ok()) continue;  // a length this type accepts
      EXPECT_EQ(s.code(), StatusCode::kDataError);
      EXPECT_NE(s.message().find("\"s\".\"t\""), std::string::npos) << s.message();
      EXPECT_NE(s.message().find("\"c\""), std::string::npos) << s.message();
    }
  }
}

TEST(ColumnDecoderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  std::vector<MappedColumn> columns;
  for (uint32_t oid :
       {16u, 21u, 23u, 20u, 700u, 701u, 790u, 25u, 17u, 1082u, 1083u, 1266u, 1114u, 1184u, 1186u, 2950u, 3802u}) {
    columns.push_back(map_column(column(oid), {}));
  }
  for (int32_t typmod : {-1, numeric_typmod(10, 2), numeric_typmod(38, 38), numeric_typmod(38, 0)}) {
    columns.push_back(map_column(column(1700, typmod), {}));
  }
  for (const MappedColumn& m : columns) {
    ColumnDecoder decoder("t", m);
    ColumnVector out(m.spec);
    for (int i = 0; i < 3000; ++i) {
      std::string bytes(rng() % 40, '\0');
      for (char& c : bytes) c = static_cast<char>(rng());
      if (m.decoder == ValueDecoder::kNumericDecimal || m.decoder == ValueDecoder::kNumericText) {
        // Mostly well-formed headers so the digit paths run: ndigits matching the length, a valid sign.
        if (bytes.size() >= 8 && rng() % 2 == 0) {
          bytes.resize(8 + 2 * ((bytes.size() - 8) / 2));
          int16_t ndigits = static_cast<int16_t>((bytes.size() - 8) / 2);
          bytes[0] = static_cast<char>(ndigits >> 8);
          bytes[1] = static_cast<char>(ndigits);
          bytes[4] = static_cast<char>(rng() % 2 ? 0x40 : 0);
          bytes[5] = 0;
          bytes[6] = static_cast<char>(rng() % 0x40);
        }
      }
      size_t rows_before = out.rows();
      Status s = decoder.decode(bytes, out);
      if (s.is_ok()) {
        EXPECT_EQ(out.rows(), rows_before + 1);
      } else {
        EXPECT_EQ(s.code(), StatusCode::kDataError);
        EXPECT_EQ(out.rows(), rows_before);
      }
    }
  }
}

TEST(ColumnDecoderTest, NanInNotNullDecimalIsAnErrorNamingTableAndColumn) {
  MappedColumn m = map_column(column(1700, numeric_typmod(10, 2), true), {});
  ColumnDecoder decoder("\"s\".\"t\"", m);
  ColumnVector out(m.spec);
  Status s = decoder.decode(from_hex("00000000c0000000"), out);  // NaN, as PostgreSQL 15 sends it
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  EXPECT_NE(s.message().find("\"s\".\"t\""), std::string::npos);
  EXPECT_NE(s.message().find("\"c\""), std::string::npos);
  EXPECT_NE(s.message().find("NaN"), std::string::npos);
}

TEST(ColumnDecoderTest, InfinityInNullableDecimalIsCountedNull) {
  MappedColumn m = map_column(column(1700, numeric_typmod(10, 2)), {});
  ColumnDecoder decoder("t", m);
  ColumnVector out(m.spec);
  ASSERT_TRUE(decoder.decode(from_hex("00000000d0000020"), out).is_ok());  // Infinity (PostgreSQL 15)
  ASSERT_TRUE(decoder.decode(from_hex("00000000f0000020"), out).is_ok());  // -Infinity
  EXPECT_EQ(out.null_count(), 2u);
  EXPECT_EQ(decoder.nulled_special_numerics(), 2u);
}

TEST(ColumnDecoderTest, DecimalOverflowAndExtraFractionDigitsAreErrors) {
  MappedColumn m = map_column(column(1700, numeric_typmod(38, 0)), {});
  ColumnDecoder decoder("t", m);
  ColumnVector out(m.spec);
  // 1e100 (PostgreSQL 15 bytes): more digits than DECIMAL(38,0) holds.
  EXPECT_EQ(decoder.decode(from_hex("00010019000000000001"), out).code(), StatusCode::kDataError);
  // 10^38 exactly: one digit too many.
  EXPECT_EQ(decoder.decode(from_hex("00010009000000000064"), out).code(), StatusCode::kDataError);
  // 0.5 into scale 0: a fractional digit the column cannot hold.
  EXPECT_EQ(decoder.decode(from_hex("0001ffff000000011388"), out).code(), StatusCode::kDataError);
  EXPECT_EQ(out.rows(), 0u);
}

TEST(ColumnDecoderTest, NullInRequiredColumnIsAnError) {
  MappedColumn m = map_column(column(23, -1, true), {});
  ColumnDecoder decoder("\"s\".\"t\"", m);
  ColumnVector out(m.spec);
  EXPECT_EQ(decoder.decode_null(out).code(), StatusCode::kDataError);
  MappedColumn nullable = map_column(column(23), {});
  ColumnDecoder ok("t", nullable);
  ASSERT_TRUE(ok.decode_null(out).is_ok());
  EXPECT_EQ(out.null_count(), 1u);
}

TEST(ColumnDecoderTest, TimestampBeyondMicrosRangeIsAnErrorButMillisWork) {
  // 294276-12-31 23:59:59.999999, PostgreSQL's last timestamp: END_TIMESTAMP - 1 microsecond since 2000-01-01.
  const int64_t last = 9223371331200000000LL - 1;
  MappedColumn micros = map_column(column(1114), {});
  ColumnDecoder d1("t", micros);
  ColumnVector out1(micros.spec);
  EXPECT_EQ(d1.decode(be64(last), out1).code(), StatusCode::kDataError);

  TypeMappingOptions options;
  options.timestamp_millis = true;
  MappedColumn millis = map_column(column(1114), options);
  ColumnDecoder d2("t", millis);
  ColumnVector out2(millis.spec);
  ASSERT_TRUE(d2.decode(be64(last), out2).is_ok());
  EXPECT_EQ(out2.fixed_at<int64_t>(0), (last - 999) / 1000 + 946684800000LL);
}

TEST(ColumnDecoderTest, MoneyRescalesFromTheSessionFractionDigits) {
  for (auto [frac, cash, want] : {std::tuple{2, 1234LL, "123400"},
                                  {0, 1234LL, "12340000"},
                                  {3, -1234LL, "-12340"},
                                  {4, 5LL, "5"},
                                  {6, 1234500LL, "12345"}}) {
    TypeMappingOptions options;
    options.money_fraction_digits = frac;
    MappedColumn m = map_column(column(790), options);
    ColumnDecoder decoder("t", m);
    ColumnVector out(m.spec);
    ASSERT_TRUE(decoder.decode(be64(cash), out).is_ok());
    EXPECT_EQ(decimal_bytes_to_string(out.fixed_bytes_at(0)), want) << frac;
  }
  TypeMappingOptions options;
  options.money_fraction_digits = 6;
  MappedColumn m = map_column(column(790), options);
  ColumnDecoder decoder("t", m);
  ColumnVector out(m.spec);
  EXPECT_EQ(decoder.decode(be64(1234567), out).code(), StatusCode::kDataError);
}

TEST(IntervalTextTest, InfiniteIntervalsOfPostgres17) {
  std::string out;
  append_interval_postgres(std::numeric_limits<int64_t>::max(), std::numeric_limits<int32_t>::max(),
                           std::numeric_limits<int32_t>::max(), out);
  EXPECT_EQ(out, "infinity");
  out.clear();
  append_interval_postgres(std::numeric_limits<int64_t>::min(), std::numeric_limits<int32_t>::min(),
                           std::numeric_limits<int32_t>::min(), out);
  EXPECT_EQ(out, "-infinity");
}

TEST(NumericTextTest, RejectsMalformedValues) {
  std::string out;
  EXPECT_FALSE(append_numeric_text("\0\1", 2, out).is_ok());
  std::string bad_sign = from_hex("0000000012340000");
  EXPECT_FALSE(append_numeric_text(bad_sign.data(), 8, out).is_ok());
  std::string bad_digit = from_hex("00010000000000002710");  // digit 10000
  EXPECT_FALSE(append_numeric_text(bad_digit.data(), 10, out).is_ok());
  std::string short_digits = from_hex("0002000000000000000a");  // claims 2 digits, has 1
  EXPECT_FALSE(append_numeric_text(short_digits.data(), 10, out).is_ok());
}

}  // namespace
}  // namespace pgs3
