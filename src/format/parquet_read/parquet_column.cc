#include "format/parquet_read/parquet_column.h"

#include <string>

#include "format/parquet/parquet_schema.h"

namespace pgs3 {

namespace pt = parquet_thrift;

namespace {

const char* unit_name(ParquetTimeUnit unit) {
  switch (unit) {
    case ParquetTimeUnit::kMillis: return "MILLIS";
    case ParquetTimeUnit::kMicros: return "MICROS";
    case ParquetTimeUnit::kNanos: return "NANOS";
  }
  return "?";
}

ParquetTimeUnit unit_of(const pt::TimeUnit& unit) {
  if (unit.__isset.MILLIS) return ParquetTimeUnit::kMillis;
  if (unit.__isset.NANOS) return ParquetTimeUnit::kNanos;
  return ParquetTimeUnit::kMicros;
}

bool is_integer(PhysicalType physical) { return physical == PhysicalType::kInt32 || physical == PhysicalType::kInt64; }
bool is_bytes(PhysicalType physical) {
  return physical == PhysicalType::kByteArray || physical == PhysicalType::kFixedLenByteArray;
}

// Integers: signed unless annotated unsigned. Names follow LogicalTypes.md: INT(bitWidth, isSigned).
void set_integer(ParquetColumn* column, int bits, bool is_signed) {
  if (!is_integer(column->storage.physical)) return;
  column->kind = is_signed ? ParquetValueKind::kSigned : ParquetValueKind::kUnsigned;
  column->logical_name = "INT(" + std::to_string(bits) + "," + (is_signed ? "signed" : "unsigned") + ")";
}

void set_decimal(ParquetColumn* column, int32_t precision, int32_t scale) {
  if (column->storage.physical == PhysicalType::kBoolean || column->storage.physical == PhysicalType::kFloat ||
      column->storage.physical == PhysicalType::kDouble || scale < 0) {
    return;
  }
  column->kind = ParquetValueKind::kDecimal;
  column->precision = precision;
  column->scale = scale;
  column->logical_name = "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
}

void set_time(ParquetColumn* column, bool timestamp, ParquetTimeUnit unit, bool utc) {
  PhysicalType want = !timestamp && unit == ParquetTimeUnit::kMillis ? PhysicalType::kInt32 : PhysicalType::kInt64;
  if (column->storage.physical != want) return;
  column->kind = timestamp ? ParquetValueKind::kTimestamp : ParquetValueKind::kTime;
  column->unit = unit;
  column->utc_adjusted = utc;
  column->logical_name = std::string(timestamp ? "TIMESTAMP(" : "TIME(") + unit_name(unit) + (utc ? ",UTC)" : ")");
}

void set_text(ParquetColumn* column, const char* name) {
  if (!is_bytes(column->storage.physical)) return;
  column->kind = ParquetValueKind::kString;
  column->logical_name = name;
}

void apply_logical_type(const pt::LogicalType& logical, ParquetColumn* column) {
  const auto& isset = logical.__isset;
  if (isset.STRING) {
    set_text(column, "STRING");
  } else if (isset.JSON) {
    set_text(column, "JSON");
  } else if (isset.ENUM) {
    set_text(column, "ENUM");
  } else if (isset.BSON) {
    column->logical_name = "BSON";
  } else if (isset.INTEGER) {
    set_integer(column, logical.INTEGER.bitWidth, logical.INTEGER.isSigned);
  } else if (isset.DECIMAL) {
    set_decimal(column, logical.DECIMAL.precision, logical.DECIMAL.scale);
  } else if (isset.DATE) {
    if (column->storage.physical == PhysicalType::kInt32) {
      column->kind = ParquetValueKind::kDate;
      column->logical_name = "DATE";
    }
  } else if (isset.TIME) {
    set_time(column, false, unit_of(logical.TIME.unit), logical.TIME.isAdjustedToUTC);
  } else if (isset.TIMESTAMP) {
    set_time(column, true, unit_of(logical.TIMESTAMP.unit), logical.TIMESTAMP.isAdjustedToUTC);
  } else if (isset.UUID) {
    if (column->storage.physical == PhysicalType::kFixedLenByteArray && column->storage.fixed_length == 16) {
      column->kind = ParquetValueKind::kUuid;
      column->logical_name = "UUID";
    }
  } else if (isset.FLOAT16) {
    column->logical_name = "FLOAT16";  // shown as its two bytes
  }
}

// LogicalTypes.md, backward compatibility: a ConvertedType alone; times and timestamps are UTC-adjusted.
void apply_converted_type(const pt::SchemaElement& element, ParquetColumn* column) {
  using CT = pt::ConvertedType;
  switch (element.converted_type) {
    case CT::UTF8: set_text(column, "UTF8"); break;
    case CT::JSON: set_text(column, "JSON"); break;
    case CT::ENUM: set_text(column, "ENUM"); break;
    case CT::BSON: column->logical_name = "BSON"; break;
    case CT::INT_8: set_integer(column, 8, true); break;
    case CT::INT_16: set_integer(column, 16, true); break;
    case CT::INT_32: set_integer(column, 32, true); break;
    case CT::INT_64: set_integer(column, 64, true); break;
    case CT::UINT_8: set_integer(column, 8, false); break;
    case CT::UINT_16: set_integer(column, 16, false); break;
    case CT::UINT_32: set_integer(column, 32, false); break;
    case CT::UINT_64: set_integer(column, 64, false); break;
    case CT::DECIMAL: set_decimal(column, element.precision, element.scale); break;
    case CT::DATE:
      if (column->storage.physical == PhysicalType::kInt32) {
        column->kind = ParquetValueKind::kDate;
        column->logical_name = "DATE";
      }
      break;
    case CT::TIME_MILLIS: set_time(column, false, ParquetTimeUnit::kMillis, true); break;
    case CT::TIME_MICROS: set_time(column, false, ParquetTimeUnit::kMicros, true); break;
    case CT::TIMESTAMP_MILLIS: set_time(column, true, ParquetTimeUnit::kMillis, true); break;
    case CT::TIMESTAMP_MICROS: set_time(column, true, ParquetTimeUnit::kMicros, true); break;
    case CT::INTERVAL: column->logical_name = "INTERVAL"; break;
    default: break;
  }
}

}  // namespace

Result<ParquetColumn> parquet_column_from(const pt::SchemaElement& element) {
  const std::string where = "Parquet column \"" + element.name + "\": ";
  if (element.__isset.num_children && element.num_children > 0) {
    return Status::data_error(where + "is a group (nested schema); pgs3 reads flat schemas only");
  }
  if (!element.__isset.type) return Status::data_error(where + "has no physical type");
  if (element.__isset.repetition_type && element.repetition_type == pt::FieldRepetitionType::REPEATED) {
    return Status::data_error(where + "is repeated; pgs3 reads flat schemas only");
  }
  ParquetColumn column;
  ColumnSpec& storage = column.storage;
  if (element.type == pt::Type::INT96) {
    storage.name = element.name;
    storage.physical = PhysicalType::kFixedLenByteArray;
    storage.logical = LogicalType::kNone;
    storage.fixed_length = 12;
    storage.nullable = !element.__isset.repetition_type || element.repetition_type != pt::FieldRepetitionType::REQUIRED;
    column.kind = ParquetValueKind::kInt96Timestamp;
    column.unit = ParquetTimeUnit::kNanos;
    column.physical_name = "INT96";
    column.logical_name = "";
    return column;
  }
  PGS3_ASSIGN_OR_RETURN(storage, column_spec_from(element));
  if (storage.physical == PhysicalType::kFixedLenByteArray && storage.fixed_length <= 0) {
    return Status::data_error(where + "is FIXED_LEN_BYTE_ARRAY without a positive type_length");
  }
  switch (storage.physical) {
    case PhysicalType::kBoolean:
      column.kind = ParquetValueKind::kBoolean;
      column.physical_name = "BOOLEAN";
      break;
    case PhysicalType::kInt32:
      column.kind = ParquetValueKind::kSigned;
      column.physical_name = "INT32";
      break;
    case PhysicalType::kInt64:
      column.kind = ParquetValueKind::kSigned;
      column.physical_name = "INT64";
      break;
    case PhysicalType::kFloat:
      column.kind = ParquetValueKind::kFloat;
      column.physical_name = "FLOAT";
      break;
    case PhysicalType::kDouble:
      column.kind = ParquetValueKind::kDouble;
      column.physical_name = "DOUBLE";
      break;
    case PhysicalType::kByteArray:
      column.kind = ParquetValueKind::kBinary;
      column.physical_name = "BYTE_ARRAY";
      break;
    case PhysicalType::kFixedLenByteArray:
      column.kind = ParquetValueKind::kBinary;
      column.physical_name = "FIXED_LEN_BYTE_ARRAY(" + std::to_string(storage.fixed_length) + ")";
      break;
  }
  if (element.__isset.logicalType) {
    apply_logical_type(element.logicalType, &column);
  } else if (element.__isset.converted_type) {
    apply_converted_type(element, &column);
  }
  return column;
}

}  // namespace pgs3
