// TableSelector: which source tables a task replicates, decided by DMS selection rules.
//
// Semantics follow the AWS DMS User Guide:
// - "Wildcards in table mapping" (CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Wildcards):
//   in schema-name and table-name, `%` matches zero or more characters, `_` matches a single character, `[_]` a
//   literal underscore, `[ab]` a set and `[a-d]` a range of characters. Note that `_` is a wildcard: `order_items`
//   also matches `orderXitems`; write `order[_]items` to match only the underscore. A character is a Unicode code
//   point (names are UTF-8), so `_` matches `é` as one character.
// - "Selection rules and actions" (CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Selections):
//   `explicit` selects exactly one table, named without wildcards, so its names are compared literally (`_`, `%`
//   and `[` are ordinary characters there). Selection rules are case-sensitive; PostgreSQL catalog names are
//   case-sensitive too, so `Orders` does not match `orders`.
// - Include and exclude: the guide's example "migrates all tables except those starting with DMS" with an include
//   rule for `%` and an exclude rule for `DMS%`, and no part of it makes the order of the rules significant. pgs3
//   therefore selects a table when at least one include or explicit rule matches it and no exclude rule matches it,
//   whatever the order of the rules: an exclude always wins, including over explicit (a table someone excluded, for
//   example for privacy, is never copied because another rule names it).
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "rules/task_config.h"

namespace pgs3 {

// True when `name` matches the DMS wildcard `pattern` (see above). Case-sensitive.
bool matches_dms_pattern(std::string_view pattern, std::string_view name);

// Checks the syntax of a wildcard pattern: every `[` closes with `]` and holds at least one character; negated sets
// (`[^a]`, `[!a]`) are not DMS syntax and are refused rather than read as literal characters. The message says what
// is wrong, for the caller to prefix with the JSON path.
Status check_dms_pattern(std::string_view pattern);

// A table in the source catalog.
struct QualifiedTableName {
  std::string schema;
  std::string table;
};

struct SelectionDecision {
  bool selected = false;
  // The rule that decided: the first exclude rule that matched (selected is false), else the first include or
  // explicit rule that matched (selected is true); nullptr when no rule matched (selected is false).
  const SelectionRule* rule = nullptr;
};

class TableSelector {
 public:
  explicit TableSelector(std::vector<SelectionRule> rules);

  SelectionDecision decide(std::string_view schema, std::string_view table) const;
  bool is_selected(std::string_view schema, std::string_view table) const { return decide(schema, table).selected; }

  // True when `rule`'s object locator matches the table (regardless of the rule's action).
  static bool rule_matches(const SelectionRule& rule, std::string_view schema, std::string_view table);

  // The rules, in task-file order, whose object locator matches none of `tables`: the task reports them ("selection
  // rule 2 (rule-name "orders") matches no table"), since a typo in a rule otherwise goes unnoticed.
  std::vector<const SelectionRule*> rules_matching_nothing(const std::vector<QualifiedTableName>& tables) const;

  const std::vector<SelectionRule>& rules() const { return rules_; }

 private:
  std::vector<SelectionRule> rules_;
};

}  // namespace pgs3
