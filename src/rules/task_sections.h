// The section parsers of the task file, called by parse_task_json() (task_config.cc) in file order. Internal to
// src/rules. Each one reads one JSON section into its part of TaskConfig, appends warnings for settings it accepts
// but ignores, and fails with kBadInput naming the JSON path of the first problem. Stateless; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "rules/json_document.h"
#include "rules/task_config.h"

namespace pgs3 {

// What the S3 settings parser needs to know from the rest of the task file.
struct S3SettingsContext {
  MigrationType migration_type = MigrationType::kFullLoad;
  TargetType target_type = TargetType::kLocal;
};

// target.s3Settings: DMS's S3Settings (the names of the DMS API and of its extra connection attributes).
Status parse_s3_settings(const Json& value, const std::string& path, const S3SettingsContext& context,
                         S3Settings* settings, std::vector<std::string>* warnings);

// tableMappings: DMS's table-mapping document {"rules": [...]}: selection rules, table-settings parallel-load rules
// and post-processing (add-tag) rules.
Status parse_table_mappings(const Json& value, const std::string& path, std::vector<SelectionRule>* rules,
                            std::vector<TaggingRule>* tagging_rules, std::vector<ParallelLoadRule>* parallel_load_rules,
                            std::vector<std::string>* warnings);

// taskSettings: DMS's task-settings document (ReplicationTaskSettings).
Status parse_task_settings(const Json& value, const std::string& path, FullLoadSettings* full_load, CdcSettings* cdc,
                           std::vector<std::string>* warnings);

// The DMS API passes TableMappings and ReplicationTaskSettings as JSON text inside a string; pgs3 accepts either
// the document itself or such a string, which it parses here (errors name `path`).
Result<Json> embedded_document(const Json& value, const std::string& path);

}  // namespace pgs3
