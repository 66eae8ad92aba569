#include "pg/table_reader.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

SourceTable table_with(char relkind) {
  SourceTable t;
  t.schema = "Sales Data";
  t.name = "Order \"Items\"";
  t.relkind = relkind;
  SourceColumn id;
  id.name = "id";
  id.type_oid = id.base_type_oid = 23;
  SourceColumn tags;
  tags.name = "tags";
  tags.type_oid = tags.base_type_oid = 1009;
  tags.base_type_name = "_text";
  tags.is_array = true;
  t.columns = {id, tags};
  return t;
}

TEST(TableReaderTest, CopyStatementReadsOnlyTheTableItself) {
  SourceTable t = table_with('r');
  TableReader reader(t, map_columns(t, {}));
  EXPECT_EQ(reader.copy_sql(),
            "COPY (SELECT \"id\", \"tags\"::text FROM ONLY \"Sales Data\".\"Order \"\"Items\"\"\") TO STDOUT "
            "(FORMAT binary)");
}

TEST(TableReaderTest, PartitionedRootIsReadThroughTheRoot) {
  SourceTable t = table_with('p');
  TableReader reader(t, map_columns(t, {}));
  EXPECT_EQ(reader.copy_sql(),
            "COPY (SELECT \"id\", \"tags\"::text FROM \"Sales Data\".\"Order \"\"Items\"\"\") TO STDOUT "
            "(FORMAT binary)");
}

TEST(TableReaderTest, TableWithoutColumns) {
  SourceTable t = table_with('r');
  t.columns.clear();
  TableReader reader(t, map_columns(t, {}));
  EXPECT_EQ(reader.copy_sql(),
            "COPY (SELECT FROM ONLY \"Sales Data\".\"Order \"\"Items\"\"\") TO STDOUT (FORMAT binary)");
}

}  // namespace
}  // namespace pgs3
