// The pgs3 command line: parses arguments, sets up logging and signals, and hands over to a command.
//
// Exit codes (DESIGN.md §2): 0 done, 1 runtime failure, 2 bad configuration, bad input or failed preflight.
#include <sys/prctl.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "cli/cat_command.h"
#include "cli/drop_command.h"
#include "cli/preflight_command.h"
#include "cli/reload_command.h"
#include "cli/run_command.h"
#include "cli/status_command.h"
#include "obs/metrics_server.h"
#include "rules/cdc_stop_position.h"
#include "task/cancellation.h"

namespace {

constexpr char kUsage[] = R"(pgs3 — replicate PostgreSQL into S3-compatible storage as Parquet or CSV, DMS-style.

Usage:
  pgs3 run TASK.json [options]          run a task until it finishes, reaches its stop position, or gets SIGTERM
  pgs3 preflight TASK.json [--json]     check the source and target without changing them (exit 2 if a check fails)
  pgs3 status TASK.json [--json]        the task's checkpoint, table statistics, slot lag and WAL retained
  pgs3 drop TASK.json [--yes] [--purge-target]
                                        drop the task's slot and publication (asks for the task id unless --yes);
                                        --purge-target also removes its files and checkpoint from the target
  pgs3 reload TASK.json --table SCHEMA.TABLE [--table ...]
                                        load tables of a CDC task again, each in a snapshot of its own, while the
                                        others stream (a running task within seconds, a stopped one at its start)
  pgs3 cat FILE... [--schema] [--format csv|jsonl] [--endpoint-url URL] [--region REGION]
                                        print the rows (or, with --schema, the columns and metadata) of output files:
                                        local paths or s3://bucket/key
  pgs3 version                          print the version
  pgs3 help                             this text

Options of run:
  --metrics-listen HOST:PORT            serve Prometheus /metrics and /healthz there, e.g. 127.0.0.1:9187
  --cdc-stop-position VALUE             stop there: an LSN (0/16B6C50), server_time:2026-11-30T12:00:00 or
                                        commit_time:2026-11-30T12:00:00 (UTC); overrides the task's cdcStopPosition
  --no-progress                         never draw live progress lines
  --reload-target                       a CDC task loads every table again at start (DMS reload-target), each in a
                                        snapshot of its own, and streams on from its checkpoint
Options of every command:
  --log-format auto|text|json           logs on stderr: text on a terminal, JSON lines otherwise (default auto)
  --log-level debug|info|warn|error     (default info)

Exit codes: 0 done, 1 runtime failure, 2 bad configuration or bad input.
)";

void on_signal(int sig) { pgs3::request_cancel(sig); }

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "pgs3: %s\n\n%s", msg.c_str(), kUsage);
  return 2;
}

// The process holds secrets (the database password libpq read, AWS keys and session tokens, rows in memory): no
// core dump may write them to disk, and no other process of the same user may read its memory or environment
// (PR_SET_DUMPABLE 0 also makes /proc/<pid>/environ and mem root's). PGS3_ALLOW_CORE_DUMPS=1 keeps both, to debug.
void protect_secrets() {
  const char* allow = std::getenv("PGS3_ALLOW_CORE_DUMPS");
  if (allow != nullptr && std::string_view(allow) == "1") return;
  struct rlimit limit;
  if (::getrlimit(RLIMIT_CORE, &limit) == 0) {
    limit.rlim_cur = 0;
    (void)::setrlimit(RLIMIT_CORE, &limit);
  }
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace

int main(int argc, char** argv) {
  protect_secrets();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::printf("pgs3 %s\n", PGS3_VERSION);
    return 0;
  }

  const std::string command = args[0];
  static const std::set<std::string> kCommands = {"run", "preflight", "status", "drop", "cat", "reload"};
  if (kCommands.count(command) == 0) return usage_error("unknown command '" + command + "'");

  std::vector<std::string> positional;
  pgs3::RunOptions options;
  pgs3::PreflightOptions preflight_options;
  pgs3::StatusOptions status_options;
  pgs3::DropOptions drop_options;
  pgs3::CatOptions cat_options;
  pgs3::ReloadOptions reload_options;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    // An option that belongs to other commands is named as such, rather than "unknown".
    auto only_for = [&](std::initializer_list<const char*> commands) {
      for (const char* c : commands) {
        if (command == c) return true;
      }
      return false;
    };
    auto wrong_command = [&](const char* commands) {
      return usage_error(a + " is an option of " + commands + ", not of " + command);
    };
    if (a == "--log-format") {
      const std::string* v = value();
      if (!v) return usage_error("--log-format needs a value: auto, text or json");
      if (*v == "auto")
        pgs3::set_log_format(pgs3::LogFormat::kAuto);
      else if (*v == "text")
        pgs3::set_log_format(pgs3::LogFormat::kText);
      else if (*v == "json")
        pgs3::set_log_format(pgs3::LogFormat::kJson);
      else
        return usage_error("--log-format must be auto, text or json, not '" + *v + "'");
    } else if (a == "--log-level") {
      const std::string* v = value();
      if (!v) return usage_error("--log-level needs a value: debug, info, warn or error");
      if (*v == "debug")
        pgs3::set_log_level(pgs3::LogLevel::kDebug);
      else if (*v == "info")
        pgs3::set_log_level(pgs3::LogLevel::kInfo);
      else if (*v == "warn")
        pgs3::set_log_level(pgs3::LogLevel::kWarn);
      else if (*v == "error")
        pgs3::set_log_level(pgs3::LogLevel::kError);
      else
        return usage_error("--log-level must be debug, info, warn or error, not '" + *v + "'");
    } else if (a == "--json") {
      if (!only_for({"preflight", "status"})) return wrong_command("preflight and status");
      preflight_options.json = true;
      status_options.json = true;
    } else if (a == "--no-progress") {
      if (!only_for({"run"})) return wrong_command("run");
      options.live_progress = false;
    } else if (a == "--metrics-listen") {
      if (!only_for({"run"})) return wrong_command("run");
      const std::string* v = value();
      if (!v) return usage_error("--metrics-listen needs a value: HOST:PORT, e.g. 127.0.0.1:9187");
      auto parsed = pgs3::parse_listen_address(*v);
      if (!parsed.is_ok()) return usage_error(parsed.status().message());
      options.metrics_listen = *v;
    } else if (a == "--cdc-stop-position") {
      if (!only_for({"run"})) return wrong_command("run");
      const std::string* v = value();
      if (!v) return usage_error("--cdc-stop-position needs a value: an LSN, server_time:... or commit_time:...");
      auto parsed = pgs3::parse_cdc_stop_position(*v);
      if (!parsed.is_ok()) return usage_error("--cdc-stop-position: " + parsed.status().message());
      options.cdc_stop_position = *v;
    } else if (a == "--reload-target") {
      if (!only_for({"run"})) return wrong_command("run");
      options.reload_target = true;
    } else if (a == "--table") {
      if (!only_for({"reload"})) return wrong_command("reload");
      const std::string* v = value();
      if (!v) return usage_error("--table needs a value: SCHEMA.TABLE");
      reload_options.tables.push_back(*v);
    } else if (a == "--yes") {
      if (!only_for({"drop"})) return wrong_command("drop");
      drop_options.yes = true;
    } else if (a == "--purge-target") {
      if (!only_for({"drop"})) return wrong_command("drop");
      drop_options.purge_target = true;
    } else if (a == "--schema") {
      if (!only_for({"cat"})) return wrong_command("cat");
      cat_options.schema = true;
    } else if (a == "--format") {
      if (!only_for({"cat"})) return wrong_command("cat");
      const std::string* v = value();
      if (!v) return usage_error("--format needs a value: csv or jsonl");
      if (*v == "csv")
        cat_options.format = pgs3::CatOptions::Format::kCsv;
      else if (*v == "jsonl")
        cat_options.format = pgs3::CatOptions::Format::kJson;
      else
        return usage_error("--format must be csv or jsonl, not '" + *v + "'");
    } else if (a == "--endpoint-url") {
      if (!only_for({"cat"})) return wrong_command("cat");
      const std::string* v = value();
      if (!v) return usage_error("--endpoint-url needs a value, e.g. https://s3.eu-west-1.amazonaws.com");
      cat_options.endpoint_url = *v;
    } else if (a == "--region") {
      if (!only_for({"cat"})) return wrong_command("cat");
      const std::string* v = value();
      if (!v) return usage_error("--region needs a value, e.g. eu-west-1");
      cat_options.region = *v;
    } else if (a.rfind("--", 0) == 0) {
      return usage_error("unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (command == "run") {
    if (positional.size() != 1) return usage_error("run takes one task file: pgs3 run TASK.json");
    return pgs3::run_task_file(positional[0], options);
  }
  if (command == "preflight") {
    if (positional.size() != 1) return usage_error("preflight takes one task file: pgs3 preflight TASK.json [--json]");
    return pgs3::run_preflight_file(positional[0], preflight_options);
  }
  if (command == "status") {
    if (positional.size() != 1) return usage_error("status takes one task file: pgs3 status TASK.json [--json]");
    return pgs3::run_status_command(positional[0], status_options);
  }
  if (command == "drop") {
    if (positional.size() != 1) {
      return usage_error("drop takes one task file: pgs3 drop TASK.json [--yes] [--purge-target]");
    }
    return pgs3::run_drop_command(positional[0], drop_options);
  }
  if (command == "reload") {
    if (positional.size() != 1) {
      return usage_error("reload takes one task file: pgs3 reload TASK.json --table SCHEMA.TABLE");
    }
    return pgs3::run_reload_command(positional[0], reload_options);
  }
  // cat
  if (positional.empty()) return usage_error("cat takes one or more files: pgs3 cat FILE... [--schema]");
  return pgs3::run_cat_command(positional, cat_options);
}
