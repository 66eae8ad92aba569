#include "task/load_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pgs3 {
namespace {

// Issue 13, item 1: ctid segments are disjoint block ranges that cover the relation; the last is open-ended, so
// blocks added after planning are still read.
TEST(LoadPlan, CtidSegmentsCoverEveryBlockOnce) {
  EXPECT_EQ(ctid_predicates(1000, 1), std::vector<std::string>{""});
  EXPECT_EQ(ctid_predicates(1000, 4), (std::vector<std::string>{
                                          "ctid < '(250,0)'::tid",
                                          "ctid >= '(250,0)'::tid AND ctid < '(500,0)'::tid",
                                          "ctid >= '(500,0)'::tid AND ctid < '(750,0)'::tid",
                                          "ctid >= '(750,0)'::tid",
                                      }));
  // Uneven: the boundaries are floor(blocks * i / n), each segment takes over where the previous one stopped.
  EXPECT_EQ(ctid_predicates(10, 3), (std::vector<std::string>{
                                        "ctid < '(3,0)'::tid",
                                        "ctid >= '(3,0)'::tid AND ctid < '(6,0)'::tid",
                                        "ctid >= '(6,0)'::tid",
                                    }));
  // Block numbers beyond 2^31 (a 16 TB table of 8 kB blocks) are written whole.
  EXPECT_EQ(ctid_predicates(4294967294LL, 2)[1], "ctid >= '(2147483647,0)'::tid");
}

// Range segments: row < b1, b1 <= row < b2, ..., row >= bk; rows with a null in a range column go to the last.
TEST(LoadPlan, RangeSegmentsSendRowsWithNullsToTheLast) {
  const std::vector<std::string> columns = {"\"a\"", "\"b\""};
  const std::vector<std::vector<std::string>> boundaries = {{"CAST('10' AS integer)", "CAST('x' AS text)"},
                                                            {"CAST('20' AS integer)", "CAST('y' AS text)"}};
  EXPECT_EQ(range_predicates(columns, boundaries),
            (std::vector<std::string>{
                "ROW(\"a\", \"b\") < ROW(CAST('10' AS integer), CAST('x' AS text)) AND \"a\" IS NOT NULL AND \"b\" "
                "IS NOT NULL",
                "ROW(\"a\", \"b\") >= ROW(CAST('10' AS integer), CAST('x' AS text)) AND ROW(\"a\", \"b\") < "
                "ROW(CAST('20' AS integer), CAST('y' AS text)) AND \"a\" IS NOT NULL AND \"b\" IS NOT NULL",
                "ROW(\"a\", \"b\") >= ROW(CAST('20' AS integer), CAST('y' AS text)) OR \"a\" IS NULL OR \"b\" IS "
                "NULL",
            }));
  EXPECT_EQ(range_predicates({"\"id\""}, {{"CAST('5' AS bigint)"}}),
            (std::vector<std::string>{"ROW(\"id\") < ROW(CAST('5' AS bigint)) AND \"id\" IS NOT NULL",
                                      "ROW(\"id\") >= ROW(CAST('5' AS bigint)) OR \"id\" IS NULL"}));
}

}  // namespace
}  // namespace pgs3
