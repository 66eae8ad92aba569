#include "rules/json_section.h"

#include <charconv>

#include "rules/setting_names.h"

namespace pgs3 {
namespace {

// "a positive integer (KB)", "an integer from 1 to 49".
std::string describe_range(const IntRange& range) {
  std::string text;
  if (range.max == std::numeric_limits<int64_t>::max()) {
    if (range.min == 1) {
      text = "a positive integer";
    } else if (range.min == 0) {
      text = "a non-negative integer";
    } else {
      text = "an integer of at least " + std::to_string(range.min);
    }
  } else {
    text = "an integer from " + std::to_string(range.min) + " to " + std::to_string(range.max);
  }
  if (!range.unit.empty()) {
    text += " (";
    text += range.unit;
    text += ")";
  }
  return text;
}

std::string join_names(std::span<const std::string_view> names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += ", ";
    text += names[i];
  }
  return text;
}

}  // namespace

Result<JsonSection> JsonSection::open(const Json& value, std::string path, std::span<const std::string_view> known,
                                      NameCase name_case) {
  if (!value.is_object()) {
    return Status::bad_input((path.empty() ? std::string("the task file") : path) + ": expected a JSON object, got " +
                             describe_json_value(value));
  }
  JsonSection section;
  section.path_ = std::move(path);
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    std::string_view match;
    for (std::string_view name : known) {
      if (name_case == NameCase::kExact ? key == name : equals_ignore_case(key, name)) {
        match = name;
        break;
      }
    }
    std::string key_path = json_child_path(section.path_, key);
    if (match.empty()) {
      std::string message = "unknown setting " + key_path;
      std::string_view suggestion = closest_name(key, known);
      if (!suggestion.empty()) {
        message += "; did you mean ";
        message += suggestion;
        message += "?";
      } else if (known.size() <= 12) {
        message += "; expected one of: " + join_names(known);
      }
      return Status::bad_input(message);
    }
    for (const Entry& seen : section.entries_) {
      if (seen.name == match) {
        return Status::bad_input(json_child_path(section.path_, seen.key) + " and " + key_path +
                                 " are the same setting (names ignore case); keep one");
      }
    }
    section.entries_.push_back(Entry{match, key, &it.value()});
  }
  return section;
}

const JsonSection::Entry* JsonSection::find(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (entry.name == name) return entry.value->is_null() ? nullptr : &entry;
  }
  return nullptr;
}

const Json* JsonSection::get(std::string_view name) const {
  const Entry* entry = find(name);
  return entry == nullptr ? nullptr : entry->value;
}

std::string JsonSection::path_of(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (entry.name == name) return json_child_path(path_, entry.key);
  }
  return json_child_path(path_, name);
}

std::vector<std::string_view> JsonSection::present() const {
  std::vector<std::string_view> names;
  for (const Entry& entry : entries_) {
    if (!entry.value->is_null()) names.push_back(entry.name);
  }
  return names;
}

Status JsonSection::error(std::string_view name, std::string_view message) const {
  std::string text = path_of(name);
  text += ": ";
  text += message;
  return Status::bad_input(std::move(text));
}

Status JsonSection::type_error(const Entry& entry, std::string_view expected) const {
  std::string message = "expected ";
  message += expected;
  message += ", got " + describe_json_value(*entry.value);
  return error(entry.name, message);
}

Status JsonSection::read_string(std::string_view name, std::string* out, bool required) const {
  const Entry* entry = find(name);
  if (entry == nullptr) return required ? error(name, "required") : Status::ok();
  if (!entry->value->is_string()) return type_error(*entry, "a string");
  *out = entry->value->get<std::string>();
  return Status::ok();
}

Status JsonSection::read_bool(std::string_view name, bool* out) const {
  const Entry* entry = find(name);
  if (entry == nullptr) return Status::ok();
  const Json& v = *entry->value;
  if (v.is_boolean()) {
    *out = v.get<bool>();
    return Status::ok();
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (equals_ignore_case(s, "true") || equals_ignore_case(s, "y")) {
      *out = true;
      return Status::ok();
    }
    if (equals_ignore_case(s, "false") || equals_ignore_case(s, "n")) {
      *out = false;
      return Status::ok();
    }
  }
  return type_error(*entry, "true or false");
}

Status JsonSection::read_int(std::string_view name, IntRange range, int64_t* out) const {
  const Entry* entry = find(name);
  if (entry == nullptr) return Status::ok();
  const Json& v = *entry->value;
  int64_t value = 0;
  bool parsed = false;
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      value = std::numeric_limits<int64_t>::max();
    } else {
      value = v.get<int64_t>();
    }
    parsed = true;
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    const char* begin = s.data();
    const char* end = s.data() + s.size();
    if (begin != end && *begin == '+') ++begin;
    auto [ptr, ec] = std::from_chars(begin, end, value);
    parsed = begin != end && ec == std::errc() && ptr == end;
    if (ec == std::errc::result_out_of_range && ptr == end) {  // an integer, reported as out of range below
      value = *begin == '-' ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
      parsed = true;
    }
  }
  if (!parsed) return type_error(*entry, describe_range(range));
  if (value < range.min || value > range.max) {
    return error(name, "expected " + describe_range(range) + ", got " + describe_json_value(v));
  }
  *out = value;
  return Status::ok();
}

Status JsonSection::read_choice(std::string_view name, std::span<const std::string_view> choices, size_t* out) const {
  const Entry* entry = find(name);
  if (entry == nullptr) return Status::ok();
  if (entry->value->is_string()) {
    const std::string& s = entry->value->get_ref<const std::string&>();
    for (size_t i = 0; i < choices.size(); ++i) {
      if (equals_ignore_case(s, choices[i])) {
        *out = i;
        return Status::ok();
      }
    }
  }
  return type_error(*entry, "one of " + join_names(choices));
}

}  // namespace pgs3
