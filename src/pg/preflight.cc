#include "pg/preflight.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "base/byte_size.h"
#include "pg/connect_failure.h"
#include "pg/connection.h"
#include "pg/replication_connection.h"
#include "pg/type_mapping.h"

namespace pgs3 {
namespace {

// At most this many names are listed in one line; the count says how many there are.
constexpr int kMaxListed = 20;

// DMS: "When setting wal_sender_timeout to a non-zero value, DMS requires a minimum of 10000 milliseconds (10
// seconds)", and advises less than 5 minutes so that a Multi-AZ failover is not delayed.
constexpr int64_t kMinWalSenderTimeoutMs = 10000;
constexpr int64_t kMaxWalSenderTimeoutMs = 300000;

struct ServerSetting {
  bool present = false;
  std::string setting;  // pg_settings.setting, in the setting's base unit
  std::string shown;    // current_setting(): the value with its unit, as SHOW prints it
  std::string context;  // postmaster: a restart is needed; sighup: a reload is enough
  bool pending_restart = false;
};

struct SlotRow {
  std::string name;
  std::string plugin;
  std::string slot_type;
  std::string database;
  bool active = false;
  int active_pid = 0;
  // The holder's application_name, and whether it is the one this connection uses: a slot held under our own name
  // is most likely held by an earlier run of this task whose walsender has not noticed yet that it is gone.
  std::string holder_application_name;
  bool held_under_our_name = false;
  std::optional<int64_t> retained_bytes;  // WAL held back by restart_lsn; nullopt when unknown
  std::string wal_status;
};

// Appends `item` to a list shown to the user, stopping after kMaxListed items.
void add_listed(std::string& list, int& count, const std::string& item) {
  if (count++ < kMaxListed) list += (list.empty() ? "" : ", ") + item;
}

std::string finish_list(const std::string& list, int count) {
  return count > kMaxListed ? list + ", ... (" + std::to_string(count) + " in all)" : list;
}

// The WAL a slot holds back, as text (a difference of LSNs: never negative from the server; clamped all the same).
std::string retained_wal_text(const SlotRow& s) {
  return human_bytes(static_cast<uint64_t>(std::max<int64_t>(*s.retained_bytes, 0)));
}

// A connection option's value from a conninfo string or URI ("" when absent or unparsable).
std::string conninfo_value(const std::string& conninfo, const char* keyword) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    if (error != nullptr) PQfreemem(error);
    return "";
  }
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && std::string_view(o->keyword) == keyword) out = o->val;
  }
  PQconninfoFree(options);
  return out;
}

class SourceChecker {
 public:
  explicit SourceChecker(const SourcePreflightOptions& options) : options_(options) {}

  std::vector<PreflightCheck> run() {
    auto opened = PgConnection::open(options_.conninfo);
    if (!opened.is_ok()) {
      connection_failed(opened.status().message());
      // The replication connection may fail for another reason (or the same one); its check explains pg_hba.conf.
      if (options_.cdc) check_replication_connection();
      return std::move(checks_);
    }
    conn_ = std::move(opened).value();
    if (!load_server_facts()) return std::move(checks_);
    add("connection", CheckStatus::kPass, "connected to " + conn_->describe() + (rds_ ? " (Amazon RDS / Aurora)" : ""),
        "");
    check_tls();
    if (!check_version()) return std::move(checks_);
    check_selection();
    if (!options_.cdc) return std::move(checks_);
    check_wal_level();
    if (!load_slots()) return std::move(checks_);
    check_max_replication_slots();
    check_max_wal_senders();
    check_wal_sender_timeout();
    check_replication_privilege();
    check_publication();
    check_replication_connection();
    check_slot();
    check_inactive_slots();
    check_tables_for_cdc();
    return std::move(checks_);
  }

 private:
  void add(std::string name, CheckStatus status, std::string detail, std::string fix) {
    checks_.push_back({std::move(name), status, std::move(detail), std::move(fix)});
  }

  // The server's certificate is checked (sslmode verify-ca or verify-full), or a warning says what that exposes.
  void check_tls() {
    ConnectionSettings settings = conn_->settings();
    if (settings.server_verified) {
      add("tls", CheckStatus::kPass, settings.text, "");
    } else {
      add("tls", CheckStatus::kWarn, settings.unverified_reason() + " [" + settings.text + "]",
          ConnectionSettings::kVerifyFix);
    }
  }

  // A query failure becomes a failed check named `name`; returns false then.
  template <typename T>
  bool ok_or_fail(const Result<T>& r, const std::string& name, const std::string& what) {
    if (r.is_ok()) return true;
    add(name, CheckStatus::kFail, what + ": " + r.status().message(),
        "give the connecting user read access to the system catalogs (it has it by default) and run preflight again");
    return false;
  }

  std::string user() const { return conn_ ? conn_->user() : conninfo_value(options_.conninfo, "user"); }

  // How to change one server setting, in the words of the place it lives (postgresql.conf or the DB parameter group),
  // and whether the server must restart: pg_settings.context "postmaster" means only at server start.
  std::string setting_fix(const std::string& name, const std::string& value) const {
    auto it = settings_.find(name);
    bool restart = it == settings_.end() || it->second.context == "postmaster";
    if (rds_) {
      return "in the RDS DB parameter group of this instance, set " + name + " = " + value +
             (restart ? " (a static parameter: reboot the instance for it to take effect)"
                      : " (a dynamic parameter: it applies without a reboot)");
    }
    return "set " + name + " = " + value + " in postgresql.conf (or ALTER SYSTEM SET " + name + " = '" + value +
           "'), then " + (restart ? "restart PostgreSQL" : "reload the configuration (SELECT pg_reload_conf())");
  }

  int64_t setting_int(const std::string& name, int64_t fallback) const {
    auto it = settings_.find(name);
    if (it == settings_.end() || !it->second.present) return fallback;
    try {
      return std::stoll(it->second.setting);
    } catch (...) {
      return fallback;
    }
  }

  std::string shown(const std::string& name) const {
    auto it = settings_.find(name);
    return it == settings_.end() ? "?" : it->second.shown;
  }

  std::string hba_fix(const std::string& database, const std::string& user_name, const std::string& client) const {
    return "add this line to pg_hba.conf above any line that rejects it, then reload (SELECT pg_reload_conf()): " +
           replication_hba_line(database, user_name, client) +
           " (a logical replication connection, replication=database, is matched by the database name or `all`, "
           "not by the `replication` keyword, which only serves physical replication)" +
           (rds_ ? "; on RDS, pg_hba.conf is managed for you: allow the client address in the instance's security "
                   "group instead"
                 : "");
  }

  void connection_failed(const std::string& message) {
    const ConnectFailure failure = classify_connect_failure(message);
    std::string fix;
    switch (failure.kind) {
      case ConnectFailureKind::kHbaRejected: {
        const std::string database =
            failure.database.empty() ? conninfo_value(options_.conninfo, "dbname") : failure.database;
        const std::string user_name = failure.user.empty() ? conninfo_value(options_.conninfo, "user") : failure.user;
        fix = hba_fix(database, user_name, failure.client_host);
        break;
      }
      case ConnectFailureKind::kBadPassword:
        fix =
            "check the user's password: pgs3 takes it from PGPASSWORD, ~/.pgpass or PGPASSFILE, never from the task "
            "file";
        break;
      case ConnectFailureKind::kNotFound: fix = "fix the database or user name in source.connection"; break;
      default:
        fix =
            "check host and port in source.connection, that PostgreSQL listens there (listen_addresses, port) and "
            "that no firewall or security group blocks this client";
        break;
    }
    add("connection", CheckStatus::kFail, message, fix);
  }

  // Settings, RDS, role attributes and the client address; false after a failed check.
  bool load_server_facts() {
    auto settings = conn_->query(
        "SELECT name, setting, current_setting(name), context, pending_restart FROM pg_catalog.pg_settings "
        "WHERE name IN ('server_version', 'wal_level', 'max_replication_slots', 'max_wal_senders', "
        "'wal_sender_timeout', 'rds.logical_replication') OR name LIKE 'rds.%'");
    if (!ok_or_fail(settings, "connection", "cannot read pg_settings")) return false;
    for (int i = 0; i < settings->rows(); ++i) {
      std::string name(settings->get(i, 0));
      if (name.rfind("rds.", 0) == 0) rds_ = true;
      ServerSetting& s = settings_[name];
      s.present = true;
      s.setting = std::string(settings->get(i, 1));
      s.shown = std::string(settings->get(i, 2));
      s.context = std::string(settings->get(i, 3));
      s.pending_restart = settings->get_bool(i, 4);
    }
    auto role = conn_->query(
        "SELECT r.rolsuper, r.rolreplication, "
        "COALESCE((SELECT pg_catalog.pg_has_role(current_user, g.oid, 'MEMBER') FROM pg_catalog.pg_roles g "
        "WHERE g.rolname = 'rds_superuser'), false), "
        "COALESCE((SELECT pg_catalog.pg_has_role(current_user, g.oid, 'MEMBER') FROM pg_catalog.pg_roles g "
        "WHERE g.rolname = 'rds_replication'), false), "
        "EXISTS (SELECT 1 FROM pg_catalog.pg_roles g WHERE g.rolname = 'rds_superuser'), "
        "pg_catalog.has_database_privilege(current_database(), 'CREATE'), current_database(), "
        "COALESCE(host(inet_client_addr()), '') "
        "FROM pg_catalog.pg_roles r WHERE r.rolname = current_user");
    if (!ok_or_fail(role, "connection", "cannot read the connecting role from pg_roles")) return false;
    if (role->rows() == 1) {
      superuser_ = role->get_bool(0, 0);
      replication_attr_ = role->get_bool(0, 1);
      rds_superuser_ = role->get_bool(0, 2);
      rds_replication_ = role->get_bool(0, 3);
      if (role->get_bool(0, 4)) rds_ = true;
      can_create_in_database_ = role->get_bool(0, 5);
      database_ = std::string(role->get(0, 6));
      client_address_ = std::string(role->get(0, 7));
    }
    return true;
  }

  bool check_version() {
    int v = conn_->server_version_num();
    std::string text = "PostgreSQL " + shown("server_version");
    if (v < 100000) {
      add("server_version", CheckStatus::kFail,
          text + " is not supported: logical replication with pgoutput needs PostgreSQL 10 or later",
          "upgrade the server to PostgreSQL 14 or later");
      return false;
    }
    if (v < 140000 && options_.cdc) {
      add("server_version", CheckStatus::kWarn,
          text +
              " is supported, but PostgreSQL 14 or later is recommended: binary pgoutput values (faster "
              "decoding), streaming of large in-progress transactions (pgoutput protocol version 2) and "
              "logical decoding messages need 14" +
              std::string(v < 130000 ? "; the slot's wal_status (lost WAL detection) and publish_via_partition_root "
                                       "need 13"
                                     : ""),
          "upgrade the server to PostgreSQL 14 or later");
      return true;
    }
    add("server_version", CheckStatus::kPass, text + (v >= 140000 ? " (binary pgoutput and streaming available)" : ""),
        "");
    return true;
  }

  void check_selection() {
    auto all = list_tables(*conn_);
    if (!ok_or_fail(all, "selection", "cannot list the tables of database \"" + database_ + "\"")) return;
    for (auto& t : *all) {
      if (options_.is_selected && options_.is_selected(t)) selected_.push_back(std::move(t));
    }
    if (selected_.empty()) {
      add("selection", CheckStatus::kFail,
          "the selection rules of tableMappings match no table in " + conn_->describe(),
          "check the schema-name and table-name patterns (names are case-sensitive; '%' matches any run of "
          "characters and '_' any one character, [_] a literal underscore)");
      return;
    }
    add("selection", CheckStatus::kPass, std::to_string(selected_.size()) + " table(s) selected", "");
    std::string lacking;
    std::string grants;
    int count = 0;
    for (const auto& t : selected_) {
      if (t.can_select) continue;
      if (count < kMaxListed) grants += "GRANT SELECT ON " + t.qualified_name() + " TO " + quote_ident(user()) + "; ";
      add_listed(lacking, count, t.qualified_name());
    }
    if (count > 0) {
      grants.pop_back();
      add("select_privilege", CheckStatus::kFail,
          "user \"" + user() + "\" may not SELECT from " + std::to_string(count) +
              " selected table(s): " + finish_list(lacking, count),
          grants + " (or exclude those tables in tableMappings)");
    } else {
      add("select_privilege", CheckStatus::kPass, "user \"" + user() + "\" may SELECT from every selected table", "");
    }
  }

  void check_wal_level() {
    const std::string level = shown("wal_level");
    wal_level_logical_ = level == "logical";
    if (wal_level_logical_) {
      add("wal_level", CheckStatus::kPass, "wal_level is logical", "");
      return;
    }
    std::string fix = rds_ ? "in the RDS DB parameter group of this instance, set rds.logical_replication = 1 (it "
                             "sets wal_level = logical; a static parameter: reboot the instance for it to take "
                             "effect)"
                           : setting_fix("wal_level", "logical");
    auto it = settings_.find("wal_level");
    std::string pending = it != settings_.end() && it->second.pending_restart
                              ? " (a change is waiting for a restart: restart PostgreSQL)"
                              : "";
    add("wal_level", CheckStatus::kFail,
        "wal_level is '" + level + "'" + pending + "; logical replication needs wal_level = logical", fix);
  }

  bool load_slots() {
    const bool has_wal_status = conn_->server_version_num() >= 130000;
    auto r = conn_->query(
        "SELECT s.slot_name, COALESCE(s.plugin, ''), s.slot_type, COALESCE(s.database::text, ''), s.active, "
        "COALESCE(s.active_pid, 0), "
        "CASE WHEN pg_catalog.pg_is_in_recovery() OR s.restart_lsn IS NULL THEN NULL "
        "ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn)::bigint END, " +
        std::string(has_wal_status ? "COALESCE(s.wal_status, '')" : "''::text") +
        ", COALESCE(a.application_name, ''), "
        "COALESCE(a.application_name = pg_catalog.current_setting('application_name'), false) "
        "FROM pg_catalog.pg_replication_slots s "
        "LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = s.active_pid ORDER BY s.slot_name");
    if (!ok_or_fail(r, "replication_slots", "cannot read pg_replication_slots")) return false;
    for (int i = 0; i < r->rows(); ++i) {
      SlotRow s;
      s.name = std::string(r->get(i, 0));
      s.plugin = std::string(r->get(i, 1));
      s.slot_type = std::string(r->get(i, 2));
      s.database = std::string(r->get(i, 3));
      s.active = r->get_bool(i, 4);
      s.active_pid = static_cast<int>(r->get_int64(i, 5));
      if (!r->is_null(i, 6)) s.retained_bytes = r->get_int64(i, 6);
      s.wal_status = std::string(r->get(i, 7));
      s.holder_application_name = std::string(r->get(i, 8));
      s.held_under_our_name = r->get_bool(i, 9);
      if (s.name == options_.slot_name) own_slot_ = s;
      slots_.push_back(std::move(s));
    }
    auto senders = conn_->query("SELECT count(*) FROM pg_catalog.pg_stat_replication");
    if (!ok_or_fail(senders, "max_wal_senders", "cannot read pg_stat_replication")) return false;
    senders_in_use_ = senders->get_int64(0, 0);
    return true;
  }

  void check_max_replication_slots() {
    const int64_t max = setting_int("max_replication_slots", 0);
    const int64_t used = static_cast<int64_t>(slots_.size());
    const int64_t needed = used + (own_slot_ ? 0 : 1);
    std::string taken;
    int count = 0;
    for (const auto& s : slots_) add_listed(taken, count, s.name + (s.active ? " (active)" : " (inactive)"));
    std::string detail = "max_replication_slots is " + std::to_string(max) + "; " + std::to_string(used) +
                         " slot(s) taken" + (used > 0 ? ": " + finish_list(taken, count) : "");
    const std::string value = std::to_string(std::max<int64_t>(needed + 1, 2));
    std::string fix = setting_fix("max_replication_slots", value) +
                      " (one slot per task, plus one for a table loaded later; or drop slots no task uses: SELECT "
                      "pg_drop_replication_slot('<name>'))";
    if (max < needed) {
      add("max_replication_slots", CheckStatus::kFail,
          detail + "; this task needs " + (own_slot_ ? "its slot" : "one more slot") + ", and none is free", fix);
    } else if (max <= 1) {
      add("max_replication_slots", CheckStatus::kWarn,
          detail +
              "; set it to more than 1 (DMS's requirement), so that a table loaded later can get its own "
              "temporary slot",
          fix);
    } else {
      add("max_replication_slots", CheckStatus::kPass,
          detail + (own_slot_ ? "; this task's slot exists" : "; one is free for this task"), "");
    }
  }

  void check_max_wal_senders() {
    const int64_t max = setting_int("max_wal_senders", 0);
    const int64_t needed = senders_in_use_ + 1;
    std::string detail = "max_wal_senders is " + std::to_string(max) + "; " + std::to_string(senders_in_use_) +
                         " WAL sender(s) in use (pg_stat_replication)";
    std::string fix = setting_fix("max_wal_senders", std::to_string(std::max<int64_t>(needed + 1, 2))) +
                      " (it bounds the replication connections that can run at once: one per task)";
    if (max < needed) {
      add("max_wal_senders", CheckStatus::kFail, detail + "; this task needs one more, and none is free", fix);
    } else if (max <= 1) {
      add("max_wal_senders", CheckStatus::kWarn, detail + "; set it to more than 1 (DMS's requirement)", fix);
    } else {
      add("max_wal_senders", CheckStatus::kPass, detail, "");
    }
  }

  void check_wal_sender_timeout() {
    const int64_t ms = setting_int("wal_sender_timeout", 60000);
    const std::string value = "wal_sender_timeout is " + shown("wal_sender_timeout");
    if (ms == 0) {
      add("wal_sender_timeout", CheckStatus::kPass, value + " (disabled, a valid setting)", "");
    } else if (ms < kMinWalSenderTimeoutMs) {
      add("wal_sender_timeout", CheckStatus::kFail,
          value +
              ": below 10 s, a replication connection is dropped whenever an answer is a little late (DMS "
              "fails with a value below 10000 ms)",
          setting_fix("wal_sender_timeout", "60s") + " (0, or between 10s and 5min)");
    } else if (ms > kMaxWalSenderTimeoutMs) {
      add("wal_sender_timeout", CheckStatus::kWarn,
          value +
              ": above 5 minutes, a dead replication connection holds its slot that long, which delays a "
              "Multi-AZ failover",
          setting_fix("wal_sender_timeout", "60s") + " (0, or between 10s and 5min)");
    } else {
      add("wal_sender_timeout", CheckStatus::kPass, value + " (between 10 s and 5 min)", "");
    }
  }

  void check_replication_privilege() {
    std::string how;
    if (superuser_)
      how = "is a superuser";
    else if (rds_superuser_)
      how = "is a member of rds_superuser";
    else if (rds_replication_)
      how = "is a member of rds_replication";
    else if (replication_attr_)
      how = "has the REPLICATION attribute";
    if (!how.empty()) {
      add("replication_privilege", CheckStatus::kPass, "user \"" + user() + "\" " + how, "");
      return;
    }
    add("replication_privilege", CheckStatus::kFail,
        "user \"" + user() + "\" may not use logical replication: it is not a superuser, has no REPLICATION attribute" +
            (rds_ ? " and is not a member of rds_replication or rds_superuser" : ""),
        rds_ ? "as the master user, run GRANT rds_replication TO " + quote_ident(user()) + ";"
             : "as a superuser, run ALTER ROLE " + quote_ident(user()) + " WITH REPLICATION;");
  }

  void check_publication() {
    auto pub = conn_->query("SELECT puballtables, oid FROM pg_catalog.pg_publication WHERE pubname = $1",
                            {options_.publication_name});
    if (!ok_or_fail(pub, "publication", "cannot read pg_publication")) return;
    const std::string name = "publication \"" + options_.publication_name + "\"";
    if (pub->rows() == 1) {
      if (pub->get_bool(0, 0)) {
        add("publication", CheckStatus::kPass, name + " exists (FOR ALL TABLES)", "");
        return;
      }
      // PostgreSQL 15: a FOR TABLES IN SCHEMA publication publishes every table of its schemas.
      const std::string in_schemas = conn_->server_version_num() >= 150000
                                         ? " UNION SELECT c.oid FROM pg_catalog.pg_publication_namespace pn "
                                           "JOIN pg_catalog.pg_class c ON c.relnamespace = pn.pnnspid "
                                           "WHERE pn.pnpubid = $1"
                                         : "";
      auto members = conn_->query(
          "SELECT pr.prrelid FROM pg_catalog.pg_publication_rel pr WHERE pr.prpubid = $1 UNION "
          "SELECT i.inhrelid FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_inherits i "
          "ON i.inhparent = pr.prrelid WHERE pr.prpubid = $1" +
              in_schemas,
          {std::string(pub->get(0, 1))});
      if (!ok_or_fail(members, "publication", "cannot read pg_publication_rel")) return;
      std::vector<uint32_t> oids;
      oids.reserve(static_cast<size_t>(members->rows()));
      for (int i = 0; i < members->rows(); ++i) oids.push_back(static_cast<uint32_t>(members->get_int64(i, 0)));
      std::string missing;
      std::string tables_sql;
      int count = 0;
      for (const auto& t : selected_) {
        if (std::find(oids.begin(), oids.end(), t.oid) != oids.end()) continue;
        if (count < kMaxListed) tables_sql += (tables_sql.empty() ? "" : ", ") + t.qualified_name();
        add_listed(missing, count, t.qualified_name());
      }
      if (count == 0) {
        add("publication", CheckStatus::kPass, name + " exists and publishes every selected table", "");
      } else {
        add("publication", CheckStatus::kFail,
            name + " exists but does not publish " + std::to_string(count) +
                " selected table(s): " + finish_list(missing, count),
            "ALTER PUBLICATION " + quote_ident(options_.publication_name) + " ADD TABLE " + tables_sql +
                "; (as the publication's owner)");
      }
      return;
    }
    // CREATE PUBLICATION ... FOR TABLE needs the CREATE privilege on the database and ownership of every table
    // (sql-createpublication); a superuser has both.
    if (superuser_) {
      add("publication", CheckStatus::kPass,
          name + " does not exist; it will be created (user \"" + user() + "\" is a superuser)", "");
      return;
    }
    std::vector<std::string> oid_list;
    for (const auto& t : selected_) oid_list.push_back(std::to_string(t.oid));
    std::string array = "{";
    for (size_t i = 0; i < oid_list.size(); ++i) array += (i ? "," : "") + oid_list[i];
    array += "}";
    auto owned = conn_->query(
        "SELECT c.oid, pg_catalog.pg_has_role(c.relowner, 'USAGE'), pg_catalog.pg_get_userbyid(c.relowner) "
        "FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::oid[])",
        {array});
    if (!ok_or_fail(owned, "publication", "cannot read the owners of the selected tables")) return;
    std::map<uint32_t, std::string> not_owned;  // oid -> owner
    for (int i = 0; i < owned->rows(); ++i) {
      if (!owned->get_bool(i, 1)) not_owned[static_cast<uint32_t>(owned->get_int64(i, 0))] = owned->get(i, 2);
    }
    std::string problems;
    std::string grants;
    if (!can_create_in_database_) {
      problems = "user \"" + user() + "\" lacks the CREATE privilege on database \"" + database_ + "\"";
      grants = "GRANT CREATE ON DATABASE " + quote_ident(database_) + " TO " + quote_ident(user()) + ";";
    }
    if (!not_owned.empty()) {
      std::string list;
      int count = 0;
      for (const auto& t : selected_) {
        auto it = not_owned.find(t.oid);
        if (it != not_owned.end()) add_listed(list, count, t.qualified_name() + " (owner " + it->second + ")");
      }
      problems += std::string(problems.empty() ? "" : "; ") + "user \"" + user() + "\" does not own " +
                  std::to_string(count) + " selected table(s): " + finish_list(list, count) +
                  " (CREATE PUBLICATION ... FOR TABLE needs ownership of every table)";
      grants += std::string(grants.empty() ? "" : " ") + "GRANT <owner> TO " + quote_ident(user()) +
                " (for each owner above)";
    }
    const std::string fixes =
        "either, as a superuser, create the publication beforehand: CREATE PUBLICATION " +
        quote_ident(options_.publication_name) +
        " FOR TABLE <the selected tables>; or give the user what CREATE PUBLICATION needs: " + grants;
    if (problems.empty()) {
      add("publication", CheckStatus::kPass,
          name + " does not exist; user \"" + user() + "\" may create it (owns every selected table)", "");
    } else {
      add("publication", CheckStatus::kFail, name + " does not exist and cannot be created: " + problems, fixes);
    }
  }

  void check_replication_connection() {
    auto repl = ReplicationConnection::open(options_.conninfo);
    Status failure = repl.is_ok() ? Status::ok() : repl.status();
    if (repl.is_ok()) {
      auto id = (*repl)->identify_system();
      if (id.is_ok()) {
        add("replication_connection", CheckStatus::kPass,
            "replication=database connection works: IDENTIFY_SYSTEM gives system " + id->system_id + ", timeline " +
                std::to_string(id->timeline) + ", WAL at " + id->xlog_pos.to_string(),
            "");
        return;
      }
      failure = id.status();
    }
    const std::string& message = failure.message();
    const ConnectFailure problem = classify_connect_failure(message);
    std::string fix;
    switch (problem.kind) {
      case ConnectFailureKind::kHbaRejected: {
        std::string database = problem.database;
        if (database.empty()) database = database_.empty() ? conninfo_value(options_.conninfo, "dbname") : database_;
        const std::string user_name = problem.user.empty() ? user() : problem.user;
        const std::string client = problem.client_host.empty() ? client_address_ : problem.client_host;
        fix = hba_fix(database, user_name, client);
        break;
      }
      case ConnectFailureKind::kNotReplicationRole:
        fix = rds_ ? "as the master user, run GRANT rds_replication TO " + quote_ident(user()) + ";"
                   : "as a superuser, run ALTER ROLE " + quote_ident(user()) + " WITH REPLICATION;";
        break;
      case ConnectFailureKind::kNoWalSenders:
        fix = setting_fix("max_wal_senders", std::to_string(std::max<int64_t>(senders_in_use_ + 2, 2)));
        break;
      default:
        fix =
            "check that the server accepts replication connections from this client (max_wal_senders > 0, "
            "pg_hba.conf)";
        break;
    }
    add("replication_connection", CheckStatus::kFail, "cannot open a replication=database connection: " + message, fix);
  }

  void check_slot() {
    const std::string name = "replication slot \"" + options_.slot_name + "\"";
    const std::string drop = "SELECT pg_drop_replication_slot('" + options_.slot_name + "');";
    if (own_slot_) {
      const SlotRow& s = *own_slot_;
      const std::string retained = s.retained_bytes ? "; it retains " + retained_wal_text(s) + " of WAL" : "";
      if (s.slot_type != "logical" || s.plugin != "pgoutput") {
        add("slot", CheckStatus::kFail,
            name + " exists but is a " + s.slot_type + " slot" + (s.plugin.empty() ? "" : " of plugin " + s.plugin) +
                "; pgs3 needs a logical slot of plugin pgoutput",
            "drop it (" + drop + ") or set source.slotName to another name");
      } else if (s.database != database_) {
        add("slot", CheckStatus::kFail, name + " belongs to database \"" + s.database + "\", not \"" + database_ + "\"",
            "set source.slotName to another name, or connect to database \"" + s.database + "\"");
      } else if (s.wal_status == "lost") {
        add("slot", CheckStatus::kFail,
            name + " has lost WAL it needed (wal_status lost): changes since the task stopped are gone",
            "drop it (" + drop + ") and run the task again as full-load-and-cdc");
      } else if (s.active) {
        const std::string holder =
            s.holder_application_name.empty() ? "" : " (application_name \"" + s.holder_application_name + "\")";
        add("slot", CheckStatus::kFail, name + " is in use by process " + std::to_string(s.active_pid) + holder,
            "stop the other consumer of the slot (SELECT pg_terminate_backend(" + std::to_string(s.active_pid) +
                ");) or set source.slotName to another name");
        checks_.back().transient = s.held_under_our_name;
      } else if (s.wal_status == "unreserved") {
        add("slot", CheckStatus::kWarn,
            name + " exists but its WAL is about to be removed (wal_status unreserved)" + retained,
            "start the task soon, or raise max_slot_wal_keep_size");
      } else {
        add("slot", CheckStatus::kPass, name + " exists (pgoutput, inactive): the task resumes from it" + retained, "");
      }
      return;
    }
    const int64_t free_slots = setting_int("max_replication_slots", 0) - static_cast<int64_t>(slots_.size());
    if (free_slots <= 0) {
      add("slot", CheckStatus::kFail, name + " does not exist and cannot be created: no replication slot is free",
          "raise max_replication_slots (see max_replication_slots) or drop a slot no task uses");
    } else if (!wal_level_logical_) {
      add("slot", CheckStatus::kFail, name + " does not exist and cannot be created while wal_level is not logical",
          "set wal_level = logical (see wal_level)");
    } else {
      add("slot", CheckStatus::kPass,
          name + " does not exist; it will be created (" + std::to_string(free_slots) + " slot(s) free)", "");
    }
  }

  void check_inactive_slots() {
    std::string list;
    std::string drops;
    int count = 0;
    for (const auto& s : slots_) {
      if (s.active || s.name == options_.slot_name) continue;
      if (count < kMaxListed) drops += "SELECT pg_drop_replication_slot('" + s.name + "'); ";
      add_listed(list, count,
                 s.name + " (" + s.slot_type + (s.database.empty() ? "" : ", database " + s.database) +
                     (s.retained_bytes ? ", retains " + retained_wal_text(s) + " of WAL" : "") + ")");
    }
    if (count == 0) {
      add("inactive_slots", CheckStatus::kPass, "no other inactive replication slot holds WAL", "");
      return;
    }
    drops.pop_back();
    add("inactive_slots", CheckStatus::kWarn,
        std::to_string(count) + " inactive replication slot(s) keep WAL on the server until dropped: " +
            finish_list(list, count) + " (a slot stays after its task stops)",
        "drop each slot no task will resume: " + drops);
  }

  void check_tables_for_cdc() {
    if (selected_.empty()) return;
    std::string array = "{";
    for (size_t i = 0; i < selected_.size(); ++i) array += (i ? "," : "") + std::to_string(selected_[i].oid);
    array += "}";
    // Changes to a partitioned table are made in its leaf partitions, whose own replica identity decides whether an
    // UPDATE or DELETE can be published; pg_partition_tree (PostgreSQL 12+) lists them; it lists nothing for a plain
    // table, which stands for itself. A partitioned table without partitions holds no rows and is left out.
    const std::string relations = conn_->server_version_num() >= 120000
                                      ? "SELECT s.root, COALESCE(t.relid, s.root) AS relid FROM unnest($1::oid[]) "
                                        "AS s(root) LEFT JOIN LATERAL (SELECT relid FROM "
                                        "pg_catalog.pg_partition_tree(s.root) WHERE isleaf) t ON true"
                                      : "SELECT s.root, s.root AS relid FROM unnest($1::oid[]) AS s(root)";
    auto r = conn_->query(
        "SELECT rel.root, n.nspname, c.relname, c.relreplident, "
        "EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
        "COALESCE((SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a "
        "WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attlen = -1 "
        "AND a.attstorage IN ('x', 'e')), '') "
        "FROM (" +
            relations +
            ") rel JOIN pg_catalog.pg_class c ON c.oid = rel.relid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind <> 'p' "
            "ORDER BY n.nspname, c.relname",
        {array});
    if (!ok_or_fail(r, "replica_identity", "cannot read the replica identity of the selected tables")) return;

    std::string bad_list, bad_fix, toast_list, toast_fix, text_list;
    int bad = 0, toast = 0, text = 0;
    for (int i = 0; i < r->rows(); ++i) {
      const std::string q = quote_qualified(r->get(i, 1), r->get(i, 2));
      std::string_view ident = r->get(i, 3);
      const char replident = ident.empty() ? 'd' : ident[0];
      const bool has_pk = r->get_bool(i, 4);
      const std::string toastable(r->get(i, 5));
      if (replident == 'n' || (replident == 'd' && !has_pk)) {
        if (bad < kMaxListed) bad_fix += "ALTER TABLE " + q + " REPLICA IDENTITY FULL; ";
        add_listed(
            bad_list, bad,
            q + (replident == 'n' ? " (REPLICA IDENTITY NOTHING)" : " (no primary key, REPLICA IDENTITY DEFAULT)"));
      } else if (replident != 'f' && !toastable.empty()) {
        if (toast < kMaxListed) toast_fix += "ALTER TABLE " + q + " REPLICA IDENTITY FULL; ";
        add_listed(toast_list, toast, q + " (" + toastable + ")");
      }
    }
    for (const auto& t : selected_) {
      const std::string q = t.qualified_name();
      for (const auto& c : t.columns) {
        MappedColumn m = map_column(c, TypeMappingOptions{});
        const std::string suffix = "::text";
        if (m.select_expr.size() >= suffix.size() &&
            m.select_expr.compare(m.select_expr.size() - suffix.size(), suffix.size(), suffix) == 0) {
          add_listed(text_list, text, q + "." + quote_ident(c.name) + " " + c.type_text);
        }
      }
    }
    if (bad > 0) {
      bad_fix.pop_back();
      add("replica_identity", CheckStatus::kFail,
          std::to_string(bad) +
              " selected table(s) or partition(s) cannot publish UPDATEs and DELETEs: " + finish_list(bad_list, bad) +
              "; once they are in a publication, UPDATE and DELETE on them fail on the server",
          "add a primary key, or run: " + bad_fix);
    } else {
      add("replica_identity", CheckStatus::kPass, "every selected table has a primary key or a usable REPLICA IDENTITY",
          "");
    }
    if (toast > 0) {
      toast_fix.pop_back();
      add("toast_columns", CheckStatus::kWarn,
          std::to_string(toast) +
              " selected table(s) or partition(s) have TOAST-able columns without REPLICA IDENTITY FULL: " +
              finish_list(toast_list, toast) +
              "; an UPDATE that leaves a large value unchanged sends it as 'unchanged' (pgoutput 'u'), and the "
              "change row cannot carry the value",
          "if the change files must hold every column, run: " + toast_fix + " (more WAL per UPDATE and DELETE)");
    } else {
      add("toast_columns", CheckStatus::kPass, "no TOAST-able column can arrive unchanged", "");
    }
    if (text > 0) {
      add("text_columns", CheckStatus::kInfo,
          std::to_string(text) +
              " column(s) have types written as their PostgreSQL text output (STRING): " + finish_list(text_list, text),
          "");
    }
  }

  const SourcePreflightOptions& options_;
  std::vector<PreflightCheck> checks_;
  std::unique_ptr<PgConnection> conn_;
  std::map<std::string, ServerSetting> settings_;
  bool rds_ = false;
  bool superuser_ = false;
  bool replication_attr_ = false;
  bool rds_superuser_ = false;
  bool rds_replication_ = false;
  bool can_create_in_database_ = false;
  bool wal_level_logical_ = false;
  std::string database_;
  std::string client_address_;
  std::vector<SourceTable> selected_;
  std::vector<SlotRow> slots_;
  std::optional<SlotRow> own_slot_;
  int64_t senders_in_use_ = 0;
};

}  // namespace

const char* check_status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPass: return "pass";
    case CheckStatus::kInfo: return "info";
    case CheckStatus::kWarn: return "warn";
    case CheckStatus::kFail: return "fail";
  }
  return "fail";
}

std::string replication_hba_line(const std::string& database, const std::string& user,
                                 const std::string& client_address) {
  std::string address = client_address.empty()                          ? "<client address>/32"
                        : client_address.find(':') != std::string::npos ? client_address + "/128"
                                                                        : client_address + "/32";
  return "host " + (database.empty() ? "<database>" : database) + " " + (user.empty() ? "<user>" : user) + " " +
         address + " scram-sha-256";
}

std::vector<PreflightCheck> check_source(const SourcePreflightOptions& options) { return SourceChecker(options).run(); }

}  // namespace pgs3
