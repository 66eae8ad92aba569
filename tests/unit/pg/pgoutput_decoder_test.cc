#include "pg/pgoutput_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "pg/replication_connection.h"

namespace pgs3 {
namespace {

// Builds pgoutput messages byte by byte (protocol-logicalrep-message-formats): big-endian integers, NUL-terminated
// strings.
class Bytes {
 public:
  Bytes& u8(uint8_t v) { return put(v, 1); }
  Bytes& ch(char c) { return put(static_cast<uint8_t>(c), 1); }
  Bytes& u16(uint16_t v) { return put(v, 2); }
  Bytes& u32(uint32_t v) { return put(v, 4); }
  Bytes& u64(uint64_t v) { return put(v, 8); }
  Bytes& str(std::string_view s) {
    s_.append(s);
    s_ += '\0';
    return *this;
  }
  Bytes& raw(std::string_view s) {
    s_.append(s);
    return *this;
  }
  // Tuple value helpers.
  Bytes& null() { return ch('n'); }
  Bytes& unchanged() { return ch('u'); }
  Bytes& text(std::string_view v) { return ch('t').u32(static_cast<uint32_t>(v.size())).raw(v); }
  Bytes& binary(std::string_view v) { return ch('b').u32(static_cast<uint32_t>(v.size())).raw(v); }
  const std::string& str() const { return s_; }
  operator std::string_view() const { return s_; }  // NOLINT

 private:
  Bytes& put(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) s_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    return *this;
  }
  std::string s_;
};

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

TEST(PgoutputTextFormsTest, NumericTextToBinaryMatchesNumericSend) {
  std::string out;
  ASSERT_TRUE(numeric_text_to_binary("-12345.670", out));
  // ndigits 3, weight 1, sign NEG, dscale 3, digits 1 2345 6700.
  EXPECT_EQ(out, std::string("\x00\x03\x00\x01\x40\x00\x00\x03\x00\x01\x09\x29\x1a\x2c", 14));
  std::string round;
  ASSERT_TRUE(append_numeric_text(out.data(), static_cast<int32_t>(out.size()), round).is_ok());
  EXPECT_EQ(round, "-12345.670");
  for (const char* text : {"0", "0.00", "0.0001", "100000000", "3.14159265358979", "NaN", "Infinity", "-Infinity",
                           "-0.5", "99999999999999999999999999999.9999"}) {
    ASSERT_TRUE(numeric_text_to_binary(text, out)) << text;
    round.clear();
    ASSERT_TRUE(append_numeric_text(out.data(), static_cast<int32_t>(out.size()), round).is_ok()) << text;
    EXPECT_EQ(round, text);
  }
  EXPECT_FALSE(numeric_text_to_binary("1e5", out));
  EXPECT_FALSE(numeric_text_to_binary("", out));
  EXPECT_FALSE(numeric_text_to_binary("1.2.3", out));
}

TEST(PgoutputTextFormsTest, DatesTimesAndTimestamps) {
  int32_t days = 0;
  ASSERT_TRUE(date_text_to_days("2000-01-01", days));
  EXPECT_EQ(days, 0);
  ASSERT_TRUE(date_text_to_days("1970-01-01", days));
  EXPECT_EQ(days, -10957);
  ASSERT_TRUE(date_text_to_days("2024-02-29", days));
  EXPECT_EQ(days, 8825);
  ASSERT_TRUE(date_text_to_days("0001-01-01 BC", days));
  EXPECT_EQ(days, -730485);  // year 0 (1 BC) is a leap year: 366 days before 0001-01-01
  ASSERT_TRUE(date_text_to_days("infinity", days));
  EXPECT_EQ(days, INT32_MAX);
  EXPECT_FALSE(date_text_to_days("01/02/2024", days));
  int64_t micros = 0;
  ASSERT_TRUE(time_text_to_micros("13:45:07.25", micros));
  EXPECT_EQ(micros, (13 * 3600 + 45 * 60 + 7) * 1000000LL + 250000);
  ASSERT_TRUE(timestamp_text_to_micros("2000-01-02 00:00:01.000001", micros));
  EXPECT_EQ(micros, 86401000001LL);
  ASSERT_TRUE(timestamp_text_to_micros("2000-01-01 01:00:00+01", micros));
  EXPECT_EQ(micros, 0);
  ASSERT_TRUE(timestamp_text_to_micros("2000-01-01 00:00:00-05:30", micros));
  EXPECT_EQ(micros, 5LL * 3600000000LL + 30LL * 60000000LL);
  ASSERT_TRUE(timestamp_text_to_micros("-infinity", micros));
  EXPECT_EQ(micros, INT64_MIN);
  EXPECT_FALSE(timestamp_text_to_micros("2000-01-01T00:00:00", micros));
}

// public.v (every natively decoded kind) in text and in binary form give the same typed values.
TEST(TupleDecoderTest, TextAndBinaryFormsDecodeToTheSameValues) {
  RelationDescriptor rel;
  rel.oid = 1;
  rel.schema = "public";
  rel.name = "v";
  auto add = [&](const char* name, uint32_t oid, int32_t typmod = -1) {
    rel.columns.push_back(RelationColumn{name, false, oid, typmod});
  };
  add("b", 16);
  add("i2", 21);
  add("i8", 20);
  add("f8", 701);
  add("n", 1700, (10 << 16 | 2) + 4);
  add("d", 1082);
  add("ts", 1184);
  add("ba", 17);
  add("tt", 1266);
  add("iv", 1186);
  add("arr", 1007);  // int4[]: no native decoder
  TupleDecoder decoder(rel, TypeMappingOptions{});
  auto be = [](uint64_t v, int n) {
    std::string s;
    for (int i = n - 1; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
  };
  double f = -1.5;
  uint64_t fbits;
  std::memcpy(&fbits, &f, 8);
  std::vector<std::pair<std::string, std::string>> values = {
      {"t", "\x01"},
      {"-32768", be(static_cast<uint16_t>(-32768), 2)},
      {"9223372036854775807", be(INT64_MAX, 8)},
      {"-1.5", be(fbits, 8)},
      {"-12.34", std::string("\x00\x02\x00\x00\x40\x00\x00\x02\x00\x0c\x0d\x48", 12)},
      {"2024-02-29", be(8825, 4)},
      {"2000-01-01 00:00:01+00", be(1000000, 8)},
      {"\\xdeadbeef", "\xde\xad\xbe\xef"},
      {"10:00:00+02", be(36000000000ULL, 8) + be(static_cast<uint32_t>(-7200), 4)},
      {"1 day 02:00:00", be(7200000000ULL, 8) + be(1, 4) + be(0, 4)},
      {"{1,2}", ""},
  };
  ASSERT_EQ(values.size(), rel.columns.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const ColumnSpec& spec = decoder.columns()[i].spec;
    ColumnVector from_text(spec);
    ColumnVector from_binary(spec);
    Status s = decoder.append(i, TupleValue{TupleValueKind::kText, values[i].first}, from_text);
    ASSERT_TRUE(s.is_ok()) << rel.columns[i].name << ": " << s.message();
    if (rel.columns[i].name == std::string("arr")) {
      EXPECT_EQ(from_text.bytes_at(0), "{1,2}");
      Status b = decoder.append(i, TupleValue{TupleValueKind::kBinary, "\x00"}, from_binary);
      EXPECT_EQ(b.code(), StatusCode::kDataError);
      EXPECT_NE(b.message().find("\"arr\""), std::string::npos) << b.message();
      continue;
    }
    s = decoder.append(i, TupleValue{TupleValueKind::kBinary, values[i].second}, from_binary);
    ASSERT_TRUE(s.is_ok()) << rel.columns[i].name << ": " << s.message();
    ASSERT_EQ(from_text.values(), 1u);
    if (spec.physical == PhysicalType::kByteArray) {
      EXPECT_EQ(from_text.bytes_at(0), from_binary.bytes_at(0)) << rel.columns[i].name;
    } else if (spec.physical == PhysicalType::kFixedLenByteArray) {
      EXPECT_EQ(from_text.fixed_bytes_at(0), from_binary.fixed_bytes_at(0)) << rel.columns[i].name;
    } else {
      int w = value_width(spec);
      EXPECT_EQ(std::memcmp(from_text.fixed_data(), from_binary.fixed_data(), w), 0) << rel.columns[i].name;
    }
  }
}

TEST(TupleDecoderTest, NullsUnchangedToastAndBadText) {
  RelationDescriptor rel;
  rel.schema = "public";
  rel.name = "w";
  rel.columns.push_back(RelationColumn{"i", true, 23, -1});
  rel.columns.push_back(RelationColumn{"t", false, 25, -1});
  TupleDecoder decoder(rel, TypeMappingOptions{});
  ColumnVector ints(decoder.columns()[0].spec);
  ASSERT_TRUE(decoder.append(0, TupleValue{TupleValueKind::kNull, {}}, ints).is_ok());
  EXPECT_EQ(ints.null_count(), 1u);
  Status s = decoder.append(0, TupleValue{TupleValueKind::kText, "12x"}, ints);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  EXPECT_NE(s.message().find("\"public\".\"w\""), std::string::npos) << s.message();
  s = decoder.append(0, TupleValue{TupleValueKind::kText, "2147483648"}, ints);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  ColumnVector texts(decoder.columns()[1].spec);
  s = decoder.append(1, TupleValue{TupleValueKind::kUnchangedToast, {}}, texts);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(texts.rows(), 0u);
}

TEST(ReplicationConninfoTest, AddsReplicationDatabaseToKeyValueAndUri) {
  EXPECT_EQ(replication_conninfo("host=h port=5 dbname='my db'"),
            "dbname='my db' host='h' port='5' replication=database");
  std::string uri = replication_conninfo("postgresql://u@h:5/app?sslmode=disable&replication=true");
  EXPECT_NE(uri.find("user='u'"), std::string::npos) << uri;
  EXPECT_NE(uri.find("dbname='app'"), std::string::npos) << uri;
  EXPECT_NE(uri.find("sslmode='disable'"), std::string::npos) << uri;
  EXPECT_EQ(uri.find("replication='true'"), std::string::npos) << uri;
  EXPECT_NE(uri.find("replication=database"), std::string::npos) << uri;
  EXPECT_EQ(replication_conninfo("host=it\\'s"), "host='it\\'s' replication=database");
}

}  // namespace
}  // namespace pgs3
