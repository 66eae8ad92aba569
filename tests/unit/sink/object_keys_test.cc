#include "sink/object_keys.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

TEST(ObjectKeys, TablePrefixFollowsDmsLayout) {
  S3Settings s;
  EXPECT_EQ(table_prefix(s, "public", "orders"), "public/orders/");
  s.bucket_folder = "/raw/app/";
  EXPECT_EQ(table_prefix(s, "Sales Data", "Order Items"), "raw/app/Sales Data/Order Items/");
}

TEST(ObjectKeys, NoTableFolderContainsAnotherTablesFolder) {
  S3Settings s;
  s.bucket_folder = "raw";
  const std::string a = table_prefix(s, "public", "a");
  const std::string a_b = table_prefix(s, "public", "a/b");
  EXPECT_EQ(a, "raw/public/a/");
  EXPECT_EQ(a_b, "raw/public/a%2Fb/");
  EXPECT_FALSE(a_b.starts_with(a)) << "a listing of table a's folder would find table a/b's files";
  EXPECT_EQ(table_prefix(s, "x/y", "z"), "raw/x%2Fy/z/");
  EXPECT_NE(table_prefix(s, "x/y", "z"), table_prefix(s, "x", "y/z"));
}

TEST(ObjectKeys, SchemaPgs3DoesNotReachTheTaskState) {
  S3Settings s;
  s.bucket_folder = "raw";
  const std::string state = task_state_prefix(s, "orders");
  EXPECT_EQ(state, "raw/_pgs3/orders/");
  EXPECT_EQ(table_prefix(s, "_pgs3", "orders"), "raw/%5Fpgs3/orders/");
  EXPECT_FALSE(table_prefix(s, "_pgs3", "orders").starts_with("raw/_pgs3/"));
  EXPECT_FALSE(state.starts_with(table_prefix(s, "_pgs3", "orders")));
}

TEST(ObjectKeys, DotNamesStayInsideTheirSchemaFolder) {
  S3Settings s;
  EXPECT_EQ(table_prefix(s, "public", ".."), "public/%2E%2E/");
  EXPECT_EQ(table_prefix(s, "..", "."), "%2E%2E/%2E/");
  EXPECT_EQ(table_prefix(s, "public", "a\tb"), "public/a%09b/");
}

TEST(ObjectKeys, ExtensionFollowsFormatAndCompression) {
  S3Settings s;
  EXPECT_EQ(file_extension(s), "csv");
  s.compression = Compression::kGzip;
  EXPECT_EQ(file_extension(s), "csv.gz");
  s.data_format = DataFormat::kParquet;
  EXPECT_EQ(file_extension(s), "parquet");
}

TEST(ObjectKeys, LoadFileNamesRoundTrip) {
  EXPECT_EQ(load_file_name(1, "parquet"), "LOAD00000001.parquet");
  EXPECT_EQ(load_file_name(9, "csv"), "LOAD00000009.csv");
  EXPECT_EQ(load_file_name(10, "csv"), "LOAD0000000A.csv");
  EXPECT_EQ(load_file_name(0x12ABCDEF, "csv.gz"), "LOAD12ABCDEF.csv.gz");
  EXPECT_EQ(parse_load_file_name("LOAD0000002A.csv.gz", "csv.gz"), 42u);
  EXPECT_EQ(parse_load_file_name(load_file_name(123456, "parquet"), "parquet"), 123456u);
  EXPECT_FALSE(parse_load_file_name("LOAD00000042.csv", "csv.gz"));
  EXPECT_FALSE(parse_load_file_name("LOAD0000000a.csv", "csv"));
  EXPECT_FALSE(parse_load_file_name("LOAD0000004x.csv", "csv"));
  EXPECT_FALSE(parse_load_file_name("20240101-000000000.csv", "csv"));
}

}  // namespace
}  // namespace pgs3
