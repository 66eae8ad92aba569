// The parts of an object key ("folder/schema/table/20240229-134500123.parquet"): keys use '/' whatever the store.
//
// Key segments made from PostgreSQL names (a schema, a table) are escaped so that every name gets a folder of its own
// that no other name, and none of pgs3's own folders, can reach. AWS DMS documents no escaping (it writes names as
// they are), so pgs3 keeps names as they are except where they would break the layout; then it percent-encodes
// (RFC 3986 style, "%" and two upper-case hex digits per byte):
//   - '/' (a table `a/b` would otherwise live inside table `a`'s folder, and TRUNCATE of `a` would remove its files),
//   - '%' itself (so that decoding is exact: a table named `a%2Fb` is "a%252Fb", not `a/b`'s "a%2Fb"),
//   - control characters 0x00-0x1F and 0x7F,
//   - a whole segment "." or ".." ("%2E", "%2E%2E": a path would climb out of its folder),
//   - a whole segment "_pgs3" ("%5Fpgs3": the folder of pgs3's own state, <BucketFolder>/_pgs3/<taskId>/).
// Everything else (mixed case, spaces, non-ASCII UTF-8, other punctuation) is kept as is, as DMS does.
//
// Stateless; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgs3 {

// The last segment of `key`, after its last '/': the file name ("20240229-134500123.parquet"); the whole key when it
// has no '/', "" when it ends with one.
inline std::string base_name(std::string_view key) {
  size_t slash = key.rfind('/');
  return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
}

// The name of pgs3's state folder under BucketFolder, which no escaped name can equal.
inline constexpr std::string_view kStateFolderName = "_pgs3";

// `name` as one key segment (see the file comment).
std::string escape_key_segment(std::string_view name);
// The name a segment was made from, or nullopt when `segment` is not one escape_key_segment() makes (a '%' without
// two hex digits, or a character or whole segment that would have been escaped).
std::optional<std::string> unescape_key_segment(std::string_view segment);

}  // namespace pgs3
