// S3 object tagging from DMS post-processing rules ("rule-type": "post-processing", "rule-action": "add-tag";
// AWS DMS User Guide, "Amazon S3 object tagging", CHAP_Target.S3.Tagging), and S3's limits on tags (Amazon S3 User
// Guide, "Categorizing your storage using tags"): at most 10 tags per object; a key is 1 to 128 Unicode characters,
// a value 0 to 256; keys are unique on an object; allowed characters are letters, digits, spaces and + - = . _ : / @;
// the prefix "aws:" is reserved. Lengths count Unicode code points of the UTF-8 text, not bytes. Letters and digits
// outside ASCII are accepted as letters (S3 says "letters ... representable in UTF-8"); pgs3 does not carry Unicode
// category tables, so a non-ASCII symbol is left for S3 to judge.
//
// Which rule tags a table, as DMS documents it: "each S3 object is tagged using only one tag-set object from one
// post-processing rule ... the one whose object locator best matches that S3 object": an exact locator beats one
// with wildcards, and among rules that match equally well the first one in the task file wins. The tag sets of
// several rules are not merged. pgs3 ranks each locator name as exact (no wildcard), pattern without '%' (only `_`
// or `[...]`), or pattern with '%', and the rule with the best sum wins.
//
// Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "rules/task_config.h"

namespace pgs3 {

using ObjectTags = std::vector<std::pair<std::string, std::string>>;  // (key, value), in tag-set order

inline constexpr size_t kMaxTagsPerObject = 10;
inline constexpr size_t kMaxTagKeyChars = 128;
inline constexpr size_t kMaxTagValueChars = 256;

// The tags for the objects of table schema.table: the tag set of the best-matching add-tag rule with ${schema-name}
// and ${table-name} substituted (empty when no rule matches). Fails (kBadInput) when a substituted key or value
// breaks an S3 limit, or two substituted keys collide; the message names the table, the tag and the rule.
Result<ObjectTags> tags_for_table(const TaskConfig& config, std::string_view schema, std::string_view table);

// What check_tag_text() found wrong, for callers that act on one kind of problem only.
enum class TagTextProblem : uint8_t { kNone, kInvalidUtf8, kEmptyKey, kTooLong, kCharacter, kAwsPrefix };

// Checks a key or value (after substitution) against S3's limits; the message says what is wrong, for the caller to
// prefix. `is_key` selects the key limits (1..128 characters, no "aws:" prefix) or the value limits (0..256).
// `problem` (optional) receives which check failed.
Status check_tag_text(std::string_view text, bool is_key, TagTextProblem* problem = nullptr);

// The number of Unicode code points in `text`, or an error when it is not valid UTF-8.
Result<size_t> utf8_length(std::string_view text);

}  // namespace pgs3
