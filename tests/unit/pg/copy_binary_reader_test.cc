#include "pg/copy_binary_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pgs3 {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// Captured from PostgreSQL 15:
//   COPY (SELECT i, CASE WHEN i%2=0 THEN NULL ELSE repeat('x', i) END, ''::text, 'é'::text
//         FROM generate_series(1,4) i) TO STDOUT (FORMAT binary)
const std::string kStream = from_hex(
    "5047434f50590aff0d0a0000000000000000000004000000040000000100000001780000000000000002c3a90004000000040000000"
    "2ffffffff0000000000000002c3a900040000000400000003000000037878780000000000000002c3a9000400000004000000"
    "04ffffffff0000000000000002c3a9ffff");

// What the rows of kStream are, as text with "<NULL>" for NULL, fields joined by '|'.
const std::vector<std::string> kRows = {
    std::string("\0\0\0\1", 4) + "|x||\xc3\xa9",
    std::string("\0\0\0\2", 4) + "|<NULL>||\xc3\xa9",
    std::string("\0\0\0\3", 4) + "|xxx||\xc3\xa9",
    std::string("\0\0\0\4", 4) + "|<NULL>||\xc3\xa9",
};

struct Collector {
  std::vector<std::string> rows;
  CopyBinaryReader::RowCallback callback() {
    return [this](std::span<const CopyField> fields) {
      std::string row;
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) row += '|';
        row += fields[i].is_null() ? std::string("<NULL>") : std::string(fields[i].view());
      }
      rows.push_back(row);
      return Status::ok();
    };
  }
};

// Feeds `stream` cut at the given offsets and returns the rows, asserting a clean end.
std::vector<std::string> parse_with_cuts(const std::string& stream, const std::vector<size_t>& cuts) {
  Collector c;
  CopyBinaryReader reader(4, c.callback());
  size_t at = 0;
  for (size_t cut : cuts) {
    Status s = reader.feed(std::string_view(stream).substr(at, cut - at));
    EXPECT_TRUE(s.is_ok()) << s.message();
    at = cut;
  }
  Status s = reader.feed(std::string_view(stream).substr(at));
  EXPECT_TRUE(s.is_ok()) << s.message();
  Status end = reader.finish();
  EXPECT_TRUE(end.is_ok()) << end.message();
  EXPECT_EQ(reader.rows(), c.rows.size());
  return c.rows;
}

TEST(CopyBinaryReaderTest, ParsesRowsCapturedFromPostgres) { EXPECT_EQ(parse_with_cuts(kStream, {}), kRows); }

TEST(CopyBinaryReaderTest, EveryTwoWaySplitGivesTheSameRows) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    ASSERT_EQ(parse_with_cuts(kStream, {cut}), kRows) << "cut at " << cut;
  }
}

TEST(CopyBinaryReaderTest, EveryThreeWaySplitGivesTheSameRows) {
  for (size_t a = 0; a <= kStream.size(); ++a) {
    for (size_t b = a; b <= kStream.size(); ++b) {
      ASSERT_EQ(parse_with_cuts(kStream, {a, b}), kRows) << "cuts at " << a << ", " << b;
    }
  }
}

TEST(CopyBinaryReaderTest, EveryFixedChunkSizeGivesTheSameRows) {
  for (size_t size = 1; size <= kStream.size(); ++size) {
    std::vector<size_t> cuts;
    for (size_t at = size; at < kStream.size(); at += size) cuts.push_back(at);
    ASSERT_EQ(parse_with_cuts(kStream, cuts), kRows) << "chunk size " << size;
  }
}

TEST(CopyBinaryReaderTest, EmptyChunksAreHarmless) {
  Collector c;
  CopyBinaryReader reader(4, c.callback());
  for (char ch : kStream) {
    ASSERT_TRUE(reader.feed("").is_ok());
    ASSERT_TRUE(reader.feed(std::string_view(&ch, 1)).is_ok());
  }
  ASSERT_TRUE(reader.finish().is_ok());
  EXPECT_EQ(c.rows, kRows);
}

TEST(CopyBinaryReaderTest, SkipsHeaderExtension) {
  std::string stream = kStream;
  // Header extension length 3, then 3 bytes of extension data.
  stream.replace(15, 4, std::string("\0\0\0\3", 4) + "abc");
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    ASSERT_EQ(parse_with_cuts(stream, {cut}), kRows) << "cut at " << cut;
  }
}

TEST(CopyBinaryReaderTest, ZeroFieldRows) {
  // COPY (SELECT FROM generate_series(1,2)) TO STDOUT (FORMAT binary): two tuples of zero fields.
  std::string stream = kStream.substr(0, 19) + std::string("\0\0\0\0\xff\xff", 6);
  int rows = 0;
  CopyBinaryReader reader(0, [&](std::span<const CopyField> fields) {
    EXPECT_TRUE(fields.empty());
    ++rows;
    return Status::ok();
  });
  ASSERT_TRUE(reader.feed(stream).is_ok());
  ASSERT_TRUE(reader.finish().is_ok());
  EXPECT_EQ(rows, 2);
}

TEST(CopyBinaryReaderTest, RejectsBadSignature) {
  std::string stream = kStream;
  stream[0] = 'X';
  Collector c;
  CopyBinaryReader reader(4, c.callback());
  Status s = reader.feed(stream);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  EXPECT_NE(s.message().find("signature"), std::string::npos);
}

TEST(CopyBinaryReaderTest, RejectsOidsAndUnknownCriticalFlags) {
  for (char flag_byte : {'\x01', '\x02'}) {  // bit 16 (OIDs), bit 17 (unknown critical)
    std::string stream = kStream;
    stream[12] = flag_byte;  // flags are bytes 11..14, big-endian: byte 12 holds bits 16..23
    Collector c;
    CopyBinaryReader reader(4, c.callback());
    EXPECT_EQ(reader.feed(stream).code(), StatusCode::kDataError);
  }
  // Non-critical flags (low 16 bits) are ignored.
  std::string stream = kStream;
  stream[14] = '\x01';
  EXPECT_EQ(parse_with_cuts(stream, {}), kRows);
}

TEST(CopyBinaryReaderTest, RejectsWrongFieldCount) {
  Collector c;
  CopyBinaryReader reader(3, c.callback());
  Status s = reader.feed(kStream);
  EXPECT_EQ(s.code(), StatusCode::kDataError);
  EXPECT_NE(s.message().find("4 fields, expected 3"), std::string::npos) << s.message();
}

TEST(CopyBinaryReaderTest, RejectsNegativeLengthOtherThanNull) {
  std::string stream = kStream;
  // First field's length word of the first tuple: offset 19 + 2.
  stream.replace(21, 4, std::string("\xff\xff\xff\xfe", 4));
  Collector c;
  CopyBinaryReader reader(4, c.callback());
  EXPECT_EQ(reader.feed(stream).code(), StatusCode::kDataError);
}

TEST(CopyBinaryReaderTest, RejectsDataAfterTrailer) {
  for (size_t cut = 0; cut <= kStream.size() + 1; ++cut) {
    std::string stream = kStream + "z";
    Collector c;
    CopyBinaryReader reader(4, c.callback());
    Status first = reader.feed(std::string_view(stream).substr(0, cut));
    Status second = first.is_ok() ? reader.feed(std::string_view(stream).substr(cut)) : first;
    EXPECT_EQ(second.code(), StatusCode::kDataError) << "cut at " << cut;
  }
}

TEST(CopyBinaryReaderTest, FinishReportsTruncatedStream) {
  for (size_t length = 0; length < kStream.size(); ++length) {
    Collector c;
    CopyBinaryReader reader(4, c.callback());
    ASSERT_TRUE(reader.feed(std::string_view(kStream).substr(0, length)).is_ok());
    Status s = reader.finish();
    EXPECT_EQ(s.code(), StatusCode::kDataError) << "length " << length;
  }
}

TEST(CopyBinaryReaderTest, CallbackFailureStopsTheStream) {
  int calls = 0;
  CopyBinaryReader reader(4, [&](std::span<const CopyField>) {
    ++calls;
    return calls == 2 ? Status::cancelled("stop") : Status::ok();
  });
  Status s = reader.feed(kStream);
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 2);
}

TEST(CopyBinaryReaderTest, LargeFieldAcrossManyChunks) {
  std::string value(100000, 'v');
  std::string stream = kStream.substr(0, 19);
  stream += std::string("\0\1", 2);
  uint32_t len = static_cast<uint32_t>(value.size());
  stream += static_cast<char>(len >> 24);
  stream += static_cast<char>(len >> 16);
  stream += static_cast<char>(len >> 8);
  stream += static_cast<char>(len);
  stream += value;
  stream += std::string("\xff\xff", 2);
  std::string got;
  CopyBinaryReader reader(1, [&](std::span<const CopyField> fields) {
    got = std::string(fields[0].view());
    return Status::ok();
  });
  for (size_t at = 0; at < stream.size(); at += 777) {
    ASSERT_TRUE(reader.feed(std::string_view(stream).substr(at, 777)).is_ok());
  }
  ASSERT_TRUE(reader.finish().is_ok());
  EXPECT_EQ(got, value);
}

}  // namespace
}  // namespace pgs3
