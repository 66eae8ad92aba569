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
