// tableMappings: DMS's table-mapping document (AWS DMS User Guide, "Specifying table selection and transformations
// rules using JSON"). Selection rules are read in full; other rule types are refused or ignored, per type:
// - transformation rules rename or drop schemas, tables and columns, so ignoring one would silently change the
//   output: refused ("not supported yet");
// - table-settings rules tune how a table is loaded: parallel-load is read into TaskConfig::parallel_load_rules (the
//   columns, partitions and boundaries are checked against the source when the load is planned, task/load_plan.h);
//   lob-settings are ignored with a warning (pgs3 copies every value whole, which is what they tune);
// - post-processing rules with rule-action add-tag tag the S3 objects of the tables they match (AWS DMS User Guide,
//   "Amazon S3 object tagging"): read into TaskConfig::tagging_rules, with the S3 limits that can be known before
//   substitution checked here (rules/object_tagging.h checks the rest per table); any other action is refused.
#include <algorithm>

#include "rules/json_section.h"
#include "rules/object_tagging.h"
#include "rules/setting_names.h"
#include "rules/table_selector.h"
#include "rules/task_sections.h"

namespace pgs3 {
namespace {

constexpr std::string_view kDocumentNames[] = {"rules"};
constexpr std::string_view kRuleTypes[] = {"selection", "transformation", "table-settings", "post-processing"};
constexpr std::string_view kSelectionNames[] = {"rule-type",      "rule-id", "rule-name", "rule-action",
                                                "object-locator", "filters", "load-order"};
constexpr std::string_view kLocatorNames[] = {"schema-name", "table-name", "table-type"};
constexpr std::pair<std::string_view, SelectionRule::Action> kActions[] = {
    {"include", SelectionRule::Action::kInclude},
    {"exclude", SelectionRule::Action::kExclude},
    {"explicit", SelectionRule::Action::kExplicit}};
constexpr std::string_view kTableTypes[] = {"table", "view", "all"};
constexpr std::string_view kPostProcessingNames[] = {"rule-type",   "rule-id",        "rule-name",
                                                     "rule-action", "object-locator", "tag-set"};
constexpr std::string_view kTagLocatorNames[] = {"schema-name", "table-name"};
constexpr std::string_view kTagNames[] = {"key", "value"};
constexpr std::string_view kPostProcessingActions[] = {"add-tag"};
constexpr std::string_view kPlaceholders[] = {"${schema-name}", "${table-name}"};
constexpr std::string_view kTableSettingsNames[] = {"rule-type",      "rule-id",       "rule-name",
                                                    "object-locator", "parallel-load", "lob-settings"};
// type, then the parameters of each type; the last four are MongoDB/DocumentDB's (refused with a reason).
constexpr std::string_view kParallelLoadNames[] = {"type",
                                                   "partitions",
                                                   "subpartitions",
                                                   "columns",
                                                   "boundaries",
                                                   "number-of-partitions",
                                                   "collection-count-from-metadata",
                                                   "max-records-skip-per-page",
                                                   "batch-size"};
constexpr std::string_view kMongoParallelLoadNames[] = {"number-of-partitions", "collection-count-from-metadata",
                                                        "max-records-skip-per-page", "batch-size"};
constexpr std::pair<std::string_view, ParallelLoadRule::Type> kParallelLoadTypes[] = {
    {"partitions-auto", ParallelLoadRule::Type::kPartitionsAuto},
    {"subpartitions-auto", ParallelLoadRule::Type::kSubpartitionsAuto},
    {"partitions-list", ParallelLoadRule::Type::kPartitionsList},
    {"ranges", ParallelLoadRule::Type::kRanges},
    {"none", ParallelLoadRule::Type::kNone}};
constexpr size_t kMaxRangeColumns = 10;  // DMS: "You can specify up to 10 columns"

// The value of `key` (compared ignoring case) in a raw rule object, or nullptr.
const Json* raw_member(const Json& rule, std::string_view key) {
  for (auto it = rule.begin(); it != rule.end(); ++it) {
    if (equals_ignore_case(it.key(), key)) return &it.value();
  }
  return nullptr;
}

// rule-id and rule-name: DMS writes them as strings of digits, people also write numbers.
std::string identifier_text(const Json* value) {
  if (value == nullptr || value->is_null()) return "";
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_integer()) return value->dump();
  return "";
}

// "tableMappings.rules[2] (rule-name "orders")", for messages about a whole rule.
std::string rule_label(const std::string& rule_path, const std::string& rule_name) {
  if (rule_name.empty()) return rule_path;
  return rule_path + " (rule-name " + Json(rule_name).dump() + ")";
}

Status read_identifier(const JsonSection& rule, std::string_view name, std::string* out) {
  const Json* value = rule.get(name);
  if (value == nullptr) return rule.error(name, "required");
  *out = identifier_text(value);
  if (out->empty()) {
    return rule.error(name, "expected a non-empty string or an integer, got " + describe_json_value(*value));
  }
  return Status::ok();
}

Status read_pattern(const JsonSection& locator, std::string_view name, SelectionRule::Action action, std::string* out) {
  PGS3_RETURN_IF_ERROR(locator.read_string(name, out, /*required=*/true));
  if (out->empty()) return locator.error(name, "must not be empty (use % to match every name)");
  if (action == SelectionRule::Action::kExplicit) {
    if (out->find('%') != std::string::npos) {
      return locator.error(name,
                           "an explicit rule names one table exactly, so '%' is not allowed; use rule-action include "
                           "for patterns");
    }
    return Status::ok();
  }
  Status syntax = check_dms_pattern(*out);
  if (!syntax.is_ok()) return locator.error(name, syntax.message());
  return Status::ok();
}

Status parse_selection_rule(const Json& value, const std::string& path, SelectionRule* rule) {
  PGS3_ASSIGN_OR_RETURN(JsonSection section, JsonSection::open(value, path, kSelectionNames, NameCase::kInsensitive));
  PGS3_RETURN_IF_ERROR(read_identifier(section, "rule-id", &rule->rule_id));
  PGS3_RETURN_IF_ERROR(read_identifier(section, "rule-name", &rule->rule_name));
  if (!section.has("rule-action")) return section.error("rule-action", "required: include, exclude or explicit");
  PGS3_RETURN_IF_ERROR(section.read_enum("rule-action", kActions, &rule->action));
  PGS3_RETURN_IF_ERROR(section.read_int("load-order", {0, std::numeric_limits<int64_t>::max(), ""}, &rule->load_order));

  const Json* filters = section.get("filters");
  if (filters != nullptr) {
    if (!filters->is_array()) {
      return section.error("filters", "expected an array, got " + describe_json_value(*filters));
    }
    if (!filters->empty()) {
      return section.error("filters",
                           "column filters are not supported yet; they would copy only part of the table, so pgs3 "
                           "refuses them rather than copy all rows (remove the filters to copy the whole table)");
    }
  }

  const Json* locator_value = section.get("object-locator");
  if (locator_value == nullptr)
    return section.error("object-locator", "required: {\"schema-name\": ..., \"table-name\": ...}");
  PGS3_ASSIGN_OR_RETURN(JsonSection locator, JsonSection::open(*locator_value, section.path_of("object-locator"),
                                                               kLocatorNames, NameCase::kInsensitive));
  PGS3_RETURN_IF_ERROR(read_pattern(locator, "schema-name", rule->action, &rule->schema_pattern));
  PGS3_RETURN_IF_ERROR(read_pattern(locator, "table-name", rule->action, &rule->table_pattern));
  size_t table_type = 0;
  PGS3_RETURN_IF_ERROR(locator.read_choice("table-type", kTableTypes, &table_type));
  if (table_type != 0) {
    return locator.error("table-type",
                         "views are not supported yet (logical replication carries tables only); use table-type table");
  }
  return Status::ok();
}

// Checks a tag key or value template of a tag-set: every ${...} is a placeholder pgs3 substitutes, and the literal
// text around them already fits S3's limits (substitution can only add characters).
Status check_tag_template(const JsonSection& tag, std::string_view name, const std::string& text,
                          const std::string& rule_label_text) {
  std::string literal;
  bool has_placeholder = false;
  size_t at = 0;
  while (at < text.size()) {
    size_t open = text.find("${", at);
    if (open == std::string::npos) {
      literal.append(text, at, std::string::npos);
      break;
    }
    literal.append(text, at, open - at);
    size_t close = text.find('}', open);
    if (close == std::string::npos) {
      return tag.error(name, "\"${\" without a closing '}'; the placeholders are ${schema-name} and ${table-name}");
    }
    std::string_view placeholder(text.data() + open, close - open + 1);
    if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), placeholder) == std::end(kPlaceholders)) {
      return tag.error(name, rule_label_text + " uses the substitution " + std::string(placeholder) +
                                 ", which pgs3 does not support; use ${schema-name} or ${table-name}, or a fixed text");
    }
    has_placeholder = true;
    at = close + 1;
  }
  const bool is_key = name == "key";
  if (!has_placeholder) {
    Status ok = check_tag_text(literal, is_key);
    if (!ok.is_ok()) return tag.error(name, ok.message());
    return Status::ok();
  }
  // Only the characters of the literal text can be judged before substitution; its length is checked below.
  TagTextProblem problem = TagTextProblem::kNone;
  Status chars = check_tag_text(literal, /*is_key=*/false, &problem);
  if (problem == TagTextProblem::kCharacter) return tag.error(name, chars.message());
  PGS3_ASSIGN_OR_RETURN(size_t length, utf8_length(literal));
  const size_t max = is_key ? kMaxTagKeyChars : kMaxTagValueChars;
  if (length > max) {
    return tag.error(name, "has " + std::to_string(length) +
                               " characters besides its placeholders; S3 allows at most " + std::to_string(max) +
                               " in a tag " + (is_key ? "key" : "value"));
  }
  return Status::ok();
}

Status parse_tagging_rule(const Json& value, const std::string& path, const std::string& label, TaggingRule* rule) {
  PGS3_ASSIGN_OR_RETURN(JsonSection section,
                        JsonSection::open(value, path, kPostProcessingNames, NameCase::kInsensitive));
  PGS3_RETURN_IF_ERROR(read_identifier(section, "rule-id", &rule->rule_id));
  PGS3_RETURN_IF_ERROR(read_identifier(section, "rule-name", &rule->rule_name));
  rule->origin = label;
  if (!section.has("rule-action")) return section.error("rule-action", "required: add-tag");
  size_t action = 0;
  Status action_ok = section.read_choice("rule-action", kPostProcessingActions, &action);
  if (!action_ok.is_ok()) {
    return Status::bad_input(action_ok.message() +
                             " (add-tag is the only post-processing action DMS defines for S3 targets)");
  }

  const Json* locator_value = section.get("object-locator");
  if (locator_value == nullptr) {
    return section.error("object-locator", "required: {\"schema-name\": ..., \"table-name\": ...}");
  }
  PGS3_ASSIGN_OR_RETURN(JsonSection locator, JsonSection::open(*locator_value, section.path_of("object-locator"),
                                                               kTagLocatorNames, NameCase::kInsensitive));
  PGS3_RETURN_IF_ERROR(read_pattern(locator, "schema-name", SelectionRule::Action::kInclude, &rule->schema_pattern));
  PGS3_RETURN_IF_ERROR(read_pattern(locator, "table-name", SelectionRule::Action::kInclude, &rule->table_pattern));

  const Json* tag_set = section.get("tag-set");
  if (tag_set == nullptr) return section.error("tag-set", "required: [{\"key\": \"...\", \"value\": \"...\"}, ...]");
  if (!tag_set->is_array()) {
    return section.error("tag-set",
                         "expected an array of {\"key\", \"value\"} objects, got " + describe_json_value(*tag_set));
  }
  if (tag_set->empty()) return section.error("tag-set", "must hold at least one tag");
  if (tag_set->size() > kMaxTagsPerObject) {
    return section.error("tag-set",
                         "holds " + std::to_string(tag_set->size()) + " tags; S3 allows at most 10 tags on an object");
  }
  const std::string tags_path = section.path_of("tag-set");
  for (size_t i = 0; i < tag_set->size(); ++i) {
    PGS3_ASSIGN_OR_RETURN(JsonSection tag, JsonSection::open((*tag_set)[i], json_index_path(tags_path, i), kTagNames,
                                                             NameCase::kInsensitive));
    std::string key;
    std::string tag_value;
    PGS3_RETURN_IF_ERROR(tag.read_string("key", &key, /*required=*/true));
    PGS3_RETURN_IF_ERROR(tag.read_string("value", &tag_value));
    PGS3_RETURN_IF_ERROR(check_tag_template(tag, "key", key, label));
    PGS3_RETURN_IF_ERROR(check_tag_template(tag, "value", tag_value, label));
    for (const auto& [seen, unused] : rule->tag_set) {
      if (seen == key) return tag.error("key", Json(key).dump() + " appears twice in this tag-set; keys are unique");
    }
    rule->tag_set.emplace_back(std::move(key), std::move(tag_value));
  }
  return Status::ok();
}

// A JSON array of non-empty strings (names), at `section.path_of(name)`.
Status read_name_list(const JsonSection& section, std::string_view name, std::vector<std::string>* out) {
  const Json* list = section.get(name);
  if (list == nullptr) return Status::ok();
  if (!list->is_array()) return section.error(name, "expected an array of names, got " + describe_json_value(*list));
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    if (!item.is_string() || item.get<std::string>().empty()) {
      return Status::bad_input(json_index_path(section.path_of(name), i) + ": expected a non-empty name, got " +
                               describe_json_value(item));
    }
    out->push_back(item.get<std::string>());
  }
  return Status::ok();
}

// A boundary value: DMS writes them as strings; a JSON number or boolean is taken as its text.
Status read_boundary_value(const Json& value, const std::string& path, std::string* out) {
  if (value.is_string()) {
    *out = value.get<std::string>();
  } else if (value.is_number() || value.is_boolean()) {
    *out = value.dump();
  } else {
    return Status::bad_input(path + ": expected a value (a string, as DMS writes them), got " +
                             describe_json_value(value) +
                             (value.is_null() ? "; a boundary cannot be null (rows with nulls in the range columns "
                                                "go to the last segment)"
                                              : ""));
  }
  return Status::ok();
}

Status parse_parallel_load(const JsonSection& rule, const std::string& label, ParallelLoadRule* out) {
  PGS3_ASSIGN_OR_RETURN(JsonSection load, JsonSection::open(*rule.get("parallel-load"), rule.path_of("parallel-load"),
                                                            kParallelLoadNames, NameCase::kInsensitive));
  for (std::string_view mongo : kMongoParallelLoadNames) {
    if (load.has(mongo)) {
      return load.error(mongo, "applies to MongoDB and Amazon DocumentDB sources only; remove it");
    }
  }
  if (!load.has("type")) {
    return load.error("type", "required: partitions-auto, subpartitions-auto, partitions-list, ranges or none");
  }
  PGS3_RETURN_IF_ERROR(load.read_enum("type", kParallelLoadTypes, &out->type));
  using Type = ParallelLoadRule::Type;
  const bool list = out->type == Type::kPartitionsList;
  const bool ranges = out->type == Type::kRanges;
  for (std::string_view name : {"partitions", "subpartitions"}) {
    if (load.has(name) && !list) return load.error(name, "applies only to \"type\": \"partitions-list\"");
  }
  for (std::string_view name : {"columns", "boundaries"}) {
    if (load.has(name) && !ranges) return load.error(name, "applies only to \"type\": \"ranges\"");
  }
  if (list) {
    PGS3_RETURN_IF_ERROR(read_name_list(load, "partitions", &out->partitions));
    PGS3_RETURN_IF_ERROR(read_name_list(load, "subpartitions", &out->partitions));
    if (out->partitions.empty()) {
      return load.error("partitions", label + ": partitions-list needs the names of the partitions to load apart");
    }
    for (size_t i = 0; i < out->partitions.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (out->partitions[i] == out->partitions[j]) {
          return load.error("partitions", "names the partition " + Json(out->partitions[i]).dump() + " twice");
        }
      }
    }
  }
  if (ranges) {
    if (!load.has("columns")) return load.error("columns", "required for ranges: the names of 1 to 10 columns");
    PGS3_RETURN_IF_ERROR(read_name_list(load, "columns", &out->columns));
    if (out->columns.empty() || out->columns.size() > kMaxRangeColumns) {
      return load.error("columns", "must name 1 to 10 columns, not " + std::to_string(out->columns.size()));
    }
    for (size_t i = 0; i < out->columns.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (out->columns[i] == out->columns[j]) {
          return load.error("columns", "names the column " + Json(out->columns[i]).dump() + " twice");
        }
      }
    }
    const Json* boundaries = load.get("boundaries");
    if (boundaries == nullptr) {
      return load.error("boundaries", "required for ranges: an array of column-value arrays, one per boundary");
    }
    if (!boundaries->is_array() || boundaries->empty()) {
      return load.error("boundaries",
                        "expected a non-empty array of column-value arrays, got " + describe_json_value(*boundaries));
    }
    const std::string boundaries_path = load.path_of("boundaries");
    for (size_t i = 0; i < boundaries->size(); ++i) {
      const Json& values = (*boundaries)[i];
      const std::string path = json_index_path(boundaries_path, i);
      if (!values.is_array() || values.size() != out->columns.size()) {
        return Status::bad_input(path + ": expected an array of " + std::to_string(out->columns.size()) +
                                 " value(s), one per column of \"columns\", got " + describe_json_value(values));
      }
      std::vector<std::string> boundary(values.size());
      for (size_t c = 0; c < values.size(); ++c) {
        PGS3_RETURN_IF_ERROR(read_boundary_value(values[c], json_index_path(path, c), &boundary[c]));
      }
      out->boundaries.push_back(std::move(boundary));
    }
  }
  return Status::ok();
}

// A table-settings rule: its parallel-load into `parallel_load_rules`; lob-settings ignored with a warning.
Status parse_table_settings_rule(const Json& value, const std::string& path, const std::string& label,
                                 std::vector<ParallelLoadRule>* parallel_load_rules,
                                 std::vector<std::string>* warnings) {
  PGS3_ASSIGN_OR_RETURN(JsonSection section,
                        JsonSection::open(value, path, kTableSettingsNames, NameCase::kInsensitive));
  const Json* locator_value = section.get("object-locator");
  if (locator_value == nullptr) {
    return section.error("object-locator", "required: {\"schema-name\": ..., \"table-name\": ...}");
  }
  PGS3_ASSIGN_OR_RETURN(JsonSection locator, JsonSection::open(*locator_value, section.path_of("object-locator"),
                                                               kTagLocatorNames, NameCase::kInsensitive));
  ParallelLoadRule rule;
  rule.origin = label;
  PGS3_RETURN_IF_ERROR(locator.read_string("schema-name", &rule.schema_name, /*required=*/true));
  PGS3_RETURN_IF_ERROR(locator.read_string("table-name", &rule.table_name, /*required=*/true));
  if (section.has("lob-settings")) {
    warnings->push_back(label +
                        ": lob-settings are ignored: pgs3 copies every value whole, in the full load and in CDC "
                        "(no LOB mode, no truncation)");
  }
  if (!section.has("parallel-load")) {
    if (!section.has("lob-settings")) {
      return section.error("parallel-load", label + ": a table-settings rule needs parallel-load or lob-settings");
    }
    return Status::ok();
  }
  for (std::string_view name : {"schema-name", "table-name"}) {
    const std::string& text = name == "schema-name" ? rule.schema_name : rule.table_name;
    if (text.empty() || text.find('%') != std::string::npos) {
      return locator.error(name,
                           "a parallel-load rule names one table exactly (DMS allows no wildcards in table-settings)");
    }
  }
  PGS3_RETURN_IF_ERROR(parse_parallel_load(section, label, &rule));
  for (const ParallelLoadRule& seen : *parallel_load_rules) {
    if (seen.schema_name == rule.schema_name && seen.table_name == rule.table_name) {
      return Status::bad_input(label + ": " + rule.schema_name + "." + rule.table_name +
                               " already has a parallel-load (" + seen.origin + "); a table takes one");
    }
  }
  parallel_load_rules->push_back(std::move(rule));
  return Status::ok();
}

}  // namespace

Status parse_table_mappings(const Json& value, const std::string& path, std::vector<SelectionRule>* rules,
                            std::vector<TaggingRule>* tagging_rules, std::vector<ParallelLoadRule>* parallel_load_rules,
                            std::vector<std::string>* warnings) {
  PGS3_ASSIGN_OR_RETURN(JsonSection document, JsonSection::open(value, path, kDocumentNames, NameCase::kInsensitive));
  const Json* list = document.get("rules");
  if (list == nullptr) return document.error("rules", "required: the list of table-mapping rules");
  if (!list->is_array())
    return document.error("rules", "expected an array of rules, got " + describe_json_value(*list));
  const std::string rules_path = document.path_of("rules");

  std::vector<std::pair<std::string, std::string>> ids;    // rule-id, path of the rule
  std::vector<std::pair<std::string, std::string>> names;  // rule-name, path of the rule
  bool any_include = false;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const std::string rule_path = json_index_path(rules_path, i);
    if (!item.is_object())
      return Status::bad_input(rule_path + ": expected a rule object, got " + describe_json_value(item));

    const Json* type_value = raw_member(item, "rule-type");
    if (type_value == nullptr || type_value->is_null()) {
      return Status::bad_input(rule_path +
                               ".rule-type: required: selection, transformation, table-settings or "
                               "post-processing");
    }
    std::string type = type_value->is_string() ? to_lower_ascii(type_value->get<std::string>()) : "";
    std::string name = identifier_text(raw_member(item, "rule-name"));
    std::string id = identifier_text(raw_member(item, "rule-id"));
    const std::string label = rule_label(rule_path, name);

    // DMS: rule-id and rule-name are unique in the document.
    for (const auto& [seen, seen_path] : ids) {
      if (!id.empty() && seen == id) {
        return Status::bad_input(rule_path + ".rule-id: " + Json(id).dump() + " is also the rule-id of " + seen_path +
                                 "; rule ids must be unique");
      }
    }
    for (const auto& [seen, seen_path] : names) {
      if (!name.empty() && seen == name) {
        return Status::bad_input(rule_path + ".rule-name: " + Json(name).dump() + " is also the rule-name of " +
                                 seen_path + "; rule names must be unique");
      }
    }
    if (!id.empty()) ids.emplace_back(id, rule_path);
    if (!name.empty()) names.emplace_back(name, rule_path);

    if (type == "selection") {
      SelectionRule rule;
      PGS3_RETURN_IF_ERROR(parse_selection_rule(item, rule_path, &rule));
      any_include = any_include || rule.action != SelectionRule::Action::kExclude;
      rules->push_back(std::move(rule));
    } else if (type == "transformation") {
      return Status::bad_input(label +
                               ": transformation rules are not supported yet; they rename or remove schemas, tables "
                               "or columns, so ignoring one would silently change the output. Remove the rule to "
                               "write the source names and columns unchanged");
    } else if (type == "table-settings") {
      PGS3_RETURN_IF_ERROR(parse_table_settings_rule(item, rule_path, label, parallel_load_rules, warnings));
    } else if (type == "post-processing") {
      TaggingRule rule;
      PGS3_RETURN_IF_ERROR(parse_tagging_rule(item, rule_path, label, &rule));
      tagging_rules->push_back(std::move(rule));
    } else {
      std::string message = rule_path + ".rule-type: unknown rule type " + describe_json_value(*type_value);
      std::string_view suggestion = type_value->is_string() ? closest_name(type, kRuleTypes) : std::string_view();
      message += suggestion.empty() ? std::string(
                                          "; expected selection, transformation, table-settings or "
                                          "post-processing")
                                    : "; did you mean " + std::string(suggestion) + "?";
      return Status::bad_input(message);
    }
  }
  if (!any_include) {
    return Status::bad_input(rules_path +
                             ": no selection rule includes a table; add a rule with \"rule-type\": \"selection\" and "
                             "\"rule-action\": \"include\" (or \"explicit\")");
  }
  return Status::ok();
}

}  // namespace pgs3
