#include "task/object_keys.h"

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
  EXPECT_EQ(load_file_name(12345678, "csv.gz"), "LOAD12345678.csv.gz");
  EXPECT_EQ(parse_load_file_name("LOAD00000042.csv.gz", "csv.gz"), 42u);
  EXPECT_FALSE(parse_load_file_name("LOAD00000042.csv", "csv.gz"));
  EXPECT_FALSE(parse_load_file_name("LOAD0000004x.csv", "csv"));
  EXPECT_FALSE(parse_load_file_name("20240101-000000000.csv", "csv"));
}

}  // namespace
}  // namespace pgs3
