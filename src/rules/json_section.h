// JsonSection: one JSON object of the task file, read setting by setting.
//
// open() checks that the value is an object and that every key is a known setting: an unknown one is an error that
// names its JSON path and suggests the closest known name ("unknown setting target.s3Settings.CompresionType; did you
// mean CompressionType?"). DMS names compare ignoring case, so the same setting spelt twice in different cases is an
// error too. The typed readers then return errors of the form "<path>: expected ..., got <value>". A JSON null
// counts as "not set", as in the DMS API. The section refers to the parsed document, which must outlive it.
// Not thread-safe (used by one parse).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "rules/json_document.h"

namespace pgs3 {

enum class NameCase { kExact, kInsensitive };

// The accepted range of an integer setting and its unit for messages ("KB", "bytes", "seconds"; may be empty).
struct IntRange {
  int64_t min = 1;
  int64_t max = std::numeric_limits<int64_t>::max();
  std::string_view unit;
};

class JsonSection {
 public:
  // `known` must outlive the section (static name tables).
  static Result<JsonSection> open(const Json& value, std::string path, std::span<const std::string_view> known,
                                  NameCase name_case);

  const std::string& path() const { return path_; }
  // The value of setting `name` (a known name), or nullptr when it is absent or null.
  const Json* get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  // The JSON path of setting `name`, with the key as the user spelt it.
  std::string path_of(std::string_view name) const;
  // The known names present (not null), in file order.
  std::vector<std::string_view> present() const;
  // bad_input "<path_of(name)>: <message>".
  Status error(std::string_view name, std::string_view message) const;

  // Typed readers. They leave *out unchanged when the setting is absent; `required` makes absence an error.
  Status read_string(std::string_view name, std::string* out, bool required = false) const;
  // DMS booleans: JSON true/false, or the strings "true"/"false"/"y"/"n" (any case), as DMS accepts.
  Status read_bool(std::string_view name, bool* out) const;
  // A JSON integer, or a string of decimal digits (extra connection attributes are strings), within `range`.
  Status read_int(std::string_view name, IntRange range, int64_t* out) const;
  // A string equal, ignoring case, to one of `choices`; *out receives the index of the match.
  Status read_choice(std::string_view name, std::span<const std::string_view> choices, size_t* out) const;

  // read_choice() into an enum: `choices` pairs each accepted spelling with its value.
  template <typename E, size_t N>
  Status read_enum(std::string_view name, const std::pair<std::string_view, E> (&choices)[N], E* out) const {
    std::string_view names[N];
    for (size_t i = 0; i < N; ++i) names[i] = choices[i].first;
    size_t index = N;
    PGS3_RETURN_IF_ERROR(read_choice(name, std::span<const std::string_view>(names, N), &index));
    if (index < N) *out = choices[index].second;
    return Status::ok();
  }

 private:
  struct Entry {
    std::string_view name;  // the known name
    std::string key;        // as spelt in the file
    const Json* value;
  };
  const Entry* find(std::string_view name) const;
  Status type_error(const Entry& entry, std::string_view expected) const;

  std::string path_;
  std::vector<Entry> entries_;
};

}  // namespace pgs3
