// The mapping between pgs3's ColumnSpec and Parquet schema elements (LogicalTypes.md).
//
// Each column is a leaf of a flat schema: REQUIRED when it cannot hold NULLs, OPTIONAL otherwise. A logical type is
// written both as the LogicalType union and as the legacy ConvertedType, which older readers (Hive, old Spark, Athena's
// legacy paths) still rely on; LogicalTypes.md asks writers to annotate local (not UTC-adjusted) times and timestamps
// with TIME_*/TIMESTAMP_* too. Stateless functions; thread-safe.
#pragma once

#include "base/status.h"
#include "format/format_options.h"
#include "format/parquet/gen/parquet_types.h"
#include "model/column.h"

namespace pgs3 {

// kBadInput naming the column when its physical type, logical type and parameters do not fit together (e.g. a DECIMAL
// whose precision does not fit its fixed length).
Status validate_column_spec(const ColumnSpec& spec);

parquet_thrift::Type::type physical_type_of(PhysicalType physical);
// "BOOLEAN", "INT32", ..., "FIXED_LEN_BYTE_ARRAY": the format's name of a physical type, for messages.
const char* physical_name(PhysicalType physical);
parquet_thrift::CompressionCodec::type codec_of(Compression compression);

// The schema element of one (valid) column.
parquet_thrift::SchemaElement schema_element_for(const ColumnSpec& spec);

// The column a leaf schema element describes, for reading footers. Logical types pgs3 does not model become kNone
// (JSON and ENUM, which hold UTF-8, become kString). Fails for INT96 and for repeated or group elements.
Result<ColumnSpec> column_spec_from(const parquet_thrift::SchemaElement& element);

}  // namespace pgs3
