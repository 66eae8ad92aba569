#include "rules/table_selector.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

SelectionRule rule(std::string id, std::string schema, std::string table,
                   SelectionRule::Action action = SelectionRule::Action::kInclude) {
  SelectionRule r;
  r.rule_id = id;
  r.rule_name = "rule" + id;
  r.schema_pattern = std::move(schema);
  r.table_pattern = std::move(table);
  r.action = action;
  return r;
}
constexpr auto kExclude = SelectionRule::Action::kExclude;
constexpr auto kExplicit = SelectionRule::Action::kExplicit;

TEST(DmsPattern, PercentMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(matches_dms_pattern("%", ""));
  EXPECT_TRUE(matches_dms_pattern("%", "orders"));
  EXPECT_TRUE(matches_dms_pattern("ord%", "ord"));
  EXPECT_TRUE(matches_dms_pattern("ord%", "orders"));
  EXPECT_TRUE(matches_dms_pattern("%ers", "orders"));
  EXPECT_TRUE(matches_dms_pattern("%a%b%", "xxaxxbxx"));
  EXPECT_TRUE(matches_dms_pattern("a%a%a", "aaaaa"));
  EXPECT_FALSE(matches_dms_pattern("%a%b%", "xxbxxaxx"));
  EXPECT_FALSE(matches_dms_pattern("ord%", "xorders"));
}

TEST(DmsPattern, UnderscoreMatchesExactlyOneCharacter) {
  EXPECT_TRUE(matches_dms_pattern("a_c", "abc"));
  EXPECT_TRUE(matches_dms_pattern("a_c", "a_c"));
  EXPECT_FALSE(matches_dms_pattern("a_c", "ac"));
  EXPECT_FALSE(matches_dms_pattern("a_c", "abbc"));
  EXPECT_TRUE(matches_dms_pattern("order_items", "orderXitems"));  // DMS: '_' is a wildcard
}

TEST(DmsPattern, BracketedUnderscoreIsLiteral) {
  EXPECT_TRUE(matches_dms_pattern("order[_]items", "order_items"));
  EXPECT_FALSE(matches_dms_pattern("order[_]items", "orderXitems"));
}

TEST(DmsPattern, SetsAndRangesMatchOneCharacter) {
  EXPECT_TRUE(matches_dms_pattern("t[ab]", "ta"));
  EXPECT_TRUE(matches_dms_pattern("t[ab]", "tb"));
  EXPECT_FALSE(matches_dms_pattern("t[ab]", "tc"));
  EXPECT_FALSE(matches_dms_pattern("t[ab]", "tab"));
  EXPECT_TRUE(matches_dms_pattern("log_2024[0-1][0-9]", "log_202412"));
  EXPECT_FALSE(matches_dms_pattern("log_2024[0-1][0-9]", "log_202420"));
  EXPECT_TRUE(matches_dms_pattern("x[a-cz]", "xz"));
  EXPECT_TRUE(matches_dms_pattern("[]]", "]"));
}

TEST(DmsPattern, IsCaseSensitiveLikeTheCatalog) {
  EXPECT_TRUE(matches_dms_pattern("Orders", "Orders"));
  EXPECT_FALSE(matches_dms_pattern("Orders", "orders"));
  EXPECT_FALSE(matches_dms_pattern("ord%", "ORDERS"));
}

TEST(DmsPattern, NonAsciiCharactersCountAsOneCharacter) {
  EXPECT_TRUE(matches_dms_pattern("t_bla", "tábla"));
  EXPECT_TRUE(matches_dms_pattern("café%", "cafés"));
  EXPECT_TRUE(matches_dms_pattern("Straße", "Straße"));
  EXPECT_FALSE(matches_dms_pattern("Strasse", "Straße"));
  EXPECT_TRUE(matches_dms_pattern("%_", "日本"));
  EXPECT_TRUE(matches_dms_pattern("[日月]本", "月本"));
  EXPECT_FALSE(matches_dms_pattern("__", "日"));
}

TEST(DmsPattern, SyntaxChecksExplainTheProblem) {
  EXPECT_TRUE(check_dms_pattern("order[_]items").is_ok());
  EXPECT_TRUE(check_dms_pattern("%").is_ok());
  EXPECT_NE(check_dms_pattern("orders[ab").message().find("not closed"), std::string::npos);
  EXPECT_NE(check_dms_pattern("a[]").message().find("empty set"), std::string::npos);
  EXPECT_NE(check_dms_pattern("a[^b]").message().find("negated"), std::string::npos);
  EXPECT_FALSE(check_dms_pattern("").is_ok());
}

TEST(TableSelector, IncludeSelectsMatchingTablesOnly) {
  TableSelector selector({rule("1", "public", "%")});
  SelectionDecision d = selector.decide("public", "orders");
  EXPECT_TRUE(d.selected);
  ASSERT_NE(d.rule, nullptr);
  EXPECT_EQ(d.rule->rule_id, "1");
  d = selector.decide("sales", "orders");
  EXPECT_FALSE(d.selected);
  EXPECT_EQ(d.rule, nullptr);
}

TEST(TableSelector, ExcludeWinsWhateverTheOrder) {
  for (bool exclude_first : {false, true}) {
    std::vector<SelectionRule> rules = {rule("1", "Test", "%"), rule("2", "Test", "DMS%", kExclude)};
    if (exclude_first) std::swap(rules[0], rules[1]);
    TableSelector selector(rules);
    SelectionDecision d = selector.decide("Test", "DMS_log");
    EXPECT_FALSE(d.selected) << exclude_first;
    ASSERT_NE(d.rule, nullptr);
    EXPECT_EQ(d.rule->rule_id, "2");
    EXPECT_TRUE(selector.is_selected("Test", "customers"));
  }
}

TEST(TableSelector, ExcludeWinsOverExplicit) {
  TableSelector selector({rule("1", "public", "audit_log", kExplicit), rule("2", "public", "audit%", kExclude)});
  EXPECT_FALSE(selector.is_selected("public", "audit_log"));
}

TEST(TableSelector, ExplicitNamesOneTableLiterally) {
  TableSelector selector({rule("1", "Sales Data", "Order_Items", kExplicit)});
  EXPECT_TRUE(selector.is_selected("Sales Data", "Order_Items"));
  EXPECT_FALSE(selector.is_selected("Sales Data", "OrderXItems"));  // '_' is not a wildcard in explicit rules
  EXPECT_FALSE(selector.is_selected("Sales Data", "order_items"));
  EXPECT_FALSE(selector.is_selected("sales data", "Order_Items"));
}

TEST(TableSelector, FirstMatchingIncludeIsReportedAsTheDecidingRule) {
  TableSelector selector({rule("1", "public", "orders"), rule("2", "%", "%")});
  EXPECT_EQ(selector.decide("public", "orders").rule->rule_id, "1");
  EXPECT_EQ(selector.decide("public", "items").rule->rule_id, "2");
}

TEST(TableSelector, ReportsRulesThatMatchNoTable) {
  TableSelector selector({rule("1", "public", "%"), rule("2", "public", "ordres"), rule("3", "archive", "%", kExclude),
                          rule("4", "public", "items", kExplicit)});
  std::vector<QualifiedTableName> tables = {{"public", "orders"}, {"public", "items"}};
  std::vector<const SelectionRule*> unmatched = selector.rules_matching_nothing(tables);
  ASSERT_EQ(unmatched.size(), 2u);
  EXPECT_EQ(unmatched[0]->rule_id, "2");
  EXPECT_EQ(unmatched[1]->rule_id, "3");
}

}  // namespace
}  // namespace pgs3
