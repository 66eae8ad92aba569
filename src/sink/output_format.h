// Output format: the file encoder that S3Settings ask for (DataFormat parquet or csv, with its options).
#pragma once

#include <memory>
#include <vector>

#include "base/output_stream.h"
#include "format/file_encoder.h"
#include "rules/task_config.h"

namespace pgs3 {

Result<std::unique_ptr<FileEncoder>> make_file_encoder(const S3Settings& settings,
                                                       const std::vector<ColumnSpec>& schema, OutputStream* out);

}  // namespace pgs3
