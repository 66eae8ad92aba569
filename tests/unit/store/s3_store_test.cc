#include "store/s3_store.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

TEST(S3TaggingHeader, PercentEncodesKeysAndValues) {
  EXPECT_EQ(s3_tagging_header({}), "");
  EXPECT_EQ(s3_tagging_header({{"k", "v"}}), "k=v");
  EXPECT_EQ(s3_tagging_header({{"a&b", "c=d"}, {"sp ace", "x+y/z"}}), "a%26b=c%3Dd&sp%20ace=x%2By%2Fz");
  EXPECT_EQ(s3_tagging_header({{"ünï", "한"}}), "%C3%BCn%C3%AF=%ED%95%9C");
  EXPECT_EQ(s3_tagging_header({{"Az09-._~", ":@"}}), "Az09-._~=%3A%40");
}

}  // namespace
}  // namespace pgs3
