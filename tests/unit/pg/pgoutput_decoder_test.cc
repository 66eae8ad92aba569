#include "pg/pgoutput_decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/pgoutput_bytes.h"

namespace pgs3 {
namespace {

using Bytes = test_support::PgoutputBytes;

constexpr uint32_t kInt4 = 23;
constexpr uint32_t kText = 25;

Bytes begin_msg(uint64_t final_lsn, uint32_t xid = 700) {
  return Bytes().ch('B').u64(final_lsn).u64(123456789).u32(xid);
}
Bytes commit_msg(uint64_t commit_lsn, uint64_t end_lsn) {
  return Bytes().ch('C').u8(0).u64(commit_lsn).u64(end_lsn).u64(123456789);
}
// public.t (id int4 key, note text), replica identity default.
Bytes relation_msg(uint32_t oid = 16384, char identity = 'd') {
  return Bytes()
      .ch('R').u32(oid).str("public").str("t").ch(identity).u16(2)
      .u8(1).str("id").u32(kInt4).u32(0xFFFFFFFF)
      .u8(0).str("note").u32(kText).u32(0xFFFFFFFF);
}

class PgoutputDecoderTest : public ::testing::Test {
 protected:
  // The payload is kept until the next call: the decoded message points into it.
  void ok(std::string_view payload) {
    payload_.assign(payload);
    Status s = decoder_.decode(payload_, msg_);
    ASSERT_TRUE(s.is_ok()) << s.message();
  }
  // The failure's message ("" when it did not fail).
  std::string fail(std::string_view payload) {
    payload_.assign(payload);
    Status s = decoder_.decode(payload_, msg_);
    EXPECT_FALSE(s.is_ok());
    EXPECT_EQ(s.code(), StatusCode::kDataError) << s.message();
    return s.message();
  }
  std::string payload_;
  PgoutputDecoder decoder_;
  PgoutputMessage msg_;
};

TEST_F(PgoutputDecoderTest, BeginAndCommitCarryPositionsAndTimes) {
  ok(begin_msg(0x1000050, 42));
  EXPECT_EQ(msg_.type, PgoutputMessageType::kBegin);
  EXPECT_EQ(msg_.begin.final_lsn, 0x1000050u);
  EXPECT_EQ(msg_.begin.commit_time_us, 123456789);
  EXPECT_EQ(msg_.begin.xid, 42u);
  EXPECT_TRUE(decoder_.in_transaction());
  ok(commit_msg(0x1000050, 0x1000080));
  EXPECT_EQ(msg_.type, PgoutputMessageType::kCommit);
  EXPECT_EQ(msg_.commit.commit_lsn, 0x1000050u);
  EXPECT_EQ(msg_.commit.end_lsn, 0x1000080u);
  EXPECT_FALSE(decoder_.in_transaction());
}

TEST_F(PgoutputDecoderTest, RelationIsCachedWithKeysTypesAndEmptyNamespaceAsPgCatalog) {
  ok(relation_msg(16384, 'f'));
  ASSERT_NE(msg_.relation, nullptr);
  EXPECT_EQ(msg_.relation->schema, "public");
  EXPECT_EQ(msg_.relation->replica_identity, ReplicaIdentity::kFull);
  ASSERT_EQ(msg_.relation->columns.size(), 2u);
  EXPECT_TRUE(msg_.relation->columns[0].is_key);
  EXPECT_FALSE(msg_.relation->columns[1].is_key);
  EXPECT_EQ(msg_.relation->columns[0].type_oid, kInt4);
  EXPECT_EQ(msg_.relation->columns[1].typmod, -1);
  ok(Bytes().ch('R').u32(99).str("").str("pg_x").ch('n').u16(0));
  EXPECT_EQ(decoder_.relation(99)->schema, "pg_catalog");
  EXPECT_EQ(decoder_.relation(16384)->name, "t");
}

TEST_F(PgoutputDecoderTest, NewRelationMessageReplacesTheCachedOne) {
  ok(relation_msg());
  ok(Bytes().ch('R').u32(16384).str("public").str("t").ch('d').u16(3)
         .u8(1).str("id").u32(kInt4).u32(0xFFFFFFFF)
         .u8(0).str("note").u32(kText).u32(0xFFFFFFFF)
         .u8(0).str("added").u32(1700).u32((10 << 16 | 2) + 4));
  ASSERT_EQ(decoder_.relation(16384)->columns.size(), 3u);
  EXPECT_EQ(decoder_.relation(16384)->columns[2].typmod, (10 << 16 | 2) + 4);
  ok(begin_msg(0x500));
  ok(Bytes().ch('I').u32(16384).ch('N').u16(3).text("1").text("a").text("1.50"));
  EXPECT_EQ(msg_.row.new_tuple.size(), 3u);
}

TEST_F(PgoutputDecoderTest, InsertUpdateDeleteGetCommitLsnAndSequence) {
  ok(relation_msg());
  ok(begin_msg(0x2000));
  ok(Bytes().ch('I').u32(16384).ch('N').u16(2).text("1").null());
  EXPECT_EQ(msg_.type, PgoutputMessageType::kInsert);
  EXPECT_EQ(msg_.row.op, ChangeOp::kInsert);
  EXPECT_EQ(msg_.row.position, (ChangePosition{0x2000, 1}));
  ASSERT_EQ(msg_.row.new_tuple.size(), 2u);
  EXPECT_EQ(msg_.row.new_tuple[0].kind, TupleValueKind::kText);
  EXPECT_EQ(msg_.row.new_tuple[0].bytes, "1");
  EXPECT_EQ(msg_.row.new_tuple[1].kind, TupleValueKind::kNull);
  EXPECT_EQ(msg_.relation, decoder_.relation(16384));

  // Update with the old key (the key changed), the note left unchanged in TOAST.
  ok(Bytes().ch('U').u32(16384).ch('K').u16(2).text("1").null().ch('N').u16(2).text("2").unchanged());
  EXPECT_EQ(msg_.row.op, ChangeOp::kUpdate);
  EXPECT_EQ(msg_.row.position, (ChangePosition{0x2000, 2}));
  EXPECT_EQ(msg_.row.old_kind, OldTupleKind::kKey);
  EXPECT_EQ(msg_.row.old_tuple[0].bytes, "1");
  EXPECT_EQ(msg_.row.new_tuple[0].bytes, "2");
  EXPECT_EQ(msg_.row.new_tuple[1].kind, TupleValueKind::kUnchangedToast);
  EXPECT_TRUE(msg_.row.new_tuple[1].bytes.empty());

  // Update without old values.
  ok(Bytes().ch('U').u32(16384).ch('N').u16(2).binary(std::string("\0\0\0\x07", 4)).text("x"));
  EXPECT_EQ(msg_.row.old_kind, OldTupleKind::kNone);
  EXPECT_TRUE(msg_.row.old_tuple.empty());
  EXPECT_EQ(msg_.row.new_tuple[0].kind, TupleValueKind::kBinary);
  EXPECT_EQ(msg_.row.new_tuple[0].bytes.size(), 4u);

  // Delete with the full old row.
  ok(Bytes().ch('D').u32(16384).ch('O').u16(2).text("7").text("x"));
  EXPECT_EQ(msg_.row.op, ChangeOp::kDelete);
  EXPECT_EQ(msg_.row.old_kind, OldTupleKind::kFull);
  EXPECT_EQ(msg_.row.old_tuple[1].bytes, "x");
  EXPECT_TRUE(msg_.row.new_tuple.empty());
  EXPECT_EQ(msg_.row.position, (ChangePosition{0x2000, 4}));
  ok(commit_msg(0x2000, 0x2040));

  // The next transaction starts again at 1.
  ok(begin_msg(0x3000));
  ok(Bytes().ch('D').u32(16384).ch('K').u16(2).text("7").null());
  EXPECT_EQ(msg_.row.position, (ChangePosition{0x3000, 1}));
  EXPECT_GT(msg_.row.position, (ChangePosition{0x2000, 4}));
}

TEST_F(PgoutputDecoderTest, TruncateOfSeveralRelationsWithOptions) {
  ok(begin_msg(0x4000));
  ok(Bytes().ch('T').u32(3).u8(3).u32(16384).u32(16390).u32(16400));
  EXPECT_EQ(msg_.type, PgoutputMessageType::kTruncate);
  EXPECT_TRUE(msg_.truncate.cascade);
  EXPECT_TRUE(msg_.truncate.restart_identity);
  EXPECT_EQ(msg_.truncate.relation_oids, (std::vector<uint32_t>{16384, 16390, 16400}));
  EXPECT_EQ(msg_.truncate.position, (ChangePosition{0x4000, 1}));
  ok(Bytes().ch('T').u32(1).u8(0).u32(16384));
  EXPECT_FALSE(msg_.truncate.cascade);
  EXPECT_FALSE(msg_.truncate.restart_identity);
  EXPECT_EQ(msg_.truncate.position.seq, 2u);
}

TEST_F(PgoutputDecoderTest, OriginTypeAndMessages) {
  ok(Bytes().ch('Y').u32(70000).str("public").str("mood"));
  EXPECT_EQ(msg_.type, PgoutputMessageType::kType);
  EXPECT_EQ(decoder_.type(70000)->name, "mood");
  // A non-transactional message outside any transaction.
  ok(Bytes().ch('M').u8(0).u64(0x5000).str("pgs3").u32(3).raw("abc"));
  EXPECT_FALSE(msg_.message.transactional);
  EXPECT_EQ(msg_.message.prefix, "pgs3");
  EXPECT_EQ(msg_.message.content, "abc");
  EXPECT_EQ(msg_.message.position, (ChangePosition{0x5000, 0}));
  ok(begin_msg(0x6000));
  ok(Bytes().ch('O').u64(0x99).str("node_a"));
  EXPECT_EQ(msg_.origin.name, "node_a");
  EXPECT_EQ(msg_.origin.origin_lsn, 0x99u);
  ok(Bytes().ch('M').u8(1).u64(0x5F00).str("pgs3-test-stop").u32(0));
  EXPECT_TRUE(msg_.message.transactional);
  EXPECT_TRUE(msg_.message.content.empty());
  EXPECT_EQ(msg_.message.position, (ChangePosition{0x6000, 1}));
}

TEST_F(PgoutputDecoderTest, MalformedMessagesNameTypeAndOffset) {
  std::string s = fail(Bytes().ch('Z').u32(1));
  EXPECT_NE(s.find("'Z'"), std::string::npos) << s;
  EXPECT_NE(s.find("offset 0"), std::string::npos) << s;
  s = fail(Bytes().ch('B').u64(1).u32(0));  // truncated commit time
  EXPECT_NE(s.find("'B'"), std::string::npos);
  EXPECT_NE(s.find("offset 9"), std::string::npos) << s;
  fail(Bytes().ch('R').u32(1).raw("public"));  // unterminated namespace
  fail(Bytes().ch('R').u32(1).str("s").str("t").ch('x').u16(0));  // unknown replica identity
  fail(Bytes());  // empty payload
  ok(relation_msg());
  ok(begin_msg(0x10));
  s = fail(Bytes().ch('I').u32(16384).ch('N').u16(2).text("1").ch('q'));  // unknown tuple kind
  EXPECT_NE(s.find("offset 14"), std::string::npos) << s;
  ok(begin_msg(0x10));  // the failure reset the transaction
  fail(Bytes().ch('I').u32(16384).ch('N').u16(2).text("1").ch('t').u32(10).raw("abc"));  // value cut short
  ok(begin_msg(0x10));
  fail(Bytes().ch('I').u32(16384).ch('N').u16(1).text("1"));  // column count differs from the relation's
  ok(begin_msg(0x10));
  fail(Bytes().ch('I').u32(5).ch('N').u16(0));  // unknown relation
  ok(begin_msg(0x10));
  fail(Bytes().ch('D').u32(16384).ch('N').u16(2).null().null());  // delete without old tuple
  ok(begin_msg(0x10));
  fail(Bytes().ch('T').u32(2).u8(0).u32(1));  // fewer oids than announced
  ok(begin_msg(0x10));
  fail(Bytes().raw(commit_msg(0x10, 0x20)).u8(0));  // trailing byte
  ok(begin_msg(0x10));
  fail(commit_msg(0x11, 0x20));  // commit LSN differs from Begin's final LSN
  fail(commit_msg(0x10, 0x20));  // commit outside a transaction
  fail(Bytes().ch('I').u32(16384).ch('N').u16(2).null().null());  // change outside a transaction
  ok(begin_msg(0x10));
  fail(begin_msg(0x20));  // nested Begin
  fail(Bytes().ch('S').u32(1).u8(1));  // protocol v2 stream start: not decoded here
}

}  // namespace
}  // namespace pgs3
