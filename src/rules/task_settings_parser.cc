// taskSettings: DMS's task-settings document (AWS DMS User Guide, "Specifying task settings for AWS Database
// Migration Service tasks" and "Task settings example"), so that settings saved from a DMS task can be pasted
// whole. pgs3 uses FullLoadSettings.MaxFullLoadSubTasks, ChangeProcessingTuning.MemoryLimitTotal and
// ChangeProcessingDdlHandlingPolicy.HandleSourceTableTruncated and HandleSourceTableDropped; the other sections tune
// DMS's own engine (LOB handling, control tables, batch apply, logging, validation, ...) and have no effect here: they
// are accepted and named in one warning. Two sections change the data written, so they are refused when enabled:
// BeforeImageSettings (adds before-image columns to change rows) and CharacterSetSettings (replaces characters in
// values).
#include "rules/json_section.h"
#include "rules/task_sections.h"

namespace pgs3 {
namespace {

constexpr std::string_view kSectionNames[] = {
    "TargetMetadata",
    "FullLoadSettings",
    "TTSettings",
    "Logging",
    "ControlTablesSettings",
    "StreamBufferSettings",
    "ChangeProcessingTuning",
    "ChangeProcessingDdlHandlingPolicy",
    "LoopbackPreventionSettings",
    "ValidationSettings",
    "DataResyncSettings",
    "ErrorBehavior",
    "CharacterSetSettings",
    "BeforeImageSettings",
    "PostProcessingRules",
    "FailTaskWhenCleanTaskResourceFailed",
};

constexpr std::string_view kFullLoadNames[] = {
    "TargetTablePrepMode",
    "CreatePkAfterFullLoad",
    "StopTaskCachedChangesApplied",
    "StopTaskCachedChangesNotApplied",
    "MaxFullLoadSubTasks",
    "TransactionConsistencyTimeout",
    "CommitRate",
};

constexpr std::string_view kTuningNames[] = {
    "BatchApplyPreserveTransaction",
    "BatchApplyTimeoutMin",
    "BatchApplyTimeoutMax",
    "BatchApplyMemoryLimit",
    "BatchSplitSize",
    "MinTransactionSize",
    "CommitTimeout",
    "MemoryLimitTotal",
    "MemoryKeepTime",
    "StatementCacheSize",
    "RecoveryTimeout",
};

constexpr std::string_view kDdlPolicyNames[] = {"HandleSourceTableDropped", "HandleSourceTableTruncated",
                                                "HandleSourceTableAltered"};

constexpr std::string_view kBeforeImageNames[] = {"EnableBeforeImage", "FieldName", "ColumnFilter"};

// True when `value` sets anything: not null, and for an object, some member that is not null.
bool sets_anything(const Json& value) {
  if (value.is_null()) return false;
  if (!value.is_object()) return true;
  for (const auto& [key, member] : value.items()) {
    if (!member.is_null()) return true;
  }
  return false;
}

}  // namespace

Status parse_task_settings(const Json& value, const std::string& path, FullLoadSettings* full_load, CdcSettings* cdc,
                           std::vector<std::string>* warnings) {
  PGS3_ASSIGN_OR_RETURN(JsonSection settings, JsonSection::open(value, path, kSectionNames, NameCase::kInsensitive));
  std::vector<std::string> ignored;
  for (std::string_view name : settings.present()) {
    const Json& section = *settings.get(name);
    if (name == "FullLoadSettings") {
      PGS3_ASSIGN_OR_RETURN(JsonSection fl,
                            JsonSection::open(section, settings.path_of(name), kFullLoadNames, NameCase::kInsensitive));
      int64_t sub_tasks = full_load->max_full_load_sub_tasks;
      // DMS: MaxFullLoadSubTasks "The default value is 8; the maximum value is 49".
      PGS3_RETURN_IF_ERROR(fl.read_int("MaxFullLoadSubTasks", {1, 49, "tables loaded in parallel"}, &sub_tasks));
      full_load->max_full_load_sub_tasks = static_cast<int>(sub_tasks);
      for (std::string_view key : fl.present()) {
        if (key != "MaxFullLoadSubTasks") ignored.push_back("FullLoadSettings." + std::string(key));
      }
    } else if (name == "ChangeProcessingTuning") {
      PGS3_ASSIGN_OR_RETURN(JsonSection tuning,
                            JsonSection::open(section, settings.path_of(name), kTuningNames, NameCase::kInsensitive));
      PGS3_RETURN_IF_ERROR(tuning.read_int("MemoryLimitTotal", {16, 1 << 20, "MB"}, &cdc->memory_limit_total_mb));
      for (std::string_view key : tuning.present()) {
        if (key != "MemoryLimitTotal") ignored.push_back("ChangeProcessingTuning." + std::string(key));
      }
    } else if (name == "ChangeProcessingDdlHandlingPolicy") {
      PGS3_ASSIGN_OR_RETURN(JsonSection policy, JsonSection::open(section, settings.path_of(name), kDdlPolicyNames,
                                                                  NameCase::kInsensitive));
      PGS3_RETURN_IF_ERROR(policy.read_bool("HandleSourceTableTruncated", &cdc->handle_source_table_truncated));
      PGS3_RETURN_IF_ERROR(policy.read_bool("HandleSourceTableDropped", &cdc->handle_source_table_dropped));
      for (std::string_view key : policy.present()) {
        if (key != "HandleSourceTableTruncated" && key != "HandleSourceTableDropped")
          ignored.push_back("ChangeProcessingDdlHandlingPolicy." + std::string(key));
      }
    } else if (name == "BeforeImageSettings") {
      PGS3_ASSIGN_OR_RETURN(JsonSection before, JsonSection::open(section, settings.path_of(name), kBeforeImageNames,
                                                                  NameCase::kInsensitive));
      bool enabled = false;
      PGS3_RETURN_IF_ERROR(before.read_bool("EnableBeforeImage", &enabled));
      if (enabled) {
        return Status::bad_input(before.path_of("EnableBeforeImage") +
                                 " is not supported yet (it adds before-image columns to change rows); set it to "
                                 "false or remove BeforeImageSettings");
      }
      if (sets_anything(section)) ignored.emplace_back(name);
    } else if (name == "CharacterSetSettings") {
      if (sets_anything(section)) {
        return Status::bad_input(settings.path_of(name) +
                                 " is not supported yet (character substitution changes the values written); remove "
                                 "it or set it to null");
      }
    } else {
      ignored.emplace_back(name);
    }
  }
  if (!ignored.empty()) {
    std::string message = path + ": ";
    for (size_t i = 0; i < ignored.size(); ++i) {
      if (i > 0) message += ", ";
      message += ignored[i];
    }
    message += ignored.size() == 1 ? " tunes" : " tune";
    message += " AWS DMS's own engine and " + std::string(ignored.size() == 1 ? "has" : "have") +
               " no effect in pgs3; ignored";
    warnings->push_back(std::move(message));
  }
  return Status::ok();
}

}  // namespace pgs3
