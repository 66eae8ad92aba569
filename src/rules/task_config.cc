// The task file's top level and pgs3's own sections (source, target); DMS's documents are read by the section
// parsers in task_sections.h. pgs3's own names compare exactly; DMS's ignore case (rules/setting_names.h).
#include "rules/task_config.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "rules/cdc_stop_position.h"
#include "rules/connection_string.h"
#include "rules/json_section.h"
#include "rules/task_sections.h"

namespace pgs3 {
namespace {

constexpr std::string_view kTopNames[] = {"taskId",        "migrationType", "source",         "target",
                                          "tableMappings", "taskSettings",  "cdcStopPosition"};
constexpr std::string_view kSourceNames[] = {"connection",       "slotName",           "publicationName",
                                             "HeartbeatEnable",  "HeartbeatFrequency", "HeartbeatSchema",
                                             "fullLoadSegmentMB"};
constexpr std::string_view kTargetNames[] = {"type",
                                             "path",
                                             "endpointUrl",
                                             "region",
                                             "caBundle",
                                             "addressingStyle",
                                             "stallTimeoutSeconds",
                                             "leaseSeconds",
                                             "uploadConcurrency",
                                             "s3Settings"};
constexpr std::string_view kAddressingStyles[] = {"auto", "path", "virtual"};

constexpr std::pair<std::string_view, MigrationType> kMigrationTypes[] = {
    {"full-load", MigrationType::kFullLoad},
    {"cdc", MigrationType::kCdc},
    {"full-load-and-cdc", MigrationType::kFullLoadAndCdc}};
constexpr std::pair<std::string_view, TargetType> kTargetTypes[] = {{"local", TargetType::kLocal},
                                                                    {"s3", TargetType::kS3}};

// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1).
constexpr size_t kMaxIdentifier = 63;

bool all_of_chars(const std::string& s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}
bool task_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
// Replication slot names: lower-case letters, digits and underscores (PostgreSQL, "Replication Slots").
bool slot_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }
bool publication_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "pgs3_<taskId>", in slot-name characters.
std::string default_replication_name(const std::string& task_id) {
  std::string name = "pgs3_";
  for (char c : task_id) {
    if (c == '-') {
      name += '_';
    } else if (c >= 'A' && c <= 'Z') {
      name += static_cast<char>(c - 'A' + 'a');
    } else {
      name += c;
    }
  }
  return name;
}

Status parse_source(const Json& value, const std::string& task_id, SourceConfig* source,
                    std::vector<std::string>* warnings) {
  PGS3_ASSIGN_OR_RETURN(JsonSection section, JsonSection::open(value, "source", kSourceNames, NameCase::kExact));
  // The connection string is never echoed in a message: it may hold a password.
  const Json* connection = section.get("connection");
  if (connection == nullptr) {
    return section.error("connection",
                         "required: a libpq connection string (\"host=db dbname=app user=replicator\") "
                         "or URI (\"postgresql://replicator@db/app\")");
  }
  if (!connection->is_string() || connection->get_ref<const std::string&>().empty()) {
    return section.error("connection", "expected a non-empty string (a libpq connection string or URI)");
  }
  source->connection = connection->get<std::string>();
  if (connection_has_password(source->connection)) {
    return section.error("connection",
                         "contains a password; remove it from the task file and give it to libpq instead: the "
                         "PGPASSWORD environment variable or ~/.pgpass (or the file named by PGPASSFILE)");
  }

  const std::string default_name = default_replication_name(task_id);
  source->slot_name = default_name;
  source->publication_name = default_name;
  PGS3_RETURN_IF_ERROR(section.read_string("slotName", &source->slot_name));
  PGS3_RETURN_IF_ERROR(section.read_int("fullLoadSegmentMB", {0, 1 << 20, "MB"}, &source->full_load_segment_mb));
  PGS3_RETURN_IF_ERROR(section.read_string("publicationName", &source->publication_name));
  PGS3_RETURN_IF_ERROR(section.read_bool("HeartbeatEnable", &source->heartbeat_enable));
  // DMS: HeartbeatFrequency in minutes, default 5.
  PGS3_RETURN_IF_ERROR(
      section.read_int("HeartbeatFrequency", {1, 24 * 60, "minutes"}, &source->heartbeat_frequency_min));
  if (section.has("HeartbeatSchema")) {
    warnings->push_back(
        section.path_of("HeartbeatSchema") +
        ": pgs3's heartbeat is a logical message (pg_logical_emit_message) and needs no table; ignored");
  }
  struct Check {
    std::string_view name;
    const std::string& value;
    bool (*ok)(char);
    const char* allowed;
  };
  for (const Check& check :
       {Check{"slotName", source->slot_name, slot_char, "lower-case letters, digits and '_'"},
        Check{"publicationName", source->publication_name, publication_char, "letters, digits and '_'"}}) {
    bool given = section.has(check.name);
    if (check.value.empty() || check.value.size() > kMaxIdentifier || !all_of_chars(check.value, check.ok)) {
      std::string message = "must be 1 to 63 characters of " + std::string(check.allowed);
      if (!given) {
        message = "the default name \"" + check.value + "\" (from taskId) is not valid: it " + message + "; set " +
                  std::string(check.name) + " explicitly";
      } else {
        message += ", got " + describe_json_value(Json(check.value));
      }
      return section.error(check.name, message);
    }
  }
  return Status::ok();
}

Status parse_target(const Json& value, MigrationType migration_type, TargetConfig* target,
                    std::vector<std::string>* warnings) {
  PGS3_ASSIGN_OR_RETURN(JsonSection section, JsonSection::open(value, "target", kTargetNames, NameCase::kExact));
  if (!section.has("type")) return section.error("type", "required: local or s3");
  PGS3_RETURN_IF_ERROR(section.read_enum("type", kTargetTypes, &target->type));
  PGS3_RETURN_IF_ERROR(section.read_string("path", &target->path));
  PGS3_RETURN_IF_ERROR(section.read_string("endpointUrl", &target->endpoint_url));
  PGS3_RETURN_IF_ERROR(section.read_string("region", &target->region));
  PGS3_RETURN_IF_ERROR(section.read_string("caBundle", &target->ca_bundle));
  size_t style = 0;
  PGS3_RETURN_IF_ERROR(section.read_choice("addressingStyle", kAddressingStyles, &style));
  target->addressing = std::string(kAddressingStyles[style]);
  PGS3_RETURN_IF_ERROR(section.read_int("stallTimeoutSeconds", IntRange{1, 3600, "seconds"}, &target->stall_timeout_s));
  PGS3_RETURN_IF_ERROR(section.read_int("leaseSeconds", IntRange{5, 3600, "seconds"}, &target->lease_s));
  PGS3_RETURN_IF_ERROR(section.read_int("uploadConcurrency", IntRange{1, 64, "uploads"}, &target->upload_concurrency));

  if (target->type == TargetType::kLocal) {
    if (target->path.empty()) {
      return section.error("path", "required for a local target: the directory that plays the bucket");
    }
    for (std::string_view name : {"endpointUrl", "region", "caBundle", "addressingStyle", "stallTimeoutSeconds"}) {
      if (section.has(name)) warnings->push_back(section.path_of(name) + " has no effect on a local target; ignored");
    }
  } else {
    if (section.has("path")) {
      return section.error("path",
                           "applies to local targets only; an s3 target names its bucket in "
                           "s3Settings.BucketName (and a folder in s3Settings.BucketFolder)");
    }
    if (!target->endpoint_url.empty() && target->endpoint_url.rfind("http://", 0) != 0 &&
        target->endpoint_url.rfind("https://", 0) != 0) {
      return section.error(
          "endpointUrl", "expected an http:// or https:// URL, got " + describe_json_value(Json(target->endpoint_url)));
    }
  }

  S3SettingsContext context{migration_type, target->type};
  const Json* settings = section.get("s3Settings");
  if (settings != nullptr) {
    PGS3_RETURN_IF_ERROR(parse_s3_settings(*settings, section.path_of("s3Settings"), context, &target->s3, warnings));
  }
  if (target->type == TargetType::kS3 && target->s3.bucket_name.empty()) {
    return Status::bad_input(settings == nullptr
                                 ? "target.s3Settings: required for an s3 target (at least BucketName)"
                                 : section.path_of("s3Settings") + ".BucketName: required for an s3 target");
  }
  return Status::ok();
}

}  // namespace

Result<Json> embedded_document(const Json& value, const std::string& path) {
  if (!value.is_string()) return value;
  Result<Json> document = parse_json_document(value.get_ref<const std::string&>(), path);
  if (!document.is_ok()) return document.status().with_context(path + " (a JSON document in a string)");
  return document;
}

const char* migration_type_name(MigrationType type) {
  for (const auto& [name, value] : kMigrationTypes) {
    if (value == type) return name.data();
  }
  return "?";
}

Result<TaskConfig> parse_task_json(const std::string& json_text) {
  PGS3_ASSIGN_OR_RETURN(Json document, parse_json_document(json_text, ""));
  if (!document.is_object()) {
    return Status::bad_input("expected a JSON object {\"taskId\": ..., \"source\": ..., ...}, got " +
                             describe_json_value(document));
  }
  PGS3_ASSIGN_OR_RETURN(JsonSection top, JsonSection::open(document, "", kTopNames, NameCase::kExact));
  TaskConfig config;

  if (!top.has("taskId")) return top.error("taskId", "required: a name of 1 to 64 letters, digits, '_' or '-'");
  PGS3_RETURN_IF_ERROR(top.read_string("taskId", &config.task_id));
  if (config.task_id.empty() || config.task_id.size() > 64 || !all_of_chars(config.task_id, task_id_char)) {
    return top.error("taskId",
                     "expected 1 to 64 letters, digits, '_' or '-', got " + describe_json_value(*top.get("taskId")));
  }

  if (!top.has("migrationType")) return top.error("migrationType", "required: full-load, cdc or full-load-and-cdc");
  PGS3_RETURN_IF_ERROR(top.read_enum("migrationType", kMigrationTypes, &config.migration_type));

  if (!top.has("source")) return top.error("source", "required: {\"connection\": \"host=... dbname=... user=...\"}");
  PGS3_RETURN_IF_ERROR(parse_source(*top.get("source"), config.task_id, &config.source, &config.warnings));

  if (!top.has("target"))
    return top.error("target", "required: {\"type\": \"local\", \"path\": \"...\"} or an s3 target");
  PGS3_RETURN_IF_ERROR(parse_target(*top.get("target"), config.migration_type, &config.target, &config.warnings));

  if (!top.has("tableMappings")) {
    return top.error("tableMappings", "required: DMS table mappings {\"rules\": [ ...selection rules... ]}");
  }
  const std::string mappings_path = top.path_of("tableMappings");
  PGS3_ASSIGN_OR_RETURN(Json mappings, embedded_document(*top.get("tableMappings"), mappings_path));
  PGS3_RETURN_IF_ERROR(parse_table_mappings(mappings, mappings_path, &config.selection_rules, &config.tagging_rules,
                                            &config.parallel_load_rules, &config.warnings));
  if (!config.tagging_rules.empty() && config.target.type == TargetType::kLocal) {
    config.warnings.push_back(mappings_path +
                              ": post-processing add-tag rules tag S3 objects; a local target has no object tags, so "
                              "they are ignored");
  }

  if (top.has("taskSettings")) {
    const std::string settings_path = top.path_of("taskSettings");
    PGS3_ASSIGN_OR_RETURN(Json settings, embedded_document(*top.get("taskSettings"), settings_path));
    PGS3_RETURN_IF_ERROR(
        parse_task_settings(settings, settings_path, &config.full_load, &config.cdc, &config.warnings));
  }
  if (top.has("cdcStopPosition")) {
    PGS3_RETURN_IF_ERROR(top.read_string("cdcStopPosition", &config.cdc.stop_position));
    Result<CdcStopPosition> stop = parse_cdc_stop_position(config.cdc.stop_position);
    if (!stop.is_ok()) return top.error("cdcStopPosition", stop.status().message());
  }
  return config;
}

Result<TaskConfig> parse_task_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Status::bad_input(std::string("cannot read the task file: ") + std::strerror(errno));
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    text.append(buffer, n);
    if (n < sizeof(buffer)) {
      if (std::ferror(file.get()))
        return Status::bad_input(std::string("cannot read the task file: ") + std::strerror(errno));
      break;
    }
  }
  return parse_task_json(text);
}

}  // namespace pgs3
