#include "rules/json_document.h"

#include <algorithm>
#include <set>
#include <vector>

namespace pgs3 {
namespace {

// Tracks where the parser is, so that a duplicate key can be reported with its JSON path. nlohmann's parser callback
// reports events only (object/array start and end, key, value), so the path is rebuilt from a stack of frames.
class DuplicateKeyFinder {
 public:
  explicit DuplicateKeyFinder(std::string base_path) : base_path_(std::move(base_path)) {}

  void on_event(nlohmann::json::parse_event_t event, const Json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start: frames_.push_back(Frame{false, 0, {}, {}}); break;
      case Event::array_start: frames_.push_back(Frame{true, 0, {}, {}}); break;
      case Event::key: {
        if (frames_.empty()) break;
        const std::string& key = parsed.get_ref<const std::string&>();
        Frame& top = frames_.back();
        if (!top.keys.insert(key).second && duplicate_path_.empty()) {
          duplicate_path_ = json_child_path(path_to_top(), key);
        }
        top.key = key;
        break;
      }
      case Event::object_end:
      case Event::array_end:
        if (!frames_.empty()) frames_.pop_back();
        element_done();
        break;
      case Event::value: element_done(); break;
    }
  }

  const std::string& duplicate_path() const { return duplicate_path_; }

 private:
  struct Frame {
    bool array;
    size_t count;  // for arrays: elements completed so far (the index of the one being parsed)
    std::set<std::string> keys;
    std::string key;  // for objects: the key whose value is being parsed
  };

  void element_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().count;
  }

  // The path of the container on top of the stack.
  std::string path_to_top() const {
    std::string path = base_path_;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      path = frames_[i].array ? json_index_path(path, frames_[i].count) : json_child_path(path, frames_[i].key);
    }
    return path;
  }

  std::string base_path_;
  std::vector<Frame> frames_;
  std::string duplicate_path_;
};

// nlohmann's message reads "[json.exception.parse_error.101] parse error at line 3, column 3: syntax error while
// parsing object key - unexpected '}'; expected string literal; last read: '...'". Keep what was expected and drop
// the position (computed by us from the byte offset) and the echoed text (it may hold a secret).
std::string parse_error_reason(const std::string& what) {
  std::string reason = what;
  size_t at = reason.find("parse error");
  if (at != std::string::npos) {
    size_t colon = reason.find(": ", at);
    if (colon != std::string::npos) reason = reason.substr(colon + 2);
  }
  size_t last_read = reason.find("; last read:");
  if (last_read != std::string::npos) reason.resize(last_read);
  return reason;
}

}  // namespace

std::string json_child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path = parent;
  path += '.';
  path += key;
  return path;
}

std::string json_index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string describe_json_value(const Json& value) {
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    constexpr size_t kMax = 40;
    if (s.size() <= kMax) return Json(s).dump();
    // Cut on a UTF-8 character boundary so the message stays valid UTF-8.
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return Json(s.substr(0, cut)).dump() + "...";
  }
  return value.dump();
}

Result<Json> parse_json_document(std::string_view text, const std::string& base_path) {
  DuplicateKeyFinder finder(base_path);
  Json::parser_callback_t callback = [&finder](int, nlohmann::json::parse_event_t event, Json& parsed) {
    finder.on_event(event, parsed);
    return true;
  };
  try {
    Json document = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true,
                                /*ignore_comments=*/true);
    if (!finder.duplicate_path().empty()) {
      return Status::bad_input(finder.duplicate_path() +
                               " is set more than once; keep one (JSON objects take each key once)");
    }
    return document;
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the 1-based offset of the last character read, i.e. the one that did not fit.
    size_t offset = e.byte == 0 ? 0 : std::min<size_t>(e.byte - 1, text.size());
    size_t line =
        1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(offset), '\n'));
    size_t column = offset + 1;
    if (offset > 0) {
      size_t newline = text.rfind('\n', offset - 1);
      if (newline != std::string_view::npos) column = offset - newline;
    }
    return Status::bad_input("invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) +
                             ": " + parse_error_reason(e.what()));
  } catch (const nlohmann::json::exception& e) {
    return Status::bad_input("invalid JSON: " + parse_error_reason(e.what()));
  }
}

}  // namespace pgs3
