// TransactionFileWriter: the transaction files of PreserveTransactions (AWS DMS User Guide, "Capturing data changes
// (CDC) including transaction order on the S3 target") — the ChangeWriter (sink/change_writer.h) that takes the
// changes of every table, in the order the stream delivers them (commit order, and statement order within a
// transaction), and writes them to
//
//   <BucketFolder>/<CdcPath>/CDC_TXN-<yyyymmddhhmmssfff>.csv
//
// always CSV (DMS: "AWS DMS always stores the row changes in .csv files regardless of the value of the DataFormat S3
// setting"; CompressionType, CsvDelimiter, CsvRowDelimiter, CsvNullValue and Rfc4180 apply). Each row is
// "operation,table_name,database_schema_name,field_value,..." as DMS documents it: Op (always written), the table,
// its schema, the commit time when TimestampColumnName is set, then the table's columns (so rows of different tables
// have different numbers of values). Every table's Relation descriptor goes to set_relation(), with the table's
// catalog columns; a table's changed descriptor closes the open file, so that within a file each table has one
// column layout. The files carry no pgs3.source.* metadata. Unchanged TOAST counts name "schema"."table".column.
//
// Not thread-safe: one thread (the replication loop) drives a writer.
#pragma once

#include "sink/change_writer.h"

namespace pgs3 {

class TransactionFileWriter final : public ChangeWriter {
 public:
  // `store` (and options.memory_budget) must outlive the writer. Nothing is written before the first change.
  TransactionFileWriter(ObjectStore& store, const S3Settings& settings, ChangeWriterOptions options = {});

 private:
  std::string file_key(std::chrono::system_clock::time_point opened_at, const DmsRowShape& shape,
                       int64_t commit_time_us) override;
  void add_file_metadata(const DmsRowShape& shape, KeyValueMetadata& metadata) const override {}
};

}  // namespace pgs3
