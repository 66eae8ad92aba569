#include "cli/drop_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/object_key.h"
#include "cli/status_command.h"
#include "cli/task_file.h"
#include "pg/connection.h"
#include "rules/table_selector.h"
#include "rules/task_config.h"
#include "sink/object_keys.h"
#include "state/checkpoint.h"
#include "state/task_lease.h"
#include "task/target_store.h"

namespace pgs3 {
namespace {

struct SlotState {
  bool exists = false;
  bool active = false;
  std::optional<int64_t> active_pid;
  std::optional<uint64_t> wal_retained;  // bytes between restart_lsn and the current WAL position
};

Result<SlotState> read_slot(PgConnection& c, const std::string& slot_name) {
  PGS3_ASSIGN_OR_RETURN(PgResult r, c.query("SELECT active, active_pid, "
                                            "pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN "
                                            "pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, "
                                            "restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1",
                                            {slot_name}));
  SlotState s;
  if (r.rows() == 0) return s;
  s.exists = true;
  s.active = r.get_bool(0, 0);
  if (!r.is_null(0, 1)) s.active_pid = r.get_int64(0, 1);
  if (!r.is_null(0, 2)) s.wal_retained = static_cast<uint64_t>(std::max<int64_t>(0, r.get_int64(0, 2)));
  return s;
}

// "PID 1234 (application_name pgs3, client 10.0.0.7, connected since ...)" — who holds an active slot.
std::string describe_holder(PgConnection& c, const SlotState& s) {
  if (!s.active_pid) return "an unknown process";
  std::string out = "PID " + std::to_string(*s.active_pid);
  auto r = c.query(
      "SELECT application_name, coalesce(host(client_addr), 'local socket'), "
      "to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM pg_stat_activity WHERE pid = $1",
      {std::to_string(*s.active_pid)});
  if (r.is_ok() && r->rows() > 0) {
    out += " (application_name \"" + std::string(r->get(0, 0)) + "\", client " + std::string(r->get(0, 1)) +
           ", connected since " + std::string(r->get(0, 2)) + " UTC)";
  }
  return out;
}

// The objects --purge-target removes, by prefix: data prefixes first, the task's state prefix last.
struct PurgePlan {
  std::map<std::string, std::vector<std::string>> data;  // table prefix -> keys
  std::vector<std::string> state;                        // keys under task_state_prefix(), checkpoint last
  std::string state_prefix;
  size_t total() const {
    size_t n = state.size();
    for (const auto& [prefix, keys] : data) n += keys.size();
    return n;
  }
};

Result<PurgePlan> plan_purge(ObjectStore& store, const TaskConfig& config) {
  PurgePlan plan;
  const S3Settings& s3 = config.target.s3;
  plan.state_prefix = task_state_prefix(s3, config.task_id);
  // task_state_prefix() is "<folder>_pgs3/<taskId>/": the folder prefix ("" or "raw/app/") is what precedes it.
  const std::string folder = plan.state_prefix.substr(0, plan.state_prefix.size() - config.task_id.size() - 7);
  const std::string checkpoint_key = Checkpoint::object_key(plan.state_prefix);

  // Tables the checkpoint names (they may no longer match the rules), matched by their exact prefix.
  std::vector<std::string> checkpoint_prefixes;
  auto checkpoint = Checkpoint::load(store, plan.state_prefix);
  if (checkpoint.is_ok() && *checkpoint) {
    for (const auto& t : (*checkpoint)->tables) checkpoint_prefixes.push_back(table_prefix(s3, t.schema, t.table));
  } else if (!checkpoint.is_ok()) {
    std::fprintf(stderr,
                 "pgs3 drop: the checkpoint cannot be read (%s); purging the tables the selection rules "
                 "match\n",
                 checkpoint.status().message().c_str());
  }

  TableSelector selector(config.selection_rules);
  PGS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store.list(folder));
  for (const ObjectInfo& o : objects) {
    if (o.key.starts_with(plan.state_prefix)) {
      if (o.key != checkpoint_key) plan.state.push_back(o.key);
      continue;
    }
    // PreserveTransactions: the transaction files under CdcPath.
    const std::string transactions = transaction_prefix(s3);
    if (s3.preserve_transactions && o.key.starts_with(transactions + "CDC_TXN-")) {
      plan.data[transactions].push_back(o.key);
      continue;
    }
    std::string rest = o.key.substr(folder.size());
    size_t first = rest.find('/');
    size_t second = first == std::string::npos ? std::string::npos : rest.find('/', first + 1);
    if (second == std::string::npos) continue;  // not <schema>/<table>/<file>
    // The folders' names are escaped (base/object_key.h); a folder no table name escapes to is not pgs3's.
    const std::string schema_segment = rest.substr(0, first);
    if (schema_segment == kStateFolderName) continue;  // another task's state
    std::optional<std::string> schema = unescape_key_segment(schema_segment);
    std::optional<std::string> table = unescape_key_segment(rest.substr(first + 1, second - first - 1));
    if (!schema || !table) continue;
    std::string prefix = table_prefix(s3, *schema, *table);
    bool named = false;
    for (const auto& p : checkpoint_prefixes) named = named || p == prefix;
    if (named || selector.is_selected(*schema, *table)) plan.data[prefix].push_back(o.key);
  }
  // The checkpoint goes last: should the purge stop half-way, the task still shows as having run.
  auto checkpoint_object = store.get(checkpoint_key);
  if (checkpoint_object.is_ok() && *checkpoint_object) plan.state.push_back(checkpoint_key);
  return plan;
}

bool confirm(const std::string& task_id) {
  std::fprintf(stderr, "type the task id (%s) to confirm: ", task_id.c_str());
  std::fflush(stderr);
  char line[512];
  if (std::fgets(line, sizeof line, stdin) == nullptr) return false;
  std::string answer(line);
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r' || answer.back() == ' ')) {
    answer.pop_back();
  }
  while (!answer.empty() && answer.front() == ' ') answer.erase(0, 1);
  return answer == task_id;
}

}  // namespace

int run_drop_command(const std::string& task_file, const DropOptions& options) {
  auto config = load_task_file(task_file);
  if (!config.is_ok()) {
    std::fprintf(stderr, "pgs3 drop: %s\n", config.status().message().c_str());
    return exit_code_for(config.status());
  }
  const std::string& slot_name = config->source.slot_name;
  const std::string& publication = config->source.publication_name;
  if (!options.yes && ::isatty(STDIN_FILENO) == 0) {
    std::fprintf(stderr,
                 "pgs3 drop: not confirmed: stdin is not a terminal, so pgs3 cannot ask; run `pgs3 drop %s --yes%s` "
                 "to drop slot \"%s\" and publication \"%s\"%s. Nothing was removed.\n",
                 task_file.c_str(), options.purge_target ? " --purge-target" : "", slot_name.c_str(),
                 publication.c_str(), options.purge_target ? " and purge the task's files from the target" : "");
    return 2;
  }

  auto conn = PgConnection::open(config->source.connection);
  if (!conn.is_ok()) {
    std::fprintf(stderr, "pgs3 drop: %s\nNothing was removed.\n", conn.status().message().c_str());
    return 1;
  }
  PgConnection& c = **conn;

  // An active slot is streaming to a pgs3 (or another client). Its holder may have just been stopped: the slot is
  // released when its walsender exits, which can take a moment.
  auto slot = read_slot(c, slot_name);
  for (int i = 0; slot.is_ok() && slot->active && i < 25; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    slot = read_slot(c, slot_name);
  }
  if (!slot.is_ok()) {
    std::fprintf(stderr, "pgs3 drop: cannot read slot \"%s\": %s\nNothing was removed.\n", slot_name.c_str(),
                 slot.status().message().c_str());
    return 1;
  }
  if (slot->active) {
    std::fprintf(stderr,
                 "pgs3 drop: slot \"%s\" is in use by %s: stop the pgs3 task that streams from it (SIGTERM) and run "
                 "drop again. Nothing was removed.\n",
                 slot_name.c_str(), describe_holder(c, *slot).c_str());
    return 1;
  }
  auto pub = c.query("SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", {publication});
  if (!pub.is_ok()) {
    std::fprintf(stderr, "pgs3 drop: cannot read publication \"%s\": %s\nNothing was removed.\n", publication.c_str(),
                 pub.status().message().c_str());
    return 1;
  }
  const bool publication_exists = pub->get_bool(0, 0);

  // A pgs3 that runs the task holds its lease, also while it does not stream (its full load, a reconnect).
  // Without --purge-target, a target that cannot be read only costs that check (a warning).
  std::unique_ptr<ObjectStore> store;
  auto opened = open_target_store_without_checks(*config);
  if (opened.is_ok()) store = std::move(*opened);
  Status free = store ? TaskLease::peek(*store, task_state_prefix(config->target.s3, config->task_id), config->task_id)
                      : opened.status();
  if (free.code() == StatusCode::kConflict || (!free.is_ok() && options.purge_target)) {
    std::fprintf(stderr, "pgs3 drop: %s\nNothing was removed.\n", free.message().c_str());
    return 1;
  }
  if (!free.is_ok()) {
    std::fprintf(stderr, "pgs3 drop: warning: cannot see whether a pgs3 runs the task (its lease): %s\n",
                 free.message().c_str());
  }
  PurgePlan plan;
  if (options.purge_target) {
    auto planned = plan_purge(*store, *config);
    if (!planned.is_ok()) {
      std::fprintf(stderr, "pgs3 drop: cannot list the target %s: %s\nNothing was removed.\n",
                   store->describe().c_str(), planned.status().message().c_str());
      return 1;
    }
    plan = std::move(*planned);
  }

  std::printf("pgs3 drop: task \"%s\" on %s\n", config->task_id.c_str(), c.describe().c_str());
  if (slot->exists) {
    std::string retained =
        slot->wal_retained ? ", holding back " + std::to_string(*slot->wal_retained) + " bytes of WAL" : "";
    std::printf("  slot \"%s\": inactive%s\n", slot_name.c_str(), retained.c_str());
  } else {
    std::printf("  slot \"%s\": does not exist\n", slot_name.c_str());
  }
  std::printf("  publication \"%s\": %s\n", publication.c_str(), publication_exists ? "exists" : "does not exist");
  if (options.purge_target) {
    std::printf("  target %s: %zu object(s) of this task\n", store->describe().c_str(), plan.total());
  }
  std::fflush(stdout);

  if (!options.yes && !confirm(config->task_id)) {
    std::fprintf(stderr, "pgs3 drop: not confirmed. Nothing was removed.\n");
    return 2;
  }

  if (slot->exists) {
    auto dropped = c.query("SELECT pg_drop_replication_slot($1)", {slot_name});
    if (!dropped.is_ok()) {
      std::string why = dropped.status().message();
      if (c.last_sqlstate() == "55006") {  // object_in_use: a client started streaming since the check
        auto again = read_slot(c, slot_name);
        if (again.is_ok()) why = "it is in use by " + describe_holder(c, *again) + ": stop that client first";
      }
      std::fprintf(stderr, "pgs3 drop: cannot drop slot \"%s\": %s\n", slot_name.c_str(), why.c_str());
      return 1;
    }
    std::printf("dropped slot \"%s\"\n", slot_name.c_str());
  } else {
    std::printf("slot \"%s\" did not exist\n", slot_name.c_str());
  }

  // Only when it exists: IF EXISTS on a missing one makes the server send a NOTICE that libpq prints on stderr.
  Status st = publication_exists ? c.exec("DROP PUBLICATION IF EXISTS " + quote_ident(publication)) : Status::ok();
  if (!st.is_ok()) {
    std::fprintf(stderr, "pgs3 drop: cannot drop publication \"%s\": %s\n", publication.c_str(), st.message().c_str());
    return 1;
  }
  std::printf(publication_exists ? "dropped publication \"%s\"\n" : "publication \"%s\" did not exist\n",
              publication.c_str());

  if (options.purge_target) {
    auto remove_all = [&](const std::string& prefix, const std::vector<std::string>& keys) -> bool {
      for (const std::string& key : keys) {
        Status removed = store->remove(key);
        if (!removed.is_ok()) {
          std::fprintf(stderr, "pgs3 drop: cannot remove %s from %s: %s\n", key.c_str(), store->describe().c_str(),
                       removed.message().c_str());
          return false;
        }
      }
      std::printf("removed %zu object(s) under %s\n", keys.size(), prefix.c_str());
      return true;
    };
    for (const auto& [prefix, keys] : plan.data) {
      if (!remove_all(prefix, keys)) return 1;
    }
    if (!plan.state.empty() && !remove_all(plan.state_prefix, plan.state)) return 1;
    std::printf("purged %zu object(s) from %s\n", plan.total(), store->describe().c_str());
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace pgs3
