#include "format/csv/csv_writer.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace pgs3 {
namespace {

ColumnSpec text_column(std::string name) {
  return ColumnSpec{.name = std::move(name), .physical = PhysicalType::kByteArray, .logical = LogicalType::kString};
}
ColumnSpec int_column(std::string name) {
  return ColumnSpec{.name = std::move(name), .physical = PhysicalType::kInt32, .logical = LogicalType::kNone};
}

// A batch of (id, text) rows; std::nullopt is NULL.
RecordBatch id_text_batch(const std::vector<std::pair<std::optional<int32_t>, std::optional<std::string>>>& rows) {
  RecordBatch batch({int_column("id"), text_column("note")});
  for (const auto& [id, text] : rows) {
    if (id) {
      batch.columns[0].append_int32(*id);
    } else {
      batch.columns[0].append_null();
    }
    if (text) {
      batch.columns[1].append_bytes(*text);
    } else {
      batch.columns[1].append_null();
    }
  }
  return batch;
}

std::string write_csv(const RecordBatch& batch, CsvOptions options) {
  StringOutputStream out;
  CsvWriter writer(batch.schema, std::move(options), &out);
  EXPECT_TRUE(writer.write(batch).is_ok());
  EXPECT_TRUE(writer.finish({}).is_ok());
  return out.take();
}

std::string gunzip(const std::string& compressed) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);  // gzip framing only
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof(chunk);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip trailer";
  inflateEnd(&z);
  return out;
}

TEST(CsvWriter, WritesRowsWithHeaderAndNulls) {
  CsvOptions options;
  options.add_column_name = true;
  std::string csv = write_csv(id_text_batch({{1, "a"}, {std::nullopt, "b"}, {3, std::nullopt}}), options);
  EXPECT_EQ(csv, "id,note\n1,a\n,b\n3,\n");
}

TEST(CsvWriter, WithoutAddColumnNameThereIsNoHeader) {
  EXPECT_EQ(write_csv(id_text_batch({{7, "x"}}), CsvOptions{}), "7,x\n");
}

TEST(CsvWriter, Rfc4180QuotesValuesWithQuotesNewlinesAndDelimiters) {
  std::string csv = write_csv(
      id_text_batch(
          {{1, "say \"hi\""}, {2, "two\nlines"}, {3, "carriage\rreturn"}, {4, "a,b"}, {5, "plain text"}, {6, "\""}}),
      CsvOptions{});
  EXPECT_EQ(csv,
            "1,\"say \"\"hi\"\"\"\n"
            "2,\"two\nlines\"\n"
            "3,\"carriage\rreturn\"\n"
            "4,\"a,b\"\n"
            "5,plain text\n"
            "6,\"\"\"\"\n");
}

TEST(CsvWriter, EmptyStringAndNullStayDistinguishable) {
  std::string csv = write_csv(id_text_batch({{1, ""}, {2, std::nullopt}}), CsvOptions{});
  EXPECT_EQ(csv, "1,\"\"\n2,\n");
}

TEST(CsvWriter, ValueEqualToTheNullMarkerIsQuoted) {
  CsvOptions options;
  options.null_value = "NULL";
  std::string csv = write_csv(id_text_batch({{1, "NULL"}, {2, std::nullopt}, {3, ""}}), options);
  EXPECT_EQ(csv, "1,\"NULL\"\n2,NULL\n3,\n");
}

TEST(CsvWriter, WithoutRfc4180ValuesAreWrittenAsTheyAre) {
  CsvOptions options;
  options.rfc4180 = false;
  std::string csv = write_csv(id_text_batch({{1, "a,\"b\"\nc"}, {2, ""}, {3, std::nullopt}}), options);
  EXPECT_EQ(csv, "1,a,\"b\"\nc\n2,\n3,\n");
}

TEST(CsvWriter, CustomDelimitersAreUsedAndQuotedAgainst) {
  CsvOptions options;
  options.delimiter = "||";
  options.row_delimiter = "\r\n";
  options.add_column_name = true;
  std::string csv = write_csv(id_text_batch({{1, "a|b"}, {2, "a||b"}, {3, "x\r\ny"}}), options);
  // A single '|' is not the delimiter, so it needs no quotes.
  EXPECT_EQ(csv, "id||note\r\n1||a|b\r\n2||\"a||b\"\r\n3||\"x\r\ny\"\r\n");
}

TEST(CsvWriter, HeaderNamesAreQuotedLikeValues) {
  RecordBatch batch({text_column("plain"), text_column("has,comma"), text_column("has\"quote")});
  for (auto& column : batch.columns) column.append_bytes("v");
  CsvOptions options;
  options.add_column_name = true;
  EXPECT_EQ(write_csv(batch, options), "plain,\"has,comma\",\"has\"\"quote\"\nv,v,v\n");
}

TEST(CsvWriter, RendersEveryValueKindThroughValueText) {
  RecordBatch batch({
      ColumnSpec{.name = "b", .physical = PhysicalType::kBoolean, .logical = LogicalType::kNone},
      ColumnSpec{.name = "d", .physical = PhysicalType::kDouble, .logical = LogicalType::kNone},
      ColumnSpec{.name = "n",
                 .physical = PhysicalType::kFixedLenByteArray,
                 .logical = LogicalType::kDecimal,
                 .fixed_length = 16,
                 .precision = 10,
                 .scale = 2},
      ColumnSpec{.name = "day", .physical = PhysicalType::kInt32, .logical = LogicalType::kDate},
      ColumnSpec{.name = "ts", .physical = PhysicalType::kInt64, .logical = LogicalType::kTimestampMicros},
      ColumnSpec{.name = "bin", .physical = PhysicalType::kByteArray, .logical = LogicalType::kNone},
  });
  std::string minus_one_cent(16, '\xff');  // -1 unscaled = -0.01
  batch.columns[0].append_bool(true);
  batch.columns[1].append_double(1e15);
  batch.columns[2].append_bytes(minus_one_cent);
  batch.columns[3].append_int32(-735160);
  batch.columns[4].append_int64(std::numeric_limits<int64_t>::max());
  batch.columns[5].append_bytes("\x01\x02");
  EXPECT_EQ(write_csv(batch, CsvOptions{}), "true,1e+15,-0.01,0044-03-15 BC,infinity,\\x0102\n");
}

TEST(CsvWriter, NullsInDifferentColumnsKeepValuesAligned) {
  RecordBatch batch({int_column("a"), int_column("b")});
  batch.columns[0].append_null();
  batch.columns[1].append_int32(10);
  batch.columns[0].append_int32(1);
  batch.columns[1].append_null();
  batch.columns[0].append_int32(2);
  batch.columns[1].append_int32(20);
  EXPECT_EQ(write_csv(batch, CsvOptions{}), ",10\n1,\n2,20\n");
}

TEST(CsvWriter, SeveralBatchesAppendAndCountRows) {
  StringOutputStream out;
  RecordBatch first = id_text_batch({{1, "a"}, {2, "b"}});
  CsvWriter writer(first.schema, CsvOptions{}, &out);
  ASSERT_TRUE(writer.write(first).is_ok());
  ASSERT_TRUE(writer.write(id_text_batch({{3, "c"}})).is_ok());
  EXPECT_EQ(writer.rows(), 3u);
  EXPECT_EQ(writer.estimated_size(), std::string("1,a\n2,b\n3,c\n").size());
  ASSERT_TRUE(writer.finish({{"ignored", "metadata"}}).is_ok());
  EXPECT_EQ(out.data(), "1,a\n2,b\n3,c\n");
  EXPECT_EQ(writer.estimated_size(), out.data().size());
}

TEST(CsvWriter, RefusesABatchOfAnotherSchema) {
  StringOutputStream out;
  CsvWriter writer({int_column("id")}, CsvOptions{}, &out);
  Status status = writer.write(id_text_batch({{1, "a"}}));
  EXPECT_EQ(status.code(), StatusCode::kInternal);
}

TEST(CsvWriter, RefusesWritesAfterFinish) {
  StringOutputStream out;
  RecordBatch batch = id_text_batch({{1, "a"}});
  CsvWriter writer(batch.schema, CsvOptions{}, &out);
  ASSERT_TRUE(writer.finish({}).is_ok());
  EXPECT_FALSE(writer.write(batch).is_ok());
  EXPECT_FALSE(writer.finish({}).is_ok());
}

class FailingStream final : public OutputStream {
 public:
  Status append(std::string_view) override { return Status::io_error("disk full"); }
  uint64_t position() const override { return 0; }
};

TEST(CsvWriter, StreamFailuresAreReturned) {
  FailingStream out;
  RecordBatch batch = id_text_batch({{1, "a"}});
  CsvWriter writer(batch.schema, CsvOptions{}, &out);
  ASSERT_TRUE(writer.write(batch).is_ok());  // still buffered
  Status status = writer.finish({});
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.message(), "disk full");
}

RecordBatch many_rows(int count) {
  std::vector<std::pair<std::optional<int32_t>, std::optional<std::string>>> rows;
  for (int i = 0; i < count; ++i) {
    rows.push_back(
        {i, i % 7 == 0 ? std::nullopt : std::optional<std::string>("row \"" + std::to_string(i * 7919) + "\"")});
  }
  return id_text_batch(rows);
}

TEST(CsvWriter, GzipOutputInflatesToTheSameText) {
  RecordBatch batch = many_rows(50000);  // several 64 KiB buffers
  CsvOptions plain;
  plain.add_column_name = true;
  CsvOptions zipped = plain;
  zipped.gzip = true;
  std::string text = write_csv(batch, plain);
  std::string compressed = write_csv(batch, zipped);
  ASSERT_GE(compressed.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);  // gzip magic (RFC 1952)
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
  EXPECT_LT(compressed.size(), text.size() / 2);
  EXPECT_EQ(gunzip(compressed), text);
}

TEST(CsvWriter, GzipStreamsCompressedBytesBeforeFinish) {
  StringOutputStream out;
  RecordBatch batch = many_rows(50000);
  CsvOptions options;
  options.gzip = true;
  CsvWriter writer(batch.schema, options, &out);
  ASSERT_TRUE(writer.write(batch).is_ok());
  // Most of the text has gone through deflate already: memory stays bounded.
  EXPECT_GT(out.data().size(), 0u);
  uint64_t estimate = writer.estimated_size();
  ASSERT_TRUE(writer.finish({}).is_ok());
  uint64_t final_size = out.data().size();
  EXPECT_GE(estimate, final_size / 2);
  EXPECT_LE(estimate, final_size * 2);
  EXPECT_EQ(writer.estimated_size(), final_size);
}

TEST(CsvWriter, GzipOfAnEmptyFileIsAValidEmptyStream) {
  StringOutputStream out;
  CsvOptions options;
  options.gzip = true;
  CsvWriter writer({int_column("id")}, options, &out);
  ASSERT_TRUE(writer.finish({}).is_ok());
  EXPECT_EQ(gunzip(out.data()), "");
}

}  // namespace
}  // namespace pgs3
