#include "sink/transaction_file_writer.h"

#include "sink/object_keys.h"

namespace pgs3 {
namespace {

// Transaction files are CSV whatever DataFormat says (DMS: "AWS DMS doesn't save data changes in transaction order
// using .parquet files").
S3Settings csv_settings(const S3Settings& settings) {
  S3Settings s = settings;
  s.data_format = DataFormat::kCsv;
  return s;
}

}  // namespace

TransactionFileWriter::TransactionFileWriter(ObjectStore& store, const S3Settings& settings,
                                             ChangeWriterOptions options)
    : ChangeWriter(store, csv_settings(settings), std::move(options), /*mixed_tables=*/true) {}

std::string TransactionFileWriter::file_key(std::chrono::system_clock::time_point opened_at, const DmsRowShape&,
                                            int64_t) {
  return transaction_prefix(settings()) + transaction_file_stem(namer().next(opened_at)) + "." +
         file_extension(settings());
}

}  // namespace pgs3
