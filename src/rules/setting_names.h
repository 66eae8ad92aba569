// Setting names: how the task file parser compares the names a user wrote with the names it knows, and which known
// name it suggests for a misspelt one.
//
// AWS DMS compares its own setting names case-insensitively (extra connection attributes accept `compressionType` as
// well as `CompressionType`), so DMS names are compared ignoring ASCII case; pgs3's own section names are compared
// exactly. Suggestions always ignore case, so `S3Settings` suggests `s3Settings`. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace pgs3 {

// True when `a` and `b` are equal ignoring ASCII case.
bool equals_ignore_case(std::string_view a, std::string_view b);

// ASCII lower case of `s` (other bytes unchanged).
std::string to_lower_ascii(std::string_view s);

// Edit distance ignoring ASCII case: insertions, deletions, substitutions and transpositions of two adjacent
// characters each cost 1 (optimal string alignment distance).
size_t edit_distance(std::string_view a, std::string_view b);

// The known name closest to `name`, or "" when none is close enough to be a plausible misspelling (distance at most
// max(2, length/3)). Ties go to the first in `known`.
std::string_view closest_name(std::string_view name, std::span<const std::string_view> known);

}  // namespace pgs3
