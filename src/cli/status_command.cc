#include "cli/status_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/byte_size.h"
#include "base/utc_time.h"
#include "cli/task_file.h"
#include "model/lsn.h"
#include "pg/connection.h"
#include "sink/change_file_name.h"
#include "sink/object_keys.h"
#include "state/checkpoint.h"
#include "state/task_lease.h"
#include "task/target_store.h"

namespace pgs3 {
namespace {

using Json = nlohmann::json;

// What the server says about the task's slot and publication.
struct ServerState {
  bool reachable = false;
  std::string error;   // why it could not be read
  std::string server;  // PgConnection::describe()
  bool in_recovery = false;
  uint64_t current_lsn = 0;  // pg_current_wal_lsn() (the replay LSN on a standby)

  bool slot_exists = false;
  std::string slot_type;
  std::string plugin;
  std::string slot_database;
  bool active = false;
  std::optional<int64_t> active_pid;
  std::string wal_status;  // "" before PostgreSQL 13 or when NULL
  std::optional<uint64_t> restart_lsn;
  std::optional<uint64_t> confirmed_flush_lsn;

  bool publication_exists = false;
  int64_t publication_tables = 0;
};

std::optional<uint64_t> lsn_value(const PgResult& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  auto lsn = Lsn::parse(r.get(row, col));
  if (!lsn) return std::nullopt;
  return lsn->value();
}

ServerState read_server(const TaskConfig& config) {
  ServerState s;
  auto conn = PgConnection::open(config.source.connection);
  if (!conn.is_ok()) {
    s.error = conn.status().message();
    return s;
  }
  PgConnection& c = **conn;
  s.server = c.describe();
  auto now = c.query(
      "SELECT pg_is_in_recovery(), (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
      "ELSE pg_current_wal_lsn() END)::text");
  if (!now.is_ok()) {
    s.error = now.status().message();
    return s;
  }
  s.in_recovery = now->get_bool(0, 0);
  s.current_lsn = lsn_value(*now, 0, 1).value_or(0);

  const std::string wal_status = c.server_version_num() >= 130000 ? "wal_status" : "NULL::text";
  auto slot = c.query("SELECT slot_type, plugin, database, active, active_pid, " + wal_status +
                          ", restart_lsn::text, confirmed_flush_lsn::text FROM pg_replication_slots "
                          "WHERE slot_name = $1",
                      {config.source.slot_name});
  if (!slot.is_ok()) {
    s.error = slot.status().message();
    return s;
  }
  if (slot->rows() > 0) {
    s.slot_exists = true;
    s.slot_type = std::string(slot->get(0, 0));
    s.plugin = std::string(slot->get(0, 1));
    s.slot_database = std::string(slot->get(0, 2));
    s.active = slot->get_bool(0, 3);
    if (!slot->is_null(0, 4)) s.active_pid = slot->get_int64(0, 4);
    s.wal_status = std::string(slot->get(0, 5));
    s.restart_lsn = lsn_value(*slot, 0, 6);
    s.confirmed_flush_lsn = lsn_value(*slot, 0, 7);
  }
  auto publication = c.query(
      "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1), "
      "(SELECT count(*) FROM pg_publication_tables WHERE pubname = $1)",
      {config.source.publication_name});
  if (!publication.is_ok()) {
    s.error = publication.status().message();
    return s;
  }
  s.publication_exists = publication->get_bool(0, 0);
  s.publication_tables = publication->get_int64(0, 1);
  s.reachable = true;
  return s;
}

// The checkpoint part: nullopt checkpoint with an empty error means the task has not run (or is a full-load task,
// which keeps none).
struct TargetState {
  std::string target;  // ObjectStore::describe()
  std::string key;     // the checkpoint object's key
  std::optional<Checkpoint> checkpoint;
  std::string error;
  std::optional<LeaseState> lease;  // none: no process has run the task yet
  std::string lease_error;
};

// "held", or why a start would take the lease: "released", "expired", "holder gone".
std::string lease_state_name(const LeaseState& l) {
  if (!l.verdict.free) return "held";
  if (l.record.released) return "released";
  return l.age.count() >= l.record.duration_s ? "expired" : "holder gone";
}

TargetState read_target(const TaskConfig& config) {
  TargetState t;
  const std::string prefix = task_state_prefix(config.target.s3, config.task_id);
  t.key = Checkpoint::object_key(prefix);
  auto store = open_target_store_without_checks(config);
  if (!store.is_ok()) {
    t.error = store.status().message();
    return t;
  }
  t.target = (*store)->describe();
  auto loaded = Checkpoint::load(**store, prefix);
  if (!loaded.is_ok()) {
    t.error = loaded.status().message();
    return t;
  }
  t.checkpoint = std::move(*loaded);
  auto lease = TaskLease::inspect(**store, prefix);
  if (lease.is_ok()) {
    t.lease = std::move(*lease);
  } else {
    t.lease_error = lease.status().message();
  }
  return t;
}

std::optional<int64_t> newest_commit_time_us(const Checkpoint& c) {
  std::optional<int64_t> newest;
  for (const auto& t : c.tables) {
    if (t.statistics.last_commit_time_us && (!newest || *t.statistics.last_commit_time_us > *newest)) {
      newest = t.statistics.last_commit_time_us;
    }
  }
  return newest;
}

struct Lag {
  std::optional<uint64_t> bytes;         // current LSN - confirmed_flush_lsn
  std::optional<uint64_t> wal_retained;  // current LSN - restart_lsn
  std::optional<double> seconds;
};

Lag compute_lag(const ServerState& s, const TargetState& t) {
  Lag lag;
  if (!s.reachable || !s.slot_exists || s.current_lsn == 0) return lag;
  auto diff = [&](std::optional<uint64_t> lsn) -> std::optional<uint64_t> {
    if (!lsn) return std::nullopt;
    return s.current_lsn > *lsn ? s.current_lsn - *lsn : 0;
  };
  lag.bytes = diff(s.confirmed_flush_lsn);
  lag.wal_retained = diff(s.restart_lsn);
  if (lag.bytes && *lag.bytes == 0) {
    lag.seconds = 0;
  } else if (lag.bytes && t.checkpoint) {
    // Behind: the age of the newest change made durable is how far behind the target is (at least).
    if (auto newest = newest_commit_time_us(*t.checkpoint)) {
      auto age = std::chrono::system_clock::now() - commit_time_point(*newest);
      lag.seconds = std::max(0.0, std::chrono::duration<double>(age).count());
    }
  }
  return lag;
}

Json opt(const std::optional<uint64_t>& v) { return v ? Json(*v) : Json(nullptr); }
Json opt_lsn(const std::optional<uint64_t>& v) { return v ? Json(Lsn(*v).to_string()) : Json(nullptr); }

std::string time_text(const std::optional<int64_t>& pg_us) {
  return pg_us ? utc_time_text(commit_time_point(*pg_us), UtcTimeStyle::kIso8601Millis) : "";
}

Json to_json(const TaskConfig& config, const ServerState& s, const TargetState& t, const Lag& lag) {
  Json doc;
  doc["task_id"] = config.task_id;
  doc["migration_type"] = migration_type_name(config.migration_type);
  doc["target"] = t.target;
  doc["checkpoint_key"] = t.key;
  if (t.lease) {
    const LeaseRecord& r = t.lease->record;
    doc["lease"] = {{"state", lease_state_name(*t.lease)},
                    {"generation", r.generation},
                    {"host", r.holder.host},
                    {"pid", r.holder.pid},
                    {"since", r.since},
                    {"written_seconds_ago", t.lease->age.count()},
                    {"duration_s", r.duration_s}};
  } else {
    doc["lease"] = nullptr;
  }
  if (t.checkpoint) {
    const Checkpoint& c = *t.checkpoint;
    doc["checkpoint"] = {{"sequence", c.sequence()},
                         {"phase", c.phase == CheckpointPhase::kCdc ? "cdc" : "full-load"},
                         {"confirmed_lsn", Lsn(c.confirmed_lsn).to_string()},
                         {"slot_name", c.slot_name}};
    Json tables = Json::array();
    for (const auto& tc : c.tables) {
      const TableStatistics& st = tc.statistics;
      tables.push_back(
          {{"schema", tc.schema},
           {"table", tc.table},
           {"full_load_rows", st.full_load_rows},
           {"inserts", st.inserts},
           {"updates", st.updates},
           {"deletes", st.deletes},
           {"ddls", st.ddls},
           {"truncates", st.truncates},
           {"files", st.files},
           {"last_file", st.last_file_key},
           {"last_change_time", st.last_commit_time_us ? Json(time_text(st.last_commit_time_us)) : Json(nullptr)},
           {"durable_position",
            tc.durable_position ? Json(format_change_position(*tc.durable_position)) : Json(nullptr)}});
    }
    doc["tables"] = std::move(tables);
  } else {
    doc["checkpoint"] = nullptr;
    doc["tables"] = Json::array();
  }
  Json slot;
  slot["name"] = config.source.slot_name;
  if (s.reachable) {
    slot["exists"] = s.slot_exists;
    if (s.slot_exists) {
      slot["type"] = s.slot_type;
      slot["plugin"] = s.plugin;
      slot["database"] = s.slot_database;
      slot["active"] = s.active;
      slot["active_pid"] = s.active_pid ? Json(*s.active_pid) : Json(nullptr);
      slot["wal_status"] = s.wal_status.empty() ? Json(nullptr) : Json(s.wal_status);
      slot["restart_lsn"] = opt_lsn(s.restart_lsn);
      slot["confirmed_flush_lsn"] = opt_lsn(s.confirmed_flush_lsn);
      slot["lag_bytes"] = opt(lag.bytes);
      slot["wal_retained_bytes"] = opt(lag.wal_retained);
      slot["lag_seconds"] = lag.seconds ? Json(*lag.seconds) : Json(nullptr);
    }
  }
  doc["slot"] = slot;
  Json server;
  server["reachable"] = s.reachable;
  if (s.reachable) {
    server["current_wal_lsn"] = Lsn(s.current_lsn).to_string();
    server["in_recovery"] = s.in_recovery;
  }
  doc["server"] = server;
  Json publication;
  publication["name"] = config.source.publication_name;
  if (s.reachable) {
    publication["exists"] = s.publication_exists;
    publication["tables"] = s.publication_tables;
  }
  doc["publication"] = publication;
  Json errors = Json::array();
  if (!t.error.empty()) errors.push_back("target: " + t.error);
  if (!t.lease_error.empty()) errors.push_back("lease: " + t.lease_error);
  if (!s.error.empty()) errors.push_back("server: " + s.error);
  doc["errors"] = errors;
  return doc;
}

void print_text(const TaskConfig& config, const ServerState& s, const TargetState& t, const Lag& lag) {
  std::printf("pgs3 status: task \"%s\" (%s)\n", config.task_id.c_str(), migration_type_name(config.migration_type));

  // The checkpoint part.
  if (!t.error.empty()) {
    std::printf("checkpoint: cannot be read: %s\n", t.error.c_str());
  } else if (!t.checkpoint) {
    std::printf(
        "checkpoint: none in %s (%s): the task has not run yet%s\n", t.target.c_str(), t.key.c_str(),
        config.migration_type == MigrationType::kFullLoad ? ", or it is a full-load task (they keep none)" : "");
  } else {
    const Checkpoint& c = *t.checkpoint;
    std::printf("checkpoint: %s in %s (sequence %llu)\n", t.key.c_str(), t.target.c_str(),
                static_cast<unsigned long long>(c.sequence()));
    std::printf("  phase          %s\n", c.phase == CheckpointPhase::kCdc ? "cdc" : "full-load");
    std::printf("  confirmed LSN  %s\n", Lsn(c.confirmed_lsn).to_string().c_str());
  }

  // Who runs the task (state/task_lease.h).
  if (!t.lease_error.empty()) {
    std::printf("lease: cannot be read: %s\n", t.lease_error.c_str());
  } else if (t.lease) {
    const LeaseRecord& r = t.lease->record;
    const std::string state = lease_state_name(*t.lease);
    const std::string shown = state == "held" ? state : "free (" + state + ")";
    std::printf("lease: %s, generation %llu: host %s, PID %lld, since %s (written %lld s ago, for %lld s)\n",
                shown.c_str(), static_cast<unsigned long long>(r.generation), r.holder.host.c_str(),
                static_cast<long long>(r.holder.pid), r.since.c_str(), static_cast<long long>(t.lease->age.count()),
                static_cast<long long>(r.duration_s));
  } else if (t.error.empty()) {
    std::printf("lease: none (no pgs3 has run the task)\n");
  }

  // The server part.
  if (!s.reachable) {
    std::printf("server: cannot be read: %s\n", s.error.c_str());
  } else {
    std::printf("server: %s, WAL at %s%s\n", s.server.c_str(), Lsn(s.current_lsn).to_string().c_str(),
                s.in_recovery ? " (a standby: replay position)" : "");
    if (!s.slot_exists) {
      std::printf("slot \"%s\": does not exist%s\n", config.source.slot_name.c_str(),
                  config.migration_type == MigrationType::kFullLoad ? " (a full-load task uses none)" : "");
    } else {
      std::string holder =
          s.active ? "active" + (s.active_pid ? " (PID " + std::to_string(*s.active_pid) + ")" : std::string())
                   : "inactive (no pgs3 is streaming from it; it still holds WAL back)";
      std::printf("slot \"%s\": %s, plugin %s, wal_status %s\n", config.source.slot_name.c_str(), holder.c_str(),
                  s.plugin.c_str(), s.wal_status.empty() ? "-" : s.wal_status.c_str());
      std::printf("  restart_lsn          %s\n", s.restart_lsn ? Lsn(*s.restart_lsn).to_string().c_str() : "-");
      std::printf("  confirmed_flush_lsn  %s\n",
                  s.confirmed_flush_lsn ? Lsn(*s.confirmed_flush_lsn).to_string().c_str() : "-");
      if (lag.bytes) {
        std::string seconds;
        if (lag.seconds) {
          char buf[48];
          std::snprintf(buf, sizeof buf, ", %.1f s", *lag.seconds);
          seconds = buf;
        }
        std::printf("  lag                  %llu bytes (%s%s)\n", static_cast<unsigned long long>(*lag.bytes),
                    human_bytes(*lag.bytes).c_str(), seconds.c_str());
      }
      if (lag.wal_retained) {
        std::printf("  WAL retained         %llu bytes (%s)\n", static_cast<unsigned long long>(*lag.wal_retained),
                    human_bytes(*lag.wal_retained).c_str());
      }
    }
    if (s.publication_exists) {
      std::printf("publication \"%s\": exists, %lld table(s)\n", config.source.publication_name.c_str(),
                  static_cast<long long>(s.publication_tables));
    } else {
      std::printf("publication \"%s\": does not exist\n", config.source.publication_name.c_str());
    }
  }

  if (t.checkpoint && !t.checkpoint->tables.empty()) {
    std::printf("tables:\n");
    std::printf("  %-32s %14s %10s %10s %10s %6s %9s %7s  %-24s %s\n", "table", "full-load rows", "inserts", "updates",
                "deletes", "ddls", "truncates", "files", "last change (UTC)", "last file");
    for (const auto& tc : t.checkpoint->tables) {
      const TableStatistics& st = tc.statistics;
      std::string name = tc.relation_oid == 0 && tc.schema.empty() && tc.table == kTransactionFilesEntry
                             ? "(transaction files)"
                             : "\"" + tc.schema + "\".\"" + tc.table + "\"";
      std::string when = time_text(st.last_commit_time_us);
      std::printf("  %-32s %14llu %10llu %10llu %10llu %6llu %9llu %7llu  %-24s %s\n", name.c_str(),
                  static_cast<unsigned long long>(st.full_load_rows), static_cast<unsigned long long>(st.inserts),
                  static_cast<unsigned long long>(st.updates), static_cast<unsigned long long>(st.deletes),
                  static_cast<unsigned long long>(st.ddls), static_cast<unsigned long long>(st.truncates),
                  static_cast<unsigned long long>(st.files), when.empty() ? "-" : when.c_str(),
                  st.last_file_key.empty() ? "-" : st.last_file_key.c_str());
    }
  }
}

}  // namespace

int run_status_command(const std::string& task_file, const StatusOptions& options) {
  auto config = load_task_file(task_file);
  if (!config.is_ok()) {
    std::fprintf(stderr, "pgs3 status: %s\n", config.status().message().c_str());
    return exit_code_for(config.status());
  }
  TargetState target = read_target(*config);
  ServerState server = read_server(*config);
  Lag lag = compute_lag(server, target);
  if (options.json) {
    std::string text = to_json(*config, server, target, lag).dump(-1, ' ', false, Json::error_handler_t::replace);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
  } else {
    print_text(*config, server, target, lag);
  }
  std::fflush(stdout);
  return target.error.empty() && server.error.empty() ? 0 : 1;
}

}  // namespace pgs3
