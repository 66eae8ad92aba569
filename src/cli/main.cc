// The pgs3 command line: parses arguments, sets up logging and signals, and hands over to a command.
//
// Exit codes (DESIGN.md §2): 0 done, 1 runtime failure, 2 bad configuration, bad input or failed preflight.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/log.h"
#include "cli/preflight_command.h"
#include "task/cancellation.h"
#include "task/task_runner.h"

namespace {

constexpr char kUsage[] = R"(pgs3 — replicate PostgreSQL into S3-compatible storage as Parquet or CSV, DMS-style.

Usage:
  pgs3 run TASK.json [options]     run a task (full-load now; cdc in a later release)
  pgs3 preflight TASK.json [--json] check the source and target without changing them (exit 2 if a check fails)
  pgs3 version                     print the version
  pgs3 help                        this text

Options:
  --log-format auto|text|json      logs on stderr: text on a terminal, JSON lines otherwise (default auto)
  --log-level debug|info|warn|error  (default info)
  --no-progress                    never draw live progress lines

Exit codes: 0 done, 1 runtime failure, 2 bad configuration or bad input.
)";

void on_signal(int sig) { pgs3::request_cancel(sig); }

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "pgs3: %s\n\n%s", msg.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::printf("pgs3 %s\n", PGS3_VERSION);
    return 0;
  }

  std::string command = args[0];
  std::vector<std::string> positional;
  pgs3::RunOptions options;
  pgs3::PreflightOptions preflight_options;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name) -> const std::string* {
      if (i + 1 >= args.size()) return nullptr;
      (void)name;
      return &args[++i];
    };
    if (a == "--log-format") {
      const std::string* v = value("--log-format");
      if (!v) return usage_error("--log-format needs a value: auto, text or json");
      if (*v == "auto") pgs3::set_log_format(pgs3::LogFormat::kAuto);
      else if (*v == "text") pgs3::set_log_format(pgs3::LogFormat::kText);
      else if (*v == "json") pgs3::set_log_format(pgs3::LogFormat::kJson);
      else return usage_error("--log-format must be auto, text or json, not '" + *v + "'");
    } else if (a == "--log-level") {
      const std::string* v = value("--log-level");
      if (!v) return usage_error("--log-level needs a value: debug, info, warn or error");
      if (*v == "debug") pgs3::set_log_level(pgs3::LogLevel::kDebug);
      else if (*v == "info") pgs3::set_log_level(pgs3::LogLevel::kInfo);
      else if (*v == "warn") pgs3::set_log_level(pgs3::LogLevel::kWarn);
      else if (*v == "error") pgs3::set_log_level(pgs3::LogLevel::kError);
      else return usage_error("--log-level must be debug, info, warn or error, not '" + *v + "'");
    } else if (a == "--json" && command == "preflight") {
      preflight_options.json = true;
    } else if (a == "--no-progress") {
      options.live_progress = false;
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
  return usage_error("unknown command '" + command + "'");
}
