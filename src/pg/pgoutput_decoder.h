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
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "model/change.h"

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
  TransactionBegin begin;    // kBegin
  TransactionCommit commit;  // kCommit
  OriginInfo origin;         // kOrigin
  TypeDescriptor type_info;  // kType
  RowChange row;             // kInsert, kUpdate, kDelete
  TruncateChange truncate;   // kTruncate
  LogicalMessage message;    // kMessage
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

}  // namespace pgs3
