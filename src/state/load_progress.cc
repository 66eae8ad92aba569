#include "state/load_progress.h"

#include <nlohmann/json.hpp>

namespace pgs3 {
namespace {

constexpr char kObjectName[] = "full-load-progress.json";
constexpr char kFormat[] = "pgs3-full-load-progress";

}  // namespace

Result<std::optional<std::vector<LoadedTable>>> load_load_progress(ObjectStore& store, const std::string& prefix) {
  const std::string key = prefix + kObjectName;
  PGS3_ASSIGN_OR_RETURN(std::optional<std::string> body, store.get(key));
  if (!body) return std::optional<std::vector<LoadedTable>>();
  const nlohmann::json j = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  auto bad = [&key] {
    return Status::data_error(key + " is not a pgs3 full-load progress object; remove it to load every table");
  };
  if (!j.is_object() || j.value("format", "") != kFormat || !j.contains("tables") || !j["tables"].is_array()) {
    return bad();
  }
  std::vector<LoadedTable> out;
  for (const nlohmann::json& t : j["tables"]) {
    if (!t.is_object() || !t.contains("schema") || !t["schema"].is_string() || !t.contains("table") ||
        !t["table"].is_string() || !t.contains("relation_oid") || !t["relation_oid"].is_number_unsigned()) {
      return bad();
    }
    out.push_back(LoadedTable{t["schema"].get<std::string>(), t["table"].get<std::string>(),
                              t["relation_oid"].get<uint32_t>(), t.value("rows", uint64_t{0}),
                              t.value("files", uint64_t{0})});
  }
  return std::optional<std::vector<LoadedTable>>(std::move(out));
}

Status save_load_progress(ObjectStore& store, const std::string& prefix, const std::vector<LoadedTable>& tables) {
  nlohmann::json list = nlohmann::json::array();
  for (const LoadedTable& t : tables) {
    list.push_back({{"schema", t.schema},
                    {"table", t.table},
                    {"relation_oid", t.relation_oid},
                    {"rows", t.rows},
                    {"files", t.files}});
  }
  const std::string body = nlohmann::json{{"format", kFormat}, {"version", 1}, {"tables", std::move(list)}}.dump();
  return store.put(prefix + kObjectName, body + "\n");
}

Status remove_load_progress(ObjectStore& store, const std::string& prefix) {
  return store.remove(prefix + kObjectName);
}

}  // namespace pgs3
