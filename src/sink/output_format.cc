#include "sink/output_format.h"

#include "format/csv/csv_writer.h"
#include "format/parquet/parquet_writer.h"

namespace pgs3 {

Result<std::unique_ptr<FileEncoder>> make_file_encoder(const S3Settings& s, const std::vector<ColumnSpec>& schema,
                                                       OutputStream* out) {
  if (s.data_format == DataFormat::kParquet) {
    ParquetWriterOptions options;
    options.compression = s.compression;
    options.encoding = s.encoding;
    options.dict_page_size_limit = s.dict_page_size_limit;
    options.data_page_size = s.data_page_size;
    options.row_group_length = s.row_group_length;
    options.version = s.parquet_version;
    options.enable_statistics = s.enable_statistics;
    PGS3_RETURN_IF_ERROR(options.validate());
    return std::unique_ptr<FileEncoder>(new ParquetWriter(schema, std::move(options), out));
  }
  CsvOptions options;
  options.delimiter = s.csv_delimiter;
  options.row_delimiter = s.csv_row_delimiter;
  options.null_value = s.csv_null_value;
  options.add_column_name = s.add_column_name;
  options.rfc4180 = s.rfc4180;
  options.gzip = s.compression == Compression::kGzip;
  return std::unique_ptr<FileEncoder>(new CsvWriter(schema, std::move(options), out));
}

}  // namespace pgs3
