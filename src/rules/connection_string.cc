#include "rules/connection_string.h"

#include <cctype>
#include <string>

#include "rules/setting_names.h"

namespace pgs3 {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Keyword/value form: `keyword = value` pairs separated by white space; a value may be single-quoted, and a
// backslash escapes the next character (libpq-connect "Keyword/Value Connection Strings").
bool keyword_value_has_password(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    size_t key_begin = i;
    while (i < s.size() && s[i] != '=' && !is_space(s[i])) ++i;
    std::string_view key = s.substr(key_begin, i - key_begin);
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') return false;  // malformed: libpq will say so
    ++i;
    while (i < s.size() && is_space(s[i])) ++i;
    if (equals_ignore_case(key, "password")) return true;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        ++i;
      }
      if (i < s.size()) ++i;
    } else {
      while (i < s.size() && !is_space(s[i])) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        ++i;
      }
    }
  }
  return false;
}

// URI form: postgresql://[user[:password]@][hosts][/dbname][?param=value&...].
bool uri_has_password(std::string_view s, size_t scheme_end) {
  std::string_view rest = s.substr(scheme_end);
  size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos) return true;
  size_t query = rest.find('?');
  if (query == std::string_view::npos) return false;
  std::string_view params = rest.substr(query + 1);
  while (!params.empty()) {
    size_t amp = params.find('&');
    std::string_view param = params.substr(0, amp);
    std::string_view key = param.substr(0, param.find('='));
    if (equals_ignore_case(key, "password")) return true;
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace

bool connection_has_password(std::string_view connection) {
  size_t start = 0;
  while (start < connection.size() && is_space(connection[start])) ++start;
  std::string_view s = connection.substr(start);
  for (std::string_view scheme : {std::string_view("postgresql://"), std::string_view("postgres://")}) {
    if (s.size() >= scheme.size() && equals_ignore_case(s.substr(0, scheme.size()), scheme)) {
      return uri_has_password(s, scheme.size());
    }
  }
  return keyword_value_has_password(s);
}

}  // namespace pgs3
