#include "state/reload_requests.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace pgs3 {

std::string reload_request_prefix(const std::string& task_state_prefix) { return task_state_prefix + "reload/"; }

Status request_reload(ObjectStore& store, const std::string& task_state_prefix, const std::string& schema,
                      const std::string& table) {
  static std::atomic<int> sequence{0};
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  char name[64];
  std::snprintf(name, sizeof name, "%015lld-%d-%d.json", static_cast<long long>(ms), static_cast<int>(::getpid()),
                sequence.fetch_add(1));
  const std::string key = reload_request_prefix(task_state_prefix) + name;
  const std::string body = nlohmann::json{{"schema", schema}, {"table", table}}.dump() + "\n";
  return store.put(key, body);
}

Result<std::vector<ReloadRequest>> list_reload_requests(ObjectStore& store, const std::string& task_state_prefix) {
  PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store.list(reload_request_prefix(task_state_prefix)));
  std::vector<ReloadRequest> out;
  for (const ObjectInfo& o : objects) {
    PGS3_ASSIGN_OR_RETURN(std::optional<std::string> body, store.get(o.key));
    if (!body) continue;  // taken up meanwhile
    nlohmann::json j = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("schema") || !j.contains("table") || !j["schema"].is_string() ||
        !j["table"].is_string()) {
      return Status::data_error("reload request " + o.key +
                                " is not {\"schema\": ..., \"table\": ...}; remove it and request the reload again");
    }
    out.push_back(ReloadRequest{o.key, j["schema"].get<std::string>(), j["table"].get<std::string>()});
  }
  return out;
}

}  // namespace pgs3
