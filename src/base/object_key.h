// The parts of an object key ("folder/schema/table/20240229-134500123.parquet"): keys use '/' whatever the store.
// Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pgs3 {

// The last segment of `key`, after its last '/': the file name ("20240229-134500123.parquet"); the whole key when it
// has no '/', "" when it ends with one.
inline std::string base_name(std::string_view key) {
  size_t slash = key.rfind('/');
  return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
}

}  // namespace pgs3
