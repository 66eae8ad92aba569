// Value text: one column value rendered as the text PostgreSQL prints for it (DateStyle ISO, the README's type
// mapping, CSV column), from the physical value the encoders hold. Used by the CSV encoder and by `pgs3 cat`.
//
// - BOOLEAN: true / false.
// - INT32 / INT64 (plain, INT(8), INT(16)): decimal.
// - FLOAT / DOUBLE: the shortest text that reads back to the same value, laid out as PostgreSQL's float4out and
//   float8out do (extra_float_digits = 1, the default since PostgreSQL 12): fixed notation for decimal exponents
//   from -4 up to 5 (real) or 14 (double precision), otherwise d.ddde+XX; NaN, Infinity, -Infinity and -0 spelt
//   as PostgreSQL spells them.
// - DECIMAL (FIXED_LEN_BYTE_ARRAY, big-endian two's complement): exact, with `scale` digits after the point.
// - DATE (INT32 days since 1970-01-01): YYYY-MM-DD, " BC" after years before 1 (year 0 is 1 BC, as PostgreSQL
//   prints it); the largest and smallest INT32 are infinity and -infinity.
// - TIME (INT64 micros or INT32 millis since midnight): HH:MM:SS with the fraction's trailing zeros trimmed.
// - TIMESTAMP (INT64 micros or millis since 1970-01-01): YYYY-MM-DD HH:MM:SS[.ffffff] [BC]; the largest and
//   smallest INT64 are infinity and -infinity. UTC-adjusted timestamps are printed in UTC without an offset.
// - BYTE_ARRAY with STRING: the text as is. BYTE_ARRAY without annotation (bytea) and FIXED_LEN_BYTE_ARRAY without
//   DECIMAL: \x followed by lower-case hex (bytea_output = hex).
// Appends to `out` without other allocation than its growth. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/column.h"

namespace pgs3 {

// Appends the text of the `value_index`-th non-NULL value of `values` (a column described by `spec`) to `out`.
void append_value_text(const ColumnSpec& spec, const ColumnVector& values, size_t value_index, std::string& out);

// The pieces, for callers that hold a single value.
void append_float_text(float value, std::string& out);
void append_double_text(double value, std::string& out);
// `bytes`: big-endian two's complement of any length (1 to 16 bytes is the Parquet DECIMAL(38) case).
void append_decimal_text(std::string_view bytes, int32_t scale, std::string& out);
void append_date_text(int32_t days_since_epoch, std::string& out);
void append_time_text(int64_t micros_since_midnight, std::string& out);
void append_timestamp_text(int64_t micros_since_epoch, std::string& out);
void append_timestamp_millis_text(int64_t millis_since_epoch, std::string& out);
void append_hex_bytes_text(std::string_view bytes, std::string& out);

}  // namespace pgs3
