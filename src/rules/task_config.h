// TaskConfig: one replication task, as read from the task file (see DESIGN.md §2 and README "Configuration").
//
// Section names are pgs3's ("source", "target", ...); inside them AWS DMS's own setting names are accepted verbatim
// (S3Settings, table mappings, task settings) so a DMS user can paste what they have. Every field here has been
// validated by parse_task_file(): the rest of pgs3 may trust it. Secrets never live here: the PostgreSQL password
// comes from libpq (PGPASSWORD, ~/.pgpass), AWS credentials from the standard chain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "format/format_options.h"

namespace pgs3 {

enum class MigrationType { kFullLoad, kCdc, kFullLoadAndCdc };
// "full-load", "cdc", "full-load-and-cdc": the task file's names.
const char* migration_type_name(MigrationType type);
enum class DataFormat { kCsv, kParquet };
// Compression, ParquetEncoding and ParquetVersion come from format/format_options.h.
enum class EncryptionMode { kSseS3, kSseKms };  // EncryptionMode: SSE_S3 (DMS default) or SSE_KMS

class TimeZone;  // rules/time_zone.h

// DatePartitionSequence: the order of the date fields in a date folder.
enum class DatePartitionSequence { kYyyymmdd, kYyyymmddhh, kYyyymm, kMmyyyydd, kDdmmyyyy };
// DatePartitionDelimiter: what separates the date fields: SLASH ("2026/11/30", one folder per field), UNDERSCORE,
// DASH or NONE ("20261130").
enum class DatePartitionDelimiter { kSlash, kUnderscore, kDash, kNone };

// DMS date-based folder partitioning (AWS DMS User Guide, CHAP_Target.S3.DatePartitioning): change (CDC) files go to
// <BucketFolder>/<schema>/<table>/<date folder>/, the date being the transaction commit time in `timezone`
// (sink/date_partition.h builds the folder). The full load is not partitioned: LOAD files have no commit time.
// DMS forbids it together with PreserveTransactions or CdcPath (checked by the parser).
struct DatePartitionSettings {
  bool enabled = false;                                               // DatePartitionEnabled
  DatePartitionSequence sequence = DatePartitionSequence::kYyyymmdd;  // DatePartitionSequence (DMS default)
  DatePartitionDelimiter delimiter = DatePartitionDelimiter::kSlash;  // DatePartitionDelimiter (DMS default)
  std::string timezone = "UTC";                                       // DatePartitionTimezone, an IANA name
  // `timezone`, resolved and validated by the parser; never null after parse_task_*(). Immutable, shared.
  std::shared_ptr<const TimeZone> zone;
};

// DMS's S3 endpoint settings (S3Settings / extra connection attributes), with DMS's defaults.
struct S3Settings {
  std::string bucket_name;                                     // BucketName
  std::string bucket_folder;                                   // BucketFolder ("" = bucket root)
  DataFormat data_format = DataFormat::kCsv;                   // DataFormat (DMS default: csv)
  Compression compression = Compression::kNone;                // CompressionType
  ParquetEncoding encoding = ParquetEncoding::kRleDictionary;  // EncodingType
  int64_t dict_page_size_limit = 1024 * 1024;                  // DictPageSizeLimit (bytes)
  int64_t row_group_length = 10000;                            // RowGroupLength (rows)
  int64_t data_page_size = 1024 * 1024;                        // DataPageSize (bytes)
  ParquetVersion parquet_version = ParquetVersion::kV1;        // ParquetVersion
  bool enable_statistics = true;                               // EnableStatistics
  bool include_op_for_full_load = false;                       // IncludeOpForFullLoad
  std::string timestamp_column_name;                           // TimestampColumnName ("" = no column)
  bool parquet_timestamp_in_millisecond = false;               // ParquetTimestampInMillisecond
  int64_t max_file_size_kb = 1048576;                          // MaxFileSize (KB; DMS default 1 GB)
  std::string csv_delimiter = ",";                             // CsvDelimiter
  std::string csv_row_delimiter = "\n";                        // CsvRowDelimiter
  std::string csv_null_value;                                  // CsvNullValue (DMS default: empty string)
  bool add_column_name = false;                                // AddColumnName
  bool rfc4180 = true;                                         // Rfc4180
  int64_t cdc_max_batch_interval_s = 60;                       // CdcMaxBatchInterval
  int64_t cdc_min_file_size_kb = 32000;                        // CdcMinFileSize
  bool cdc_inserts_only = false;                               // CdcInsertsOnly
  bool cdc_inserts_and_updates = false;                        // CdcInsertsAndUpdates
  bool preserve_transactions = false;                          // PreserveTransactions
  std::string cdc_path;                                        // CdcPath
  bool use_task_start_time_for_full_load_timestamp = false;    // UseTaskStartTimeForFullLoadTimestamp
  // Settings for the S3 object store (ignored, with a warning, by the local target).
  std::string canned_acl = "NONE";  // CannedAclForObjects, upper case: NONE, PRIVATE, PUBLIC_READ, ...
  EncryptionMode encryption_mode = EncryptionMode::kSseS3;  // EncryptionMode
  bool encryption_mode_explicit = false;                    // EncryptionMode was written in the task file
  std::string server_side_encryption_kms_key_id;            // ServerSideEncryptionKmsKeyId (set only with SSE_KMS)
  std::string expected_bucket_owner;     // ExpectedBucketOwner (12-digit AWS account id, "" = not checked)
  DatePartitionSettings date_partition;  // DatePartitionEnabled, DatePartitionSequence, -Delimiter, -Timezone
};

struct SourceConfig {
  std::string connection;        // a libpq connection string or URI; never holds the password (checked)
  std::string slot_name;         // default "pgs3_<taskId>"
  std::string publication_name;  // default "pgs3_<taskId>"
  // DMS's PostgreSQL endpoint settings HeartbeatEnable / HeartbeatFrequency (minutes): while streaming, pgs3 emits a
  // non-transactional logical message (pg_logical_emit_message) this often, so that the slot's confirmed position
  // advances on a database whose selected tables are idle. DMS writes a heartbeat table row instead
  // (HeartbeatSchema); pgs3 needs no table.
  bool heartbeat_enable = false;
  int64_t heartbeat_frequency_min = 5;
  // fullLoadSegmentMB (pgs3's own): a table without a parallel-load rule is split by ctid into segments of about
  // this size, read in parallel, once it holds two of them (task/load_plan.h); 0 turns the default split off.
  int64_t full_load_segment_mb = 64;
};

enum class TargetType { kLocal, kS3 };

struct TargetConfig {
  TargetType type = TargetType::kLocal;
  std::string path;          // local: the directory that plays the bucket
  std::string endpoint_url;  // s3: optional ("" = AWS's endpoint for the region)
  std::string region;        // s3 ("" = us-east-1)
  std::string ca_bundle;     // s3: caBundle, a PEM file of trusted CAs ("" = the system's); never disables checks
  std::string addressing = "auto";  // s3: addressingStyle auto | path | virtual (see store/s3_client.h)
  int64_t stall_timeout_s = 30;     // s3: stallTimeoutSeconds, a request that moves no byte this long is retried
  int64_t lease_s = 120;            // leaseSeconds: the task lease's duration (state/task_lease.h)
  int64_t upload_concurrency = 4;   // uploadConcurrency: change files and checkpoints uploaded at once, off the loop
  S3Settings s3;
};

// One DMS selection rule ("rule-type": "selection").
struct SelectionRule {
  enum class Action { kInclude, kExclude, kExplicit };
  std::string rule_id;
  std::string rule_name;
  // object-locator.schema-name / table-name. For include and exclude these are DMS wildcard patterns ('%' any run,
  // '_' one character, [ab] / [a-d] sets, [_] a literal underscore; see rules/table_selector.h); for explicit they
  // are the exact, case-sensitive catalog names.
  std::string schema_pattern;
  std::string table_pattern;
  Action action = Action::kInclude;
  int64_t load_order = 0;  // load-order (accepted; the full load does not have to honour it)
};

// One DMS post-processing rule with "rule-action": "add-tag" (AWS DMS User Guide, CHAP_Target.S3.Tagging): the S3
// objects written for the tables its object locator matches get its tag set. rules/object_tagging.h decides which
// rule applies to a table and substitutes the placeholders.
struct TaggingRule {
  std::string rule_id;
  std::string rule_name;
  std::string origin;  // "tableMappings.rules[3] (rule-name \"tags\")", for messages
  // object-locator.schema-name / table-name: DMS wildcard patterns, as for selection include rules.
  std::string schema_pattern;
  std::string table_pattern;
  // tag-set, in file order: (key, value) templates. Keys are unique; a key or value may hold the placeholders
  // ${schema-name} and ${table-name} (the only ones pgs3 accepts). The literal parts were checked against S3's limits.
  std::vector<std::pair<std::string, std::string>> tag_set;
};

// One DMS table-settings rule with a parallel-load object (AWS DMS User Guide, "Table and collection settings rules
// and operations"): how the full load splits one table into segments read in parallel (task/load_plan.h plans them).
struct ParallelLoadRule {
  enum class Type {
    kNone,               // one segment: the whole table (also turns off pgs3's default ctid split)
    kPartitionsAuto,     // one segment per partition of a partitioned table (its direct partitions)
    kSubpartitionsAuto,  // one segment per leaf partition (the partitions of its partitions, at any depth)
    kPartitionsList,     // one segment per named partition, and one more for the rows of the others
    kRanges,             // segments between column-value boundaries
  };
  std::string origin;  // "tableMappings.rules[3] (rule-name \"segments\")", for messages
  // object-locator: one table, named exactly (DMS allows no wildcards in table-settings).
  std::string schema_name;
  std::string table_name;
  Type type = Type::kNone;
  std::vector<std::string> partitions;  // partitions-list: the names of partitions (partitions and subpartitions)
  std::vector<std::string> columns;     // ranges: 1 to 10 column names, most significant first
  // ranges: the upper boundary of each segment but the last, in ascending order, one value per column, as text
  // (each is cast to its column's type by PostgreSQL when the load is planned).
  std::vector<std::vector<std::string>> boundaries;
};

struct FullLoadSettings {
  int max_full_load_sub_tasks = 8;  // MaxFullLoadSubTasks (1..49 in DMS)
};

// How CDC runs, from DMS's task settings and the task file's cdcStopPosition.
struct CdcSettings {
  // ChangeProcessingTuning.MemoryLimitTotal (MB): the memory all open change files of the task may hold before the
  // largest are spilled to local files (DMS: "the maximum size that all transactions can occupy in memory before
  // being written to disk"; DMS's default is 1024, pgs3's 512).
  int64_t memory_limit_total_mb = 512;
  // ChangeProcessingDdlHandlingPolicy.HandleSourceTableTruncated: a TRUNCATE removes the table's objects written
  // so far (true, DMS's default) or only closes the open file (false: the target keeps the rows).
  bool handle_source_table_truncated = true;
  // ChangeProcessingDdlHandlingPolicy.HandleSourceTableDropped: when a selected table is dropped on the source, its
  // objects written so far are removed once its last changes are durable (true, DMS's default: DMS drops the target
  // table) or kept (false: the target keeps the rows it had; a warning says so).
  bool handle_source_table_dropped = true;
  // cdcStopPosition (DMS's CdcStopPosition): "" (stream until stopped), a plain LSN "0/16B6C50",
  // "server_time:2026-11-30T12:00:00" or "commit_time:2026-11-30T12:00:00" (UTC). Checked by the parser
  // (rules/cdc_stop_position.h parses it).
  std::string stop_position;
};

struct TaskConfig {
  std::string task_id;  // [A-Za-z0-9_-]+; names the checkpoint folder and default slot/publication
  MigrationType migration_type = MigrationType::kFullLoad;
  SourceConfig source;
  TargetConfig target;
  std::vector<SelectionRule> selection_rules;         // in the order of the task file
  std::vector<TaggingRule> tagging_rules;             // post-processing add-tag rules, in the order of the task file
  std::vector<ParallelLoadRule> parallel_load_rules;  // table-settings parallel-load rules; one per table at most
  FullLoadSettings full_load;
  CdcSettings cdc;
  std::vector<std::string> warnings;  // settings accepted but ignored, with the reason; logged at start
};

// Reads and validates a task file (parse_task_file) or its text (parse_task_json). Failures are kBadInput with a
// message naming the JSON path of the problem ("tableMappings.rules[2].object-locator.schema-name: ...") and, for an
// unknown setting name, the closest known one. No message names the file: the caller adds it, once (the commands do
// it in cli/task_file.h). Settings that are accepted but have no effect end up in TaskConfig::warnings, for the caller
// to log.
Result<TaskConfig> parse_task_file(const std::string& path);
Result<TaskConfig> parse_task_json(const std::string& json_text);

}  // namespace pgs3
