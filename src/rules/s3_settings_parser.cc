// target.s3Settings: every name of DMS's S3Settings (DMS API Reference, "S3Settings"; the same names serve as extra
// connection attributes), with DMS's value rules. What pgs3 does with each setting it does not implement is decided
// per setting below: a warning when ignoring it leaves the data files as the user expects them, an error ("not
// supported yet") when ignoring it would silently change them. A setting left at its DMS default is never reported.
#include <algorithm>

#include "rules/json_section.h"
#include "rules/task_sections.h"
#include "rules/time_zone.h"

namespace pgs3 {
namespace {

constexpr std::string_view kNames[] = {
    "AddColumnName",
    "AddTrailingPaddingCharacter",
    "BucketFolder",
    "BucketName",
    "CannedAclForObjects",
    "CdcInsertsAndUpdates",
    "CdcInsertsOnly",
    "CdcMaxBatchInterval",
    "CdcMinFileSize",
    "CdcPath",
    "CompressionType",
    "CsvDelimiter",
    "CsvNoSupValue",
    "CsvNullValue",
    "CsvRowDelimiter",
    "DataFormat",
    "DataPageSize",
    "DatePartitionDelimiter",
    "DatePartitionEnabled",
    "DatePartitionSequence",
    "DatePartitionTimezone",
    "DictPageSizeLimit",
    "EnableStatistics",
    "EncodingType",
    "EncryptionMode",
    "ExpectedBucketOwner",
    "ExternalTableDefinition",
    "GlueCatalogGeneration",
    "IgnoreHeaderRows",
    "IncludeOpForFullLoad",
    "MaxFileSize",
    "ParquetTimestampInMillisecond",
    "ParquetVersion",
    "PreserveTransactions",
    "Rfc4180",
    "RowGroupLength",
    "ServerSideEncryptionKmsKeyId",
    "ServiceAccessRoleArn",
    "TimestampColumnName",
    "UseCsvNoSupValue",
    "UseTaskStartTimeForFullLoadTimestamp",
};

constexpr int64_t kInt32Max = 2147483647;

constexpr std::pair<std::string_view, DataFormat> kDataFormats[] = {{"csv", DataFormat::kCsv},
                                                                    {"parquet", DataFormat::kParquet}};
constexpr std::pair<std::string_view, Compression> kCompressions[] = {{"none", Compression::kNone},
                                                                      {"gzip", Compression::kGzip},
                                                                      {"snappy", Compression::kSnappy},
                                                                      {"zstd", Compression::kZstd}};
constexpr std::pair<std::string_view, ParquetEncoding> kEncodings[] = {
    {"plain", ParquetEncoding::kPlain},
    {"plain-dictionary", ParquetEncoding::kPlainDictionary},
    {"rle-dictionary", ParquetEncoding::kRleDictionary}};
constexpr std::pair<std::string_view, ParquetVersion> kParquetVersions[] = {{"parquet-1-0", ParquetVersion::kV1},
                                                                            {"parquet-2-0", ParquetVersion::kV2}};
constexpr std::pair<std::string_view, EncryptionMode> kEncryptionModes[] = {{"SSE_S3", EncryptionMode::kSseS3},
                                                                            {"SSE_KMS", EncryptionMode::kSseKms}};
constexpr std::string_view kCannedAcls[] = {"NONE",
                                            "PRIVATE",
                                            "PUBLIC_READ",
                                            "PUBLIC_READ_WRITE",
                                            "AUTHENTICATED_READ",
                                            "AWS_EXEC_READ",
                                            "BUCKET_OWNER_READ",
                                            "BUCKET_OWNER_FULL_CONTROL"};
constexpr std::pair<std::string_view, DatePartitionSequence> kDatePartitionSequences[] = {
    {"YYYYMMDD", DatePartitionSequence::kYyyymmdd},
    {"YYYYMMDDHH", DatePartitionSequence::kYyyymmddhh},
    {"YYYYMM", DatePartitionSequence::kYyyymm},
    {"MMYYYYDD", DatePartitionSequence::kMmyyyydd},
    {"DDMMYYYY", DatePartitionSequence::kDdmmyyyy}};
constexpr std::pair<std::string_view, DatePartitionDelimiter> kDatePartitionDelimiters[] = {
    {"SLASH", DatePartitionDelimiter::kSlash},
    {"UNDERSCORE", DatePartitionDelimiter::kUnderscore},
    {"DASH", DatePartitionDelimiter::kDash},
    {"NONE", DatePartitionDelimiter::kNone}};

// S3 bucket naming rules (Amazon S3 User Guide, "Bucket naming rules"): 3 to 63 characters of lower-case letters,
// digits, dots and hyphens, beginning and ending with a letter or digit, without two adjacent dots.
bool valid_bucket_name(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!alnum(c) && c != '.' && c != '-') return false;
    if (c == '.' && i + 1 < name.size() && name[i + 1] == '.') return false;
  }
  return true;
}

// A folder inside the bucket ("raw/app"). One trailing '/' is dropped ("raw/app/" is the same folder). Empty, "." and
// ".." segments are refused: they would make odd S3 keys, and with the local target ".." would leave the directory.
Status normalize_folder(const JsonSection& section, std::string_view name, std::string* folder) {
  while (!folder->empty() && folder->back() == '/') folder->pop_back();
  if (folder->empty()) return Status::ok();
  if (folder->front() == '/') return section.error(name, "must not start with '/' (it is a folder inside the bucket)");
  size_t begin = 0;
  while (begin <= folder->size()) {
    size_t end = folder->find('/', begin);
    if (end == std::string::npos) end = folder->size();
    std::string_view segment(folder->data() + begin, end - begin);
    if (segment.empty() || segment == "." || segment == "..") {
      return section.error(name, "must not contain empty, '.' or '..' folder names");
    }
    begin = end + 1;
  }
  return Status::ok();
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

Status check_csv_settings(const JsonSection& section, const S3Settings& s) {
  if (s.csv_delimiter.empty()) return section.error("CsvDelimiter", "must not be empty");
  if (s.csv_row_delimiter.empty()) return section.error("CsvRowDelimiter", "must not be empty");
  if (contains(s.csv_delimiter, s.csv_row_delimiter) || contains(s.csv_row_delimiter, s.csv_delimiter)) {
    return section.error("CsvDelimiter",
                         "must differ from CsvRowDelimiter (and not contain it), or rows cannot be told apart");
  }
  if (s.rfc4180 && (contains(s.csv_delimiter, "\"") || contains(s.csv_row_delimiter, "\""))) {
    return section.error(contains(s.csv_delimiter, "\"") ? "CsvDelimiter" : "CsvRowDelimiter",
                         "must not contain '\"', which Rfc4180 quoting uses; choose another delimiter or set Rfc4180 "
                         "to false");
  }
  // The null marker is written unquoted, so a delimiter inside it would split the field.
  if (contains(s.csv_null_value, s.csv_delimiter) || contains(s.csv_null_value, s.csv_row_delimiter)) {
    return section.error("CsvNullValue", "must not contain CsvDelimiter or CsvRowDelimiter");
  }
  return Status::ok();
}

std::string not_supported_yet(const JsonSection& section, std::string_view name, std::string_view why) {
  std::string message = section.path_of(name) + " is not supported yet";
  if (!why.empty()) {
    message += " (";
    message += why;
    message += ")";
  }
  return message;
}

}  // namespace

Status parse_s3_settings(const Json& value, const std::string& path, const S3SettingsContext& context, S3Settings* s,
                         std::vector<std::string>* warnings) {
  PGS3_ASSIGN_OR_RETURN(JsonSection section, JsonSection::open(value, path, kNames, NameCase::kInsensitive));

  // Where the files go.
  PGS3_RETURN_IF_ERROR(section.read_string("BucketName", &s->bucket_name));
  if (section.has("BucketName") && !valid_bucket_name(s->bucket_name)) {
    return section.error("BucketName",
                         "not a valid S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', starting and "
                         "ending with a letter or digit");
  }
  PGS3_RETURN_IF_ERROR(section.read_string("BucketFolder", &s->bucket_folder));
  PGS3_RETURN_IF_ERROR(normalize_folder(section, "BucketFolder", &s->bucket_folder));
  PGS3_RETURN_IF_ERROR(section.read_string("CdcPath", &s->cdc_path));
  PGS3_RETURN_IF_ERROR(normalize_folder(section, "CdcPath", &s->cdc_path));

  // File format.
  PGS3_RETURN_IF_ERROR(section.read_enum("DataFormat", kDataFormats, &s->data_format));
  PGS3_RETURN_IF_ERROR(section.read_enum("CompressionType", kCompressions, &s->compression));
  if (s->data_format == DataFormat::kCsv &&
      (s->compression == Compression::kSnappy || s->compression == Compression::kZstd)) {
    return section.error("CompressionType",
                         "snappy and zstd compress Parquet pages; with DataFormat csv use none or gzip");
  }
  PGS3_RETURN_IF_ERROR(section.read_enum("EncodingType", kEncodings, &s->encoding));
  PGS3_RETURN_IF_ERROR(section.read_enum("ParquetVersion", kParquetVersions, &s->parquet_version));
  PGS3_RETURN_IF_ERROR(section.read_int("DictPageSizeLimit", {1, kInt32Max, "bytes"}, &s->dict_page_size_limit));
  PGS3_RETURN_IF_ERROR(section.read_int("RowGroupLength", {1, kInt32Max, "rows"}, &s->row_group_length));
  PGS3_RETURN_IF_ERROR(section.read_int("DataPageSize", {1024, kInt32Max, "bytes"}, &s->data_page_size));
  PGS3_RETURN_IF_ERROR(section.read_bool("EnableStatistics", &s->enable_statistics));
  PGS3_RETURN_IF_ERROR(section.read_bool("ParquetTimestampInMillisecond", &s->parquet_timestamp_in_millisecond));
  // DMS: "The maximum file size ... in KB ... 1 to 1,048,576 KB (1.1 GB)".
  PGS3_RETURN_IF_ERROR(section.read_int("MaxFileSize", {1, 1048576, "KB"}, &s->max_file_size_kb));
  PGS3_RETURN_IF_ERROR(section.read_bool("IncludeOpForFullLoad", &s->include_op_for_full_load));
  PGS3_RETURN_IF_ERROR(section.read_string("TimestampColumnName", &s->timestamp_column_name));
  PGS3_RETURN_IF_ERROR(
      section.read_bool("UseTaskStartTimeForFullLoadTimestamp", &s->use_task_start_time_for_full_load_timestamp));

  // CSV.
  PGS3_RETURN_IF_ERROR(section.read_string("CsvDelimiter", &s->csv_delimiter));
  PGS3_RETURN_IF_ERROR(section.read_string("CsvRowDelimiter", &s->csv_row_delimiter));
  PGS3_RETURN_IF_ERROR(section.read_string("CsvNullValue", &s->csv_null_value));
  PGS3_RETURN_IF_ERROR(section.read_bool("AddColumnName", &s->add_column_name));
  PGS3_RETURN_IF_ERROR(section.read_bool("Rfc4180", &s->rfc4180));
  PGS3_RETURN_IF_ERROR(check_csv_settings(section, *s));

  // Change data capture.
  PGS3_RETURN_IF_ERROR(
      section.read_int("CdcMaxBatchInterval", {1, kInt32Max, "seconds"}, &s->cdc_max_batch_interval_s));
  PGS3_RETURN_IF_ERROR(section.read_int("CdcMinFileSize", {1, kInt32Max, "KB"}, &s->cdc_min_file_size_kb));
  PGS3_RETURN_IF_ERROR(section.read_bool("CdcInsertsOnly", &s->cdc_inserts_only));
  PGS3_RETURN_IF_ERROR(section.read_bool("CdcInsertsAndUpdates", &s->cdc_inserts_and_updates));
  if (s->cdc_inserts_only && s->cdc_inserts_and_updates) {
    // DMS: "CdcInsertsOnly and CdcInsertsAndUpdates can't both be set to true for the same endpoint".
    return section.error("CdcInsertsAndUpdates", "cannot be true together with CdcInsertsOnly; set one of them");
  }
  PGS3_RETURN_IF_ERROR(section.read_bool("PreserveTransactions", &s->preserve_transactions));
  if (s->preserve_transactions && s->cdc_path.empty()) {
    // DMS: with PreserveTransactions, CdcPath names the folder of the transaction-ordered change files.
    return section.error("PreserveTransactions", "needs CdcPath, the folder for the transaction-ordered change files");
  }
  if (s->preserve_transactions && s->add_column_name) {
    // DMS: AddColumnName "can't be used with PreserveTransactions or CdcPath" (a transaction file mixes tables).
    return section.error("AddColumnName", "cannot be true together with PreserveTransactions; set one of them");
  }

  // S3 object settings: kept for the S3 store; the local target has no use for them.
  size_t acl = 0;
  PGS3_RETURN_IF_ERROR(section.read_choice("CannedAclForObjects", kCannedAcls, &acl));
  s->canned_acl = std::string(kCannedAcls[acl]);
  PGS3_RETURN_IF_ERROR(section.read_enum("EncryptionMode", kEncryptionModes, &s->encryption_mode));
  s->encryption_mode_explicit = section.has("EncryptionMode");
  PGS3_RETURN_IF_ERROR(section.read_string("ServerSideEncryptionKmsKeyId", &s->server_side_encryption_kms_key_id));
  if (!s->server_side_encryption_kms_key_id.empty() && s->encryption_mode != EncryptionMode::kSseKms) {
    return section.error("ServerSideEncryptionKmsKeyId", "needs EncryptionMode SSE_KMS");
  }
  PGS3_RETURN_IF_ERROR(section.read_string("ExpectedBucketOwner", &s->expected_bucket_owner));
  if (!s->expected_bucket_owner.empty() &&
      (s->expected_bucket_owner.size() != 12 ||
       !std::all_of(s->expected_bucket_owner.begin(), s->expected_bucket_owner.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))) {
    return section.error("ExpectedBucketOwner", "expected a 12-digit AWS account id");
  }
  if (context.target_type == TargetType::kLocal) {
    auto no_effect = [&](std::string_view name) {
      warnings->push_back(section.path_of(name) + " has no effect on a local target and is ignored");
    };
    if (s->canned_acl != "NONE") no_effect("CannedAclForObjects");
    if (s->encryption_mode != EncryptionMode::kSseS3) no_effect("EncryptionMode");
    if (!s->server_side_encryption_kms_key_id.empty()) no_effect("ServerSideEncryptionKmsKeyId");
    if (!s->expected_bucket_owner.empty()) no_effect("ExpectedBucketOwner");
    if (!s->bucket_name.empty()) no_effect("BucketName");
  }

  // Settings pgs3 does not implement. Each is validated as DMS would, then accepted, warned about or refused.
  std::string role;
  PGS3_RETURN_IF_ERROR(section.read_string("ServiceAccessRoleArn", &role));
  if (!role.empty()) {
    warnings->push_back(section.path_of("ServiceAccessRoleArn") +
                        " is not used: pgs3 takes AWS credentials from the standard chain (environment, shared "
                        "credentials file and profile, then instance or container credentials)");
  }

  bool padding = false;
  PGS3_RETURN_IF_ERROR(section.read_bool("AddTrailingPaddingCharacter", &padding));
  if (padding) {
    return Status::bad_input(not_supported_yet(section, "AddTrailingPaddingCharacter",
                                               "it changes the text of string values; remove it or set it to false"));
  }

  // Date partitioning (DMS User Guide, "Using date-based folder partitioning"): change files go into folders named
  // after the transaction commit date. Only CDC files have a commit date: DMS writes the full load's LOAD files in
  // the table folder, unpartitioned, and so does pgs3.
  DatePartitionSettings& partition = s->date_partition;
  PGS3_RETURN_IF_ERROR(section.read_bool("DatePartitionEnabled", &partition.enabled));
  PGS3_RETURN_IF_ERROR(section.read_enum("DatePartitionSequence", kDatePartitionSequences, &partition.sequence));
  PGS3_RETURN_IF_ERROR(section.read_enum("DatePartitionDelimiter", kDatePartitionDelimiters, &partition.delimiter));
  PGS3_RETURN_IF_ERROR(section.read_string("DatePartitionTimezone", &partition.timezone));
  if (partition.timezone.empty()) partition.timezone = "UTC";
  Result<std::shared_ptr<const TimeZone>> zone = TimeZone::locate(partition.timezone);
  if (!zone.is_ok()) return section.error("DatePartitionTimezone", zone.status().message());
  partition.zone = *zone;
  if (partition.enabled) {
    // DMS: "You can't use this setting with PreserveTransactions or CdcPath."
    if (s->preserve_transactions) {
      return section.error("DatePartitionEnabled",
                           "cannot be true together with PreserveTransactions; set one of them");
    }
    if (!s->cdc_path.empty()) {
      return section.error("DatePartitionEnabled", "cannot be used together with CdcPath; remove one of them");
    }
    if (context.migration_type == MigrationType::kFullLoad) {
      warnings->push_back(section.path_of("DatePartitionEnabled") +
                          " partitions change data capture files only; a full-load task writes none, so it has no "
                          "effect");
    }
  }

  // Columns missing from the supplemental log (for PostgreSQL: unchanged TOAST values in updates) get CsvNoSupValue.
  bool use_no_sup_value = false;
  PGS3_RETURN_IF_ERROR(section.read_bool("UseCsvNoSupValue", &use_no_sup_value));
  std::string ignored_text;
  PGS3_RETURN_IF_ERROR(section.read_string("CsvNoSupValue", &ignored_text));
  if (use_no_sup_value) {
    if (context.migration_type != MigrationType::kFullLoad) {
      return Status::bad_input(not_supported_yet(
          section, "UseCsvNoSupValue", "it changes the values written for unchanged TOAST columns in updates"));
    }
    warnings->push_back(section.path_of("UseCsvNoSupValue") +
                        " applies to change data capture only and is ignored by a full-load task");
  }

  bool glue = false;
  PGS3_RETURN_IF_ERROR(section.read_bool("GlueCatalogGeneration", &glue));
  if (glue) {
    warnings->push_back(section.path_of("GlueCatalogGeneration") +
                        " is not supported yet: pgs3 creates no AWS Glue Data Catalog tables; the setting is ignored");
  }

  // S3 source settings: DMS ignores them on a target, and so does pgs3, with a word.
  PGS3_RETURN_IF_ERROR(section.read_string("ExternalTableDefinition", &ignored_text));
  if (!ignored_text.empty()) {
    warnings->push_back(section.path_of("ExternalTableDefinition") + " applies to S3 sources only and is ignored");
  }
  int64_t header_rows = 0;
  PGS3_RETURN_IF_ERROR(section.read_int("IgnoreHeaderRows", {0, kInt32Max, "rows"}, &header_rows));
  if (header_rows != 0) {
    warnings->push_back(section.path_of("IgnoreHeaderRows") + " applies to S3 sources only and is ignored");
  }
  return Status::ok();
}

}  // namespace pgs3
