// How `pgs3 cat` shows one Parquet value: as text (for CSV) and as a JSON token (for JSON lines), given the
// ParquetColumn that describes its meaning.
//
// Text follows value_text.h (PostgreSQL's output, DateStyle ISO), so a Parquet file and the CSV file pgs3 writes for
// the same rows print alike, with these additions: UTC-adjusted times and timestamps end with "+00" (as PostgreSQL
// prints timetz / timestamptz with TimeZone UTC); nanosecond units keep all nine fraction digits that are not
// trailing zeros; unsigned integers read their bits as unsigned; DECIMAL on INT32/INT64/BYTE_ARRAY is exact; INT96
// is a timestamp (nanoseconds of the day + Julian day); UUID is 8-4-4-4-12 lower-case hex; STRING/UTF8/JSON/ENUM are
// the text itself; other bytes (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, BSON, INTERVAL, FLOAT16) are \x + lower-case hex.
//
// JSON: BOOLEAN is true/false; integers are JSON numbers when |v| <= 2^53 (exact in every JSON reader), strings
// otherwise; finite FLOAT/DOUBLE are numbers, NaN and infinities the strings "NaN", "Infinity", "-Infinity";
// everything else (decimals included, which must stay exact) is a JSON string of the text above. Invalid UTF-8 in a
// string is replaced by U+FFFD so the output is always valid JSON. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "format/parquet_read/parquet_column.h"
#include "model/column.h"

namespace pgs3 {

// Appends the text of the `value_index`-th non-NULL value of `values`, a column described by `column`.
void append_parquet_value_text(const ParquetColumn& column, const ColumnVector& values, size_t value_index,
                               std::string& out);

// Appends the JSON token of the same value.
void append_parquet_value_json(const ParquetColumn& column, const ColumnVector& values, size_t value_index,
                               std::string& out);

// Appends `text` as a quoted JSON string (RFC 8259 escapes; invalid UTF-8 becomes U+FFFD).
void append_json_string(std::string_view text, std::string& out);

}  // namespace pgs3
