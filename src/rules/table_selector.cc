#include "rules/table_selector.h"

namespace pgs3 {
namespace {

// Decodes the UTF-8 character at `s[i]`, advancing i. Invalid bytes decode as themselves, one byte each, so that a
// name that is not valid UTF-8 still matches itself.
char32_t next_char(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  size_t length = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (length <= 1 || i + length > s.size()) {
    ++i;
    return b0;
  }
  char32_t c = b0 & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return b0;
    }
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  i += length;
  return c;
}

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) out.push_back(next_char(s, i));
  return out;
}

// True when `c` is in the set pattern[begin, end) (the text between '[' and ']'): single characters and a-d ranges.
bool in_set(const std::u32string& pattern, size_t begin, size_t end, char32_t c) {
  for (size_t k = begin; k < end; ++k) {
    if (k + 2 < end && pattern[k + 1] == U'-') {
      if (pattern[k] <= c && c <= pattern[k + 2]) return true;
      k += 2;
    } else if (pattern[k] == c) {
      return true;
    }
  }
  return false;
}

// Wildcard matching with single-point backtracking for '%': the classic linear-space glob algorithm.
bool match(const std::u32string& pattern, const std::u32string& name) {
  size_t p = 0, n = 0;
  size_t star_p = std::u32string::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      char32_t pc = pattern[p];
      if (pc == U'%') {
        star_p = ++p;
        star_n = n;
        continue;
      }
      if (pc == U'_') {
        ++p;
        ++n;
        continue;
      }
      // A '[' without its ']' is an ordinary character (check_dms_pattern() refuses such patterns in task files).
      size_t set_end = pc == U'[' ? pattern.find(U']', p + 2) : std::u32string::npos;
      if (set_end != std::u32string::npos) {
        if (in_set(pattern, p + 1, set_end, name[n])) {
          p = set_end + 1;
          ++n;
          continue;
        }
      } else if (pc == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == std::u32string::npos) return false;
    p = star_p;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == U'%') ++p;
  return p == pattern.size();
}

}  // namespace

bool matches_dms_pattern(std::string_view pattern, std::string_view name) {
  return match(decode(pattern), decode(name));
}

Status check_dms_pattern(std::string_view pattern) {
  if (pattern.empty()) return Status::bad_input("must not be empty (use % to match every name)");
  std::u32string p = decode(pattern);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != U'[') continue;
    // The set holds at least one character, so a ']' right after '[' is a member ("[]]" matches ']').
    size_t end = p.find(U']', i + 2);
    if (end == std::u32string::npos) {
      if (i + 1 < p.size() && p[i + 1] == U']') return Status::bad_input("'[]' is an empty set of characters");
      return Status::bad_input("'[' at character " + std::to_string(i + 1) +
                               " is not closed by ']' (in DMS patterns [ab] is a set of characters)");
    }
    if (p[i + 1] == U'^' || p[i + 1] == U'!') {
      return Status::bad_input("negated sets such as [^a] are not part of DMS's wildcard syntax");
    }
    i = end;
  }
  return Status::ok();
}

TableSelector::TableSelector(std::vector<SelectionRule> rules) : rules_(std::move(rules)) {}

bool TableSelector::rule_matches(const SelectionRule& rule, std::string_view schema, std::string_view table) {
  if (rule.action == SelectionRule::Action::kExplicit) {
    return rule.schema_pattern == schema && rule.table_pattern == table;
  }
  return matches_dms_pattern(rule.schema_pattern, schema) && matches_dms_pattern(rule.table_pattern, table);
}

SelectionDecision TableSelector::decide(std::string_view schema, std::string_view table) const {
  SelectionDecision decision;
  for (const SelectionRule& rule : rules_) {
    if (!rule_matches(rule, schema, table)) continue;
    if (rule.action == SelectionRule::Action::kExclude) return SelectionDecision{false, &rule};
    if (decision.rule == nullptr) decision = SelectionDecision{true, &rule};
  }
  return decision;
}

std::vector<const SelectionRule*> TableSelector::rules_matching_nothing(
    const std::vector<QualifiedTableName>& tables) const {
  std::vector<const SelectionRule*> unmatched;
  for (const SelectionRule& rule : rules_) {
    bool any = false;
    for (const QualifiedTableName& t : tables) {
      if (rule_matches(rule, t.schema, t.table)) {
        any = true;
        break;
      }
    }
    if (!any) unmatched.push_back(&rule);
  }
  return unmatched;
}

}  // namespace pgs3
