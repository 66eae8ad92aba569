// Text value parsers: the text form of a PostgreSQL value, as the type's output function prints it, read back into
// the value or into the type's binary send form, so that a value pgoutput sends as text (tuple kind 't') decodes
// through the same ColumnDecoder as its binary form (src/pg/tuple_decoder.h).
//
// Every parser accepts exactly what the output function prints with the session settings ReplicationConnection makes
// (DateStyle ISO, IntervalStyle postgres, TimeZone UTC, bytea_output hex, extra_float_digits 3), and returns false
// for anything else (the output parameters are then unspecified).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgs3 {

// Appends the low `bytes` bytes of `v`, most significant first: the integer layout of every send function.
void append_big_endian(uint64_t v, int bytes, std::string& out);

// boolout: "t" or "f".
bool boolean_text_to_bool(std::string_view text, bool& v);
// int2out/int4out/int8out: an optional '-' and decimal digits, within [min, max].
bool integer_text_to_int64(std::string_view text, int64_t min, int64_t max, int64_t& v);
// float4out/float8out: a decimal or exponent form, "NaN", "Infinity" or "-Infinity".
bool real_text_to_float(std::string_view text, float& v);
bool double_text_to_double(std::string_view text, double& v);
// numeric_out -> numeric_send's bytes (Int16 ndigits, weight, sign, dscale, then base-10000 digits).
bool numeric_text_to_binary(std::string_view text, std::string& out);
// money_out: optional '-' or parentheses, a currency symbol, group separators, the locale's fraction digits -> the
// value in the currency's smallest units (money_out prints exactly the locale's fraction digits).
bool money_text_to_units(std::string_view text, int64_t& units);
// byteaout: hex ("\x" then two hex digits per byte) or, with bytea_output = escape, octal escapes "\ooo" and "\\"
// among literal bytes -> the bytes.
bool bytea_text_to_bytes(std::string_view text, std::string& out);
// "YYYY-MM-DD[ BC]" or "infinity"/"-infinity" -> days since 2000-01-01 (date_send).
bool date_text_to_days(std::string_view text, int32_t& days);
// "HH:MM:SS[.ffffff]" -> microseconds since midnight.
bool time_text_to_micros(std::string_view text, int64_t& micros);
// timetz_out: "HH:MM:SS[.ffffff]+HH[:MM[:SS]]" -> microseconds since midnight (local time) and the zone's offset in
// seconds east of UTC.
bool timetz_text_to_micros(std::string_view text, int64_t& micros, int64_t& seconds_east);
// "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]" or "infinity"/"-infinity" -> microseconds since 2000-01-01 (in
// UTC when an offset is present).
bool timestamp_text_to_micros(std::string_view text, int64_t& micros);

}  // namespace pgs3
