#include "rules/object_tagging.h"

#include "rules/table_selector.h"

namespace pgs3 {
namespace {

constexpr std::string_view kSchemaPlaceholder = "${schema-name}";
constexpr std::string_view kTablePlaceholder = "${table-name}";

bool allowed_ascii(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '+' ||
         c == '-' || c == '=' || c == '.' || c == '_' || c == ':' || c == '/' || c == '@';
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  size_t at = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

std::string substitute(const std::string& text, std::string_view schema, std::string_view table) {
  return replace_all(replace_all(text, kSchemaPlaceholder, schema), kTablePlaceholder, table);
}

// 2: no wildcard; 1: `_` or `[...]` but no '%'; 0: '%'.
int exactness(const std::string& pattern) {
  if (pattern.find('%') != std::string::npos) return 0;
  return pattern.find_first_of("_[") == std::string::npos ? 2 : 1;
}

// Appended piece by piece: `"\"" + std::string(text)` makes GCC 12 at -O3 report a false -Wrestrict inside
// std::string::_M_replace (GCC bug 105329, fixed in GCC 13).
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  out += text;
  out += '"';
  return out;
}

}  // namespace

Result<size_t> utf8_length(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > text.size()) return Status::bad_input("is not valid UTF-8");
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return Status::bad_input("is not valid UTF-8");
    }
    i += n;
  }
  return count;
}

Status check_tag_text(std::string_view text, bool is_key, TagTextProblem* problem) {
  TagTextProblem unused;
  TagTextProblem& found = problem != nullptr ? *problem : unused;
  found = TagTextProblem::kNone;
  Result<size_t> length = utf8_length(text);
  if (!length.is_ok()) {
    found = TagTextProblem::kInvalidUtf8;
    return length.status();
  }
  const size_t max = is_key ? kMaxTagKeyChars : kMaxTagValueChars;
  if (is_key && *length == 0) {
    found = TagTextProblem::kEmptyKey;
    return Status::bad_input("must not be empty (S3 tag keys are 1 to 128 characters)");
  }
  if (*length > max) {
    found = TagTextProblem::kTooLong;
    return Status::bad_input("is " + std::to_string(*length) + " characters long; S3 allows at most " +
                             std::to_string(max) + " in a tag " + (is_key ? "key" : "value"));
  }
  for (unsigned char c : text) {
    if (c < 0x80 && !allowed_ascii(c)) {
      found = TagTextProblem::kCharacter;
      return Status::bad_input(std::string("contains '") + static_cast<char>(c) +
                               "', which S3 does not allow in tags (letters, digits, spaces and + - = . _ : / @ only)");
    }
  }
  if (is_key && text.size() >= 4) {
    std::string prefix(text.substr(0, 4));
    for (char& c : prefix) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (prefix == "aws:") {
      found = TagTextProblem::kAwsPrefix;
      return Status::bad_input("must not start with \"aws:\", a prefix S3 reserves for AWS");
    }
  }
  return Status::ok();
}

Result<ObjectTags> tags_for_table(const TaskConfig& config, std::string_view schema, std::string_view table) {
  const TaggingRule* best = nullptr;
  int best_score = -1;
  for (const TaggingRule& rule : config.tagging_rules) {
    if (!matches_dms_pattern(rule.schema_pattern, schema) || !matches_dms_pattern(rule.table_pattern, table)) continue;
    const int score = exactness(rule.schema_pattern) + exactness(rule.table_pattern);
    if (score > best_score) {  // strictly better: on a tie the earlier rule stays
      best = &rule;
      best_score = score;
    }
  }
  ObjectTags tags;
  if (best == nullptr) return tags;
  const std::string where =
      "object tags for table " + quoted(schema) + "." + quoted(table) + " (from " + best->origin + ")";
  for (const auto& [key_template, value_template] : best->tag_set) {
    std::string key = substitute(key_template, schema, table);
    std::string value = substitute(value_template, schema, table);
    Status key_ok = check_tag_text(key, /*is_key=*/true);
    if (!key_ok.is_ok()) return Status::bad_input(where + ": tag key " + quoted(key) + " " + key_ok.message());
    Status value_ok = check_tag_text(value, /*is_key=*/false);
    if (!value_ok.is_ok()) {
      return Status::bad_input(where + ": value of tag " + quoted(key) + " " + value_ok.message());
    }
    for (const auto& [seen, unused] : tags) {
      if (seen == key) {
        return Status::bad_input(where + ": two tags get the key " + quoted(key) +
                                 " after substitution; S3 keys are unique on an object");
      }
    }
    tags.emplace_back(std::move(key), std::move(value));
  }
  // The tag-set size was checked at parse time; substitution does not add tags.
  return tags;
}

}  // namespace pgs3
