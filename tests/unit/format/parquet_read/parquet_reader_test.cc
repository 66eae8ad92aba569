#include "format/parquet_read/parquet_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "format/parquet_read/parquet_column.h"
#include "format/parquet_read/parquet_value_text.h"
#include "format/parquet/thrift_codec.h"
#include "../parquet/parquet_test_util.h"

namespace pgs3 {
namespace {

namespace pt = parquet_thrift;
using namespace parquet_test;  // NOLINT(google-build-using-namespace)

std::vector<ColumnSpec> reader_schema() {
  std::vector<ColumnSpec> s = {
      spec("flag", PhysicalType::kBoolean, LogicalType::kNone),
      spec("tiny", PhysicalType::kInt32, LogicalType::kInt8, false),
      spec("small", PhysicalType::kInt32, LogicalType::kInt16),
      spec("i32", PhysicalType::kInt32, LogicalType::kNone),
      spec("i64", PhysicalType::kInt64, LogicalType::kNone, false),
      spec("f32", PhysicalType::kFloat, LogicalType::kNone),
      spec("f64", PhysicalType::kDouble, LogicalType::kNone),
      spec("text", PhysicalType::kByteArray, LogicalType::kString),
      spec("low_card", PhysicalType::kByteArray, LogicalType::kString, false),
      spec("blob", PhysicalType::kByteArray, LogicalType::kNone),
      decimal_spec("amount", 20, 3),
      spec("day", PhysicalType::kInt32, LogicalType::kDate),
      spec("t_us", PhysicalType::kInt64, LogicalType::kTimeMicros),
      spec("t_ms", PhysicalType::kInt32, LogicalType::kTimeMillis),
      spec("ts_us", PhysicalType::kInt64, LogicalType::kTimestampMicros),
      spec("ts_ms", PhysicalType::kInt64, LogicalType::kTimestampMillis),
  };
  s[14].utc_adjusted = true;
  return s;
}

// Rows with NULLs in every nullable column, high-cardinality (dictionary fallback) and low-cardinality columns.
RecordBatch reader_batch(size_t rows, unsigned seed) {
  std::mt19937_64 rng(seed);
  RecordBatch batch(reader_schema());
  auto& col = batch.columns;
  auto null_now = [&](size_t c) { return batch.schema[c].nullable && rng() % 5 == 0; };
  for (size_t r = 0; r < rows; ++r) {
    null_now(0) ? col[0].append_null() : col[0].append_bool(rng() & 1);
    col[1].append_int32(static_cast<int8_t>(rng() % 7));
    null_now(2) ? col[2].append_null() : col[2].append_int32(static_cast<int16_t>(rng()));
    null_now(3) ? col[3].append_null() : col[3].append_int32(static_cast<int32_t>(rng()));
    col[4].append_int64(r % 11 == 0 ? std::numeric_limits<int64_t>::min() : static_cast<int64_t>(rng()));
    null_now(5) ? col[5].append_null() : col[5].append_float(static_cast<float>(rng() % 1000) / 8.0f);
    null_now(6) ? col[6].append_null() : col[6].append_double(static_cast<double>(rng()) / 3.0);
    null_now(7) ? col[7].append_null() : col[7].append_bytes("t\xc3\xa9xt-" + std::to_string(rng()));
    col[8].append_bytes(r % 2 == 0 ? "red" : "green");
    null_now(9) ? col[9].append_null() : col[9].append_bytes(std::string(rng() % 5, static_cast<char>(rng())));
    null_now(10) ? col[10].append_null() : col[10].append_bytes(decimal_bytes(static_cast<int64_t>(rng()) >> 8));
    null_now(11) ? col[11].append_null() : col[11].append_int32(static_cast<int32_t>(rng() % 50000) - 20000);
    null_now(12) ? col[12].append_null() : col[12].append_int64(static_cast<int64_t>(rng() % 86400000000ull));
    null_now(13) ? col[13].append_null() : col[13].append_int32(static_cast<int32_t>(rng() % 86400000));
    null_now(14) ? col[14].append_null() : col[14].append_int64(static_cast<int64_t>(rng() >> 2));
    null_now(15) ? col[15].append_null() : col[15].append_int64(static_cast<int64_t>(rng() % 100000000000ull));
  }
  return batch;
}

// The file with its footer replaced by `edit(footer)`: for types and annotations pgs3's writer does not produce.
std::string with_footer(const std::string& file, const std::function<void(pt::FileMetaData&)>& edit) {
  pt::FileMetaData meta = metadata_of(file);
  edit(meta);
  uint32_t old_length;
  std::memcpy(&old_length, file.data() + file.size() - 8, 4);
  std::string out = file.substr(0, file.size() - 8 - old_length);
  ThriftSerializer serializer;
  std::string footer;
  EXPECT_TRUE(serializer.append(meta, &footer).is_ok());
  out += footer;
  auto length = static_cast<uint32_t>(footer.size());
  out.append(reinterpret_cast<const char*>(&length), 4);
  out += "PAR1";
  return out;
}

// The text (CSV) and JSON of every row of a one-column file.
std::vector<std::pair<std::string, std::string>> rendered(const std::string& file) {
  MemoryParquetSource source(file);
  Result<std::unique_ptr<ParquetFileReader>> reader = ParquetFileReader::open(&source);
  EXPECT_TRUE(reader.is_ok()) << reader.status().message();
  std::vector<std::pair<std::string, std::string>> out;
  if (!reader.is_ok()) return out;
  RecordBatch batch;
  for (size_t g = 0; g < (*reader)->num_row_groups(); ++g) {
    Status s = (*reader)->read_row_group(g, &batch);
    EXPECT_TRUE(s.is_ok()) << s.message();
    const ColumnVector& values = batch.columns[0];
    size_t v = 0;
    for (size_t r = 0; r < values.rows(); ++r) {
      if (!values.defined()[r]) {
        out.emplace_back("NULL", "null");
        continue;
      }
      std::string text;
      std::string json;
      append_parquet_value_text((*reader)->columns()[0], values, v, text);
      append_parquet_value_json((*reader)->columns()[0], values, v, json);
      ++v;
      out.emplace_back(text, json);
    }
  }
  return out;
}

std::string one_column_file(const ColumnSpec& column, const std::function<void(ColumnVector&)>& fill,
                            ParquetEncoding encoding = ParquetEncoding::kPlain) {
  RecordBatch batch({column});
  fill(batch.columns[0]);
  ParquetWriterOptions options;
  options.encoding = encoding;
  return write_file(batch.schema, options, {&batch});
}

class ParquetReaderRoundTrip
    : public ::testing::TestWithParam<std::tuple<ParquetVersion, Compression, ParquetEncoding>> {};

TEST_P(ParquetReaderRoundTrip, RowGroupsReadBackOneAtATimeExactly) {
  ParquetWriterOptions options;
  options.version = std::get<0>(GetParam());
  options.compression = std::get<1>(GetParam());
  options.encoding = std::get<2>(GetParam());
  options.row_group_length = 700;
  options.data_page_size = 2048;        // several pages per chunk
  options.dict_page_size_limit = 8192;  // the high-cardinality text falls back to PLAIN within each chunk
  RecordBatch a = reader_batch(1500, 7);
  RecordBatch b = reader_batch(333, 8);
  std::string file = write_file(a.schema, options, {&a, &b}, {{"pgs3.source.table", "t"}});
  RecordBatch all(a.schema);
  append_batch(a, &all);
  append_batch(b, &all);

  MemoryParquetSource source(file);
  Result<std::unique_ptr<ParquetFileReader>> reader = ParquetFileReader::open(&source);
  ASSERT_TRUE(reader.is_ok()) << reader.status().message();
  ASSERT_EQ((*reader)->num_row_groups(), 3u);  // 700 + 700 + 433
  EXPECT_EQ((*reader)->num_rows(), 1833);
  ASSERT_NE((*reader)->key_value("pgs3.source.table"), nullptr);
  EXPECT_EQ(*(*reader)->key_value("pgs3.source.table"), "t");
  EXPECT_EQ((*reader)->key_value("pgs3.position.first"), nullptr);

  RecordBatch got(a.schema);
  RecordBatch group;
  for (size_t g = 0; g < 3; ++g) {
    Status s = (*reader)->read_row_group(g, &group);
    ASSERT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(group.rows(), g < 2 ? 700u : 433u);
    append_batch(group, &got);
  }
  expect_batches_equal(all, got);

  // Dictionary fallback happened in the high-cardinality text column when a dictionary was asked for.
  if (options.encoding != ParquetEncoding::kPlain) {
    const pt::FileMetaData meta = metadata_of(file);
    const pt::ColumnMetaData& text = meta.row_groups[0].columns[7].meta_data;
    bool plain = false;
    bool dictionary = false;
    for (pt::Encoding::type e : text.encodings) {
      plain |= e == pt::Encoding::PLAIN;
      dictionary |= e == pt::Encoding::RLE_DICTIONARY || e == pt::Encoding::PLAIN_DICTIONARY;
    }
    std::string list;
    for (pt::Encoding::type e : text.encodings) list += std::to_string(e) + " ";
    EXPECT_TRUE(plain && dictionary) << "encodings of the text column: " << list;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllLayouts, ParquetReaderRoundTrip,
    ::testing::Combine(::testing::Values(ParquetVersion::kV1, ParquetVersion::kV2),
                       ::testing::Values(Compression::kNone, Compression::kSnappy, Compression::kGzip,
                                         Compression::kZstd),
                       ::testing::Values(ParquetEncoding::kPlain, ParquetEncoding::kPlainDictionary,
                                         ParquetEncoding::kRleDictionary)));

TEST(ParquetReader, ColumnsDescribeTypesAsWritten) {
  RecordBatch batch = reader_batch(3, 1);
  std::string file = write_file(batch.schema, ParquetWriterOptions(), {&batch});
  MemoryParquetSource source(file);
  auto reader = ParquetFileReader::open(&source);
  ASSERT_TRUE(reader.is_ok()) << reader.status().message();
  const auto& c = (*reader)->columns();
  ASSERT_EQ(c.size(), 16u);
  EXPECT_EQ(c[0].physical_name, "BOOLEAN");
  EXPECT_EQ(c[0].logical_name, "");
  EXPECT_EQ(c[1].logical_name, "INT(8,signed)");
  EXPECT_FALSE(c[1].storage.nullable);
  EXPECT_EQ(c[7].logical_name, "STRING");
  EXPECT_EQ(c[10].physical_name, "FIXED_LEN_BYTE_ARRAY(16)");
  EXPECT_EQ(c[10].logical_name, "DECIMAL(20,3)");
  EXPECT_EQ(c[11].logical_name, "DATE");
  EXPECT_EQ(c[12].logical_name, "TIME(MICROS)");
  EXPECT_EQ(c[13].logical_name, "TIME(MILLIS)");
  EXPECT_EQ(c[14].logical_name, "TIMESTAMP(MICROS,UTC)");
  EXPECT_EQ(c[15].logical_name, "TIMESTAMP(MILLIS)");
  EXPECT_EQ(c[15].kind, ParquetValueKind::kTimestamp);
}

TEST(ParquetValueText, PgsTypesPrintAsPostgresTextAndJson) {
  auto check = [](const ColumnSpec& column, const std::function<void(ColumnVector&)>& fill,
                  const std::vector<std::pair<std::string, std::string>>& want) {
    EXPECT_EQ(rendered(one_column_file(column, fill)), want) << column.name;
  };
  check(spec("b", PhysicalType::kBoolean, LogicalType::kNone),
        [](ColumnVector& v) {
          v.append_bool(true);
          v.append_null();
          v.append_bool(false);
        },
        {{"true", "true"}, {"NULL", "null"}, {"false", "false"}});
  check(spec("i", PhysicalType::kInt64, LogicalType::kNone),
        [](ColumnVector& v) {
          v.append_int64(9007199254740992);   // 2^53: still exact
          v.append_int64(9007199254740993);   // beyond: a string
          v.append_int64(-9007199254740993);
          v.append_int64(std::numeric_limits<int64_t>::min());
        },
        {{"9007199254740992", "9007199254740992"},
         {"9007199254740993", "\"9007199254740993\""},
         {"-9007199254740993", "\"-9007199254740993\""},
         {"-9223372036854775808", "\"-9223372036854775808\""}});
  check(spec("d", PhysicalType::kDouble, LogicalType::kNone),
        [](ColumnVector& v) {
          v.append_double(1.5);
          v.append_double(std::numeric_limits<double>::quiet_NaN());
          v.append_double(-std::numeric_limits<double>::infinity());
          v.append_double(1e300);
        },
        {{"1.5", "1.5"}, {"NaN", "\"NaN\""}, {"-Infinity", "\"-Infinity\""}, {"1e+300", "1e+300"}});
  check(decimal_spec("n", 20, 3),
        [](ColumnVector& v) {
          v.append_bytes(decimal_bytes(-1234567));
          v.append_bytes(decimal_bytes(5));
        },
        {{"-1234.567", "\"-1234.567\""}, {"0.005", "\"0.005\""}});
  check(spec("day", PhysicalType::kInt32, LogicalType::kDate),
        [](ColumnVector& v) {
          v.append_int32(19723);  // 2024-01-01
          v.append_int32(-719528);
        },
        {{"2024-01-01", "\"2024-01-01\""}, {"0001-01-01 BC", "\"0001-01-01 BC\""}});
  ColumnSpec utc = spec("ts", PhysicalType::kInt64, LogicalType::kTimestampMicros);
  utc.utc_adjusted = true;
  check(utc, [](ColumnVector& v) { v.append_int64(1704067200123456); },
        {{"2024-01-01 00:00:00.123456+00", "\"2024-01-01 00:00:00.123456+00\""}});
  check(spec("ts", PhysicalType::kInt64, LogicalType::kTimestampMillis),
        [](ColumnVector& v) { v.append_int64(1704067200120); },
        {{"2024-01-01 00:00:00.12", "\"2024-01-01 00:00:00.12\""}});
  check(spec("t", PhysicalType::kInt64, LogicalType::kTimeMicros),
        [](ColumnVector& v) { v.append_int64(3723000001); },
        {{"01:02:03.000001", "\"01:02:03.000001\""}});
  check(spec("s", PhysicalType::kByteArray, LogicalType::kString),
        [](ColumnVector& v) {
          v.append_bytes("a \"quoted\"\nline\x01");
          v.append_bytes("bad \xff utf8");
          v.append_bytes("");
        },
        {{"a \"quoted\"\nline\x01", "\"a \\\"quoted\\\"\\nline\\u0001\""},
         {"bad \xff utf8", "\"bad \xef\xbf\xbd utf8\""},
         {"", "\"\""}});
  check(spec("x", PhysicalType::kByteArray, LogicalType::kNone),
        [](ColumnVector& v) { v.append_bytes(std::string("\x00\xab", 2)); }, {{"\\x00ab", "\"\\\\x00ab\""}});
}

TEST(ParquetValueText, AnnotationsOfOtherWritersAreShown) {
  // Unsigned integers (logical type and legacy converted type), DECIMAL on INT64, JSON, ENUM and UUID.
  std::string u64 = with_footer(
      one_column_file(spec("u", PhysicalType::kInt64, LogicalType::kNone),
                      [](ColumnVector& v) {
                        v.append_int64(-1);
                        v.append_int64(7);
                      }),
      [](pt::FileMetaData& m) {
        pt::IntType integer;
        integer.__set_bitWidth(64);
        integer.__set_isSigned(false);
        pt::LogicalType logical;
        logical.__set_INTEGER(integer);
        m.schema[1].__set_logicalType(logical);
      });
  EXPECT_EQ(rendered(u64), (std::vector<std::pair<std::string, std::string>>{
                               {"18446744073709551615", "\"18446744073709551615\""}, {"7", "7"}}));

  std::string u32 = with_footer(one_column_file(spec("u", PhysicalType::kInt32, LogicalType::kNone),
                                                [](ColumnVector& v) { v.append_int32(-2); }),
                                [](pt::FileMetaData& m) { m.schema[1].__set_converted_type(pt::ConvertedType::UINT_32); });
  EXPECT_EQ(rendered(u32), (std::vector<std::pair<std::string, std::string>>{{"4294967294", "4294967294"}}));

  std::string dec = with_footer(one_column_file(spec("d", PhysicalType::kInt64, LogicalType::kNone),
                                                [](ColumnVector& v) { v.append_int64(-12345); }),
                                [](pt::FileMetaData& m) {
                                  pt::DecimalType decimal;
                                  decimal.__set_precision(18);
                                  decimal.__set_scale(2);
                                  pt::LogicalType logical;
                                  logical.__set_DECIMAL(decimal);
                                  m.schema[1].__set_logicalType(logical);
                                });
  EXPECT_EQ(rendered(dec), (std::vector<std::pair<std::string, std::string>>{{"-123.45", "\"-123.45\""}}));

  for (auto converted : {pt::ConvertedType::JSON, pt::ConvertedType::ENUM}) {
    std::string file = with_footer(one_column_file(spec("j", PhysicalType::kByteArray, LogicalType::kNone),
                                                   [](ColumnVector& v) { v.append_bytes("{\"a\":1}"); }),
                                   [&](pt::FileMetaData& m) { m.schema[1].__set_converted_type(converted); });
    EXPECT_EQ(rendered(file), (std::vector<std::pair<std::string, std::string>>{{"{\"a\":1}", "\"{\\\"a\\\":1}\""}}));
  }

  ColumnSpec fixed = spec("id", PhysicalType::kFixedLenByteArray, LogicalType::kNone);
  fixed.fixed_length = 16;
  std::string uuid = with_footer(
      one_column_file(fixed, [](ColumnVector& v) { v.append_bytes("\x12\x34\x56\x78\x9a\xbc\xde\xf0\x01\x23\x45\x67\x89\xab\xcd\xef"); },
                      ParquetEncoding::kRleDictionary),
      [](pt::FileMetaData& m) {
        pt::LogicalType logical;
        logical.__set_UUID(pt::UUIDType());
        m.schema[1].__set_logicalType(logical);
      });
  EXPECT_EQ(rendered(uuid), (std::vector<std::pair<std::string, std::string>>{
                                {"12345678-9abc-def0-0123-456789abcdef", "\"12345678-9abc-def0-0123-456789abcdef\""}}));

  std::string nanos = with_footer(one_column_file(spec("ts", PhysicalType::kInt64, LogicalType::kNone),
                                                  [](ColumnVector& v) { v.append_int64(1704067200000000001); }),
                                  [](pt::FileMetaData& m) {
                                    pt::TimeUnit unit;
                                    unit.__set_NANOS(pt::NanoSeconds());
                                    pt::TimestampType timestamp;
                                    timestamp.__set_isAdjustedToUTC(false);
                                    timestamp.__set_unit(unit);
                                    pt::LogicalType logical;
                                    logical.__set_TIMESTAMP(timestamp);
                                    m.schema[1].__set_logicalType(logical);
                                  });
  EXPECT_EQ(rendered(nanos), (std::vector<std::pair<std::string, std::string>>{
                                 {"2024-01-01 00:00:00.000000001", "\"2024-01-01 00:00:00.000000001\""}}));
}

TEST(ParquetValueText, Int96TimestampsAreRead) {
  ColumnSpec fixed = spec("legacy", PhysicalType::kFixedLenByteArray, LogicalType::kNone);
  fixed.fixed_length = 12;
  // 2024-01-01 00:00:01.5: Julian day 2460311, 1.5 s of nanoseconds.
  std::string value(12, '\0');
  int64_t nanos = 1500000000;
  int32_t julian = 2460311;
  std::memcpy(value.data(), &nanos, 8);
  std::memcpy(value.data() + 8, &julian, 4);
  for (ParquetEncoding encoding : {ParquetEncoding::kPlain, ParquetEncoding::kRleDictionary}) {
    std::string file = with_footer(one_column_file(fixed,
                                                   [&](ColumnVector& v) {
                                                     v.append_bytes(value);
                                                     v.append_null();
                                                   },
                                                   encoding),
                                   [](pt::FileMetaData& m) {
                                     m.schema[1].__set_type(pt::Type::INT96);
                                     m.schema[1].__isset.type_length = false;
                                     m.row_groups[0].columns[0].meta_data.type = pt::Type::INT96;
                                   });
    MemoryParquetSource source(file);
    auto reader = ParquetFileReader::open(&source);
    ASSERT_TRUE(reader.is_ok()) << reader.status().message();
    EXPECT_EQ((*reader)->columns()[0].physical_name, "INT96");
    EXPECT_EQ(rendered(file), (std::vector<std::pair<std::string, std::string>>{
                                  {"2024-01-01 00:00:01.5", "\"2024-01-01 00:00:01.5\""}, {"NULL", "null"}}));
  }
}

TEST(ParquetReader, UnsupportedFeaturesAreDataErrorsNamingTheColumn) {
  std::string file = one_column_file(spec("c", PhysicalType::kInt32, LogicalType::kNone),
                                     [](ColumnVector& v) { v.append_int32(1); });
  std::string lz4 = with_footer(file, [](pt::FileMetaData& m) {
    m.row_groups[0].columns[0].meta_data.codec = pt::CompressionCodec::LZ4_RAW;
  });
  MemoryParquetSource source(lz4);
  auto reader = ParquetFileReader::open(&source);
  ASSERT_TRUE(reader.is_ok());
  RecordBatch batch;
  Status s = (*reader)->read_row_group(0, &batch);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  EXPECT_NE(s.message().find("column \"c\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("LZ4_RAW"), std::string::npos) << s.message();

  std::string nested = with_footer(file, [](pt::FileMetaData& m) { m.schema[0].__set_num_children(5); });
  EXPECT_EQ(read_parquet_file(nested).status().code(), StatusCode::kDataError);

  std::string repeated = with_footer(
      file, [](pt::FileMetaData& m) { m.schema[1].__set_repetition_type(pt::FieldRepetitionType::REPEATED); });
  Result<RecordBatch> r = read_parquet_file(repeated);
  EXPECT_EQ(r.status().code(), StatusCode::kDataError);
  EXPECT_NE(r.status().message().find("\"c\""), std::string::npos) << r.status().message();
}

TEST(ParquetReader, NotParquetAndTruncatedFilesAreDataErrors) {
  EXPECT_EQ(read_parquet_file("").status().code(), StatusCode::kDataError);
  EXPECT_EQ(read_parquet_file("id,name\n1,a\n").status().code(), StatusCode::kDataError);
  RecordBatch batch = reader_batch(100, 3);
  std::string file = write_file(batch.schema, ParquetWriterOptions(), {&batch});
  Result<RecordBatch> r = read_parquet_file(file.substr(0, file.size() - 1));
  EXPECT_EQ(r.status().code(), StatusCode::kDataError);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
}

// Truncations and random corruption must end in a value or a kDataError, never a crash or a hang.
TEST(ParquetReader, CorruptFilesNeverCrash) {
  RecordBatch batch = reader_batch(300, 11);
  for (auto [version, compression] : {std::pair{ParquetVersion::kV1, Compression::kNone},
                                      std::pair{ParquetVersion::kV2, Compression::kSnappy},
                                      std::pair{ParquetVersion::kV1, Compression::kZstd},
                                      std::pair{ParquetVersion::kV2, Compression::kGzip}}) {
    ParquetWriterOptions options;
    options.version = version;
    options.compression = compression;
    options.row_group_length = 120;
    options.data_page_size = 512;
    std::string file = write_file(batch.schema, options, {&batch});
    for (size_t cut = 0; cut < file.size(); cut += 1 + cut / 16) {
      Result<RecordBatch> r = read_parquet_file(file.substr(0, cut));
      EXPECT_FALSE(r.is_ok()) << "truncated to " << cut;
      if (!r.is_ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kDataError) << r.status().message();
      }
    }
    std::mt19937_64 rng(99);
    int failures = 0;
    for (int round = 0; round < 400; ++round) {
      std::string bad = file;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
      Result<RecordBatch> r = read_parquet_file(bad);
      if (!r.is_ok()) {
        ++failures;
        EXPECT_EQ(r.status().code(), StatusCode::kDataError) << r.status().message();
      }
    }
    EXPECT_GT(failures, 0);
    // Corruption inside the page region only (the footer intact), where the decoders, not Thrift, must cope.
    uint32_t footer;
    std::memcpy(&footer, file.data() + file.size() - 8, 4);
    size_t data_end = file.size() - 8 - footer;
    for (int round = 0; round < 400; ++round) {
      std::string bad = file;
      for (int f = 0; f < 3; ++f) bad[4 + rng() % (data_end - 4)] = static_cast<char>(rng());
      Result<RecordBatch> r = read_parquet_file(bad);
      if (!r.is_ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kDataError) << r.status().message();
      }
    }
  }
}

}  // namespace
}  // namespace pgs3
