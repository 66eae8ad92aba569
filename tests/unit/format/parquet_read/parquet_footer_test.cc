#include "format/parquet_read/parquet_footer.h"

#include <gtest/gtest.h>

#include "format/parquet/gen/parquet_types.h"
#include "format/parquet/thrift_codec.h"
#include "../parquet/parquet_test_util.h"

namespace pgs3 {
namespace {

namespace pt = parquet_thrift;
using namespace parquet_test;  // NOLINT(google-build-using-namespace)

std::vector<ColumnSpec> schema_of_every_logical_type() {
  std::vector<ColumnSpec> s = {
      spec("b", PhysicalType::kBoolean, LogicalType::kNone, false),
      spec("i8", PhysicalType::kInt32, LogicalType::kInt8),
      spec("i16", PhysicalType::kInt32, LogicalType::kInt16),
      spec("i32", PhysicalType::kInt32, LogicalType::kNone),
      spec("i64", PhysicalType::kInt64, LogicalType::kNone),
      spec("f", PhysicalType::kFloat, LogicalType::kNone),
      spec("d", PhysicalType::kDouble, LogicalType::kNone),
      spec("s", PhysicalType::kByteArray, LogicalType::kString),
      spec("bin", PhysicalType::kByteArray, LogicalType::kNone),
      decimal_spec("dec", 12, 3),
      spec("date", PhysicalType::kInt32, LogicalType::kDate),
      spec("tus", PhysicalType::kInt64, LogicalType::kTimeMicros),
      spec("tms", PhysicalType::kInt32, LogicalType::kTimeMillis),
      spec("tsus", PhysicalType::kInt64, LogicalType::kTimestampMicros),
      spec("tsms", PhysicalType::kInt64, LogicalType::kTimestampMillis),
  };
  s[11].utc_adjusted = true;
  s[13].utc_adjusted = true;
  return s;
}

void expect_same_spec(const ColumnSpec& want, const ColumnSpec& got) {
  EXPECT_EQ(want.name, got.name);
  EXPECT_EQ(want.physical, got.physical) << want.name;
  EXPECT_EQ(want.logical, got.logical) << want.name;
  EXPECT_EQ(want.nullable, got.nullable) << want.name;
  EXPECT_EQ(want.fixed_length, got.fixed_length) << want.name;
  EXPECT_EQ(want.precision, got.precision) << want.name;
  EXPECT_EQ(want.scale, got.scale) << want.name;
  EXPECT_EQ(want.utc_adjusted, got.utc_adjusted) << want.name;
}

std::string sample_file(const KeyValueMetadata& metadata, int rows = 5) {
  std::vector<ColumnSpec> schema = schema_of_every_logical_type();
  RecordBatch batch(schema);
  for (int r = 0; r < rows; ++r) {
    batch.columns[0].append_bool(true);
    for (size_t c = 1; c < schema.size(); ++c) {
      switch (schema[c].physical) {
        case PhysicalType::kInt32: batch.columns[c].append_int32(r); break;
        case PhysicalType::kInt64: batch.columns[c].append_int64(r); break;
        case PhysicalType::kFloat: batch.columns[c].append_float(1.0f * static_cast<float>(r)); break;
        case PhysicalType::kDouble: batch.columns[c].append_double(r); break;
        case PhysicalType::kByteArray: batch.columns[c].append_bytes("x"); break;
        case PhysicalType::kFixedLenByteArray: batch.columns[c].append_bytes(decimal_bytes(r)); break;
        default: break;
      }
    }
  }
  ParquetWriterOptions options;
  options.row_group_length = 2;
  return write_file(schema, options, {&batch}, metadata);
}

TEST(ParquetFooter, ReadsRowsSchemaAndKeyValueMetadata) {
  KeyValueMetadata metadata = {
      {"pgs3.first_position", "0/16B3748:0"}, {"pgs3.last_position", "0/16B3790:4"}, {"empty", ""}};
  std::string file = sample_file(metadata);
  Result<ParquetFooter> footer = read_parquet_footer(file);
  ASSERT_TRUE(footer.is_ok()) << footer.status().message();
  EXPECT_EQ(footer->num_rows, 5);
  EXPECT_EQ(footer->num_row_groups, 3u);
  EXPECT_EQ(footer->key_value_metadata, metadata);
  EXPECT_EQ(footer->created_by, "pgs3 version " PGS3_VERSION);
  std::vector<ColumnSpec> want = schema_of_every_logical_type();
  ASSERT_EQ(footer->schema.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) expect_same_spec(want[i], footer->schema[i]);
}

TEST(ParquetFooter, ReadsFromATailOfTheFile) {
  std::string file = sample_file({{"k", "v"}});
  Result<uint32_t> length = read_parquet_metadata_length(std::string_view(file).substr(file.size() - 8));
  ASSERT_TRUE(length.is_ok());
  std::string_view tail = std::string_view(file).substr(file.size() - kParquetTrailerSize - *length);
  Result<ParquetFooter> footer = read_parquet_footer(tail);
  ASSERT_TRUE(footer.is_ok()) << footer.status().message();
  EXPECT_EQ(footer->key_value_metadata, (KeyValueMetadata{{"k", "v"}}));
  Result<ParquetFooter> from_metadata = parse_parquet_metadata(tail.substr(0, *length));
  ASSERT_TRUE(from_metadata.is_ok());
  EXPECT_EQ(from_metadata->num_rows, 5);
}

TEST(ParquetFooter, ShortTailSaysToReadMore) {
  std::string file = sample_file({});
  Result<ParquetFooter> footer = read_parquet_footer(std::string_view(file).substr(file.size() - 20));
  EXPECT_EQ(footer.status().code(), StatusCode::kDataError);
  EXPECT_NE(footer.status().message().find("longer tail"), std::string::npos) << footer.status().message();
}

TEST(ParquetFooter, RejectsFilesThatAreNotParquet) {
  EXPECT_EQ(read_parquet_footer("PAR").status().code(), StatusCode::kDataError);
  EXPECT_EQ(read_parquet_footer("id,name\n1,abc\n").status().code(), StatusCode::kDataError);
}

TEST(ParquetFooter, RejectsACorruptFooter) {
  std::string file = sample_file({});
  uint32_t length;
  std::memcpy(&length, file.data() + file.size() - 8, 4);
  // Overwrite the middle of the metadata with bytes that are not a valid compact-protocol struct.
  for (size_t i = file.size() - 8 - length / 2; i < file.size() - 8; ++i) file[i] = '\xff';
  Result<ParquetFooter> footer = read_parquet_footer(file);
  EXPECT_EQ(footer.status().code(), StatusCode::kDataError);
}

TEST(ThriftCodec, FileMetaDataRoundTripsThroughTheCompactProtocol) {
  pt::FileMetaData meta;
  meta.__set_version(1);
  pt::SchemaElement root;
  root.__set_name("schema");
  root.__set_num_children(1);
  pt::SchemaElement leaf;
  leaf.__set_name("ts");
  leaf.__set_type(pt::Type::INT64);
  leaf.__set_repetition_type(pt::FieldRepetitionType::OPTIONAL);
  leaf.__set_converted_type(pt::ConvertedType::TIMESTAMP_MICROS);
  pt::TimestampType ts;
  ts.__set_isAdjustedToUTC(true);
  pt::TimeUnit unit;
  unit.__set_MICROS(pt::MicroSeconds());
  ts.__set_unit(unit);
  pt::LogicalType logical;
  logical.__set_TIMESTAMP(ts);
  leaf.__set_logicalType(logical);
  meta.__set_schema({root, leaf});
  meta.__set_num_rows(123456789012LL);
  pt::KeyValue kv;
  kv.__set_key("k");
  kv.__set_value(std::string("v\0w", 3));
  meta.__set_key_value_metadata({kv});
  pt::ColumnOrder order;
  order.__set_TYPE_ORDER(pt::TypeDefinedOrder());
  meta.__set_column_orders({order});

  ThriftSerializer serializer;
  std::string bytes;
  ASSERT_TRUE(serializer.append(meta, &bytes).is_ok());
  pt::FileMetaData back;
  Result<uint32_t> used = thrift_deserialize(bytes, &back, "metadata");
  ASSERT_TRUE(used.is_ok()) << used.status().message();
  EXPECT_EQ(*used, bytes.size());
  EXPECT_EQ(back, meta);
  EXPECT_TRUE(back.schema[1].logicalType.TIMESTAMP.unit.__isset.MICROS);
  EXPECT_EQ(back.key_value_metadata[0].value, std::string("v\0w", 3));
}

TEST(ThriftCodec, CompactProtocolBytesMatchTheSpecification) {
  // KeyValue{1: key "a", 2: value "b"} in the compact protocol: field header (delta 1 << 4 | type 8 = binary) 0x18,
  // varint length 1, 'a'; 0x18, 1, 'b'; stop 0x00.
  pt::KeyValue kv;
  kv.__set_key("a");
  kv.__set_value("b");
  ThriftSerializer serializer;
  std::string bytes;
  ASSERT_TRUE(serializer.append(kv, &bytes).is_ok());
  EXPECT_EQ(bytes, std::string("\x18\x01"
                               "a"
                               "\x18\x01"
                               "b"
                               "\x00",
                               7));
}

}  // namespace
}  // namespace pgs3
