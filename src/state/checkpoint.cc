#include "state/checkpoint.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "model/change_position_text.h"
#include "model/lsn.h"

namespace pgs3 {
namespace {

using Json = nlohmann::json;

constexpr const char kFormatName[] = "pgs3-checkpoint";

const char* phase_name(CheckpointPhase phase) { return phase == CheckpointPhase::kCdc ? "cdc" : "full-load"; }

Json lsn_json(const std::optional<uint64_t>& lsn) {
  if (!lsn) return nullptr;
  return Lsn(*lsn).to_string();
}

Json position_json(const std::optional<ChangePosition>& position) {
  if (!position) return nullptr;
  return format_change_position(*position);
}

// Reads typed fields of one JSON object; the first problem is kept, naming the field by its path.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string path, Status& status)
      : object_(object), path_(std::move(path)), status_(status) {}

  const Json* field(const char* name, bool required) {
    if (!status_.is_ok()) return nullptr;
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) {
      if (required) fail(name, "is missing");
      return nullptr;
    }
    return &*it;
  }
  void string(const char* name, std::string& out, bool required = true) {
    const Json* v = field(name, required);
    if (!v) return;
    if (!v->is_string()) return fail(name, "must be a string");
    out = v->get<std::string>();
  }
  void uint(const char* name, uint64_t& out, bool required = true) {
    const Json* v = field(name, required);
    if (!v) return;
    if (!v->is_number_unsigned()) return fail(name, "must be a non-negative integer");
    out = v->get<uint64_t>();
  }
  void optional_int(const char* name, std::optional<int64_t>& out) {
    const Json* v = field(name, false);
    if (!v) return;
    if (!v->is_number_integer()) return fail(name, "must be an integer or null");
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return fail(name, "is out of range");
    }
    out = v->get<int64_t>();
  }
  void lsn(const char* name, std::optional<uint64_t>& out, bool required) {
    std::string text;
    string(name, text, required);
    if (!status_.is_ok() || text.empty()) return;
    std::optional<Lsn> parsed = Lsn::parse(text);
    if (!parsed) return fail(name, "is not an LSN (\"X/Y\" as PostgreSQL prints it): \"" + text + "\"");
    out = parsed->value();
  }
  void position(const char* name, std::optional<ChangePosition>& out) {
    std::string text;
    string(name, text, false);
    if (!status_.is_ok() || text.empty()) return;
    std::optional<ChangePosition> parsed = parse_change_position(text);
    if (!parsed) return fail(name, "is not a change position (\"<LSN>:<seq>\"): \"" + text + "\"");
    out = parsed;
  }
  void fail(const char* name, const std::string& problem) {
    if (status_.is_ok()) status_ = Status::data_error(path_ + name + " " + problem);
  }

 private:
  const Json& object_;
  std::string path_;
  Status& status_;
};

Status parse_table(const Json& j, size_t index, TableCheckpoint& t) {
  const std::string path = "tables[" + std::to_string(index) + "].";
  if (!j.is_object()) return Status::data_error(path.substr(0, path.size() - 1) + " must be an object");
  Status status;
  FieldReader r(j, path, status);
  r.string("schema", t.schema);
  r.string("table", t.table);
  uint64_t oid = 0;
  r.uint("relation_oid", oid, false);
  if (oid > UINT32_MAX) r.fail("relation_oid", "is out of range");
  t.relation_oid = static_cast<uint32_t>(oid);
  r.position("durable_position", t.durable_position);
  r.lsn("snapshot_lsn", t.snapshot_lsn, false);
  r.string("last_change_file", t.last_change_file, false);
  if (const Json* dropped = r.field("dropped", false)) {
    if (!dropped->is_boolean()) r.fail("dropped", "must be true or false");
    if (dropped->is_boolean()) t.dropped = dropped->get<bool>();
  }
  if (const Json* done = r.field("full_load_done", false)) {
    if (!done->is_boolean()) r.fail("full_load_done", "must be true or false");
    if (done->is_boolean()) t.full_load_done = done->get<bool>();
  }
  if (const Json* reload = r.field("reload_requested", false)) {
    if (!reload->is_boolean()) r.fail("reload_requested", "must be true or false");
    if (reload->is_boolean()) t.reload_requested = reload->get<bool>();
  }
  PGS3_RETURN_IF_ERROR(status);
  if (const Json* partitions = r.field("partitions", false)) {
    if (!partitions->is_array()) return Status::data_error(path + "partitions must be an array");
    t.partitions.emplace();
    for (size_t i = 0; i < partitions->size(); ++i) {
      const std::string at = path + "partitions[" + std::to_string(i) + "].";
      if (!(*partitions)[i].is_object()) return Status::data_error(at.substr(0, at.size() - 1) + " must be an object");
      FieldReader p((*partitions)[i], at, status);
      uint64_t oid = 0;
      uint64_t relfilenode = 0;
      p.uint("oid", oid);
      p.uint("relfilenode", relfilenode);
      if (oid > UINT32_MAX) p.fail("oid", "is out of range");
      if (relfilenode > UINT32_MAX) p.fail("relfilenode", "is out of range");
      PGS3_RETURN_IF_ERROR(status);
      t.partitions->push_back({static_cast<uint32_t>(oid), static_cast<uint32_t>(relfilenode)});
    }
  }
  const Json* stats = r.field("statistics", false);
  if (!stats) return status;
  if (!stats->is_object()) return Status::data_error(path + "statistics must be an object");
  FieldReader s(*stats, path + "statistics.", status);
  TableStatistics& st = t.statistics;
  s.uint("full_load_rows", st.full_load_rows, false);
  s.uint("inserts", st.inserts, false);
  s.uint("updates", st.updates, false);
  s.uint("deletes", st.deletes, false);
  s.uint("key_updates", st.key_updates, false);
  s.uint("ddls", st.ddls, false);
  s.uint("truncates", st.truncates, false);
  s.uint("files", st.files, false);
  s.string("last_file_key", st.last_file_key, false);
  s.optional_int("last_commit_time_us", st.last_commit_time_us);
  return status;
}

bool same_table(const TableCheckpoint& t, uint32_t relation_oid, const std::string& schema, const std::string& table) {
  return t.schema == schema && t.table == table &&
         (relation_oid == 0 || t.relation_oid == 0 || t.relation_oid == relation_oid);
}

}  // namespace

std::string Checkpoint::object_key(const std::string& prefix) { return prefix + kCheckpointObjectName; }

std::string Checkpoint::to_json() const {
  Json tables_json = Json::array();
  for (const TableCheckpoint& t : tables) {
    const TableStatistics& s = t.statistics;
    Json stats = {{"full_load_rows", s.full_load_rows},
                  {"inserts", s.inserts},
                  {"updates", s.updates},
                  {"deletes", s.deletes},
                  {"key_updates", s.key_updates},
                  {"ddls", s.ddls},
                  {"truncates", s.truncates},
                  {"files", s.files},
                  {"last_file_key", s.last_file_key},
                  {"last_commit_time_us", s.last_commit_time_us ? Json(*s.last_commit_time_us) : Json(nullptr)}};
    Json entry = {{"schema", t.schema},
                  {"table", t.table},
                  {"relation_oid", t.relation_oid},
                  {"durable_position", position_json(t.durable_position)},
                  {"snapshot_lsn", lsn_json(t.snapshot_lsn)},
                  {"last_change_file", t.last_change_file},
                  {"statistics", std::move(stats)}};
    if (t.partitions) {
      Json partitions = Json::array();
      for (const PartitionCheckpoint& p : *t.partitions) {
        partitions.push_back({{"oid", p.oid}, {"relfilenode", p.relfilenode}});
      }
      entry["partitions"] = std::move(partitions);
    }
    if (t.dropped) entry["dropped"] = true;
    if (t.full_load_done) entry["full_load_done"] = true;
    if (t.reload_requested) entry["reload_requested"] = true;
    tables_json.push_back(std::move(entry));
  }
  Json j = {{"format", kFormatName},
            {"version", kCheckpointFormatVersion},
            {"sequence", sequence_},
            {"task_id", task_id},
            {"slot_name", slot_name},
            {"system_identifier", system_identifier},
            {"database", database},
            {"slot_created_lsn", lsn_json(slot_created_lsn)},
            {"lease_generation", lease_generation},
            {"phase", phase_name(phase)},
            {"confirmed_lsn", Lsn(confirmed_lsn).to_string()},
            {"tables", std::move(tables_json)}};
  // Names are kept as PostgreSQL has them (any UTF-8); invalid UTF-8 is replaced rather than failing the save.
  return j.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<Checkpoint> Checkpoint::parse(const std::string& text, const std::string& where) {
  auto bad = [&where](const std::string& problem) {
    return Status::data_error("checkpoint " + where + " cannot be read: " + problem +
                              "; restore the object from a backup, or remove it to start the task over");
  };
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("it is not valid JSON");
  if (!j.is_object()) return bad("it is not a JSON object");
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kFormatName) {
    return bad("\"format\" is not \"" + std::string(kFormatName) + "\"");
  }
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_unsigned() || version->get<uint64_t>() == 0) {
    return bad("\"version\" must be a positive integer");
  }
  if (version->get<uint64_t>() > static_cast<uint64_t>(kCheckpointFormatVersion)) {
    return Status::data_error("checkpoint " + where + " has format version " +
                              std::to_string(version->get<uint64_t>()) +
                              ", written by a newer pgs3; this pgs3 reads version " +
                              std::to_string(kCheckpointFormatVersion) + " at most: run a newer pgs3");
  }

  Checkpoint c;
  Status status;
  FieldReader r(j, "", status);
  r.uint("sequence", c.sequence_);
  r.string("task_id", c.task_id);
  r.string("slot_name", c.slot_name, false);
  r.string("system_identifier", c.system_identifier, false);
  r.string("database", c.database, false);
  r.lsn("slot_created_lsn", c.slot_created_lsn, false);
  r.uint("lease_generation", c.lease_generation, false);
  std::string phase;
  r.string("phase", phase);
  if (status.is_ok()) {
    if (phase == "cdc") {
      c.phase = CheckpointPhase::kCdc;
    } else if (phase == "full-load") {
      c.phase = CheckpointPhase::kFullLoad;
    } else {
      r.fail("phase", "must be \"full-load\" or \"cdc\", not \"" + phase + "\"");
    }
  }
  std::optional<uint64_t> confirmed;
  r.lsn("confirmed_lsn", confirmed, true);
  c.confirmed_lsn = confirmed.value_or(0);
  const Json* tables = r.field("tables", true);
  if (!status.is_ok()) return bad(status.message());
  if (!tables->is_array()) return bad("tables must be an array");
  for (size_t i = 0; i < tables->size(); ++i) {
    TableCheckpoint t;
    Status st = parse_table((*tables)[i], i, t);
    if (!st.is_ok()) return bad(st.message());
    for (const TableCheckpoint& other : c.tables) {
      // A table dropped and created again under the same name has a new OID: two entries, told apart by OID.
      if ((t.relation_oid != 0 && t.relation_oid == other.relation_oid) ||
          same_table(other, t.relation_oid, t.schema, t.table)) {
        return bad("tables[" + std::to_string(i) + "] (\"" + t.schema + "\".\"" + t.table +
                   "\") duplicates another table entry");
      }
    }
    c.tables.push_back(std::move(t));
  }
  return c;
}

Result<std::optional<Checkpoint>> Checkpoint::load(ObjectStore& store, const std::string& prefix) {
  const std::string key = object_key(prefix);
  PGS3_ASSIGN_OR_RETURN(std::optional<VersionedObject> object, store.get_versioned(key));
  if (!object) return std::optional<Checkpoint>();
  PGS3_ASSIGN_OR_RETURN(Checkpoint c, parse(object->bytes, key + " in " + store.describe()));
  c.saved_confirmed_lsn_ = c.confirmed_lsn;
  c.etag_ = std::move(object->etag);
  return std::optional<Checkpoint>(std::move(c));
}

Status Checkpoint::save(ObjectStore& store, const std::string& prefix) {
  const std::string key = object_key(prefix);
  if (saved_confirmed_lsn_ && confirmed_lsn < *saved_confirmed_lsn_) {
    return Status::internal("checkpoint " + key + ": confirmed_lsn would go back from " +
                            Lsn(*saved_confirmed_lsn_).to_string() + " to " + Lsn(confirmed_lsn).to_string() +
                            " (a bug in pgs3: nothing was saved)");
  }
  // Conditional on the version last loaded or saved (a fresh checkpoint: on there being none), so that a save never
  // replaces a checkpoint this object has not seen — one a successor saved after taking the task's lease over, or
  // one that exists although it was not loaded.
  ++sequence_;
  Result<std::string> etag = store.put_if(key, to_json(), etag_);
  if (!etag.is_ok()) {
    --sequence_;
    if (etag.status().code() == StatusCode::kConflict) {
      return Status::conflict("checkpoint " + key + " in " + store.describe() +
                              " was not saved: " + etag.status().message() +
                              " since this process loaded or saved it (another pgs3 runs the task, or a bug in pgs3)");
    }
    return etag.status().with_context("saving checkpoint " + key);
  }
  etag_ = std::move(*etag);
  saved_confirmed_lsn_ = confirmed_lsn;
  return Status::ok();
}

void Checkpoint::adopt_saved(const Checkpoint& saved) {
  sequence_ = saved.sequence_;
  etag_ = saved.etag_;
  saved_confirmed_lsn_ = saved.saved_confirmed_lsn_;
  phase = saved.phase;
  confirmed_lsn = saved.confirmed_lsn;
}

TableCheckpoint* Checkpoint::find_table(uint32_t relation_oid, const std::string& schema, const std::string& table) {
  if (relation_oid != 0) {
    for (TableCheckpoint& t : tables) {
      if (t.relation_oid == relation_oid) return &t;
    }
  }
  for (TableCheckpoint& t : tables) {
    if (same_table(t, relation_oid, schema, table)) return &t;
  }
  return nullptr;
}

const TableCheckpoint* Checkpoint::find_table(uint32_t relation_oid, const std::string& schema,
                                              const std::string& table) const {
  return const_cast<Checkpoint*>(this)->find_table(relation_oid, schema, table);
}

TableCheckpoint& Checkpoint::table_entry(uint32_t relation_oid, const std::string& schema, const std::string& table) {
  if (TableCheckpoint* t = find_table(relation_oid, schema, table)) return *t;
  TableCheckpoint& t = tables.emplace_back();
  t.schema = schema;
  t.table = table;
  t.relation_oid = relation_oid;
  return t;
}

bool Checkpoint::same_content(const Checkpoint& other) const {
  return task_id == other.task_id && slot_name == other.slot_name && system_identifier == other.system_identifier &&
         database == other.database && slot_created_lsn == other.slot_created_lsn &&
         lease_generation == other.lease_generation && phase == other.phase && confirmed_lsn == other.confirmed_lsn &&
         tables == other.tables;
}

}  // namespace pgs3
