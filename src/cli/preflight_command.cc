#include "cli/preflight_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/task_file.h"
#include "pg/catalog.h"
#include "pg/connection.h"
#include "pg/preflight.h"
#include "rules/table_selector.h"
#include "rules/task_config.h"
#include "sink/object_keys.h"
#include "store/s3_store.h"
#include "store/s3_target_check.h"
#include "task/load_plan.h"
#include "task/target_store.h"

namespace pgs3 {
namespace {

// The fix for a failed or warned S3 check, by check name (the detail already says what was found).
std::string s3_fix(const S3TargetCheck& c, const TaskConfig& config) {
  const std::string bucket = config.target.s3.bucket_name;
  const std::string objects = "arn:aws:s3:::" + bucket + "/*";
  if (c.name == "bucket") {
    return "check s3Settings.BucketName, target.endpointUrl and the credentials; the identity needs s3:ListBucket on "
           "arn:aws:s3:::" +
           bucket;
  }
  if (c.name == "region") return "set target.region to the bucket's region (see above)";
  if (c.name == "put") {
    return "allow s3:PutObject on " + objects +
           (config.target.s3.encryption_mode == EncryptionMode::kSseKms
                ? " and kms:GenerateDataKey and kms:Decrypt on the KMS key"
                : "");
  }
  if (c.name == "tag") return "allow s3:PutObjectTagging on " + objects + " (the task has add-tag rules)";
  if (c.name == "delete") return "allow s3:DeleteObject on " + objects;
  if (c.name == "versioning") {
    return "suspend versioning on the bucket, or add a lifecycle rule that expires noncurrent versions";
  }
  return c.detail;
}

std::vector<PreflightCheck> check_s3(const TaskConfig& config) {
  std::vector<PreflightCheck> out;
  auto store = S3Store::open(s3_store_config(config));
  if (!store.is_ok()) {
    out.push_back({"target_credentials", CheckStatus::kFail, store.status().message(),
                   "configure AWS credentials (environment, shared files and profile, web identity, container or "
                   "instance credentials)"});
    return out;
  }
  for (const S3TargetCheck& c :
       check_s3_target(**store, task_state_prefix(config.target.s3, config.task_id), !config.tagging_rules.empty())) {
    CheckStatus status = !c.passed ? CheckStatus::kFail : c.warning ? CheckStatus::kWarn : CheckStatus::kPass;
    out.push_back({"target_" + c.name, status, c.detail, status == CheckStatus::kPass ? "" : s3_fix(c, config)});
  }
  return out;
}

// The local target's directory: it exists and is writable, or its nearest existing ancestor is a writable directory
// (then the run creates it). Nothing is created here.
PreflightCheck check_local(const TaskConfig& config) {
  const std::string& path = config.target.path;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return {"target_directory", CheckStatus::kFail, path + " exists and is not a directory",
              "set target.path to a directory"};
    }
    if (::access(path.c_str(), W_OK | X_OK) != 0) {
      return {"target_directory", CheckStatus::kFail, "directory " + path + " is not writable by this user",
              "give this user write permission on " + path + " (chown or chmod), or set target.path elsewhere"};
    }
    return {"target_directory", CheckStatus::kPass, "directory " + path + " exists and is writable", ""};
  }
  // The nearest existing ancestor ("." for a relative path whose first part is missing).
  std::filesystem::path ancestor = std::filesystem::path(path).lexically_normal();
  if (!ancestor.empty() && !ancestor.has_filename()) ancestor = ancestor.parent_path();
  for (;;) {
    std::filesystem::path up = ancestor.parent_path();
    ancestor = up.empty() ? std::filesystem::path(".") : up;
    if (::stat(ancestor.c_str(), &st) == 0 || ancestor == "/" || ancestor == ".") break;
  }
  const std::string parent = ancestor.string();
  if (!S_ISDIR(st.st_mode) || ::access(parent.c_str(), W_OK | X_OK) != 0) {
    return {"target_directory", CheckStatus::kFail,
            "directory " + path + " does not exist and cannot be created: " + parent + " is not a writable directory",
            "create " + path + " and make it writable by this user, or set target.path elsewhere"};
  }
  return {"target_directory", CheckStatus::kPass,
          "directory " + path + " does not exist yet; it can be created under " + parent, ""};
}

// The task's parallel-load rules against the source (task/load_plan.h), as the run plans the full load: a column,
// partition or boundary that cannot apply fails here. Nothing when the source cannot be read (its checks say why).
std::optional<PreflightCheck> check_load_plan(const TaskConfig& config) {
  auto conn = PgConnection::open(config.source.connection);
  if (!conn.is_ok()) return std::nullopt;
  auto all = list_tables(**conn);
  if (!all.is_ok()) return std::nullopt;
  TableSelector selector(config.selection_rules);
  std::vector<SourceTable> tables;
  for (SourceTable& t : *all) {
    if (selector.is_selected(t.schema, t.name)) tables.push_back(std::move(t));
  }
  auto plan = plan_load(**conn, config, tables, PlanOptions{.log_segments = false});
  if (!plan.is_ok()) {
    return PreflightCheck{"full_load_plan", CheckStatus::kFail, plan.status().message(),
                          "fix or remove the table-settings rule it names"};
  }
  std::string split;
  size_t split_tables = 0;
  for (const LoadSegment& s : *plan) {
    if (s.count < 2 || s.index != 0) continue;
    ++split_tables;
    split += (split.empty() ? ": " : ", ") + s.table->schema + "." + s.table->name + " in " + std::to_string(s.count);
  }
  return PreflightCheck{"full_load_plan", CheckStatus::kPass,
                        std::to_string(tables.size()) + " table(s) in " + std::to_string(plan->size()) +
                            " segment(s); " + std::to_string(split_tables) + " split" + split,
                        ""};
}

bool any_failed(const std::vector<PreflightCheck>& checks) {
  for (const auto& c : checks) {
    if (c.status == CheckStatus::kFail) return true;
  }
  return false;
}

void print(const std::vector<PreflightCheck>& checks, const std::string& heading, bool json) {
  const bool ok = !any_failed(checks);
  if (json) {
    nlohmann::json doc;
    doc["checks"] = nlohmann::json::array();
    for (const auto& c : checks) {
      doc["checks"].push_back(
          {{"name", c.name}, {"status", check_status_name(c.status)}, {"detail", c.detail}, {"fix", c.fix}});
    }
    doc["ok"] = ok;
    std::string text = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return;
  }
  if (!heading.empty()) std::printf("%s\n", heading.c_str());
  int failed = 0;
  int warned = 0;
  for (const auto& c : checks) {
    if (c.status == CheckStatus::kFail) ++failed;
    if (c.status == CheckStatus::kWarn) ++warned;
    std::printf("%-4s  %-22s %s\n", check_status_name(c.status), c.name.c_str(), c.detail.c_str());
    if (!c.fix.empty() && (c.status == CheckStatus::kFail || c.status == CheckStatus::kWarn)) {
      std::printf("      %-22s fix: %s\n", "", c.fix.c_str());
    }
  }
  std::printf("%s: %d failed, %d warning(s)\n", ok ? "preflight passed" : "preflight FAILED", failed, warned);
}

}  // namespace

int run_preflight_file(const std::string& task_file, const PreflightOptions& options) {
  auto config = load_task_file(task_file);
  if (!config.is_ok()) {
    print({{"task_file", CheckStatus::kFail, config.status().message(), "fix the task file"}}, "", options.json);
    return exit_code_for(config.status());
  }
  std::vector<PreflightCheck> checks;
  for (const auto& w : config->warnings) checks.push_back({"task_file", CheckStatus::kWarn, w, ""});

  TableSelector selector(config->selection_rules);
  SourcePreflightOptions source;
  source.conninfo = config->source.connection;
  source.cdc = config->migration_type != MigrationType::kFullLoad;
  source.slot_name = config->source.slot_name;
  source.publication_name = config->source.publication_name;
  source.is_selected = [&selector](const SourceTable& t) { return selector.is_selected(t.schema, t.name); };
  for (auto& c : check_source(source)) checks.push_back(std::move(c));
  if (!config->parallel_load_rules.empty() && config->migration_type != MigrationType::kCdc) {
    if (std::optional<PreflightCheck> plan = check_load_plan(*config)) checks.push_back(std::move(*plan));
  }

  if (config->target.type == TargetType::kS3) {
    for (auto& c : check_s3(*config)) checks.push_back(std::move(c));
  } else {
    checks.push_back(check_local(*config));
  }
  print(checks,
        "pgs3 preflight: task \"" + config->task_id + "\" (" + migration_type_name(config->migration_type) + ")",
        options.json);
  std::fflush(stdout);
  return any_failed(checks) ? 2 : 0;
}

}  // namespace pgs3
