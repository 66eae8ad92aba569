#include "state/file_journal.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "model/change_position_text.h"

namespace pgs3 {
namespace {

using Json = nlohmann::json;

constexpr const char kIntentFormat[] = "pgs3-file-intent";
constexpr int kIntentVersion = 1;
constexpr size_t kSequenceDigits = 20;
constexpr const char kIntentSuffix[] = ".json";

// The sequence of an intent key's last part ("00000000000000000042.json"), or nullopt for any other name.
std::optional<uint64_t> parse_intent_name(std::string_view name) {
  const std::string_view suffix = kIntentSuffix;
  if (name.size() != kSequenceDigits + suffix.size() || name.substr(kSequenceDigits) != suffix) return std::nullopt;
  uint64_t value = 0;
  const char* begin = name.data();
  const char* end = begin + kSequenceDigits;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::string intent_to_json(const FileIntent& intent) {
  Json j = {{"format", kIntentFormat},
            {"version", kIntentVersion},
            {"key", intent.key},
            {"schema", intent.schema},
            {"table", intent.table},
            {"relation_oid", intent.relation_oid},
            {"first", format_change_position(intent.first)},
            {"last", format_change_position(intent.last)},
            {"rows", intent.rows},
            {"bytes", intent.bytes},
            {"inserts", intent.inserts},
            {"updates", intent.updates},
            {"deletes", intent.deletes},
            {"key_updates", intent.key_updates},
            {"lease_generation", intent.lease_generation},
            {"last_commit_time_us", intent.last_commit_time_us ? Json(*intent.last_commit_time_us) : Json(nullptr)}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<FileIntent> parse_intent(const std::string& text, const std::string& where) {
  auto bad = [&where](const std::string& problem) {
    return Status::data_error("file intent " + where + " cannot be read: " + problem +
                              "; restore the object, or remove it if the file it names is known not to exist");
  };
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("it is not a JSON object");
  auto format = j.find("format");
  if (format == j.end() || *format != kIntentFormat)
    return bad("\"format\" is not \"" + std::string(kIntentFormat) + "\"");
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_unsigned() || version->get<uint64_t>() == 0) {
    return bad("\"version\" must be a positive integer");
  }
  if (version->get<uint64_t>() > static_cast<uint64_t>(kIntentVersion)) {
    return Status::data_error("file intent " + where + " has format version " +
                              std::to_string(version->get<uint64_t>()) + ", written by a newer pgs3: run a newer pgs3");
  }
  FileIntent intent;
  auto string_field = [&](const char* name, std::string& out) -> bool {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  auto uint_field = [&](const char* name, uint64_t& out) -> bool {
    auto it = j.find(name);
    if (it == j.end()) return true;  // counts are optional
    if (!it->is_number_unsigned()) return false;
    out = it->get<uint64_t>();
    return true;
  };
  auto position_field = [&](const char* name, ChangePosition& out) -> bool {
    std::string text_value;
    if (!string_field(name, text_value)) return false;
    std::optional<ChangePosition> p = parse_change_position(text_value);
    if (!p) return false;
    out = *p;
    return true;
  };
  for (auto [name, out] : {std::pair{"key", &intent.key}, {"schema", &intent.schema}, {"table", &intent.table}}) {
    if (!string_field(name, *out)) return bad(std::string("\"") + name + "\" must be a string");
  }
  if (intent.key.empty()) return bad("\"key\" is empty");
  if (!position_field("first", intent.first)) return bad("\"first\" must be a change position (\"<LSN>:<seq>\")");
  if (!position_field("last", intent.last)) return bad("\"last\" must be a change position (\"<LSN>:<seq>\")");
  if (intent.last < intent.first) return bad("\"last\" is before \"first\"");
  uint64_t oid = 0;
  if (!uint_field("relation_oid", oid) || oid > UINT32_MAX) return bad("\"relation_oid\" must be an OID");
  intent.relation_oid = static_cast<uint32_t>(oid);
  for (auto [name, out] : {std::pair{"rows", &intent.rows},
                           {"bytes", &intent.bytes},
                           {"inserts", &intent.inserts},
                           {"updates", &intent.updates},
                           {"deletes", &intent.deletes},
                           {"key_updates", &intent.key_updates},
                           {"lease_generation", &intent.lease_generation}}) {
    if (!uint_field(name, *out)) return bad(std::string("\"") + name + "\" must be a non-negative integer");
  }
  auto time = j.find("last_commit_time_us");
  if (time != j.end() && !time->is_null()) {
    if (!time->is_number_integer() ||
        (time->is_number_unsigned() && time->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
      return bad("\"last_commit_time_us\" must be an integer or null");
    }
    intent.last_commit_time_us = time->get<int64_t>();
  }
  return intent;
}

std::string FileJournal::journal_prefix(const std::string& prefix) { return prefix + "journal/"; }

std::string FileJournal::intent_key(const std::string& prefix, uint64_t sequence) {
  std::string digits = std::to_string(sequence);
  return journal_prefix(prefix) + std::string(kSequenceDigits - digits.size(), '0') + digits + kIntentSuffix;
}

Result<std::vector<JournalEntry>> FileJournal::read_all(ObjectStore& store, const std::string& prefix) {
  const std::string dir = journal_prefix(prefix);
  PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store.list(dir));
  std::vector<JournalEntry> entries;
  for (const ObjectInfo& info : objects) {
    // Only direct children with an intent's name: list() is in key order, and zero-padding makes that sequence order.
    std::optional<uint64_t> sequence = parse_intent_name(std::string_view(info.key).substr(dir.size()));
    if (!sequence) continue;
    PGS3_ASSIGN_OR_RETURN(std::optional<std::string> text, store.get(info.key));
    if (!text) continue;  // removed meanwhile (a release by a process that is still running would be a bug elsewhere)
    PGS3_ASSIGN_OR_RETURN(FileIntent intent, parse_intent(*text, info.key + " in " + store.describe()));
    entries.push_back(JournalEntry{.sequence = *sequence, .journal_key = info.key, .intent = std::move(intent)});
  }
  return entries;
}

Result<FileJournal> FileJournal::open(ObjectStore& store, const std::string& prefix, uint64_t lease_generation) {
  const std::string dir = journal_prefix(prefix);
  PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store.list(dir));
  uint64_t next = 1;
  for (const ObjectInfo& info : objects) {
    std::optional<uint64_t> sequence = parse_intent_name(std::string_view(info.key).substr(dir.size()));
    if (sequence && *sequence >= next) next = *sequence + 1;
  }
  return FileJournal(store, prefix, next, lease_generation);
}

Result<uint64_t> FileJournal::record(const FileIntent& intent) {
  uint64_t sequence = 0;
  {
    std::lock_guard<std::mutex> lock(*mu_);
    sequence = next_sequence_++;  // a failed write leaves a gap in the sequence, which is harmless
  }
  const std::string key = intent_key(prefix_, sequence);
  FileIntent stamped = intent;
  stamped.lease_generation = lease_generation_;
  PGS3_RETURN_IF_ERROR(
      store_->put_if(key, intent_to_json(stamped), "").status().with_context("writing file intent " + key));
  std::lock_guard<std::mutex> lock(*mu_);
  JournalEntry entry{.sequence = sequence, .journal_key = key, .intent = std::move(stamped)};
  auto at = std::upper_bound(outstanding_.begin(), outstanding_.end(), sequence,
                             [](uint64_t s, const JournalEntry& e) { return s < e.sequence; });
  outstanding_.insert(at, std::move(entry));
  return sequence;
}

std::vector<JournalEntry> FileJournal::outstanding() const {
  std::lock_guard<std::mutex> lock(*mu_);
  return outstanding_;
}

uint64_t FileJournal::next_sequence() const {
  std::lock_guard<std::mutex> lock(*mu_);
  return next_sequence_;
}

Status FileJournal::release(const Checkpoint& checkpoint) {
  std::vector<std::string> covered;
  for (const JournalEntry& entry : outstanding()) {
    if (covers(checkpoint, entry.intent)) covered.push_back(entry.journal_key);
  }
  if (covered.empty()) return Status::ok();
  // One request for all of them on S3. On failure every covered intent stays outstanding (removing a missing key is
  // no error, so the retry is harmless).
  Status st = store_->remove_all(covered);
  if (!st.is_ok()) return st.with_context("removing " + std::to_string(covered.size()) + " file intent(s)");
  std::lock_guard<std::mutex> lock(*mu_);
  std::erase_if(outstanding_, [&covered](const JournalEntry& e) {
    return std::find(covered.begin(), covered.end(), e.journal_key) != covered.end();
  });
  return Status::ok();
}

bool FileJournal::covers(const Checkpoint& checkpoint, const FileIntent& intent) {
  const TableCheckpoint* t = checkpoint.find_table(intent.relation_oid, intent.schema, intent.table);
  return t != nullptr && t->durable_position && *t->durable_position >= intent.last;
}

}  // namespace pgs3
