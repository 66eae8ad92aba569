#include "task/table_selection.h"

#include "base/log.h"
#include "rules/object_tagging.h"
#include "rules/table_selector.h"

namespace pgs3 {

Result<std::vector<SourceTable>> select_tables(const TaskConfig& config, std::vector<SourceTable> all,
                                               const std::string& source) {
  TableSelector selector(config.selection_rules);
  std::vector<QualifiedTableName> names;
  names.reserve(all.size());
  for (const auto& t : all) names.push_back({t.schema, t.name});
  for (const SelectionRule* rule : selector.rules_matching_nothing(names)) {
    log_warn("selection rule " + rule->rule_id + " (rule-name \"" + rule->rule_name + "\", schema-name \"" +
             rule->schema_pattern + "\", table-name \"" + rule->table_pattern + "\") matches no table in " + source);
  }
  std::vector<SourceTable> chosen;
  for (auto& t : all) {
    if (selector.is_selected(t.schema, t.name)) chosen.push_back(std::move(t));
  }
  if (chosen.empty()) {
    return Status::bad_input(
        "the selection rules of tableMappings match no table in " + source +
        ": check the schema-name and table-name patterns (names are case-sensitive; '%' matches any "
        "run of characters and '_' any one character, [_] a literal underscore)");
  }
  std::string unreadable;
  int unreadable_count = 0;
  for (const auto& t : chosen) {
    if (t.can_select) continue;
    if (unreadable_count++ < 20) unreadable += (unreadable.empty() ? "" : ", ") + t.qualified_name();
  }
  if (unreadable_count > 0) {
    return Status::bad_input("the connecting user may not SELECT from " + std::to_string(unreadable_count) +
                             " selected table(s): " + unreadable + (unreadable_count > 20 ? ", ..." : "") +
                             "; run GRANT SELECT ON <table> TO <user> for each, or exclude them in tableMappings");
  }
  // Tags are computed now so that a table whose name breaks an S3 tag limit stops the task before any upload.
  for (const auto& t : chosen) {
    if (config.tagging_rules.empty()) break;
    PGS3_RETURN_IF_ERROR(tags_for_table(config, t.schema, t.name).status());
  }
  return chosen;
}

}  // namespace pgs3
