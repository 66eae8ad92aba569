#include "base/object_key.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace pgs3 {
namespace {

TEST(BaseNameTest, IsTheSegmentAfterTheLastSlash) {
  EXPECT_EQ(base_name("raw/app/public/orders/20240229-134500123.parquet"), "20240229-134500123.parquet");
  EXPECT_EQ(base_name("LOAD00000001.csv"), "LOAD00000001.csv");
  EXPECT_EQ(base_name("raw/app/"), "");
  EXPECT_EQ(base_name(""), "");
}

TEST(KeySegmentTest, OrdinaryNamesAreKeptAsDmsWritesThem) {
  for (const char* name : {"orders", "Sales Data", "événements", "MixedCase", "a.b", "...", ".hidden", "_pgs3x",
                           "x_pgs3", "a\\b", "a+b=c&d"}) {
    EXPECT_EQ(escape_key_segment(name), name);
    EXPECT_EQ(unescape_key_segment(name), std::optional<std::string>(name)) << name;
  }
}

TEST(KeySegmentTest, SlashPercentAndControlCharactersArePercentEncoded) {
  EXPECT_EQ(escape_key_segment("a/b"), "a%2Fb");
  EXPECT_EQ(escape_key_segment("/"), "%2F");
  EXPECT_EQ(escape_key_segment("100%"), "100%25");
  EXPECT_EQ(escape_key_segment("a%2Fb"), "a%252Fb");  // not a/b's folder
  EXPECT_EQ(escape_key_segment(std::string_view("t\0\n\x1f\x7f", 5)), "t%00%0A%1F%7F");
}

TEST(KeySegmentTest, DotSegmentsAndTheStateFolderNameAreEncoded) {
  EXPECT_EQ(escape_key_segment("."), "%2E");
  EXPECT_EQ(escape_key_segment(".."), "%2E%2E");
  EXPECT_EQ(escape_key_segment("_pgs3"), "%5Fpgs3");
  EXPECT_NE(escape_key_segment("_pgs3"), kStateFolderName);
}

TEST(KeySegmentTest, EveryNameRoundTripsAndDistinctNamesGetDistinctSegments) {
  const std::vector<std::string> names = {"a",      "a/b",   "a%2Fb",   "a%252Fb", ".",    "..",    "%2E",
                                          "%2E%2E", "_pgs3", "%5Fpgs3", "",        "a\nb", "a%0Ab", "é/ü"};
  std::set<std::string> segments;
  for (const std::string& name : names) {
    const std::string segment = escape_key_segment(name);
    EXPECT_EQ(segment.find('/'), std::string::npos) << name;
    EXPECT_NE(segment, ".");
    EXPECT_NE(segment, "..");
    EXPECT_EQ(unescape_key_segment(segment), std::optional<std::string>(name)) << segment;
    segments.insert(segment);
  }
  EXPECT_EQ(segments.size(), names.size());
}

TEST(KeySegmentTest, SegmentsEscapingNeverMakesAreRefused) {
  for (const char* segment : {"a/b", "..", ".", "_pgs3", "%", "%2", "%zz", "%2f", "%61", "a\nb"}) {
    EXPECT_FALSE(unescape_key_segment(segment).has_value()) << segment;
  }
}

}  // namespace
}  // namespace pgs3
