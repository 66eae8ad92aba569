#include "rules/object_tagging.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pgs3 {
namespace {

using Json = nlohmann::ordered_json;

Json tag_rule(std::string id, std::string schema, std::string table, Json tag_set) {
  return {{"rule-type", "post-processing"},
          {"rule-id", id},
          {"rule-name", "tags-" + id},
          {"rule-action", "add-tag"},
          {"object-locator", {{"schema-name", schema}, {"table-name", table}}},
          {"tag-set", std::move(tag_set)}};
}

Json task_with(std::vector<Json> tagging_rules) {
  Json rules = Json::array({{{"rule-type", "selection"},
                             {"rule-id", "1"},
                             {"rule-name", "all"},
                             {"object-locator", {{"schema-name", "%"}, {"table-name", "%"}}},
                             {"rule-action", "include"}}});
  for (Json& rule : tagging_rules) rules.push_back(std::move(rule));
  return {{"taskId", "t"},
          {"migrationType", "full-load"},
          {"source", {{"connection", "host=db dbname=app user=r"}}},
          {"target", {{"type", "s3"}, {"region", "eu-west-1"}, {"s3Settings", {{"BucketName", "lake"}}}}},
          {"tableMappings", {{"rules", rules}}}};
}

TaskConfig config_with(std::vector<Json> tagging_rules) {
  Result<TaskConfig> config = parse_task_json(task_with(std::move(tagging_rules)).dump());
  EXPECT_TRUE(config.is_ok()) << config.status().message();
  return config.is_ok() ? std::move(config).value() : TaskConfig{};
}

std::string parse_error(std::vector<Json> tagging_rules) {
  Result<TaskConfig> config = parse_task_json(task_with(std::move(tagging_rules)).dump());
  EXPECT_FALSE(config.is_ok());
  return config.is_ok() ? "" : config.status().message();
}

Json tags(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  Json set = Json::array();
  for (const auto& [k, v] : pairs) set.push_back({{"key", k}, {"value", v}});
  return set;
}

std::string repeat(const std::string& unit, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += unit;
  return out;
}

ObjectTags tags_of(const TaskConfig& config, std::string_view schema, std::string_view table) {
  Result<ObjectTags> result = tags_for_table(config, schema, table);
  EXPECT_TRUE(result.is_ok()) << result.status().message();
  return result.is_ok() ? std::move(result).value() : ObjectTags{};
}

TEST(ObjectTagging, ParsesAddTagRulesIntoTaskConfig) {
  TaskConfig config = config_with({tag_rule("21", "public", "%", tags({{"team", "data"}, {"tier", "gold"}}))});
  ASSERT_EQ(config.tagging_rules.size(), 1u);
  const TaggingRule& rule = config.tagging_rules[0];
  EXPECT_EQ(rule.rule_id, "21");
  EXPECT_EQ(rule.rule_name, "tags-21");
  EXPECT_EQ(rule.schema_pattern, "public");
  EXPECT_EQ(rule.table_pattern, "%");
  EXPECT_EQ(rule.tag_set, (ObjectTags{{"team", "data"}, {"tier", "gold"}}));
  EXPECT_EQ(rule.origin, "tableMappings.rules[1] (rule-name \"tags-21\")");
  for (const std::string& warning : config.warnings) EXPECT_EQ(warning.find("post-processing"), std::string::npos);
}

TEST(ObjectTagging, WildcardLocatorMatchesAsSelectionRulesDo) {
  TaskConfig config = config_with({tag_rule("21", "sales%", "order[_]%", tags({{"k", "v"}}))});
  EXPECT_EQ(tags_of(config, "sales_eu", "order_items"), (ObjectTags{{"k", "v"}}));
  EXPECT_TRUE(tags_of(config, "sales_eu", "orderXitems").empty());  // [_] is a literal underscore
  EXPECT_TRUE(tags_of(config, "public", "order_items").empty());
  EXPECT_TRUE(tags_of(config, "Sales", "order_items").empty());  // case-sensitive
}

TEST(ObjectTagging, SubstitutesSchemaAndTableNamesInKeysAndValues) {
  TaskConfig config = config_with({tag_rule(
      "21", "%", "%",
      tags({{"dw-schema-name", "${schema-name}"}, {"dw-schema-table", "my_prefix_${table-name}"},
            {"${schema-name}_tag", "${schema-name}.${table-name}"}}))});
  EXPECT_EQ(tags_of(config, "retail", "ITEM"),
            (ObjectTags{{"dw-schema-name", "retail"}, {"dw-schema-table", "my_prefix_ITEM"},
                        {"retail_tag", "retail.ITEM"}}));
}

TEST(ObjectTagging, ExactLocatorReplacesTheTagSetOfAWildcardOne) {
  // DMS's own example: the exact rule's tag set replaces the wildcard rule's; the sets are not merged.
  TaskConfig config = config_with({tag_rule("21", "%", "%", tags({{"dw-schema-name", "${schema-name}"}})),
                                   tag_rule("41", "aat", "ITEM", tags({{"tag_1", "value_1"}, {"tag_2", "value_2"}}))});
  EXPECT_EQ(tags_of(config, "aat", "ITEM"), (ObjectTags{{"tag_1", "value_1"}, {"tag_2", "value_2"}}));
  EXPECT_EQ(tags_of(config, "aat", "STOCK"), (ObjectTags{{"dw-schema-name", "aat"}}));
}

TEST(ObjectTagging, TheMoreExactLocatorWinsWhateverTheOrder) {
  TaskConfig config = config_with({tag_rule("41", "aat", "ITEM", tags({{"which", "exact"}})),
                                   tag_rule("42", "aat", "%", tags({{"which", "schema"}})),
                                   tag_rule("43", "%", "%", tags({{"which", "any"}}))});
  EXPECT_EQ(tags_of(config, "aat", "ITEM"), (ObjectTags{{"which", "exact"}}));
  EXPECT_EQ(tags_of(config, "aat", "STOCK"), (ObjectTags{{"which", "schema"}}));
  EXPECT_EQ(tags_of(config, "other", "STOCK"), (ObjectTags{{"which", "any"}}));
}

TEST(ObjectTagging, AmongEqualMatchesTheFirstRuleWins) {
  TaskConfig config = config_with({tag_rule("21", "%", "%", tags({{"which", "first"}})),
                                   tag_rule("22", "%", "o%", tags({{"which", "second"}}))});
  EXPECT_EQ(tags_of(config, "public", "orders"), (ObjectTags{{"which", "first"}}));
}

TEST(ObjectTagging, NoMatchingRuleMeansNoTags) {
  TaskConfig config = config_with({tag_rule("21", "public", "orders", tags({{"k", "v"}}))});
  EXPECT_TRUE(tags_of(config, "public", "customers").empty());
  EXPECT_TRUE(tags_of(config_with({}), "public", "orders").empty());
}

TEST(ObjectTagging, AtMostTenTagsPerObject) {
  Json ten = Json::array();
  for (int i = 0; i < 10; ++i) ten.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  EXPECT_EQ(config_with({tag_rule("21", "%", "%", ten)}).tagging_rules.at(0).tag_set.size(), 10u);
  Json eleven = ten;
  eleven.push_back({{"key", "k10"}, {"value", "v"}});
  EXPECT_EQ(parse_error({tag_rule("21", "%", "%", eleven)}),
            "tableMappings.rules[1].tag-set: holds 11 tags; S3 allows at most 10 tags on an object");
}

TEST(ObjectTagging, KeyLengthCountsCodePointsNotBytes) {
  const std::string key128 = repeat("\xC3\xA9", 128);  // 128 x "é": 256 bytes, 128 characters
  EXPECT_EQ(config_with({tag_rule("21", "%", "%", tags({{key128, "v"}}))}).tagging_rules.at(0).tag_set[0].first,
            key128);
  const std::string key129 = repeat("\xED\x95\x9C", 129);  // 129 x "한" (3 bytes each)
  EXPECT_EQ(parse_error({tag_rule("21", "%", "%", tags({{key129, "v"}}))}),
            "tableMappings.rules[1].tag-set[0].key: is 129 characters long; S3 allows at most 128 in a tag key");
  EXPECT_NE(parse_error({tag_rule("21", "%", "%", tags({{"", "v"}}))}).find("key: must not be empty"),
            std::string::npos);
}

TEST(ObjectTagging, ValueLengthIsZeroTo256CodePoints) {
  TaskConfig config = config_with(
      {tag_rule("21", "%", "%", tags({{"empty", ""}, {"long", repeat("\xC3\xBC", 256)}}))});
  EXPECT_EQ(config.tagging_rules.at(0).tag_set.size(), 2u);
  EXPECT_EQ(parse_error({tag_rule("21", "%", "%", tags({{"long", repeat("a", 257)}}))}),
            "tableMappings.rules[1].tag-set[0].value: is 257 characters long; S3 allows at most 256 in a tag value");
}

TEST(ObjectTagging, KeysAreUniquePerTagSet) {
  EXPECT_EQ(parse_error({tag_rule("21", "%", "%", tags({{"k", "1"}, {"k", "2"}}))}),
            "tableMappings.rules[1].tag-set[1].key: \"k\" appears twice in this tag-set; keys are unique");
}

TEST(ObjectTagging, OnlyCharactersS3AllowsInTags) {
  TaskConfig config =
      config_with({tag_rule("21", "%", "%", tags({{"a b+c-d=e.f_g:h/i@j", "Ünïcödé 한국 9"}}))});
  EXPECT_EQ(config.tagging_rules.at(0).tag_set.size(), 1u);
  EXPECT_NE(parse_error({tag_rule("21", "%", "%", tags({{"cost#center", "v"}}))})
                .find("tag-set[0].key: contains '#', which S3 does not allow"),
            std::string::npos);
  EXPECT_NE(parse_error({tag_rule("21", "%", "%", tags({{"k", "a&b"}}))}).find("value: contains '&'"),
            std::string::npos);
  EXPECT_NE(parse_error({tag_rule("21", "%", "%", tags({{"AWS:owner", "v"}}))}).find("must not start with \"aws:\""),
            std::string::npos);
}

TEST(ObjectTagging, Utf8LengthCountsCodePointsAndRejectsMalformedText) {
  EXPECT_EQ(*utf8_length(""), 0u);
  EXPECT_EQ(*utf8_length("a\xC3\xA9\xED\x95\x9C\xF0\x9F\x98\x80"), 4u);  // a, é, 한, an emoji
  EXPECT_FALSE(utf8_length("\xC3").is_ok());       // truncated
  EXPECT_FALSE(utf8_length("\xC3\x41").is_ok());  // bad continuation byte
  EXPECT_FALSE(utf8_length("\xFF").is_ok());
  // A table name is bytes from the catalog: invalid UTF-8 in it is caught when it is substituted.
  EXPECT_NE(check_tag_text("\xC3", false).message().find("is not valid UTF-8"), std::string::npos);
}

TEST(ObjectTagging, UnsupportedSubstitutionNamesTheRuleAndThePlaceholder) {
  EXPECT_EQ(parse_error({tag_rule("21", "%", "%", tags({{"k", "${dyn-value}"}}))}),
            "tableMappings.rules[1].tag-set[0].value: tableMappings.rules[1] (rule-name \"tags-21\") uses the "
            "substitution ${dyn-value}, which pgs3 does not support; use ${schema-name} or ${table-name}, or a fixed "
            "text");
  EXPECT_NE(parse_error({tag_rule("21", "%", "%", tags({{"${table-tag}", "v"}}))}).find("${table-tag}"),
            std::string::npos);
}

TEST(ObjectTagging, OtherPostProcessingActionsAreRefused) {
  Json rule = tag_rule("21", "%", "%", tags({{"k", "v"}}));
  rule["rule-action"] = "remove-tag";
  std::string message = parse_error({rule});
  EXPECT_NE(message.find("tableMappings.rules[1].rule-action"), std::string::npos) << message;
  EXPECT_NE(message.find("add-tag"), std::string::npos) << message;
}

TEST(ObjectTagging, MalformedRulesAreRefused) {
  Json no_locator = tag_rule("21", "%", "%", tags({{"k", "v"}}));
  no_locator.erase("object-locator");
  EXPECT_NE(parse_error({no_locator}).find("object-locator: required"), std::string::npos);
  EXPECT_NE(parse_error({tag_rule("21", "%", "%", Json::array())}).find("tag-set: must hold at least one tag"),
            std::string::npos);
  EXPECT_NE(parse_error({tag_rule("21", "[a", "%", tags({{"k", "v"}}))}).find("schema-name"), std::string::npos);
  Json extra = tag_rule("21", "%", "%", tags({{"k", "v"}}));
  extra["filters"] = Json::array();
  EXPECT_NE(parse_error({extra}).find("filters"), std::string::npos);
}

TEST(ObjectTagging, LimitsAreCheckedAgainAfterSubstitution) {
  TaskConfig config = config_with({tag_rule("21", "%", "%", tags({{"t_${table-name}", "${schema-name}"}}))});
  const std::string long_table = repeat("x", 127);  // "t_" + 127 = 129 characters
  Result<ObjectTags> too_long = tags_for_table(config, "public", long_table);
  ASSERT_FALSE(too_long.is_ok());
  EXPECT_EQ(too_long.status().message(),
            "object tags for table \"public\".\"" + long_table +
                "\" (from tableMappings.rules[1] (rule-name \"tags-21\")): tag key \"t_" + long_table +
                "\" is 129 characters long; S3 allows at most 128 in a tag key");
  Result<ObjectTags> bad_char = tags_for_table(config, "public", "order#1");
  ASSERT_FALSE(bad_char.is_ok());
  EXPECT_NE(bad_char.status().message().find("tag key \"t_order#1\" contains '#'"), std::string::npos);
  EXPECT_EQ(tags_of(config, "public", repeat("x", 126)).at(0).first.size(), 128u);
}

TEST(ObjectTagging, SubstitutedKeysThatCollideAreRefused) {
  TaskConfig config = config_with({tag_rule("21", "%", "%", tags({{"${schema-name}", "1"}, {"${table-name}", "2"}}))});
  EXPECT_EQ(tags_of(config, "a", "b"), (ObjectTags{{"a", "1"}, {"b", "2"}}));
  Result<ObjectTags> same = tags_for_table(config, "sales", "sales");
  ASSERT_FALSE(same.is_ok());
  EXPECT_NE(same.status().message().find("two tags get the key \"sales\""), std::string::npos);
}

TEST(ObjectTagging, LocalTargetWarnsThatTagsAreIgnored) {
  Json task = task_with({tag_rule("21", "%", "%", tags({{"k", "v"}}))});
  task["target"] = {{"type", "local"}, {"path", "/tmp/lake"}};
  Result<TaskConfig> config = parse_task_json(task.dump());
  ASSERT_TRUE(config.is_ok()) << config.status().message();
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_NE(config->warnings[0].find("a local target has no object tags"), std::string::npos);
}


}  // namespace
}  // namespace pgs3
