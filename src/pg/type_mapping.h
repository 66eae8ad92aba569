// Type mapping: for one source column, the output column (ColumnSpec) and how its COPY BINARY value is decoded.
//
// This is the README's "Type mapping" table in code. map_column() picks, from the column's base type (domains
// resolved): the ColumnSpec (physical/logical type, nullability from NOT NULL), the SELECT expression that reads it
// ("col", or "col"::text for every type without a native decoder, so its binary value is PostgreSQL's text output),
// and a ValueDecoder — a small enum, so the per-value work is one switch and never a heap allocation.
//
// ColumnDecoder turns one binary field (PostgreSQL's typsend format, as in COPY BINARY) into a value appended to a
// ColumnVector. It validates every length and returns kDataError naming the table and column on malformed input;
// it never reads past the bytes it is given. It counts the values that a Parquet type cannot hold (see README:
// timestamp/date ±infinity written as the extreme INT64/INT32; numeric NaN/±Infinity in a DECIMAL column written
// as NULL) so the caller can warn with the table, column and count. A NaN/±Infinity in a NOT NULL DECIMAL column is
// a kDataError naming the table and column.
//
// Thread-safety: a ColumnDecoder holds counters and a scratch buffer; one thread uses it at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/column.h"
#include "pg/catalog.h"

namespace pgs3 {

// How a field's binary bytes become a value. Names follow the PostgreSQL type whose send function produced them.
enum class ValueDecoder : uint8_t {
  kBool,             // 1 byte -> BOOLEAN
  kInt2,             // 2 bytes -> INT32 (INT(16))
  kInt4,             // 4 bytes -> INT32
  kInt8,             // 8 bytes -> INT64
  kFloat4,           // 4 bytes IEEE -> FLOAT, bits kept (NaN, ±Infinity, -0)
  kFloat8,           // 8 bytes IEEE -> DOUBLE, bits kept
  kNumericDecimal,   // numeric -> FLBA(16) DECIMAL(p,s); NaN/±Infinity -> NULL (counted) or an error if NOT NULL
  kNumericText,      // numeric -> exact text as numeric_out prints it ("NaN", "Infinity", "-Infinity" kept)
  kMoney,            // int64 in units of 10^-money_fraction_digits -> FLBA(16) DECIMAL(38,4)
  kText,             // bytes as-is -> STRING (text, varchar, bpchar, name, citext, json, enums, and "col"::text)
  kBytea,            // bytes as-is -> BYTE_ARRAY
  kJsonb,            // version byte 1, then the text -> STRING
  kDate,             // int32 days since 2000-01-01 -> INT32 days since 1970-01-01; ±infinity -> INT32 max/min
  kTime,             // int64 microseconds -> INT64 TIME(MICROS)
  kTimeTz,           // int64 microseconds + int32 zone (seconds west of UTC) -> UTC micros wrapped into [0, 24h)
  kTimestampMicros,  // int64 micros since 2000-01-01 -> micros since 1970; ±infinity -> INT64 max/min
  kTimestampMillis,  // as above, then floor-divided to millis; ±infinity -> INT64 max/min
  kInterval,         // int64 micros, int32 days, int32 months -> text in IntervalStyle postgres
  kUuid,             // 16 bytes -> 36 lowercase characters
};

struct TypeMappingOptions {
  bool timestamp_millis = false;  // ParquetTimestampInMillisecond
  int money_fraction_digits = 2;  // from money_fraction_digits(conn)
  // numeric(p,s) as its exact text instead of DECIMAL: for CSV output, where text loses nothing and NaN/±Infinity
  // stay what they are.
  bool decimal_as_text = false;
};

// One source column as the full load reads and writes it.
struct MappedColumn {
  std::string source_name;  // the PostgreSQL column name (for messages)
  ColumnSpec spec;          // the output column; spec.name == source_name
  ValueDecoder decoder = ValueDecoder::kText;
  std::string select_expr;        // for the COPY's SELECT list: quote_ident(name), or quote_ident(name) + "::text"
  int32_t decimal_precision = 0;  // kNumericDecimal / kMoney: the DECIMAL's precision and scale (== spec's)
  int32_t decimal_scale = 0;
  int money_fraction_digits = 2;  // kMoney
};

MappedColumn map_column(const SourceColumn& column, const TypeMappingOptions& options);
std::vector<MappedColumn> map_columns(const SourceTable& table, const TypeMappingOptions& options);

// Decodes the fields of one column. Construct one per column per table read; reuse it for every row.
class ColumnDecoder {
 public:
  // `table` is the name used in messages, e.g. "\"public\".\"orders\"".
  ColumnDecoder(std::string table, const MappedColumn& column);

  // Appends the value of one non-NULL field (its bytes, without the length word) to `out`.
  Status decode(std::string_view field, ColumnVector& out) {
    return decode_value(field.data(), static_cast<int32_t>(field.size()), out);
  }
  Status decode_value(const char* data, int32_t length, ColumnVector& out);
  // Appends a NULL. kDataError when the output column is REQUIRED (a NULL that a NOT NULL domain let through).
  Status decode_null(ColumnVector& out);

  // ±infinity dates and timestamps written as the extreme integer.
  uint64_t infinities() const { return infinities_; }
  // numeric NaN/±Infinity written as NULL in a DECIMAL column.
  uint64_t nulled_special_numerics() const { return nulled_special_numerics_; }
  const MappedColumn& column() const { return column_; }
  const std::string& table() const { return table_; }

 private:
  Status malformed(std::string_view what, int32_t length) const;
  Status decode_numeric_decimal(const char* data, int32_t length, ColumnVector& out);
  Status decode_numeric_text(const char* data, int32_t length, ColumnVector& out);
  Status decode_interval(const char* data, int32_t length, ColumnVector& out);

  std::string table_;
  MappedColumn column_;
  std::string scratch_;  // reused text buffer (numeric, interval)
  uint64_t infinities_ = 0;
  uint64_t nulled_special_numerics_ = 0;
};

// Formatting helpers, exposed for tests and for the CDC decoder that will share them. Each appends to `out`.
// numeric's binary form (ndigits, weight, sign, dscale, base-10000 digits) as numeric_out prints it.
Status append_numeric_text(const char* data, int32_t length, std::string& out);
// An interval in IntervalStyle postgres, exactly as interval_out prints it: "1 year 2 mons -3 days +04:05:06.5".
void append_interval_postgres(int64_t micros, int32_t days, int32_t months, std::string& out);

}  // namespace pgs3
