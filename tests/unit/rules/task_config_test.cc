#include "rules/task_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rules/cdc_stop_position.h"

namespace pgs3 {
namespace {

using Json = nlohmann::ordered_json;

Json minimal_task() {
  return Json::parse(R"({
    "taskId": "orders-to-lake",
    "migrationType": "full-load",
    "source": {"connection": "host=db dbname=app user=replicator"},
    "target": {"type": "local", "path": "/tmp/lake"},
    "tableMappings": {"rules": [{"rule-type": "selection", "rule-id": "1", "rule-name": "1",
                                 "object-locator": {"schema-name": "public", "table-name": "%"},
                                 "rule-action": "include"}]}
  })");
}

Result<TaskConfig> parse(const Json& task) { return parse_task_json(task.dump(2)); }

// The error message of parsing `task`; fails the test if it parsed.
std::string error_of(const Json& task) {
  Result<TaskConfig> result = parse(task);
  EXPECT_FALSE(result.is_ok()) << task.dump();
  if (result.is_ok()) return "";
  EXPECT_EQ(result.status().code(), StatusCode::kBadInput);
  return result.status().message();
}

TaskConfig parsed(const Json& task) {
  Result<TaskConfig> result = parse(task);
  EXPECT_TRUE(result.is_ok()) << result.status().message();
  return result.is_ok() ? std::move(result).value() : TaskConfig{};
}

// minimal_task() with target.s3Settings = `settings`.
Json with_s3_settings(Json settings) {
  Json task = minimal_task();
  task["target"]["s3Settings"] = std::move(settings);
  return task;
}

S3Settings s3_of(Json settings) { return parsed(with_s3_settings(std::move(settings))).target.s3; }

std::string s3_error(Json settings) { return error_of(with_s3_settings(std::move(settings))); }

Json with_rules(Json rules) {
  Json task = minimal_task();
  task["tableMappings"]["rules"] = std::move(rules);
  return task;
}

Json include_rule(std::string id, std::string schema = "public", std::string table = "%") {
  return Json{{"rule-type", "selection"},
              {"rule-id", id},
              {"rule-name", "rule " + id},
              {"object-locator", {{"schema-name", schema}, {"table-name", table}}},
              {"rule-action", "include"}};
}

bool has_warning(const TaskConfig& config, std::string_view needle) {
  for (const std::string& w : config.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

// --- the whole file ---

TEST(TaskConfig, MinimalTaskTakesDmsDefaults) {
  TaskConfig config = parsed(minimal_task());
  EXPECT_EQ(config.task_id, "orders-to-lake");
  EXPECT_EQ(config.migration_type, MigrationType::kFullLoad);
  EXPECT_EQ(config.source.connection, "host=db dbname=app user=replicator");
  EXPECT_EQ(config.source.slot_name, "pgs3_orders_to_lake");
  EXPECT_EQ(config.source.publication_name, "pgs3_orders_to_lake");
  EXPECT_EQ(config.target.type, TargetType::kLocal);
  EXPECT_EQ(config.target.path, "/tmp/lake");
  const S3Settings& s3 = config.target.s3;
  EXPECT_EQ(s3.data_format, DataFormat::kCsv);
  EXPECT_EQ(s3.compression, Compression::kNone);
  EXPECT_EQ(s3.max_file_size_kb, 1048576);
  EXPECT_EQ(s3.csv_delimiter, ",");
  EXPECT_EQ(s3.csv_row_delimiter, "\n");
  EXPECT_EQ(s3.csv_null_value, "");
  EXPECT_TRUE(s3.rfc4180);
  EXPECT_FALSE(s3.add_column_name);
  EXPECT_EQ(s3.encoding, ParquetEncoding::kRleDictionary);
  EXPECT_EQ(s3.parquet_version, ParquetVersion::kV1);
  EXPECT_EQ(s3.canned_acl, "NONE");
  EXPECT_EQ(config.full_load.max_full_load_sub_tasks, 8);
  ASSERT_EQ(config.selection_rules.size(), 1u);
  EXPECT_EQ(config.selection_rules[0].schema_pattern, "public");
  EXPECT_EQ(config.selection_rules[0].table_pattern, "%");
  EXPECT_EQ(config.selection_rules[0].action, SelectionRule::Action::kInclude);
  EXPECT_TRUE(config.warnings.empty()) << config.warnings[0];
}

TEST(TaskConfig, DesignDocumentExampleParses) {
  TaskConfig config = parsed(Json::parse(R"({
    "taskId": "orders-to-lake",
    "migrationType": "full-load-and-cdc",
    "source": { "connection": "host=db port=5432 dbname=app user=replicator sslmode=verify-full",
                "slotName": "pgs3_orders", "publicationName": "pgs3_orders" },
    "target": { "type": "s3", "endpointUrl": "https://s3.eu-west-1.amazonaws.com", "region": "eu-west-1",
                "s3Settings": { "BucketName": "lake", "BucketFolder": "raw/app", "DataFormat": "parquet",
                                "CdcMaxBatchInterval": 60, "CdcMinFileSize": 32000 } },
    "tableMappings": { "rules": [ { "rule-type": "selection", "rule-id": "1", "rule-name": "1",
                                    "object-locator": { "schema-name": "public", "table-name": "%" },
                                    "rule-action": "include" } ] },
    "taskSettings": { "FullLoadSettings": { "MaxFullLoadSubTasks": 8 } }
  })"));
  EXPECT_EQ(config.migration_type, MigrationType::kFullLoadAndCdc);
  EXPECT_EQ(config.source.slot_name, "pgs3_orders");
  EXPECT_EQ(config.target.type, TargetType::kS3);
  EXPECT_EQ(config.target.endpoint_url, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(config.target.region, "eu-west-1");
  EXPECT_EQ(config.target.s3.bucket_name, "lake");
  EXPECT_EQ(config.target.s3.bucket_folder, "raw/app");
  EXPECT_EQ(config.target.s3.data_format, DataFormat::kParquet);
  EXPECT_EQ(config.target.s3.cdc_max_batch_interval_s, 60);
  EXPECT_EQ(config.target.s3.cdc_min_file_size_kb, 32000);
  EXPECT_TRUE(config.warnings.empty());
}

TEST(TaskConfig, ReadsTheFileFromDisk) {
  std::string path = ::testing::TempDir() + "/pgs3_task_config_test.json";
  {
    std::ofstream file(path);
    file << minimal_task().dump(2);
  }
  Result<TaskConfig> result = parse_task_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(result->task_id, "orders-to-lake");
}

TEST(TaskConfig, UnreadableFileNamesTheReasonButNotThePath) {
  Result<TaskConfig> result = parse_task_file("/nonexistent/dir/task.json");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kBadInput);
  EXPECT_EQ(result.status().message(), "cannot read the task file: No such file or directory");
  result = parse_task_file(::testing::TempDir());
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("Is a directory"), std::string::npos) << result.status().message();
}

TEST(TaskConfig, MalformedJsonReportsLineColumnAndExpectation) {
  Result<TaskConfig> result = parse_task_json("{\n  \"taskId\": \"a\",\n  }");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message(),
            "invalid JSON at line 3, column 3: syntax error while parsing object key - unexpected '}'; "
            "expected string literal");
  result = parse_task_json("");
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("line 1, column 1"), std::string::npos) << result.status().message();
}

TEST(TaskConfig, SyntaxErrorsDoNotEchoTheText) {
  Result<TaskConfig> result = parse_task_json("{\"source\": {\"connection\": \"host=db password=hunter2\nuser=x\"}}");
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("line 1, column"), std::string::npos) << result.status().message();
  EXPECT_EQ(result.status().message().find("hunter2"), std::string::npos) << result.status().message();
}

TEST(TaskConfig, CommentsAreAllowed) {
  std::string text = minimal_task().dump(2);
  text.insert(1, "\n  // where the orders go\n  /* block */");
  EXPECT_TRUE(parse_task_json(text).is_ok());
}

TEST(TaskConfig, DuplicateKeysAreErrorsWithTheirPath) {
  std::string text = R"({"taskId": "a", "target": {"type": "local", "path": "/a", "path": "/b"}})";
  Result<TaskConfig> result = parse_task_json(text);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message(), "target.path is set more than once; keep one (JSON objects take each key once)");
  text = R"({"tableMappings": {"rules": [{}, {"rule-id": "1", "rule-id": "2"}]}})";
  result = parse_task_json(text);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("tableMappings.rules[1].rule-id is set more than once"), std::string::npos)
      << result.status().message();
}

TEST(TaskConfig, TopLevelMustBeAnObject) {
  Result<TaskConfig> result = parse_task_json("[1, 2]");
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("expected a JSON object"), std::string::npos);
}

TEST(TaskConfig, UnknownTopLevelNameSuggestsTheRightSpelling) {
  Json task = minimal_task();
  task["tablemappings"] = task["tableMappings"];
  task.erase("tableMappings");
  EXPECT_EQ(error_of(task), "unknown setting tablemappings; did you mean tableMappings?");
}

TEST(TaskConfig, PgsSectionNamesAreExactButSuggestedIgnoringCase) {
  Json task = minimal_task();
  task["target"]["S3Settings"] = Json::object();
  EXPECT_EQ(error_of(task), "unknown setting target.S3Settings; did you mean s3Settings?");
}

TEST(TaskConfig, UnknownNameFarFromAnyListsTheChoicesOfSmallSections) {
  Json task = minimal_task();
  task["source"]["host"] = "db";
  EXPECT_EQ(error_of(task),
            "unknown setting source.host; expected one of: connection, slotName, publicationName, HeartbeatEnable, "
            "HeartbeatFrequency, HeartbeatSchema, fullLoadSegmentMB");
}

TEST(TaskConfig, TaskIdIsRequiredAndValidated) {
  Json task = minimal_task();
  task.erase("taskId");
  EXPECT_EQ(error_of(task), "taskId: required: a name of 1 to 64 letters, digits, '_' or '-'");
  task["taskId"] = "orders to lake";
  EXPECT_EQ(error_of(task), "taskId: expected 1 to 64 letters, digits, '_' or '-', got \"orders to lake\"");
  task["taskId"] = std::string(65, 'a');
  EXPECT_NE(error_of(task).find("taskId: expected 1 to 64"), std::string::npos);
  task["taskId"] = 12;
  EXPECT_EQ(error_of(task), "taskId: expected a string, got 12");
}

TEST(TaskConfig, MigrationTypeTakesTheThreeDmsValues) {
  Json task = minimal_task();
  task["migrationType"] = "cdc";
  EXPECT_EQ(parsed(task).migration_type, MigrationType::kCdc);
  task["migrationType"] = "FULL-LOAD-AND-CDC";
  EXPECT_EQ(parsed(task).migration_type, MigrationType::kFullLoadAndCdc);
  task["migrationType"] = "full";
  EXPECT_EQ(error_of(task), "migrationType: expected one of full-load, cdc, full-load-and-cdc, got \"full\"");
  task.erase("migrationType");
  EXPECT_EQ(error_of(task), "migrationType: required: full-load, cdc or full-load-and-cdc");
}

// --- source ---

TEST(TaskConfig, ConnectionIsRequired) {
  Json task = minimal_task();
  task["source"].erase("connection");
  EXPECT_NE(error_of(task).find("source.connection: required"), std::string::npos);
  task["source"]["connection"] = "";
  EXPECT_NE(error_of(task).find("source.connection: expected a non-empty string"), std::string::npos);
}

TEST(TaskConfig, PasswordInConnectionIsRefusedWithoutEchoingIt) {
  for (const char* connection :
       {"host=db user=replicator password=hunter2", "host=db password = 'hunter2'",
        "postgresql://replicator:hunter2@db/app", "postgresql://replicator@db/app?password=hunter2"}) {
    Json task = minimal_task();
    task["source"]["connection"] = connection;
    std::string message = error_of(task);
    EXPECT_EQ(message.rfind("source.connection: contains a password", 0), 0u) << message;
    EXPECT_NE(message.find("PGPASSWORD"), std::string::npos);
    EXPECT_NE(message.find("~/.pgpass"), std::string::npos);
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
}

TEST(TaskConfig, DefaultSlotAndPublicationComeFromTheTaskId) {
  Json task = minimal_task();
  task["taskId"] = "Orders-To_Lake-2";
  TaskConfig config = parsed(task);
  EXPECT_EQ(config.source.slot_name, "pgs3_orders_to_lake_2");
  EXPECT_EQ(config.source.publication_name, "pgs3_orders_to_lake_2");
}

TEST(TaskConfig, SlotAndPublicationNamesAreValidated) {
  Json task = minimal_task();
  task["source"]["slotName"] = "Orders-Slot";
  EXPECT_EQ(error_of(task),
            "source.slotName: must be 1 to 63 characters of lower-case letters, digits and '_', got \"Orders-Slot\"");
  task["source"]["slotName"] = "orders_slot";
  task["source"]["publicationName"] = "orders pub";
  EXPECT_NE(error_of(task).find("source.publicationName: must be 1 to 63 characters"), std::string::npos);
  task["source"]["publicationName"] = "OrdersPub";
  TaskConfig config = parsed(task);
  EXPECT_EQ(config.source.slot_name, "orders_slot");
  EXPECT_EQ(config.source.publication_name, "OrdersPub");
}

TEST(TaskConfig, TooLongDefaultSlotNameAsksForAnExplicitOne) {
  Json task = minimal_task();
  task["taskId"] = std::string(60, 'a');
  std::string message = error_of(task);
  EXPECT_NE(message.find("source.slotName: the default name"), std::string::npos) << message;
  EXPECT_NE(message.find("set slotName explicitly"), std::string::npos) << message;
  task["source"]["slotName"] = "short";
  task["source"]["publicationName"] = "short";
  EXPECT_TRUE(parse(task).is_ok());
}

// --- target ---

TEST(TaskConfig, LocalTargetNeedsAPath) {
  Json task = minimal_task();
  task["target"].erase("path");
  EXPECT_EQ(error_of(task), "target.path: required for a local target: the directory that plays the bucket");
}

TEST(TaskConfig, TargetTypeIsRequiredAndChecked) {
  Json task = minimal_task();
  task["target"]["type"] = "gcs";
  EXPECT_EQ(error_of(task), "target.type: expected one of local, s3, got \"gcs\"");
  task["target"].erase("type");
  EXPECT_EQ(error_of(task), "target.type: required: local or s3");
}

TEST(TaskConfig, S3TargetNeedsABucketName) {
  Json task = minimal_task();
  task["target"] = Json{{"type", "s3"}};
  EXPECT_EQ(error_of(task), "target.s3Settings: required for an s3 target (at least BucketName)");
  task["target"]["s3Settings"] = Json{{"BucketFolder", "raw"}};
  EXPECT_EQ(error_of(task), "target.s3Settings.BucketName: required for an s3 target");
  task["target"]["s3Settings"]["BucketName"] = "lake";
  EXPECT_EQ(parsed(task).target.s3.bucket_name, "lake");
  task["target"]["path"] = "/tmp/x";
  EXPECT_NE(error_of(task).find("target.path: applies to local targets only"), std::string::npos);
}

TEST(TaskConfig, EndpointUrlMustBeHttp) {
  Json task = minimal_task();
  task["target"] = Json{{"type", "s3"}, {"endpointUrl", "s3.amazonaws.com"}, {"s3Settings", {{"BucketName", "lake"}}}};
  EXPECT_EQ(error_of(task), "target.endpointUrl: expected an http:// or https:// URL, got \"s3.amazonaws.com\"");
}

TEST(TaskConfig, LocalTargetWarnsAboutS3OnlySettings) {
  Json task = minimal_task();
  task["target"]["region"] = "eu-west-1";
  task["target"]["s3Settings"] = Json{{"CannedAclForObjects", "bucket_owner_full_control"}, {"BucketName", "lake"}};
  TaskConfig config = parsed(task);
  EXPECT_TRUE(has_warning(config, "target.region has no effect on a local target"));
  EXPECT_TRUE(has_warning(config, "target.s3Settings.CannedAclForObjects has no effect on a local target"));
  EXPECT_TRUE(has_warning(config, "target.s3Settings.BucketName has no effect on a local target"));
  EXPECT_EQ(config.target.s3.canned_acl, "BUCKET_OWNER_FULL_CONTROL");
}

// --- S3Settings ---

TEST(S3SettingsParsing, UnknownNameSuggestsTheClosest) {
  EXPECT_EQ(s3_error({{"CompresionType", "gzip"}}),
            "unknown setting target.s3Settings.CompresionType; did you mean CompressionType?");
  EXPECT_EQ(s3_error({{"maxfilesise", 10}}),
            "unknown setting target.s3Settings.maxfilesise; did you mean MaxFileSize?");
}

TEST(S3SettingsParsing, NamesIgnoreCaseLikeExtraConnectionAttributes) {
  S3Settings s3 = s3_of({{"compressionType", "GZIP"}, {"dataformat", "Parquet"}, {"MAXFILESIZE", 2048}});
  EXPECT_EQ(s3.compression, Compression::kGzip);
  EXPECT_EQ(s3.data_format, DataFormat::kParquet);
  EXPECT_EQ(s3.max_file_size_kb, 2048);
}

TEST(S3SettingsParsing, SameSettingInTwoCasesIsAnError) {
  EXPECT_EQ(s3_error({{"CompressionType", "gzip"}, {"compressionType", "none"}}),
            "target.s3Settings.CompressionType and target.s3Settings.compressionType are the same setting (names "
            "ignore case); keep one");
}

TEST(S3SettingsParsing, AcceptsEveryDmsS3SettingName) {
  // Every member of the DMS API's S3Settings, at a value that keeps the task valid.
  Json settings = {{"AddColumnName", true},
                   {"AddTrailingPaddingCharacter", false},
                   {"BucketFolder", "raw/app"},
                   {"BucketName", "lake"},
                   {"CannedAclForObjects", "NONE"},
                   {"CdcInsertsAndUpdates", false},
                   {"CdcInsertsOnly", false},
                   {"CdcMaxBatchInterval", 60},
                   {"CdcMinFileSize", 32000},
                   {"CdcPath", "changes"},
                   {"CompressionType", "NONE"},
                   {"CsvDelimiter", ","},
                   {"CsvNoSupValue", "@"},
                   {"CsvNullValue", ""},
                   {"CsvRowDelimiter", "\n"},
                   {"DataFormat", "csv"},
                   {"DataPageSize", 1048576},
                   {"DatePartitionDelimiter", "SLASH"},
                   {"DatePartitionEnabled", false},
                   {"DatePartitionSequence", "YYYYMMDD"},
                   {"DatePartitionTimezone", "UTC"},
                   {"DictPageSizeLimit", 1048576},
                   {"EnableStatistics", true},
                   {"EncodingType", "rle-dictionary"},
                   {"EncryptionMode", "SSE_S3"},
                   {"ExpectedBucketOwner", "123456789012"},
                   {"ExternalTableDefinition", ""},
                   {"GlueCatalogGeneration", false},
                   {"IgnoreHeaderRows", 0},
                   {"IncludeOpForFullLoad", true},
                   {"MaxFileSize", 1048576},
                   {"ParquetTimestampInMillisecond", false},
                   {"ParquetVersion", "parquet-1-0"},
                   {"PreserveTransactions", false},
                   {"Rfc4180", true},
                   {"RowGroupLength", 10000},
                   {"ServerSideEncryptionKmsKeyId", ""},
                   {"ServiceAccessRoleArn", "arn:aws:iam::123456789012:role/dms"},
                   {"TimestampColumnName", "ts"},
                   {"UseCsvNoSupValue", false},
                   {"UseTaskStartTimeForFullLoadTimestamp", true}};
  ASSERT_EQ(settings.size(), 41u);
  Json task = minimal_task();
  task["target"] = Json{{"type", "s3"}, {"s3Settings", settings}};
  TaskConfig config = parsed(task);
  const S3Settings& s3 = config.target.s3;
  EXPECT_TRUE(s3.add_column_name);
  EXPECT_EQ(s3.cdc_path, "changes");
  EXPECT_TRUE(s3.include_op_for_full_load);
  EXPECT_EQ(s3.timestamp_column_name, "ts");
  EXPECT_TRUE(s3.use_task_start_time_for_full_load_timestamp);
  EXPECT_EQ(s3.expected_bucket_owner, "123456789012");
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("ServiceAccessRoleArn is not used: pgs3 takes AWS credentials from the standard "
                                    "chain"),
            std::string::npos);
}

TEST(S3SettingsParsing, EnumsTakeEachValueIgnoringCase) {
  EXPECT_EQ(s3_of({{"DataFormat", "csv"}}).data_format, DataFormat::kCsv);
  EXPECT_EQ(s3_of({{"DataFormat", "PARQUET"}}).data_format, DataFormat::kParquet);
  EXPECT_EQ(s3_of({{"CompressionType", "none"}}).compression, Compression::kNone);
  EXPECT_EQ(s3_of({{"CompressionType", "GZIP"}}).compression, Compression::kGzip);
  EXPECT_EQ(s3_of({{"DataFormat", "parquet"}, {"CompressionType", "snappy"}}).compression, Compression::kSnappy);
  EXPECT_EQ(s3_of({{"DataFormat", "parquet"}, {"CompressionType", "ZSTD"}}).compression, Compression::kZstd);
  EXPECT_EQ(s3_of({{"EncodingType", "plain"}}).encoding, ParquetEncoding::kPlain);
  EXPECT_EQ(s3_of({{"EncodingType", "PLAIN-DICTIONARY"}}).encoding, ParquetEncoding::kPlainDictionary);
  EXPECT_EQ(s3_of({{"EncodingType", "rle-dictionary"}}).encoding, ParquetEncoding::kRleDictionary);
  EXPECT_EQ(s3_of({{"ParquetVersion", "parquet-1-0"}}).parquet_version, ParquetVersion::kV1);
  EXPECT_EQ(s3_of({{"ParquetVersion", "PARQUET-2-0"}}).parquet_version, ParquetVersion::kV2);
  EXPECT_EQ(s3_of({{"EncryptionMode", "sse_kms"}}).encryption_mode, EncryptionMode::kSseKms);
}

TEST(S3SettingsParsing, InvalidEnumListsTheChoices) {
  EXPECT_EQ(s3_error({{"DataFormat", "orc"}}),
            "target.s3Settings.DataFormat: expected one of csv, parquet, got \"orc\"");
  EXPECT_EQ(s3_error({{"CompressionType", "lz4"}}),
            "target.s3Settings.CompressionType: expected one of none, gzip, snappy, zstd, got \"lz4\"");
  EXPECT_EQ(s3_error({{"EncodingType", 1}}),
            "target.s3Settings.EncodingType: expected one of plain, plain-dictionary, rle-dictionary, got 1");
  EXPECT_EQ(s3_error({{"ParquetVersion", "2.0"}}),
            "target.s3Settings.ParquetVersion: expected one of parquet-1-0, parquet-2-0, got \"2.0\"");
}

TEST(S3SettingsParsing, SnappyAndZstdNeedParquet) {
  EXPECT_NE(s3_error({{"CompressionType", "snappy"}}).find("with DataFormat csv use none or gzip"), std::string::npos);
}

TEST(S3SettingsParsing, IntegersAreCheckedAgainstTheirRange) {
  EXPECT_EQ(s3_error({{"MaxFileSize", "big"}}),
            "target.s3Settings.MaxFileSize: expected an integer from 1 to 1048576 (KB), got \"big\"");
  EXPECT_EQ(s3_error({{"MaxFileSize", 0}}),
            "target.s3Settings.MaxFileSize: expected an integer from 1 to 1048576 (KB), got 0");
  EXPECT_NE(s3_error({{"MaxFileSize", 1048577}}).find("got 1048577"), std::string::npos);
  EXPECT_NE(s3_error({{"MaxFileSize", 1.5}}).find("got 1.5"), std::string::npos);
  EXPECT_EQ(s3_of({{"MaxFileSize", 1048576}}).max_file_size_kb, 1048576);
  EXPECT_EQ(s3_of({{"MaxFileSize", "2048"}}).max_file_size_kb, 2048);  // extra connection attributes are strings
  EXPECT_NE(s3_error({{"MaxFileSize", "99999999999999999999"}}).find("expected an integer from 1 to 1048576 (KB), got"),
            std::string::npos);
  EXPECT_NE(s3_error({{"MaxFileSize", "99999999999999999999x"}}).find("expected an integer from 1"), std::string::npos);
  EXPECT_NE(s3_error({{"MaxFileSize", 18446744073709551615u}}).find("got 18446744073709551615"), std::string::npos);
  EXPECT_EQ(s3_error({{"RowGroupLength", 0}}),
            "target.s3Settings.RowGroupLength: expected an integer from 1 to 2147483647 (rows), got 0");
  EXPECT_NE(s3_error({{"DataPageSize", 512}}).find("expected an integer from 1024"), std::string::npos);
  EXPECT_NE(s3_error({{"CdcMaxBatchInterval", -1}}).find("CdcMaxBatchInterval"), std::string::npos);
}

TEST(S3SettingsParsing, BooleansAcceptDmsSpellings) {
  EXPECT_TRUE(s3_of({{"AddColumnName", true}}).add_column_name);
  EXPECT_TRUE(s3_of({{"AddColumnName", "TRUE"}}).add_column_name);
  EXPECT_TRUE(s3_of({{"AddColumnName", "y"}}).add_column_name);
  EXPECT_FALSE(s3_of({{"Rfc4180", "false"}}).rfc4180);
  EXPECT_FALSE(s3_of({{"Rfc4180", "N"}}).rfc4180);
  EXPECT_EQ(s3_error({{"Rfc4180", "yes"}}), "target.s3Settings.Rfc4180: expected true or false, got \"yes\"");
  EXPECT_EQ(s3_error({{"Rfc4180", 1}}), "target.s3Settings.Rfc4180: expected true or false, got 1");
}

TEST(S3SettingsParsing, NullMeansNotSet) {
  S3Settings s3 = s3_of({{"MaxFileSize", nullptr}, {"DataFormat", nullptr}});
  EXPECT_EQ(s3.max_file_size_kb, 1048576);
  EXPECT_EQ(s3.data_format, DataFormat::kCsv);
}

TEST(S3SettingsParsing, CsvDelimitersMustBeUsable) {
  EXPECT_EQ(s3_error({{"CsvDelimiter", ""}}), "target.s3Settings.CsvDelimiter: must not be empty");
  EXPECT_EQ(s3_error({{"CsvRowDelimiter", ""}}), "target.s3Settings.CsvRowDelimiter: must not be empty");
  EXPECT_NE(s3_error({{"CsvDelimiter", "\n"}}).find("must differ from CsvRowDelimiter"), std::string::npos);
  EXPECT_NE(s3_error({{"CsvDelimiter", "\""}}).find("Rfc4180 quoting uses"), std::string::npos);
  EXPECT_EQ(s3_of({{"CsvDelimiter", "\""}, {"Rfc4180", false}}).csv_delimiter, "\"");
  EXPECT_NE(s3_error({{"CsvNullValue", "a,b"}}).find("CsvNullValue: must not contain"), std::string::npos);
  S3Settings s3 = s3_of({{"CsvDelimiter", "|"}, {"CsvRowDelimiter", "\r\n"}, {"CsvNullValue", "\\N"}});
  EXPECT_EQ(s3.csv_delimiter, "|");
  EXPECT_EQ(s3.csv_row_delimiter, "\r\n");
  EXPECT_EQ(s3.csv_null_value, "\\N");
}

TEST(S3SettingsParsing, BucketFolderIsNormalizedAndKeptInsideTheBucket) {
  EXPECT_EQ(s3_of({{"BucketFolder", "raw/app/"}}).bucket_folder, "raw/app");
  EXPECT_EQ(s3_of({{"BucketFolder", ""}}).bucket_folder, "");
  EXPECT_NE(s3_error({{"BucketFolder", "/raw"}}).find("must not start with '/'"), std::string::npos);
  EXPECT_NE(s3_error({{"BucketFolder", "raw/../etc"}}).find("'..'"), std::string::npos);
  EXPECT_NE(s3_error({{"BucketFolder", "raw//app"}}).find("empty"), std::string::npos);
  EXPECT_NE(s3_error({{"CdcPath", ".."}}).find("target.s3Settings.CdcPath"), std::string::npos);
}

TEST(S3SettingsParsing, BucketNamesFollowS3Rules) {
  EXPECT_NE(s3_error({{"BucketName", "My_Bucket"}}).find("not a valid S3 bucket name"), std::string::npos);
  EXPECT_NE(s3_error({{"BucketName", "ab"}}).find("not a valid S3 bucket name"), std::string::npos);
  EXPECT_NE(s3_error({{"BucketName", "a..b"}}).find("not a valid S3 bucket name"), std::string::npos);
}

TEST(S3SettingsParsing, CrossSettingRulesOfDms) {
  EXPECT_NE(s3_error({{"CdcInsertsOnly", true}, {"CdcInsertsAndUpdates", true}}).find("cannot be true together"),
            std::string::npos);
  EXPECT_EQ(s3_error({{"PreserveTransactions", true}}),
            "target.s3Settings.PreserveTransactions: needs CdcPath, the folder for the transaction-ordered change "
            "files");
  EXPECT_TRUE(s3_of({{"PreserveTransactions", true}, {"CdcPath", "txn"}}).preserve_transactions);
  // DMS: AddColumnName "can't be used with PreserveTransactions or CdcPath".
  EXPECT_EQ(s3_error({{"PreserveTransactions", true}, {"CdcPath", "txn"}, {"AddColumnName", true}}),
            "target.s3Settings.AddColumnName: cannot be true together with PreserveTransactions; set one of them");
  EXPECT_EQ(s3_error({{"ServerSideEncryptionKmsKeyId", "arn:aws:kms:eu-west-1:1:key/x"}}),
            "target.s3Settings.ServerSideEncryptionKmsKeyId: needs EncryptionMode SSE_KMS");
  EXPECT_EQ(s3_error({{"ExpectedBucketOwner", "12345"}}),
            "target.s3Settings.ExpectedBucketOwner: expected a 12-digit AWS account id");
  EXPECT_NE(s3_error({{"CannedAclForObjects", "public"}}).find("expected one of NONE, PRIVATE"), std::string::npos);
}

TEST(S3SettingsParsing, SettingsThatWouldChangeTheOutputAreRefused) {
  EXPECT_NE(
      s3_error({{"AddTrailingPaddingCharacter", "true"}}).find("AddTrailingPaddingCharacter is not supported yet"),
      std::string::npos);
  Json task = with_s3_settings({{"UseCsvNoSupValue", true}});
  task["migrationType"] = "full-load-and-cdc";
  EXPECT_NE(error_of(task).find("UseCsvNoSupValue is not supported yet"), std::string::npos);
}

TEST(S3SettingsParsing, SettingsWithoutEffectAreWarnedAbout) {
  TaskConfig config = parsed(with_s3_settings({{"GlueCatalogGeneration", true},
                                               {"UseCsvNoSupValue", true},
                                               {"IgnoreHeaderRows", 1},
                                               {"ExternalTableDefinition", "{}"},
                                               {"ServiceAccessRoleArn", "arn:aws:iam::1:role/x"}}));
  EXPECT_EQ(config.warnings.size(), 5u);
  EXPECT_TRUE(has_warning(config, "target.s3Settings.GlueCatalogGeneration is not supported yet"));
  EXPECT_TRUE(has_warning(config, "UseCsvNoSupValue applies to change data capture only"));
  EXPECT_TRUE(has_warning(config, "IgnoreHeaderRows applies to S3 sources only"));
  EXPECT_TRUE(has_warning(config, "ExternalTableDefinition applies to S3 sources only"));
  EXPECT_TRUE(has_warning(config, "ServiceAccessRoleArn is not used"));
}

TEST(S3SettingsParsing, DatePartitionDetailsAreValidatedEvenWhenOff) {
  EXPECT_NE(s3_error({{"DatePartitionSequence", "YYYY"}}).find("expected one of YYYYMMDD"), std::string::npos);
  EXPECT_NE(s3_error({{"DatePartitionDelimiter", "COMMA"}}).find("expected one of SLASH"), std::string::npos);
}

TEST(S3SettingsParsing, DatePartitionSettingsAreRead) {
  Json task = with_s3_settings({{"DatePartitionEnabled", true},
                                {"DatePartitionSequence", "DDMMYYYY"},
                                {"DatePartitionDelimiter", "DASH"},
                                {"DatePartitionTimezone", "Asia/Seoul"}});
  task["migrationType"] = "full-load-and-cdc";
  TaskConfig config = parsed(task);
  const DatePartitionSettings& partition = config.target.s3.date_partition;
  EXPECT_TRUE(partition.enabled);
  EXPECT_EQ(partition.sequence, DatePartitionSequence::kDdmmyyyy);
  EXPECT_EQ(partition.delimiter, DatePartitionDelimiter::kDash);
  EXPECT_EQ(partition.timezone, "Asia/Seoul");
  ASSERT_NE(partition.zone, nullptr);
  EXPECT_TRUE(config.warnings.empty());
}

TEST(S3SettingsParsing, DatePartitionDefaultsAreDms) {
  const DatePartitionSettings partition = s3_of(Json::object()).date_partition;
  EXPECT_FALSE(partition.enabled);
  EXPECT_EQ(partition.sequence, DatePartitionSequence::kYyyymmdd);
  EXPECT_EQ(partition.delimiter, DatePartitionDelimiter::kSlash);
  EXPECT_EQ(partition.timezone, "UTC");
  EXPECT_NE(partition.zone, nullptr);
}

TEST(S3SettingsParsing, DatePartitionUnknownTimezoneIsRefused) {
  const std::string message = s3_error({{"DatePartitionEnabled", true}, {"DatePartitionTimezone", "Asia/Narnia"}});
  EXPECT_EQ(message.rfind("target.s3Settings.DatePartitionTimezone: unknown time zone \"Asia/Narnia\"", 0), 0u)
      << message;
  EXPECT_NE(s3_error({{"DatePartitionTimezone", "../../etc/passwd"}}).find("DatePartitionTimezone: unknown time zone"),
            std::string::npos);
}

TEST(S3SettingsParsing, DatePartitionOnAFullLoadTaskIsWarnedAbout) {
  TaskConfig config = parsed(with_s3_settings({{"DatePartitionEnabled", true}}));
  EXPECT_TRUE(config.target.s3.date_partition.enabled);
  EXPECT_TRUE(has_warning(config, "target.s3Settings.DatePartitionEnabled partitions change data capture files only"));
}

TEST(S3SettingsParsing, DatePartitionExcludesPreserveTransactionsAndCdcPath) {
  EXPECT_EQ(s3_error({{"DatePartitionEnabled", true}, {"PreserveTransactions", true}, {"CdcPath", "txn"}}),
            "target.s3Settings.DatePartitionEnabled: cannot be true together with PreserveTransactions; set one of "
            "them");
  EXPECT_EQ(s3_error({{"DatePartitionEnabled", true}, {"CdcPath", "changes"}}),
            "target.s3Settings.DatePartitionEnabled: cannot be used together with CdcPath; remove one of them");
}

// --- tableMappings ---

TEST(TableMappingsParsing, ReadsSelectionRules) {
  Json rules = Json::array(
      {include_rule("1", "Sales Data", "order[_]%"),
       {{"rule-type", "selection"},
        {"rule-id", 2},
        {"rule-name", "skip audit"},
        {"object-locator", {{"schema-name", "Sales Data"}, {"table-name", "audit%"}}},
        {"rule-action", "EXCLUDE"},
        {"filters", Json::array()},
        {"load-order", 3}},
       {{"rule-type", "selection"},
        {"rule-id", "3"},
        {"rule-name", "3"},
        {"object-locator", {{"schema-name", "public"}, {"table-name", "Order_Items"}, {"table-type", "table"}}},
        {"rule-action", "explicit"}}});
  TaskConfig config = parsed(with_rules(rules));
  ASSERT_EQ(config.selection_rules.size(), 3u);
  const SelectionRule& exclude = config.selection_rules[1];
  EXPECT_EQ(exclude.rule_id, "2");
  EXPECT_EQ(exclude.rule_name, "skip audit");
  EXPECT_EQ(exclude.schema_pattern, "Sales Data");
  EXPECT_EQ(exclude.table_pattern, "audit%");
  EXPECT_EQ(exclude.action, SelectionRule::Action::kExclude);
  EXPECT_EQ(exclude.load_order, 3);
  EXPECT_EQ(config.selection_rules[2].action, SelectionRule::Action::kExplicit);
  EXPECT_EQ(config.selection_rules[0].table_pattern, "order[_]%");
}

TEST(TableMappingsParsing, AcceptsTheMappingsAsAJsonString) {
  Json task = minimal_task();
  task["tableMappings"] = task["tableMappings"].dump();
  TaskConfig config = parsed(task);
  EXPECT_EQ(config.selection_rules.size(), 1u);
  task["tableMappings"] = "{\"rules\": [}";
  EXPECT_NE(error_of(task).find("tableMappings (a JSON document in a string): invalid JSON at line 1, column 12"),
            std::string::npos);
}

TEST(TableMappingsParsing, NeedsAnIncludingSelectionRule) {
  EXPECT_NE(error_of(with_rules(Json::array())).find("tableMappings.rules: no selection rule includes a table"),
            std::string::npos);
  Json exclude = include_rule("1");
  exclude["rule-action"] = "exclude";
  EXPECT_NE(error_of(with_rules({exclude})).find("no selection rule includes a table"), std::string::npos);
  Json task = minimal_task();
  task.erase("tableMappings");
  EXPECT_NE(error_of(task).find("tableMappings: required"), std::string::npos);
}

TEST(TableMappingsParsing, UnknownRuleFieldSuggestsTheClosest) {
  Json rule = include_rule("1");
  rule["rule-actoin"] = rule["rule-action"];
  rule.erase("rule-action");
  EXPECT_EQ(error_of(with_rules({rule})),
            "unknown setting tableMappings.rules[0].rule-actoin; did you mean rule-action?");
  rule = include_rule("1");
  rule["object-locator"]["tablename"] = "x";
  EXPECT_EQ(error_of(with_rules({rule})),
            "unknown setting tableMappings.rules[0].object-locator.tablename; did you mean table-name?");
}

TEST(TableMappingsParsing, RequiredFieldsNameTheirPath) {
  Json rule = include_rule("1");
  rule["object-locator"].erase("table-name");
  EXPECT_EQ(error_of(with_rules({include_rule("0"), rule})),
            "tableMappings.rules[1].object-locator.table-name: required");
  rule = include_rule("1");
  rule.erase("rule-action");
  EXPECT_EQ(error_of(with_rules({rule})), "tableMappings.rules[0].rule-action: required: include, exclude or explicit");
  rule = include_rule("1");
  rule.erase("rule-id");
  EXPECT_EQ(error_of(with_rules({rule})), "tableMappings.rules[0].rule-id: required");
  rule = include_rule("1");
  rule["rule-action"] = "add";
  EXPECT_EQ(error_of(with_rules({rule})),
            "tableMappings.rules[0].rule-action: expected one of include, exclude, explicit, got \"add\"");
}

TEST(TableMappingsParsing, RuleIdsAndNamesAreUnique) {
  Json second = include_rule("1");
  second["rule-name"] = "other";
  EXPECT_EQ(error_of(with_rules({include_rule("1"), second})),
            "tableMappings.rules[1].rule-id: \"1\" is also the rule-id of tableMappings.rules[0]; rule ids must be "
            "unique");
}

TEST(TableMappingsParsing, PatternsAreChecked) {
  EXPECT_EQ(error_of(with_rules({include_rule("1", "public", "orders[ab")})),
            "tableMappings.rules[0].object-locator.table-name: '[' at character 7 is not closed by ']' (in DMS "
            "patterns [ab] is a set of characters)");
  Json rule = include_rule("1", "public", "order%");
  rule["rule-action"] = "explicit";
  EXPECT_NE(error_of(with_rules({rule})).find("an explicit rule names one table exactly"), std::string::npos);
  EXPECT_NE(error_of(with_rules({include_rule("1", "", "x")})).find("schema-name: must not be empty"),
            std::string::npos);
}

TEST(TableMappingsParsing, ColumnFiltersAndViewsAreNotSupportedYet) {
  Json rule = include_rule("1");
  rule["filters"] = Json::array({{{"filter-type", "source"}, {"column-name", "id"}}});
  EXPECT_NE(error_of(with_rules({rule})).find("tableMappings.rules[0].filters: column filters are not supported yet"),
            std::string::npos);
  rule = include_rule("1");
  rule["object-locator"]["table-type"] = "view";
  EXPECT_NE(error_of(with_rules({rule})).find("table-type: views are not supported yet"), std::string::npos);
}

TEST(TableMappingsParsing, TransformationRulesAreRefusedByName) {
  Json transformation = {
      {"rule-type", "transformation"}, {"rule-id", "2"},
      {"rule-name", "lowercase"},      {"rule-action", "convert-lowercase"},
      {"rule-target", "table"},        {"object-locator", {{"schema-name", "%"}, {"table-name", "%"}}}};
  std::string message = error_of(with_rules({include_rule("1"), transformation}));
  EXPECT_EQ(message.rfind("tableMappings.rules[1] (rule-name \"lowercase\"): transformation rules are not supported "
                          "yet",
                          0),
            0u)
      << message;
}

Json table_settings_rule(const std::string& id, const Json& parallel_load, const std::string& table = "big") {
  return {{"rule-type", "table-settings"},
          {"rule-id", id},
          {"rule-name", "parallel" + id},
          {"object-locator", {{"schema-name", "public"}, {"table-name", table}}},
          {"parallel-load", parallel_load}};
}

// Issue 13, item 1: table-settings parallel-load rules are read (the source checks come when the load is planned),
// beside the tagging rules.
TEST(TableMappingsParsing, ParallelLoadRulesAndTaggingRulesAreRead) {
  Json ranges = table_settings_rule(
      "2", {{"type", "ranges"}, {"columns", {"id", "day"}}, {"boundaries", {{"1000", "2026-01-01"}, {2000, "x"}}}});
  Json list = table_settings_rule("3", {{"type", "partitions-list"}, {"partitions", {"p1", "p2"}}}, "parted");
  Json tagging = {{"rule-type", "post-processing"},
                  {"rule-id", "4"},
                  {"rule-name", "tags"},
                  {"rule-action", "add-tag"},
                  {"object-locator", {{"schema-name", "public"}, {"table-name", "%"}}},
                  {"tag-set", Json::array({{{"key", "k"}, {"value", "v"}}})}};
  TaskConfig config = parsed(with_rules({include_rule("1"), ranges, list, tagging}));
  EXPECT_EQ(config.selection_rules.size(), 1u);
  ASSERT_EQ(config.tagging_rules.size(), 1u);
  EXPECT_EQ(config.tagging_rules[0].rule_name, "tags");
  ASSERT_EQ(config.parallel_load_rules.size(), 2u);
  const ParallelLoadRule& r = config.parallel_load_rules[0];
  EXPECT_EQ(r.type, ParallelLoadRule::Type::kRanges);
  EXPECT_EQ(r.schema_name, "public");
  EXPECT_EQ(r.table_name, "big");
  EXPECT_EQ(r.columns, (std::vector<std::string>{"id", "day"}));
  EXPECT_EQ(r.boundaries, (std::vector<std::vector<std::string>>{{"1000", "2026-01-01"}, {"2000", "x"}}));
  EXPECT_EQ(r.origin, "tableMappings.rules[1] (rule-name \"parallel2\")");
  EXPECT_EQ(config.parallel_load_rules[1].type, ParallelLoadRule::Type::kPartitionsList);
  EXPECT_EQ(config.parallel_load_rules[1].partitions, (std::vector<std::string>{"p1", "p2"}));
  // The task's target is local: the tags have nowhere to go.
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("a local target has no object tags"), std::string::npos);
}

TEST(TableMappingsParsing, ParallelLoadMistakesNameTheSettingToFix) {
  auto error_for = [](const Json& parallel_load) {
    return error_of(with_rules({include_rule("1"), table_settings_rule("2", parallel_load)}));
  };
  EXPECT_NE(error_for({{"type", "range"}}).find("tableMappings.rules[1].parallel-load.type"), std::string::npos);
  EXPECT_NE(error_for({{"type", "ranges"}, {"boundaries", {{"1"}}}}).find("parallel-load.columns: required"),
            std::string::npos);
  EXPECT_NE(error_for({{"type", "ranges"}, {"columns", {"a", "b"}}, {"boundaries", {{"1"}}}})
                .find("parallel-load.boundaries[0]: expected an array of 2 value(s)"),
            std::string::npos);
  EXPECT_NE(error_for({{"type", "ranges"}, {"columns", {"a"}}, {"boundaries", {{nullptr}}}})
                .find("parallel-load.boundaries[0][0]: expected a value"),
            std::string::npos);
  Json eleven = Json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back("c" + std::to_string(i));
  EXPECT_NE(error_for({{"type", "ranges"}, {"columns", eleven}, {"boundaries", {{"1"}}}}).find("1 to 10 columns"),
            std::string::npos);
  EXPECT_NE(error_for({{"type", "partitions-auto"}, {"columns", {"a"}}}).find("applies only to \"type\": \"ranges\""),
            std::string::npos);
  EXPECT_NE(error_for({{"type", "partitions-list"}}).find("needs the names of the partitions"), std::string::npos);
  EXPECT_NE(error_for({{"type", "ranges"}, {"number-of-partitions", 4}}).find("MongoDB"), std::string::npos);

  Json wildcard = table_settings_rule("2", {{"type", "none"}}, "big%");
  EXPECT_NE(error_of(with_rules({include_rule("1"), wildcard})).find("no wildcards"), std::string::npos);
  Json twice = table_settings_rule("3", {{"type", "none"}});
  EXPECT_NE(error_of(with_rules({include_rule("1"), table_settings_rule("2", {{"type", "none"}}), twice}))
                .find("public.big already has a parallel-load"),
            std::string::npos);
}

TEST(TableMappingsParsing, LobSettingsAreIgnoredWithAWarning) {
  Json lob = {{"rule-type", "table-settings"},
              {"rule-id", "2"},
              {"rule-name", "lobs"},
              {"object-locator", {{"schema-name", "public"}, {"table-name", "%"}}},
              {"lob-settings", {{"mode", "limited"}, {"bulk-max-size", "16"}}}};
  TaskConfig config = parsed(with_rules({include_rule("1"), lob}));
  EXPECT_TRUE(config.parallel_load_rules.empty());
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("(rule-name \"lobs\"): lob-settings are ignored"), std::string::npos);
}

TEST(TableMappingsParsing, UnknownRuleTypeSuggestsTheClosest) {
  Json rule = include_rule("1");
  rule["rule-type"] = "selecton";
  EXPECT_EQ(error_of(with_rules({rule})),
            "tableMappings.rules[0].rule-type: unknown rule type \"selecton\"; did you mean selection?");
}

// --- taskSettings ---

TEST(TaskSettingsParsing, ReadsMaxFullLoadSubTasks) {
  Json task = minimal_task();
  task["taskSettings"] = {{"FullLoadSettings", {{"MaxFullLoadSubTasks", 16}}}};
  EXPECT_EQ(parsed(task).full_load.max_full_load_sub_tasks, 16);
  task["taskSettings"]["FullLoadSettings"]["MaxFullLoadSubTasks"] = 50;
  EXPECT_EQ(error_of(task),
            "taskSettings.FullLoadSettings.MaxFullLoadSubTasks: expected an integer from 1 to 49 (tables loaded in "
            "parallel), got 50");
}

TEST(TaskSettingsParsing, UnknownFullLoadSettingSuggestsTheClosest) {
  Json task = minimal_task();
  task["taskSettings"] = {{"FullLoadSettings", {{"MaxFullLoadSubTask", 4}}}};
  EXPECT_EQ(error_of(task),
            "unknown setting taskSettings.FullLoadSettings.MaxFullLoadSubTask; did you mean MaxFullLoadSubTasks?");
  task["taskSettings"] = {{"FullLoadSetting", Json::object()}};
  EXPECT_EQ(error_of(task), "unknown setting taskSettings.FullLoadSetting; did you mean FullLoadSettings?");
}

TEST(TaskSettingsParsing, DmsEngineSectionsAreAcceptedWithOneWarning) {
  Json task = minimal_task();
  task["taskSettings"] = Json::parse(R"({
    "TargetMetadata": {"TargetSchema": "", "SupportLobs": true, "LobMaxSize": 32},
    "FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING", "MaxFullLoadSubTasks": 8, "CommitRate": 10000},
    "Logging": {"EnableLogging": false},
    "ChangeProcessingTuning": {"BatchApplyTimeoutMin": 1},
    "CharacterSetSettings": null,
    "BeforeImageSettings": {"EnableBeforeImage": false}
  })")
                             .dump();  // as the DMS API passes it: a string
  TaskConfig config = parsed(task);
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_EQ(config.warnings[0],
            "taskSettings: TargetMetadata, FullLoadSettings.TargetTablePrepMode, FullLoadSettings.CommitRate, Logging, "
            "ChangeProcessingTuning.BatchApplyTimeoutMin, BeforeImageSettings tune AWS DMS's own engine and have no "
            "effect in pgs3; ignored");
}

TEST(TaskSettingsParsing, CdcSettingsAreRead) {
  Json task = minimal_task();
  TaskConfig defaults = parsed(task);
  EXPECT_EQ(defaults.cdc.memory_limit_total_mb, 512);
  EXPECT_TRUE(defaults.cdc.handle_source_table_truncated);
  EXPECT_TRUE(defaults.cdc.handle_source_table_dropped);
  EXPECT_FALSE(defaults.source.heartbeat_enable);
  EXPECT_EQ(defaults.source.heartbeat_frequency_min, 5);
  EXPECT_EQ(defaults.cdc.stop_position, "");

  task["taskSettings"] = {{"ChangeProcessingTuning", {{"MemoryLimitTotal", 2048}}},
                          {"ChangeProcessingDdlHandlingPolicy",
                           {{"HandleSourceTableTruncated", false}, {"HandleSourceTableDropped", false}}}};
  task["source"]["HeartbeatEnable"] = true;
  task["source"]["HeartbeatFrequency"] = 1;
  task["cdcStopPosition"] = "commit_time:2026-11-30T12:00:00.5Z";
  TaskConfig config = parsed(task);
  EXPECT_EQ(config.cdc.memory_limit_total_mb, 2048);
  EXPECT_FALSE(config.cdc.handle_source_table_truncated);
  EXPECT_FALSE(config.cdc.handle_source_table_dropped);
  EXPECT_TRUE(config.source.heartbeat_enable);
  EXPECT_EQ(config.source.heartbeat_frequency_min, 1);
  EXPECT_EQ(config.cdc.stop_position, "commit_time:2026-11-30T12:00:00.5Z");

  task["taskSettings"] = {{"ChangeProcessingTuning", {{"MemoryLimitTotal", 8}}}};
  EXPECT_NE(error_of(task).find("taskSettings.ChangeProcessingTuning.MemoryLimitTotal"), std::string::npos);
  task.erase("taskSettings");
  task["cdcStopPosition"] = "yesterday";
  EXPECT_NE(error_of(task).find("cdcStopPosition: \"yesterday\" is not a valid CDC stop position"), std::string::npos)
      << error_of(task);
}

TEST(CdcStopPosition, ParsesDmsFormsAndLsns) {
  auto lsn = parse_cdc_stop_position("16/B374D848");
  ASSERT_TRUE(lsn.is_ok());
  EXPECT_EQ(lsn->kind, CdcStopPosition::Kind::kLsn);
  EXPECT_EQ(lsn->lsn, 0x16B374D848ull);

  auto server = parse_cdc_stop_position("server_time:2000-01-01T00:00:01");
  ASSERT_TRUE(server.is_ok());
  EXPECT_EQ(server->kind, CdcStopPosition::Kind::kServerTime);
  EXPECT_EQ(server->time_us, 1000000);

  auto commit = parse_cdc_stop_position("commit_time:2026-11-30 12:00:00.123456");
  ASSERT_TRUE(commit.is_ok());
  EXPECT_EQ(commit->kind, CdcStopPosition::Kind::kCommitTime);
  // 2026-11-30 is 9830 days after 2000-01-01.
  EXPECT_EQ(commit->time_us, (9830LL * 86400 + 12 * 3600) * 1000000 + 123456);

  EXPECT_EQ(parse_cdc_stop_position("")->kind, CdcStopPosition::Kind::kNone);
  for (const char* bad : {"0/0", "server_time:2026-13-01T00:00:00", "commit_time:2026-11-30", "now", "1/2/3",
                          "server_time:2026-11-30T24:00:00", "commit_time:2026-11-30T12:00:00.Z"}) {
    EXPECT_FALSE(parse_cdc_stop_position(bad).is_ok()) << bad;
  }
}

TEST(TaskSettingsParsing, SettingsThatChangeTheDataAreRefused) {
  Json task = minimal_task();
  task["taskSettings"] = {{"BeforeImageSettings", {{"EnableBeforeImage", true}, {"FieldName", "bi_"}}}};
  EXPECT_NE(error_of(task).find("taskSettings.BeforeImageSettings.EnableBeforeImage is not supported yet"),
            std::string::npos);
  task["taskSettings"] = {{"CharacterSetSettings", {{"CharacterReplacements", Json::array()}}}};
  EXPECT_NE(error_of(task).find("taskSettings.CharacterSetSettings is not supported yet"), std::string::npos);
}

}  // namespace
}  // namespace pgs3
