// PgoutputDecoder: decodes the messages of PostgreSQL's pgoutput plugin, protocol version 1
// (protocol-logicalrep-message-formats), into the values of src/model/change.h.
//
// Each XLogData payload of a logical replication stream is one pgoutput message: Begin 'B', Commit 'C', Origin 'O',
// Relation 'R', Type 'Y', Insert 'I', Update 'U', Delete 'D', Truncate 'T' or Message 'M'. decode() parses one into
// a caller-owned PgoutputMessage; the caller reuses that object for every message, so that after the first few
// messages decoding allocates nothing (tuple vectors keep their capacity). String views in the decoded message
// (tuple values, message prefix and content, origin name) point into the payload: they are valid while the payload
// is (for ReplicationConnection::next(), until its next call).
//
// State kept across messages:
// - the relation cache: oid -> the latest Relation message (a new one replaces the old, e.g. after ALTER TABLE).
//   Insert/Update/Delete of an oid not in the cache, or with a column count other than the cached relation's, is
//   kDataError: the stream is inconsistent.
// - the type cache: oid -> the latest Type message.
// - the transaction: Begin opens it (its final_lsn is every change's commit_lsn), Commit closes it; seq counts the
//   transaction's changes from 1 (Insert, Update, Delete, Truncate and transactional Message each take one).
//   A row change, truncate or transactional message outside a transaction, a Begin inside one, a Commit outside one
//   or with a commit LSN other than the Begin's final LSN is kDataError.
// Every malformed message (unknown type byte, truncated field, unterminated string, unknown tuple value kind,
// trailing bytes) is kDataError naming the message type byte and the byte offset of the problem. After an error the
// transaction state is reset; the relation cache is kept.
//
// Protocol version 1 only: no streamed in-progress transactions ('S', 'E', 'c', 'A' are unknown here), no two-phase.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "model/change.h"
#include "model/column.h"
#include "pg/catalog.h"
#include "pg/type_mapping.h"

namespace pgs3 {

class PgoutputReader;  // pgoutput_decoder.cc

enum class PgoutputMessageType : char {
  kBegin = 'B',
  kCommit = 'C',
  kOrigin = 'O',
  kRelation = 'R',
  kType = 'Y',
  kInsert = 'I',
  kUpdate = 'U',
  kDelete = 'D',
  kTruncate = 'T',
  kMessage = 'M',
};

// One decoded message. Only the member that matches `type` is meaningful; the others keep stale values (they are
// not cleared, so that their buffers are reused).
struct PgoutputMessage {
  PgoutputMessageType type = PgoutputMessageType::kBegin;
  TransactionBegin begin;        // kBegin
  TransactionCommit commit;      // kCommit
  OriginInfo origin;             // kOrigin
  TypeDescriptor type_info;      // kType
  RowChange row;                 // kInsert, kUpdate, kDelete
  TruncateChange truncate;       // kTruncate
  LogicalMessage message;        // kMessage
  // kRelation: the new descriptor; kInsert/kUpdate/kDelete: the row's relation. Owned by the decoder's cache and
  // valid until the next Relation message for the same oid.
  const RelationDescriptor* relation = nullptr;
};

class PgoutputDecoder {
 public:
  PgoutputDecoder() = default;

  // Decodes one pgoutput message. See the class comment for errors and lifetimes.
  Status decode(std::string_view payload, PgoutputMessage& out);

  // The cached relation, or null.
  const RelationDescriptor* relation(uint32_t oid) const;
  // The cached type, or null.
  const TypeDescriptor* type(uint32_t oid) const;
  bool in_transaction() const { return in_transaction_; }
  // The commit LSN of the open transaction (0 outside one).
  uint64_t commit_lsn() const { return in_transaction_ ? commit_lsn_ : 0; }

 private:
  Status decode_begin(PgoutputReader& r, PgoutputMessage& out);
  Status decode_commit(PgoutputReader& r, PgoutputMessage& out);
  Status decode_relation(PgoutputReader& r, PgoutputMessage& out);
  Status decode_row(PgoutputReader& r, char type, PgoutputMessage& out);
  Status decode_truncate(PgoutputReader& r, PgoutputMessage& out);
  Status decode_message(PgoutputReader& r, PgoutputMessage& out);
  Status next_position(PgoutputReader& r, ChangePosition& position);

  std::unordered_map<uint32_t, std::unique_ptr<RelationDescriptor>> relations_;
  std::unordered_map<uint32_t, TypeDescriptor> types_;
  bool in_transaction_ = false;
  uint64_t commit_lsn_ = 0;
  uint32_t seq_ = 0;
};

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
// - 't' (text, the type's output function): converted to the type's binary form and decoded by the same
//   ColumnDecoder, or appended as is where the output function already prints what the full load writes (text
//   types, numeric as text, interval, uuid, and every type without a native decoder, whose text is kept: arrays,
//   ranges, inet, ...). This relies on the session settings ReplicationConnection makes (DateStyle ISO,
//   IntervalStyle postgres, TimeZone UTC, bytea_output hex, extra_float_digits 3). money's text depends on
//   lc_monetary: it is read as its digits (money_out prints exactly the locale's fraction digits) with a leading '-'
//   or parentheses for negative values.
// - 'n': a NULL (kDataError for a NOT NULL output column, as in the full load).
// - 'u' (unchanged TOAST): kInternal; the caller must take the value from elsewhere (the previous image of the row)
//   or mark it unchanged before calling.
//
// Thread-safety: holds decoders with counters and scratch buffers; one thread at a time.
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

// Text to binary send form, exposed for tests. Each returns false when `text` is not in the form PostgreSQL's output
// function prints (with the session settings above). `out` is overwritten.
bool numeric_text_to_binary(std::string_view text, std::string& out);
// "YYYY-MM-DD[ BC]" or "infinity"/"-infinity" -> days since 2000-01-01 (date_send).
bool date_text_to_days(std::string_view text, int32_t& days);
// "HH:MM:SS[.ffffff]" -> microseconds since midnight.
bool time_text_to_micros(std::string_view text, int64_t& micros);
// "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]" or "infinity"/"-infinity" -> microseconds since 2000-01-01 (in
// UTC when an offset is present).
bool timestamp_text_to_micros(std::string_view text, int64_t& micros);

}  // namespace pgs3
