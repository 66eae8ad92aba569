// TupleDecoder: turns the tuple values of one relation into typed values appended to ColumnVectors, with the same
// ColumnSpecs and the same physical values the full load produces (src/pg/type_mapping.h), so that CDC rows and
// full-load rows of a table land in the same columns.
//
// The mapping of each column comes from map_column() on the column's type. The Relation message gives only the
// type OID and typmod, so by default a column is mapped as if that OID were its base type; a domain, enum or
// extension type (citext) is mapped correctly only when the caller passes the catalog's SourceColumns (list_tables()
// gives them), matched by column name.
//
// - 'b' (binary, typsend bytes): decoded by the full load's ColumnDecoder. A column without a native decoder (the
//   full load reads those as "col"::text) has a binary form that is not text, except for text-like types (text,
//   varchar, bpchar, name, json, citext, enums): such a value is kDataError naming the table, column and type —
//   stream in text mode (binary 'false') for tables that have such columns.
// - 't' (text, the type's output function): converted to the type's binary form (src/pg/text_value_parser.h) and
//   decoded by the same ColumnDecoder, or appended as is where the output function already prints what the full
//   load writes (text types, numeric as text, interval, uuid, and every type without a native decoder, whose text is
//   kept: arrays, ranges, inet, ...). This relies on the session settings ReplicationConnection makes (DateStyle ISO,
//   IntervalStyle postgres, TimeZone UTC, bytea_output hex, extra_float_digits 3). money's text depends on
//   lc_monetary: it is read as its digits (money_out prints exactly the locale's fraction digits) with a leading '-'
//   or parentheses for negative values.
// - 'n': a NULL (kDataError for a NOT NULL output column, as in the full load).
// - 'u' (unchanged TOAST): kInternal; the caller must take the value from elsewhere (the previous image of the row)
//   or mark it unchanged before calling.
//
// Thread-safety: holds decoders with counters and scratch buffers; one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/change.h"
#include "model/column.h"
#include "pg/catalog.h"
#include "pg/type_mapping.h"

namespace pgs3 {

class TupleDecoder {
 public:
  // `relation` as decoded; `resolved` (optional) the catalog's columns of the same table.
  TupleDecoder(const RelationDescriptor& relation, const TypeMappingOptions& options,
               const std::vector<SourceColumn>* resolved = nullptr);

  // Appends the value of column `index` (a RelationDescriptor column index) to `out`, which must have
  // columns()[index].spec.
  Status append(size_t index, const TupleValue& value, ColumnVector& out);

  const std::vector<MappedColumn>& columns() const { return columns_; }
  const std::vector<ColumnDecoder>& decoders() const { return decoders_; }

 private:
  Status append_text(size_t index, std::string_view text, ColumnVector& out);

  std::string table_label_;
  std::vector<MappedColumn> columns_;
  std::vector<ColumnDecoder> decoders_;
  std::vector<bool> binary_is_text_;  // a 'b' value of the column is its text (or the column has a native decoder)
  std::vector<uint32_t> type_oids_;
  std::string scratch_;
};

}  // namespace pgs3
