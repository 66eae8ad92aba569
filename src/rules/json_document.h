// JsonDocument: parsing the task file's JSON text, with errors a user can act on.
//
// A syntax error is reported with the line and column (counted from the byte offset, 1-based) and what the parser
// expected; the text around the error is never echoed, since it may be part of a connection string. A key that
// appears twice in the same object is an error naming its JSON path (most JSON parsers silently keep one of them).
// Comments (/* */ and //) are allowed: a task file is a configuration file.
// Stateless; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pgs3 {

// Objects keep the order of their keys, so that the first problem in file order is the one reported.
using Json = nlohmann::ordered_json;

// Parses `text`. `base_path` is the JSON path of the document inside the task file ("" for the task file itself),
// used for duplicate-key errors. Messages do not name the text itself: the caller adds that context.
Result<Json> parse_json_document(std::string_view text, const std::string& base_path);

// "parent.key", or "key" when parent is empty.
std::string json_child_path(const std::string& parent, std::string_view key);
// "parent[index]".
std::string json_index_path(const std::string& parent, size_t index);

// A short description of a value for messages: "big" (quoted, shortened past 40 characters), 12, true, null,
// an object, an array.
std::string describe_json_value(const Json& value);

}  // namespace pgs3
