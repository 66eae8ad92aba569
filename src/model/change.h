// Changes as they leave the source: relation descriptors, tuples, row changes and transaction boundaries.
//
// These are the values the logical-replication decoder (src/pg/pgoutput_decoder.h) produces and the CDC pipeline
// consumes. They carry no PostgreSQL wire format: a tuple is a list of (kind, bytes) values, the bytes being either
// the type's text output or its binary send form, as the source sent them. Typed conversion (into ColumnVectors)
// is done by the source side (pg/tuple_decoder.h), which knows the types.
//
// LSNs are plain uint64 write-ahead-log byte positions here (model/lsn.h prints and parses them), so that this
// component does not depend on src/pg.
//
// Position (DESIGN.md §3.1): every change of a transaction has (commit_lsn, seq): the LSN of its transaction's
// commit record, known from the transaction's first message, and its 1-based index inside the transaction.
// Transactions arrive in commit order, so positions only grow.
//
// Lifetime: string_views in TupleValue, LogicalMessage and OriginInfo point into the message buffer they were
// decoded from and are valid only while it lives (the decoder's contract says how long). RelationDescriptor owns its
// strings.
//
// Not thread-safe; values are filled by one thread and handed to the next stage.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgs3 {

// pg_class.relreplident: which old values an UPDATE or DELETE carries.
enum class ReplicaIdentity : char {
  kDefault = 'd',  // the primary key's columns (none without a primary key)
  kNothing = 'n',  // no old values at all
  kFull = 'f',     // every column
  kIndex = 'i',    // the columns of the chosen unique index
};

struct RelationColumn {
  std::string name;
  bool is_key = false;    // part of the replica identity
  uint32_t type_oid = 0;  // pg_attribute.atttypid (a domain's own OID when the column's type is a domain)
  int32_t typmod = -1;    // pg_attribute.atttypmod
};

// A table as the change stream describes it. Replaced as a whole when the source sends a new description (after
// ALTER TABLE, or once per session before the first change of the table).
struct RelationDescriptor {
  uint32_t oid = 0;
  std::string schema;  // "pg_catalog" when the stream sent an empty namespace
  std::string name;
  ReplicaIdentity replica_identity = ReplicaIdentity::kDefault;
  std::vector<RelationColumn> columns;  // the replicated columns, in attnum order
};

enum class TupleValueKind : char {
  kNull = 'n',
  kUnchangedToast = 'u',  // an out-of-line (TOASTed) value the UPDATE did not change: the source did not send it
  kText = 't',            // the type's output-function text
  kBinary = 'b',          // the type's send-function bytes
};

struct TupleValue {
  TupleValueKind kind = TupleValueKind::kNull;
  std::string_view bytes;  // empty for kNull and kUnchangedToast
};

enum class ChangeOp : char { kInsert = 'I', kUpdate = 'U', kDelete = 'D', kTruncate = 'T' };

struct ChangePosition {
  uint64_t commit_lsn = 0;
  uint32_t seq = 0;  // 1-based index of the change inside its transaction
  auto operator<=>(const ChangePosition&) const = default;
};

// Which old values an UPDATE or DELETE carries.
enum class OldTupleKind : char {
  kNone = 0,    // none (an UPDATE that changed no key column, under REPLICA IDENTITY DEFAULT or INDEX)
  kKey = 'K',   // the replica-identity columns only; the other columns are kNull
  kFull = 'O',  // the whole old row (REPLICA IDENTITY FULL)
};

// One INSERT, UPDATE or DELETE.
struct RowChange {
  ChangeOp op = ChangeOp::kInsert;
  ChangePosition position;
  uint32_t relation_oid = 0;
  OldTupleKind old_kind = OldTupleKind::kNone;
  std::vector<TupleValue> old_tuple;  // DELETE: always; UPDATE: when old_kind != kNone; else empty
  std::vector<TupleValue> new_tuple;  // INSERT and UPDATE; empty for DELETE
};

// TRUNCATE of one or more tables (one statement).
struct TruncateChange {
  ChangePosition position;
  bool cascade = false;
  bool restart_identity = false;
  std::vector<uint32_t> relation_oids;
};

struct TransactionBegin {
  uint64_t final_lsn = 0;      // the LSN of the commit record: every change of the transaction has it as commit_lsn
  int64_t commit_time_us = 0;  // microseconds since 2000-01-01 00:00:00 UTC
  uint32_t xid = 0;
};

struct TransactionCommit {
  uint8_t flags = 0;
  uint64_t commit_lsn = 0;  // == the Begin's final_lsn
  uint64_t end_lsn = 0;     // the end of the commit record: where a restarted stream resumes after this transaction
  int64_t commit_time_us = 0;
};

// A transaction whose changes were replayed from another node (logical replication origin).
struct OriginInfo {
  uint64_t origin_lsn = 0;
  std::string_view name;
};

// pg_logical_emit_message(). A transactional message belongs to its transaction and has a position; a
// non-transactional one arrives on its own, outside any transaction (position.seq == 0, commit_lsn == its lsn).
struct LogicalMessage {
  bool transactional = false;
  uint64_t lsn = 0;
  ChangePosition position;
  std::string_view prefix;
  std::string_view content;
};

// A user-defined type named by the stream before a relation that uses it.
struct TypeDescriptor {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
};

}  // namespace pgs3
