// Object keys: where each file of a task goes in the target, exactly as AWS DMS lays them out.
//
//   <BucketFolder>/<schema>/<table>/LOAD00000001.<ext>      full load, numbered from 1 in hexadecimal as DMS
//                                                          does (LOAD00000009, LOAD0000000A, ...)
//   <BucketFolder>/<CdcPath>/CDC_TXN-<yyyymmddhhmmssfff>.csv   PreserveTransactions: every table's changes in
//                                                          transaction order (sink/transaction_file_writer.h)
//   <BucketFolder>/_pgs3/<taskId>/...                      pgs3's own state (checkpoints)
// Schema and table names are used as they are in PostgreSQL (mixed case, spaces, non-ASCII), as DMS does, except
// for what would break the layout ('/', '%', control characters, "." and "..", "_pgs3"), which is percent-encoded
// (base/object_key.h, escape_key_segment()): every key of a table is built from table_prefix(), so a table's folder
// holds its files only. The task id needs no escaping (rules/task_config.cc allows [A-Za-z0-9_-] only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rules/task_config.h"

namespace pgs3 {

// "parquet", "csv" or "csv.gz".
std::string file_extension(const S3Settings& settings);
// "<BucketFolder>/<schema>/<table>/" ("<schema>/<table>/" when BucketFolder is empty), the names escaped.
std::string table_prefix(const S3Settings& settings, const std::string& schema, const std::string& table);
// "<BucketFolder>/<CdcPath>/": the transaction files of PreserveTransactions.
std::string transaction_prefix(const S3Settings& settings);
// "<BucketFolder>/_pgs3/<taskId>/": pgs3's own objects (checkpoints, the target check's probe).
std::string task_state_prefix(const S3Settings& settings, const std::string& task_id);
// "LOAD00000001.parquet"
std::string load_file_name(uint32_t number, const std::string& extension);
// The number of a full-load file name ("LOAD0000002A.csv.gz" -> 42), or nullopt for any other name.
std::optional<uint32_t> parse_load_file_name(const std::string& name, const std::string& extension);

}  // namespace pgs3
