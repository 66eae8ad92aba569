#include "format/parquet/parquet_schema.h"

#include <string>

namespace pgs3 {

namespace pt = parquet_thrift;

namespace {

const char* logical_name(LogicalType logical) {
  switch (logical) {
    case LogicalType::kNone: return "no logical type";
    case LogicalType::kString: return "STRING";
    case LogicalType::kInt8: return "INT(8)";
    case LogicalType::kInt16: return "INT(16)";
    case LogicalType::kDecimal: return "DECIMAL";
    case LogicalType::kDate: return "DATE";
    case LogicalType::kTimeMicros: return "TIME(MICROS)";
    case LogicalType::kTimeMillis: return "TIME(MILLIS)";
    case LogicalType::kTimestampMicros: return "TIMESTAMP(MICROS)";
    case LogicalType::kTimestampMillis: return "TIMESTAMP(MILLIS)";
  }
  return "?";
}

PhysicalType required_physical(LogicalType logical, PhysicalType given) {
  switch (logical) {
    case LogicalType::kNone: return given;
    case LogicalType::kString: return PhysicalType::kByteArray;
    case LogicalType::kInt8:
    case LogicalType::kInt16:
    case LogicalType::kDate:
    case LogicalType::kTimeMillis: return PhysicalType::kInt32;
    case LogicalType::kTimeMicros:
    case LogicalType::kTimestampMicros:
    case LogicalType::kTimestampMillis: return PhysicalType::kInt64;
    case LogicalType::kDecimal: return PhysicalType::kFixedLenByteArray;
  }
  return given;
}

// Largest decimal precision an n-byte two's complement integer holds: floor(log10(2^(8n-1) - 1)).
int max_decimal_precision(int bytes) {
  static constexpr int kByBytes[] = {0, 2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38};
  return bytes < static_cast<int>(std::size(kByBytes)) ? kByBytes[bytes] : 38;
}

pt::TimeUnit time_unit(bool micros) {
  pt::TimeUnit unit;
  if (micros) {
    unit.__set_MICROS(pt::MicroSeconds());
  } else {
    unit.__set_MILLIS(pt::MilliSeconds());
  }
  return unit;
}

}  // namespace

const char* physical_name(PhysicalType physical) {
  switch (physical) {
    case PhysicalType::kBoolean: return "BOOLEAN";
    case PhysicalType::kInt32: return "INT32";
    case PhysicalType::kInt64: return "INT64";
    case PhysicalType::kFloat: return "FLOAT";
    case PhysicalType::kDouble: return "DOUBLE";
    case PhysicalType::kByteArray: return "BYTE_ARRAY";
    case PhysicalType::kFixedLenByteArray: return "FIXED_LEN_BYTE_ARRAY";
  }
  return "?";
}

Status validate_column_spec(const ColumnSpec& spec) {
  const std::string where = "column \"" + spec.name + "\": ";
  if (spec.name.empty()) return Status::bad_input("a column has an empty name; Parquet needs a name for every column");
  PhysicalType want = required_physical(spec.logical, spec.physical);
  if (want != spec.physical) {
    return Status::bad_input(where + logical_name(spec.logical) + " must be stored as " + physical_name(want) +
                             ", not " + physical_name(spec.physical));
  }
  if (spec.physical == PhysicalType::kFixedLenByteArray && spec.fixed_length <= 0) {
    return Status::bad_input(where + "FIXED_LEN_BYTE_ARRAY needs a positive fixed_length");
  }
  if (spec.logical == LogicalType::kDecimal) {
    if (spec.precision < 1 || spec.precision > 38 || spec.scale < 0 || spec.scale > spec.precision) {
      return Status::bad_input(where + "DECIMAL(" + std::to_string(spec.precision) + "," + std::to_string(spec.scale) +
                               ") needs 1 <= precision <= 38 and 0 <= scale <= precision");
    }
    if (spec.precision > max_decimal_precision(spec.fixed_length)) {
      return Status::bad_input(where + "DECIMAL precision " + std::to_string(spec.precision) + " does not fit in " +
                               std::to_string(spec.fixed_length) + " bytes");
    }
  }
  return Status::ok();
}

pt::Type::type physical_type_of(PhysicalType physical) {
  switch (physical) {
    case PhysicalType::kBoolean: return pt::Type::BOOLEAN;
    case PhysicalType::kInt32: return pt::Type::INT32;
    case PhysicalType::kInt64: return pt::Type::INT64;
    case PhysicalType::kFloat: return pt::Type::FLOAT;
    case PhysicalType::kDouble: return pt::Type::DOUBLE;
    case PhysicalType::kByteArray: return pt::Type::BYTE_ARRAY;
    case PhysicalType::kFixedLenByteArray: return pt::Type::FIXED_LEN_BYTE_ARRAY;
  }
  return pt::Type::BYTE_ARRAY;
}

pt::CompressionCodec::type codec_of(Compression compression) {
  switch (compression) {
    case Compression::kNone: return pt::CompressionCodec::UNCOMPRESSED;
    case Compression::kSnappy: return pt::CompressionCodec::SNAPPY;
    case Compression::kGzip: return pt::CompressionCodec::GZIP;
    case Compression::kZstd: return pt::CompressionCodec::ZSTD;
  }
  return pt::CompressionCodec::UNCOMPRESSED;
}

pt::SchemaElement schema_element_for(const ColumnSpec& spec) {
  pt::SchemaElement element;
  element.__set_name(spec.name);
  element.__set_type(physical_type_of(spec.physical));
  element.__set_repetition_type(spec.nullable ? pt::FieldRepetitionType::OPTIONAL : pt::FieldRepetitionType::REQUIRED);
  if (spec.physical == PhysicalType::kFixedLenByteArray) element.__set_type_length(spec.fixed_length);
  pt::LogicalType logical;
  switch (spec.logical) {
    case LogicalType::kNone: return element;
    case LogicalType::kString:
      logical.__set_STRING(pt::StringType());
      element.__set_converted_type(pt::ConvertedType::UTF8);
      break;
    case LogicalType::kInt8:
    case LogicalType::kInt16: {
      pt::IntType integer;
      integer.__set_bitWidth(spec.logical == LogicalType::kInt8 ? 8 : 16);
      integer.__set_isSigned(true);
      logical.__set_INTEGER(integer);
      element.__set_converted_type(spec.logical == LogicalType::kInt8 ? pt::ConvertedType::INT_8
                                                                      : pt::ConvertedType::INT_16);
      break;
    }
    case LogicalType::kDecimal: {
      pt::DecimalType decimal;
      decimal.__set_precision(spec.precision);
      decimal.__set_scale(spec.scale);
      logical.__set_DECIMAL(decimal);
      element.__set_converted_type(pt::ConvertedType::DECIMAL);
      // LogicalTypes.md: writers using DecimalType must also set scale and precision on the element.
      element.__set_precision(spec.precision);
      element.__set_scale(spec.scale);
      break;
    }
    case LogicalType::kDate:
      logical.__set_DATE(pt::DateType());
      element.__set_converted_type(pt::ConvertedType::DATE);
      break;
    case LogicalType::kTimeMicros:
    case LogicalType::kTimeMillis: {
      bool micros = spec.logical == LogicalType::kTimeMicros;
      pt::TimeType time;
      time.__set_isAdjustedToUTC(spec.utc_adjusted);
      time.__set_unit(time_unit(micros));
      logical.__set_TIME(time);
      element.__set_converted_type(micros ? pt::ConvertedType::TIME_MICROS : pt::ConvertedType::TIME_MILLIS);
      break;
    }
    case LogicalType::kTimestampMicros:
    case LogicalType::kTimestampMillis: {
      bool micros = spec.logical == LogicalType::kTimestampMicros;
      pt::TimestampType timestamp;
      timestamp.__set_isAdjustedToUTC(spec.utc_adjusted);
      timestamp.__set_unit(time_unit(micros));
      logical.__set_TIMESTAMP(timestamp);
      element.__set_converted_type(micros ? pt::ConvertedType::TIMESTAMP_MICROS : pt::ConvertedType::TIMESTAMP_MILLIS);
      break;
    }
  }
  element.__set_logicalType(logical);
  return element;
}

Result<ColumnSpec> column_spec_from(const pt::SchemaElement& element) {
  const std::string where = "Parquet column \"" + element.name + "\": ";
  if (!element.__isset.type || element.__isset.num_children) {
    return Status::data_error(where + "is a group; pgs3 reads flat schemas only");
  }
  ColumnSpec spec;
  spec.name = element.name;
  spec.logical = LogicalType::kNone;
  switch (element.type) {
    case pt::Type::BOOLEAN: spec.physical = PhysicalType::kBoolean; break;
    case pt::Type::INT32: spec.physical = PhysicalType::kInt32; break;
    case pt::Type::INT64: spec.physical = PhysicalType::kInt64; break;
    case pt::Type::FLOAT: spec.physical = PhysicalType::kFloat; break;
    case pt::Type::DOUBLE: spec.physical = PhysicalType::kDouble; break;
    case pt::Type::BYTE_ARRAY: spec.physical = PhysicalType::kByteArray; break;
    case pt::Type::FIXED_LEN_BYTE_ARRAY: spec.physical = PhysicalType::kFixedLenByteArray; break;
    default:
      return Status::data_error(where + "has physical type " + std::to_string(element.type) +
                                " (e.g. INT96), which pgs3 does not read");
  }
  if (element.__isset.repetition_type && element.repetition_type == pt::FieldRepetitionType::REPEATED) {
    return Status::data_error(where + "is repeated; pgs3 reads flat schemas only");
  }
  spec.nullable = !element.__isset.repetition_type || element.repetition_type != pt::FieldRepetitionType::REQUIRED;
  if (element.__isset.type_length) spec.fixed_length = element.type_length;
  if (element.__isset.precision) spec.precision = element.precision;
  if (element.__isset.scale) spec.scale = element.scale;

  if (element.__isset.logicalType) {
    const pt::LogicalType& logical = element.logicalType;
    const auto& isset = logical.__isset;
    if (isset.STRING || isset.JSON || isset.ENUM) {
      spec.logical = LogicalType::kString;
    } else if (isset.INTEGER && logical.INTEGER.isSigned && logical.INTEGER.bitWidth == 8) {
      spec.logical = LogicalType::kInt8;
    } else if (isset.INTEGER && logical.INTEGER.isSigned && logical.INTEGER.bitWidth == 16) {
      spec.logical = LogicalType::kInt16;
    } else if (isset.DECIMAL) {
      spec.logical = LogicalType::kDecimal;
      spec.precision = logical.DECIMAL.precision;
      spec.scale = logical.DECIMAL.scale;
    } else if (isset.DATE) {
      spec.logical = LogicalType::kDate;
    } else if (isset.TIME && (logical.TIME.unit.__isset.MICROS || logical.TIME.unit.__isset.MILLIS)) {
      spec.logical = logical.TIME.unit.__isset.MICROS ? LogicalType::kTimeMicros : LogicalType::kTimeMillis;
      spec.utc_adjusted = logical.TIME.isAdjustedToUTC;
    } else if (isset.TIMESTAMP && (logical.TIMESTAMP.unit.__isset.MICROS || logical.TIMESTAMP.unit.__isset.MILLIS)) {
      spec.logical =
          logical.TIMESTAMP.unit.__isset.MICROS ? LogicalType::kTimestampMicros : LogicalType::kTimestampMillis;
      spec.utc_adjusted = logical.TIMESTAMP.isAdjustedToUTC;
    }
  } else if (element.__isset.converted_type) {
    // Legacy annotations only: LogicalTypes.md's backward-compatibility tables (times and timestamps are UTC).
    switch (element.converted_type) {
      case pt::ConvertedType::UTF8:
      case pt::ConvertedType::JSON:
      case pt::ConvertedType::ENUM: spec.logical = LogicalType::kString; break;
      case pt::ConvertedType::INT_8: spec.logical = LogicalType::kInt8; break;
      case pt::ConvertedType::INT_16: spec.logical = LogicalType::kInt16; break;
      case pt::ConvertedType::DECIMAL: spec.logical = LogicalType::kDecimal; break;
      case pt::ConvertedType::DATE: spec.logical = LogicalType::kDate; break;
      case pt::ConvertedType::TIME_MILLIS:
        spec.logical = LogicalType::kTimeMillis;
        spec.utc_adjusted = true;
        break;
      case pt::ConvertedType::TIME_MICROS:
        spec.logical = LogicalType::kTimeMicros;
        spec.utc_adjusted = true;
        break;
      case pt::ConvertedType::TIMESTAMP_MILLIS:
        spec.logical = LogicalType::kTimestampMillis;
        spec.utc_adjusted = true;
        break;
      case pt::ConvertedType::TIMESTAMP_MICROS:
        spec.logical = LogicalType::kTimestampMicros;
        spec.utc_adjusted = true;
        break;
      default: break;
    }
  }
  // A logical type on a physical type pgs3 would not pair it with (e.g. DECIMAL on INT64) is kept as the plain
  // physical type: the values are still readable, just without the annotation.
  if (required_physical(spec.logical, spec.physical) != spec.physical) spec.logical = LogicalType::kNone;
  return spec;
}

}  // namespace pgs3
