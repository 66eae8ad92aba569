// tableMappings: DMS's table-mapping document (AWS DMS User Guide, "Specifying table selection and transformations
// rules using JSON"). Selection rules are read in full; other rule types are refused or ignored, per type:
// - transformation rules rename or drop schemas, tables and columns, so ignoring one would silently change the
//   output: refused ("not supported yet");
// - table-settings rules tune how a table is loaded (parallel-load, LOB settings): ignored with a warning;
// - post-processing rules tag S3 objects: ignored with a warning until the S3 target brings tagging.
#include <algorithm>

#include "rules/json_section.h"
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

}  // namespace

Status parse_table_mappings(const Json& value, const std::string& path, std::vector<SelectionRule>* rules,
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
      warnings->push_back(label +
                          ": table-settings rules are not supported yet and are ignored (pgs3 plans each "
                          "table's full load by itself)");
    } else if (type == "post-processing") {
      warnings->push_back(label +
                          ": post-processing rules (S3 object tagging) are ignored; S3 tagging comes with "
                          "the S3 target");
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
