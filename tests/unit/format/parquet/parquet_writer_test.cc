#include "format/parquet/parquet_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "format/parquet/rle_bit_packed.h"
#include "format/parquet/thrift_codec.h"
#include "parquet_test_util.h"

namespace pgs3 {
namespace {

namespace pt = parquet_thrift;
using namespace parquet_test;  // NOLINT(google-build-using-namespace)

std::vector<ColumnSpec> all_types_schema() {
  std::vector<ColumnSpec> s = {
      spec("flag", PhysicalType::kBoolean, LogicalType::kNone),
      spec("small", PhysicalType::kInt32, LogicalType::kInt16),
      spec("tiny", PhysicalType::kInt32, LogicalType::kInt8, false),
      spec("i32", PhysicalType::kInt32, LogicalType::kNone),
      spec("i64", PhysicalType::kInt64, LogicalType::kNone, false),
      spec("f32", PhysicalType::kFloat, LogicalType::kNone),
      spec("f64", PhysicalType::kDouble, LogicalType::kNone),
      spec("text", PhysicalType::kByteArray, LogicalType::kString),
      spec("low_card", PhysicalType::kByteArray, LogicalType::kString, false),
      spec("blob", PhysicalType::kByteArray, LogicalType::kNone),
      decimal_spec("amount", 38, 4),
      spec("day", PhysicalType::kInt32, LogicalType::kDate),
      spec("t_us", PhysicalType::kInt64, LogicalType::kTimeMicros),
      spec("t_ms", PhysicalType::kInt32, LogicalType::kTimeMillis),
      spec("ts_us", PhysicalType::kInt64, LogicalType::kTimestampMicros),
      spec("ts_ms", PhysicalType::kInt64, LogicalType::kTimestampMillis),
  };
  s[14].utc_adjusted = true;
  return s;
}

// Rows of every type with NULLs, extremes and both high- and low-cardinality columns.
RecordBatch all_types_batch(size_t rows, unsigned seed) {
  std::mt19937_64 rng(seed);
  RecordBatch batch(all_types_schema());
  auto null_now = [&](size_t c) { return batch.schema[c].nullable && rng() % 7 == 0; };
  for (size_t r = 0; r < rows; ++r) {
    auto& col = batch.columns;
    null_now(0) ? col[0].append_null() : col[0].append_bool(rng() & 1);
    null_now(1) ? col[1].append_null() : col[1].append_int32(static_cast<int16_t>(rng()));
    col[2].append_int32(static_cast<int8_t>(rng() % 5));
    static const int32_t kInt32s[] = {0, -1, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    null_now(3) ? col[3].append_null()
                : col[3].append_int32(r % 10 == 0 ? kInt32s[r / 10 % 4] : static_cast<int32_t>(rng()));
    static const int64_t kInt64s[] = {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0};
    col[4].append_int64(r % 13 == 0 ? kInt64s[r / 13 % 3] : static_cast<int64_t>(rng()));
    static const float kFloats[] = {std::numeric_limits<float>::quiet_NaN(),
                                    std::numeric_limits<float>::infinity(),
                                    -std::numeric_limits<float>::infinity(),
                                    -0.0f,
                                    0.0f,
                                    1.5f};
    null_now(5) ? col[5].append_null() : col[5].append_float(kFloats[rng() % 6]);
    static const double kDoubles[] = {std::numeric_limits<double>::quiet_NaN(), -0.0, 0.0,
                                      std::numeric_limits<double>::lowest(), std::numeric_limits<double>::max()};
    null_now(6) ? col[6].append_null()
                : col[6].append_double(r % 3 == 0 ? kDoubles[rng() % 5] : static_cast<double>(rng()) / 7.0);
    if (null_now(7)) {
      col[7].append_null();
    } else {
      std::string text = r % 17 == 0 ? "" : "h\xc3\xa9llo-" + std::to_string(rng() % 100000);
      if (r % 101 == 0) text.append(300, 'z');
      col[7].append_bytes(text);
    }
    col[8].append_bytes(r % 3 == 0 ? "alpha" : r % 3 == 1 ? "beta" : "\xe2\x82\xac");
    if (null_now(9)) {
      col[9].append_null();
    } else {
      std::string blob(rng() % 12, '\0');
      for (char& ch : blob) ch = static_cast<char>(rng());
      col[9].append_bytes(blob);
    }
    null_now(10) ? col[10].append_null()
                 : col[10].append_bytes(decimal_bytes(static_cast<int64_t>(rng()) >> (rng() % 60)));
    null_now(11) ? col[11].append_null() : col[11].append_int32(static_cast<int32_t>(rng() % 40000) - 20000);
    null_now(12) ? col[12].append_null() : col[12].append_int64(static_cast<int64_t>(rng() % 86400000000ull));
    null_now(13) ? col[13].append_null() : col[13].append_int32(static_cast<int32_t>(rng() % 86400000));
    null_now(14) ? col[14].append_null() : col[14].append_int64(static_cast<int64_t>(rng()));
    null_now(15) ? col[15].append_null() : col[15].append_int64(static_cast<int64_t>(rng() % 1000));
  }
  return batch;
}

// Page headers of column chunk `c` of row group `g`.
std::vector<pt::PageHeader> page_headers(const std::string& file, const pt::FileMetaData& meta, size_t g, size_t c,
                                         std::vector<std::string_view>* bodies = nullptr) {
  const pt::ColumnMetaData& chunk = meta.row_groups[g].columns[c].meta_data;
  int64_t start = chunk.__isset.dictionary_page_offset ? chunk.dictionary_page_offset : chunk.data_page_offset;
  std::string_view rest =
      std::string_view(file).substr(static_cast<size_t>(start), static_cast<size_t>(chunk.total_compressed_size));
  std::vector<pt::PageHeader> headers;
  while (!rest.empty()) {
    pt::PageHeader header;
    Result<uint32_t> used = thrift_deserialize(rest, &header, "page header");
    EXPECT_TRUE(used.is_ok()) << used.status().message();
    if (!used.is_ok()) break;
    rest.remove_prefix(*used);
    if (bodies) bodies->push_back(rest.substr(0, static_cast<size_t>(header.compressed_page_size)));
    rest.remove_prefix(static_cast<size_t>(header.compressed_page_size));
    headers.push_back(header);
  }
  return headers;
}

class ParquetWriterRoundTrip
    : public ::testing::TestWithParam<std::tuple<ParquetVersion, Compression, ParquetEncoding>> {};

TEST_P(ParquetWriterRoundTrip, EveryTypeReadsBackExactly) {
  ParquetWriterOptions options;
  options.version = std::get<0>(GetParam());
  options.compression = std::get<1>(GetParam());
  options.encoding = std::get<2>(GetParam());
  options.row_group_length = 1000;
  options.data_page_size = 4096;        // several pages per chunk
  options.dict_page_size_limit = 2048;  // high-cardinality columns fall back to PLAIN
  RecordBatch a = all_types_batch(1, 1);
  RecordBatch b = all_types_batch(999, 2);
  RecordBatch c = all_types_batch(2345, 3);
  std::string file = write_file(a.schema, options, {&a, &b, &c});
  RecordBatch want(a.schema);
  append_batch(a, &want);
  append_batch(b, &want);
  append_batch(c, &want);
  Result<RecordBatch> got = read_parquet_file(file);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  expect_batches_equal(want, *got);
  pt::FileMetaData meta = metadata_of(file);
  EXPECT_EQ(meta.num_rows, 3345);
  EXPECT_EQ(meta.row_groups.size(), 4u);
}

std::string layout_name(
    const ::testing::TestParamInfo<std::tuple<ParquetVersion, Compression, ParquetEncoding>>& info) {
  static const char* kEncodings[] = {"plain", "plain_dictionary", "rle_dictionary"};
  return std::string(std::get<0>(info.param) == ParquetVersion::kV1 ? "v1_" : "v2_") +
         compression_name(std::get<1>(info.param)) + "_" + kEncodings[static_cast<int>(std::get<2>(info.param))];
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, ParquetWriterRoundTrip,
                         ::testing::Combine(::testing::Values(ParquetVersion::kV1, ParquetVersion::kV2),
                                            ::testing::Values(Compression::kNone, Compression::kSnappy,
                                                              Compression::kGzip, Compression::kZstd),
                                            ::testing::Values(ParquetEncoding::kPlain,
                                                              ParquetEncoding::kPlainDictionary,
                                                              ParquetEncoding::kRleDictionary)),
                         layout_name);

TEST(ParquetWriter, FileHasMagicAtBothEndsAndAFooterLength) {
  RecordBatch batch = all_types_batch(10, 4);
  std::string file = write_file(batch.schema, {}, {&batch});
  ASSERT_GT(file.size(), 12u);
  EXPECT_EQ(file.substr(0, 4), "PAR1");
  EXPECT_EQ(file.substr(file.size() - 4), "PAR1");
  uint32_t length;
  std::memcpy(&length, file.data() + file.size() - 8, 4);
  pt::FileMetaData meta;
  Result<uint32_t> used =
      thrift_deserialize(std::string_view(file).substr(file.size() - 8 - length, length), &meta, "footer");
  ASSERT_TRUE(used.is_ok());
  EXPECT_EQ(*used, length);
  EXPECT_EQ(meta.version, 1);
  EXPECT_EQ(meta.created_by, "pgs3 version " PGS3_VERSION);
}

TEST(ParquetWriter, RowGroupsAreCutAtRowGroupLengthWhateverTheBatchSizes) {
  std::vector<ColumnSpec> schema = {spec("id", PhysicalType::kInt64, LogicalType::kNone, false)};
  ParquetWriterOptions options;
  options.row_group_length = 30;
  StringOutputStream out;
  ParquetWriter writer(schema, options, &out);
  int64_t id = 0;
  for (int b = 0; b < 20; ++b) {
    RecordBatch batch(schema);
    for (int r = 0; r < 7; ++r) batch.columns[0].append_int64(id++);
    ASSERT_TRUE(writer.write(batch).is_ok());
    // A row group reaches the output as soon as it is complete, not at finish().
    if (id >= 30) {
      EXPECT_GT(out.position(), 4u);
    }
  }
  EXPECT_EQ(writer.rows(), 140u);
  ASSERT_TRUE(writer.finish({}).is_ok());
  pt::FileMetaData meta = metadata_of(out.data());
  std::vector<int64_t> sizes;
  for (const auto& g : meta.row_groups) sizes.push_back(g.num_rows);
  EXPECT_EQ(sizes, (std::vector<int64_t>{30, 30, 30, 30, 20}));
  for (size_t g = 0; g < meta.row_groups.size(); ++g) {
    EXPECT_EQ(meta.row_groups[g].ordinal, static_cast<int16_t>(g));
    // The row group starts with its first column chunk, which starts with its dictionary page.
    EXPECT_EQ(meta.row_groups[g].file_offset, meta.row_groups[g].columns[0].meta_data.dictionary_page_offset);
  }
  Result<RecordBatch> got = read_parquet_file(out.data());
  ASSERT_TRUE(got.is_ok());
  for (int64_t i = 0; i < 140; ++i) ASSERT_EQ(got->columns[0].fixed_at<int64_t>(static_cast<size_t>(i)), i);
}

TEST(ParquetWriter, DataPagesAreCutAtDataPageSize) {
  for (ParquetVersion version : {ParquetVersion::kV1, ParquetVersion::kV2}) {
    std::vector<ColumnSpec> schema = {spec("id", PhysicalType::kInt64, LogicalType::kNone, false)};
    ParquetWriterOptions options;
    options.encoding = ParquetEncoding::kPlain;
    options.version = version;
    options.data_page_size = 8000;
    options.row_group_length = 100000;
    RecordBatch batch(schema);
    for (int64_t i = 0; i < 10000; ++i) batch.columns[0].append_int64(i);
    std::string file = write_file(schema, options, {&batch});
    pt::FileMetaData meta = metadata_of(file);
    std::vector<pt::PageHeader> pages = page_headers(file, meta, 0, 0);
    ASSERT_EQ(pages.size(), 10u);  // 80000 bytes of values in pages of 8000
    for (const auto& page : pages) {
      EXPECT_EQ(page.uncompressed_page_size, 8000);
      EXPECT_EQ(page.type, version == ParquetVersion::kV1 ? pt::PageType::DATA_PAGE : pt::PageType::DATA_PAGE_V2);
    }
  }
}

TEST(ParquetWriter, PagesHoldAtMostTwentyThousandRows) {
  std::vector<ColumnSpec> schema = {spec("b", PhysicalType::kBoolean, LogicalType::kNone)};
  ParquetWriterOptions options;
  options.row_group_length = 100000;
  RecordBatch batch(schema);
  for (int i = 0; i < 50000; ++i) i % 5 ? batch.columns[0].append_bool(i % 2) : batch.columns[0].append_null();
  std::string file = write_file(schema, options, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  std::vector<pt::PageHeader> pages = page_headers(file, meta, 0, 0);
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0].data_page_header.num_values, 20000);
  EXPECT_EQ(pages[2].data_page_header.num_values, 10000);
  Result<RecordBatch> got = read_parquet_file(file);
  ASSERT_TRUE(got.is_ok());
  expect_batches_equal(batch, *got);
}

// Encoding of each data page of a chunk, from its page headers.
std::vector<pt::Encoding::type> data_page_encodings(const std::vector<pt::PageHeader>& pages) {
  std::vector<pt::Encoding::type> out;
  for (const auto& page : pages) {
    if (page.type == pt::PageType::DATA_PAGE) out.push_back(page.data_page_header.encoding);
    if (page.type == pt::PageType::DATA_PAGE_V2) out.push_back(page.data_page_header_v2.encoding);
  }
  return out;
}

TEST(ParquetWriter, DictionaryFallsBackToPlainOnceItIsFull) {
  std::vector<ColumnSpec> schema = {spec("s", PhysicalType::kByteArray, LogicalType::kString)};
  ParquetWriterOptions options;
  options.dict_page_size_limit = 1000;  // 40 entries of 21 + 4 bytes
  options.row_group_length = 500;
  RecordBatch batch(schema);
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 == 9) {
      batch.columns[0].append_null();
    } else {
      char value[32];
      std::snprintf(value, sizeof(value), "value-%015d", i % 400);
      batch.columns[0].append_bytes(value);
    }
  }
  std::string file = write_file(schema, options, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  ASSERT_EQ(meta.row_groups.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {  // each chunk starts with a fresh dictionary, then falls back
    std::vector<pt::PageHeader> pages = page_headers(file, meta, g, 0);
    ASSERT_GE(pages.size(), 2u);
    ASSERT_EQ(pages[0].type, pt::PageType::DICTIONARY_PAGE);
    EXPECT_EQ(pages[0].dictionary_page_header.num_values, 40);
    EXPECT_LE(pages[0].uncompressed_page_size, 1000);
    std::vector<pt::Encoding::type> encodings = data_page_encodings(pages);
    EXPECT_EQ(encodings.front(), pt::Encoding::RLE_DICTIONARY);
    EXPECT_EQ(encodings.back(), pt::Encoding::PLAIN);
    // Once PLAIN, the rest of the chunk stays PLAIN.
    auto first_plain = std::find(encodings.begin(), encodings.end(), pt::Encoding::PLAIN);
    EXPECT_TRUE(std::all_of(first_plain, encodings.end(), [](auto e) { return e == pt::Encoding::PLAIN; }));
    const auto& chunk = meta.row_groups[g].columns[0].meta_data;
    EXPECT_TRUE(chunk.__isset.dictionary_page_offset);
    std::vector<pt::Encoding::type> expected = {pt::Encoding::PLAIN, pt::Encoding::RLE, pt::Encoding::RLE_DICTIONARY};
    EXPECT_EQ(chunk.encodings, expected);
  }
  Result<RecordBatch> got = read_parquet_file(file);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  expect_batches_equal(batch, *got);
}

TEST(ParquetWriter, FixedWidthDictionaryFallsBackToo) {
  std::vector<ColumnSpec> schema = {spec("v", PhysicalType::kDouble, LogicalType::kNone, false)};
  ParquetWriterOptions options;
  options.dict_page_size_limit = 800;  // 100 doubles
  RecordBatch batch(schema);
  for (int i = 0; i < 5000; ++i) batch.columns[0].append_double(i % 300 * 0.5);
  std::string file = write_file(schema, options, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  std::vector<pt::PageHeader> pages = page_headers(file, meta, 0, 0);
  EXPECT_EQ(pages[0].dictionary_page_header.num_values, 100);
  std::vector<pt::Encoding::type> encodings = data_page_encodings(pages);
  EXPECT_EQ(encodings.front(), pt::Encoding::RLE_DICTIONARY);
  EXPECT_EQ(encodings.back(), pt::Encoding::PLAIN);
  Result<RecordBatch> got = read_parquet_file(file);
  ASSERT_TRUE(got.is_ok());
  expect_batches_equal(batch, *got);
}

TEST(ParquetWriter, EncodingTypeChoosesTheEncodingIds) {
  std::vector<ColumnSpec> schema = {spec("s", PhysicalType::kByteArray, LogicalType::kString)};
  RecordBatch batch(schema);
  for (int i = 0; i < 100; ++i) batch.columns[0].append_bytes(i % 2 ? "x" : "y");
  struct Case {
    ParquetEncoding encoding;
    bool dictionary;
    pt::Encoding::type dictionary_page;
    pt::Encoding::type data_page;
  };
  for (Case c :
       {Case{ParquetEncoding::kPlain, false, pt::Encoding::PLAIN, pt::Encoding::PLAIN},
        Case{ParquetEncoding::kPlainDictionary, true, pt::Encoding::PLAIN_DICTIONARY, pt::Encoding::PLAIN_DICTIONARY},
        Case{ParquetEncoding::kRleDictionary, true, pt::Encoding::PLAIN, pt::Encoding::RLE_DICTIONARY}}) {
    ParquetWriterOptions options;
    options.encoding = c.encoding;
    std::string file = write_file(schema, options, {&batch});
    pt::FileMetaData meta = metadata_of(file);
    std::vector<pt::PageHeader> pages = page_headers(file, meta, 0, 0);
    const auto& chunk = meta.row_groups[0].columns[0].meta_data;
    EXPECT_EQ(chunk.__isset.dictionary_page_offset, c.dictionary);
    if (c.dictionary) {
      ASSERT_EQ(pages[0].type, pt::PageType::DICTIONARY_PAGE);
      EXPECT_EQ(pages[0].dictionary_page_header.encoding, c.dictionary_page);
      EXPECT_EQ(pages[0].dictionary_page_header.num_values, 2);
    }
    EXPECT_EQ(data_page_encodings(pages), std::vector<pt::Encoding::type>{c.data_page});
    EXPECT_TRUE(std::find(chunk.encodings.begin(), chunk.encodings.end(), c.data_page) != chunk.encodings.end());
  }
}

TEST(ParquetWriter, ChunkStatisticsFollowEachTypesOrder) {
  std::vector<ColumnSpec> schema = {spec("i", PhysicalType::kInt32, LogicalType::kNone),
                                    spec("s", PhysicalType::kByteArray, LogicalType::kString), decimal_spec("d", 20, 2),
                                    spec("f", PhysicalType::kFloat, LogicalType::kNone)};
  RecordBatch batch(schema);
  int32_t ints[] = {3, -7, 12};
  const char* strings[] = {"b", "\xc3\xa9", "a"};
  int64_t decimals[] = {5, -300, 2};
  float floats[] = {std::nanf(""), 0.0f, 2.0f};
  for (int r = 0; r < 4; ++r) {
    if (r == 3) {
      for (auto& col : batch.columns) col.append_null();
      continue;
    }
    batch.columns[0].append_int32(ints[r]);
    batch.columns[1].append_bytes(strings[r]);
    batch.columns[2].append_bytes(decimal_bytes(decimals[r]));
    batch.columns[3].append_float(floats[r]);
  }
  std::string file = write_file(schema, {}, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  auto stats = [&](size_t c) { return meta.row_groups[0].columns[c].meta_data.statistics; };
  int32_t min_i, max_i;
  std::memcpy(&min_i, stats(0).min_value.data(), 4);
  std::memcpy(&max_i, stats(0).max_value.data(), 4);
  EXPECT_EQ(min_i, -7);
  EXPECT_EQ(max_i, 12);
  EXPECT_EQ(stats(0).null_count, 1);
  EXPECT_FALSE(stats(0).__isset.distinct_count);
  EXPECT_EQ(stats(1).min_value, "a");
  EXPECT_EQ(stats(1).max_value, "\xc3\xa9");
  EXPECT_EQ(stats(2).min_value, decimal_bytes(-300));
  EXPECT_EQ(stats(2).max_value, decimal_bytes(5));
  float min_f, max_f;
  std::memcpy(&min_f, stats(3).min_value.data(), 4);
  std::memcpy(&max_f, stats(3).max_value.data(), 4);
  EXPECT_TRUE(std::signbit(min_f));
  EXPECT_EQ(min_f, 0.0f);
  EXPECT_EQ(max_f, 2.0f);
  EXPECT_EQ(stats(3).nan_count, 1);
  // Page headers carry the page's statistics too.
  std::vector<pt::PageHeader> pages = page_headers(file, meta, 0, 0);
  EXPECT_EQ(pages.back().data_page_header.statistics.min_value, stats(0).min_value);
  // Every column is ordered by its type.
  ASSERT_EQ(meta.column_orders.size(), schema.size());
  for (const auto& order : meta.column_orders) EXPECT_TRUE(order.__isset.TYPE_ORDER);
}

TEST(ParquetWriter, StatisticsCanBeTurnedOff) {
  std::vector<ColumnSpec> schema = {spec("i", PhysicalType::kInt32, LogicalType::kNone)};
  RecordBatch batch(schema);
  batch.columns[0].append_int32(1);
  ParquetWriterOptions options;
  options.enable_statistics = false;
  std::string file = write_file(schema, options, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  EXPECT_FALSE(meta.row_groups[0].columns[0].meta_data.__isset.statistics);
  std::vector<pt::PageHeader> pages = page_headers(file, meta, 0, 0);
  EXPECT_FALSE(pages.back().data_page_header.__isset.statistics);
}

TEST(ParquetWriter, SchemaCarriesLogicalAndConvertedTypes) {
  std::vector<ColumnSpec> schema = all_types_schema();
  RecordBatch batch = all_types_batch(3, 9);
  std::string file = write_file(schema, {}, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  ASSERT_EQ(meta.schema.size(), schema.size() + 1);
  EXPECT_EQ(meta.schema[0].name, "schema");
  EXPECT_EQ(meta.schema[0].num_children, static_cast<int32_t>(schema.size()));
  EXPECT_FALSE(meta.schema[0].__isset.repetition_type);
  auto element = [&](const std::string& name) {
    for (const auto& e : meta.schema) {
      if (e.name == name) return e;
    }
    ADD_FAILURE() << name;
    return pt::SchemaElement();
  };
  EXPECT_EQ(element("flag").repetition_type, pt::FieldRepetitionType::OPTIONAL);
  EXPECT_EQ(element("tiny").repetition_type, pt::FieldRepetitionType::REQUIRED);
  EXPECT_FALSE(element("flag").__isset.logicalType);
  EXPECT_FALSE(element("blob").__isset.converted_type);
  EXPECT_EQ(element("text").converted_type, pt::ConvertedType::UTF8);
  EXPECT_TRUE(element("text").logicalType.__isset.STRING);
  EXPECT_EQ(element("small").converted_type, pt::ConvertedType::INT_16);
  EXPECT_EQ(element("small").logicalType.INTEGER.bitWidth, 16);
  EXPECT_TRUE(element("small").logicalType.INTEGER.isSigned);
  EXPECT_EQ(element("tiny").converted_type, pt::ConvertedType::INT_8);
  pt::SchemaElement amount = element("amount");
  EXPECT_EQ(amount.type, pt::Type::FIXED_LEN_BYTE_ARRAY);
  EXPECT_EQ(amount.type_length, 16);
  EXPECT_EQ(amount.converted_type, pt::ConvertedType::DECIMAL);
  EXPECT_EQ(amount.precision, 38);
  EXPECT_EQ(amount.scale, 4);
  EXPECT_EQ(amount.logicalType.DECIMAL.precision, 38);
  EXPECT_EQ(amount.logicalType.DECIMAL.scale, 4);
  EXPECT_EQ(element("day").converted_type, pt::ConvertedType::DATE);
  EXPECT_EQ(element("t_us").converted_type, pt::ConvertedType::TIME_MICROS);
  EXPECT_TRUE(element("t_us").logicalType.TIME.unit.__isset.MICROS);
  EXPECT_FALSE(element("t_us").logicalType.TIME.isAdjustedToUTC);
  EXPECT_EQ(element("t_ms").converted_type, pt::ConvertedType::TIME_MILLIS);
  EXPECT_EQ(element("ts_us").converted_type, pt::ConvertedType::TIMESTAMP_MICROS);
  EXPECT_TRUE(element("ts_us").logicalType.TIMESTAMP.isAdjustedToUTC);
  EXPECT_EQ(element("ts_ms").converted_type, pt::ConvertedType::TIMESTAMP_MILLIS);
  EXPECT_TRUE(element("ts_ms").logicalType.TIMESTAMP.unit.__isset.MILLIS);
  EXPECT_FALSE(element("ts_ms").logicalType.TIMESTAMP.isAdjustedToUTC);
}

TEST(ParquetWriter, V2PagesKeepLevelsUncompressedAndApart) {
  std::vector<ColumnSpec> schema = {spec("s", PhysicalType::kByteArray, LogicalType::kString)};
  RecordBatch batch(schema);
  for (int i = 0; i < 100; ++i) i % 4 ? batch.columns[0].append_bytes("text") : batch.columns[0].append_null();
  ParquetWriterOptions options;
  options.version = ParquetVersion::kV2;
  options.compression = Compression::kGzip;
  options.encoding = ParquetEncoding::kPlain;
  std::string file = write_file(schema, options, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  std::vector<std::string_view> bodies;
  std::vector<pt::PageHeader> pages = page_headers(file, meta, 0, 0, &bodies);
  ASSERT_EQ(pages.size(), 1u);
  const pt::DataPageHeaderV2& v2 = pages[0].data_page_header_v2;
  EXPECT_EQ(v2.num_values, 100);
  EXPECT_EQ(v2.num_rows, 100);
  EXPECT_EQ(v2.num_nulls, 25);
  EXPECT_EQ(v2.repetition_levels_byte_length, 0);
  EXPECT_TRUE(v2.is_compressed);
  // The levels are readable straight from the page, without decompressing and without a length prefix.
  std::vector<uint32_t> levels(100);
  ASSERT_TRUE(decode_rle_bit_packed(bodies[0].substr(0, static_cast<size_t>(v2.definition_levels_byte_length)), 1, 100,
                                    levels.data())
                  .is_ok());
  for (size_t i = 0; i < 100; ++i) EXPECT_EQ(levels[i], i % 4 ? 1u : 0u);
  EXPECT_EQ(static_cast<uint8_t>(bodies[0][static_cast<size_t>(v2.definition_levels_byte_length)]), 0x1f);  // gzip
}

TEST(ParquetWriter, V2PageOfOnlyNullsHasAnUncompressedEmptyValuesSection) {
  std::vector<ColumnSpec> schema = {spec("d", PhysicalType::kDouble, LogicalType::kNone)};
  RecordBatch batch(schema);
  for (int i = 0; i < 10; ++i) batch.columns[0].append_null();
  ParquetWriterOptions options;
  options.version = ParquetVersion::kV2;
  options.compression = Compression::kZstd;
  std::string file = write_file(schema, options, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  std::vector<pt::PageHeader> pages = page_headers(file, meta, 0, 0);
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_FALSE(pages[0].data_page_header_v2.is_compressed);
  EXPECT_EQ(pages[0].compressed_page_size, pages[0].data_page_header_v2.definition_levels_byte_length);
  Result<RecordBatch> got = read_parquet_file(file);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  expect_batches_equal(batch, *got);
}

TEST(ParquetWriter, EstimatedSizeTracksTheFileSize) {
  for (Compression compression : {Compression::kNone, Compression::kZstd}) {
    ParquetWriterOptions options;
    options.compression = compression;
    options.row_group_length = 3000;
    StringOutputStream out;
    RecordBatch first = all_types_batch(1, 5);
    ParquetWriter writer(first.schema, options, &out);
    for (unsigned b = 0; b < 20; ++b) {
      RecordBatch batch = all_types_batch(1000, 100 + b);
      ASSERT_TRUE(writer.write(batch).is_ok());
    }
    uint64_t estimate = writer.estimated_size();
    ASSERT_TRUE(writer.finish({}).is_ok());
    double ratio = static_cast<double>(estimate) / static_cast<double>(out.position());
    EXPECT_GT(ratio, 0.8) << compression_name(compression);
    EXPECT_LT(ratio, 1.2) << compression_name(compression);
  }
}

// memory_bytes() counts what the open row group holds (at least its encoded estimate: dictionaries uncompressed,
// buffers at capacity), and flush_buffered() gives it back: what is left is the footer metadata and small buffers.
TEST(ParquetWriter, MemoryBytesCoversTheOpenRowGroupAndFlushBufferedFreesIt) {
  for (Compression compression : {Compression::kNone, Compression::kSnappy, Compression::kGzip}) {
    ParquetWriterOptions options;
    options.compression = compression;
    options.row_group_length = 1000000;
    StringOutputStream out;
    RecordBatch first = all_types_batch(1, 5);
    ParquetWriter writer(first.schema, options, &out);
    const uint64_t empty = writer.memory_bytes();
    for (unsigned b = 0; b < 10; ++b) ASSERT_TRUE(writer.write(all_types_batch(1000, 200 + b)).is_ok());
    const uint64_t buffered = writer.estimated_size() - out.position();
    const uint64_t held = writer.memory_bytes();
    EXPECT_GE(held, buffered) << compression_name(compression);
    EXPECT_GT(held, empty + 100000) << compression_name(compression);
    ASSERT_TRUE(writer.flush_buffered().is_ok());
    EXPECT_LT(writer.memory_bytes(), empty + writer.footer_bytes() + 4096) << compression_name(compression);
    ASSERT_TRUE(writer.finish({}).is_ok());
  }
}

// Between row groups a writer keeps little: buffers beyond ParquetWriter's retained size are given back.
TEST(ParquetWriter, AFinishedRowGroupLeavesLittleMemoryHeld) {
  ParquetWriterOptions options;
  options.row_group_length = 5000;
  StringOutputStream out;
  RecordBatch first = all_types_batch(1, 5);
  ParquetWriter writer(first.schema, options, &out);
  ASSERT_TRUE(writer.write(all_types_batch(5000, 300)).is_ok());
  EXPECT_LT(writer.memory_bytes(), writer.footer_bytes() + 256 * 1024);
  ASSERT_TRUE(writer.finish({}).is_ok());
}

// A file of many columns costs little before its values do: dictionaries start small.
TEST(ParquetWriter, AWideSchemaHoldsLittleMemoryForItsFirstRow) {
  std::vector<ColumnSpec> schema;
  for (int c = 0; c < 30; ++c) {
    schema.push_back(spec("c" + std::to_string(c), PhysicalType::kByteArray, LogicalType::kString));
  }
  RecordBatch batch(schema);
  for (auto& column : batch.columns) column.append_bytes("x");
  StringOutputStream out;
  ParquetWriter writer(schema, ParquetWriterOptions{}, &out);
  ASSERT_TRUE(writer.write(batch).is_ok());
  EXPECT_LT(writer.memory_bytes(), 30u * 1024) << "30 columns of one short value each";
  ASSERT_TRUE(writer.finish({}).is_ok());
}

TEST(ParquetWriter, NullInRequiredColumnIsADataError) {
  std::vector<ColumnSpec> schema = {spec("id", PhysicalType::kInt32, LogicalType::kNone, false)};
  RecordBatch batch(schema);
  batch.columns[0].append_null();
  StringOutputStream out;
  ParquetWriter writer(schema, {}, &out);
  Status s = writer.write(batch);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  EXPECT_NE(s.message().find("\"id\""), std::string::npos) << s.message();
  EXPECT_EQ(writer.finish({}).code(), StatusCode::kDataError);  // the writer stays failed
}

TEST(ParquetWriter, InvalidOptionsAndSchemasAreBadInput) {
  std::vector<ColumnSpec> schema = {spec("id", PhysicalType::kInt32, LogicalType::kNone)};
  StringOutputStream out;
  ParquetWriterOptions options;
  options.row_group_length = 0;
  ParquetWriter bad_options(schema, options, &out);
  Status s = bad_options.finish({});
  EXPECT_EQ(s.code(), StatusCode::kBadInput);
  EXPECT_NE(s.message().find("RowGroupLength"), std::string::npos);

  ParquetWriter bad_decimal({decimal_spec("d", 39, 2)}, {}, &out);
  EXPECT_EQ(bad_decimal.finish({}).code(), StatusCode::kBadInput);
  ColumnSpec small = decimal_spec("d", 10, 2);
  small.fixed_length = 4;  // 4 bytes hold 9 digits
  ParquetWriter too_small({small}, {}, &out);
  EXPECT_EQ(too_small.finish({}).code(), StatusCode::kBadInput);
  ParquetWriter wrong_physical({spec("d", PhysicalType::kInt64, LogicalType::kDate)}, {}, &out);
  EXPECT_EQ(wrong_physical.finish({}).code(), StatusCode::kBadInput);
  EXPECT_EQ(out.position(), 0u);  // nothing written for invalid files
}

TEST(ParquetWriter, WriteAfterFinishFails) {
  std::vector<ColumnSpec> schema = {spec("id", PhysicalType::kInt32, LogicalType::kNone)};
  StringOutputStream out;
  ParquetWriter writer(schema, {}, &out);
  ASSERT_TRUE(writer.finish({}).is_ok());
  RecordBatch batch(schema);
  EXPECT_FALSE(writer.write(batch).is_ok());
  EXPECT_FALSE(writer.finish({}).is_ok());
}

TEST(ParquetWriter, EmptyFileIsValid) {
  std::vector<ColumnSpec> schema = {spec("id", PhysicalType::kInt32, LogicalType::kNone)};
  std::string file = write_file(schema, {}, {});
  pt::FileMetaData meta = metadata_of(file);
  EXPECT_EQ(meta.num_rows, 0);
  EXPECT_TRUE(meta.row_groups.empty());
  Result<RecordBatch> got = read_parquet_file(file);
  ASSERT_TRUE(got.is_ok());
  EXPECT_EQ(got->rows(), 0u);
}

TEST(ParquetWriter, AllNullColumnsAndSingleValueDictionariesRoundTrip) {
  std::vector<ColumnSpec> schema = {spec("nothing", PhysicalType::kByteArray, LogicalType::kString),
                                    spec("same", PhysicalType::kInt64, LogicalType::kNone, false)};
  RecordBatch batch(schema);
  for (int i = 0; i < 30000; ++i) {
    batch.columns[0].append_null();
    batch.columns[1].append_int64(42);
  }
  ParquetWriterOptions options;
  options.row_group_length = 25000;
  std::string file = write_file(schema, options, {&batch});
  pt::FileMetaData meta = metadata_of(file);
  EXPECT_FALSE(meta.row_groups[0].columns[0].meta_data.statistics.__isset.min_value);
  EXPECT_EQ(meta.row_groups[0].columns[0].meta_data.statistics.null_count, 25000);
  Result<RecordBatch> got = read_parquet_file(file);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  expect_batches_equal(batch, *got);
}

}  // namespace
}  // namespace pgs3
