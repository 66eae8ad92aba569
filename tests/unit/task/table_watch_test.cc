// The table watch's decisions (task/table_watch.h): the checkpoint's tables against catalog readings and Relation
// messages — new, recreated, renamed, attached and dropped tables, and partitions attached, detached, truncated or
// created empty.
#include "task/table_watch.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

SelectionRule include(const std::string& schema, const std::string& table) {
  SelectionRule r;
  r.rule_id = "1";
  r.rule_name = "1";
  r.schema_pattern = schema;
  r.table_pattern = table;
  r.action = SelectionRule::Action::kInclude;
  return r;
}

class TableWatchTest : public ::testing::Test {
 protected:
  TableWatchTest() : selector_({include("public", "%")}) {
    checkpoint_.phase = CheckpointPhase::kCdc;
    checkpoint_.table_entry(100, "public", "orders");
    TableCheckpoint& events = checkpoint_.table_entry(200, "public", "events");
    events.partitions = std::vector<PartitionCheckpoint>{{201, 201}, {202, 202}};
    catalog_.tables = {{100, "public", "orders", false},
                       {200, "public", "events", false},
                       {201, "public", "events_1", true},
                       {202, "public", "events_2", true},
                       {300, "other", "unselected", false}};
    catalog_.partitions = {{200, 201, 201, "public.events_1", std::nullopt},
                           {200, 202, 202, "public.events_2", std::nullopt}};
    catalog_.wal_insert_lsn = 0x5000;
  }

  CatalogFindings compare() { return compare_catalog(selector_, checkpoint_, roots_, catalog_); }

  static std::string message(const CatalogFindings& f) { return f.stop.message(); }

  TableSelector selector_;
  Checkpoint checkpoint_;
  CatalogSnapshot catalog_;
  std::set<uint32_t> roots_{200};
};

TEST_F(TableWatchTest, AnUnchangedCatalogFindsNothing) {
  CatalogFindings f = compare();
  EXPECT_TRUE(f.stop.is_ok()) << message(f);
  EXPECT_TRUE(f.dropped.empty());
  EXPECT_TRUE(f.partitions.empty());
}

TEST_F(TableWatchTest, ASelectedTableTheTaskDoesNotKnowStopsNamingItAndTheReload) {
  catalog_.tables.push_back({400, "public", "created later", false});
  CatalogFindings f = compare();
  EXPECT_EQ(f.stop.code(), StatusCode::kBadInput);
  EXPECT_NE(message(f).find("table \"public\".\"created later\" (relation OID 400) is selected by tableMappings but "
                            "was not part of the task's full load"),
            std::string::npos)
      << message(f);
  EXPECT_NE(message(f).find("pgs3 drop --purge-target"), std::string::npos) << message(f);
}

// Issue 13, item 2: a full-load-and-cdc task loads a new table in a snapshot of its own: the catalog check reports
// it instead of stopping, and its Relation message mid-stream asks for a restart (which loads it). A table dropped
// and created again under a known name still stops.
TEST_F(TableWatchTest, ATaskThatLoadsNewTablesReportsThemInsteadOfStopping) {
  catalog_.tables.push_back({400, "public", "created later", false});
  CatalogFindings f = compare_catalog(selector_, checkpoint_, roots_, catalog_, {.load_new_tables = true});
  EXPECT_TRUE(f.stop.is_ok()) << message(f);
  EXPECT_EQ(f.new_tables, std::vector<uint32_t>{400});

  RelationDescriptor relation;
  relation.oid = 400;
  relation.schema = "public";
  relation.name = "created later";
  Status st = check_relation(selector_, checkpoint_, relation, {.load_new_tables = true});
  EXPECT_EQ(st.code(), StatusCode::kRestart) << st.message();
  EXPECT_NE(st.message().find("starts again to load it in a snapshot of its own"), std::string::npos);
  EXPECT_EQ(check_relation(selector_, checkpoint_, relation).code(), StatusCode::kBadInput);

  catalog_.tables[0].oid = 101;  // orders dropped and created again
  f = compare_catalog(selector_, checkpoint_, roots_, catalog_, {.load_new_tables = true});
  EXPECT_EQ(f.stop.code(), StatusCode::kBadInput);
  EXPECT_NE(message(f).find("was dropped and created again"), std::string::npos) << message(f);
}

TEST_F(TableWatchTest, ATableDroppedAndCreatedAgainIsDroppedThenUnknown) {
  catalog_.tables[0].oid = 101;  // orders has a new OID
  CatalogFindings f = compare();
  EXPECT_EQ(f.stop.code(), StatusCode::kBadInput);
  EXPECT_NE(message(f).find("\"public\".\"orders\" was dropped and created again (its relation OID is now 101)"),
            std::string::npos)
      << message(f);
}

TEST_F(TableWatchTest, AWatchedTableWhoseOidIsGoneIsDropped) {
  catalog_.tables.erase(catalog_.tables.begin());
  CatalogFindings f = compare();
  EXPECT_TRUE(f.stop.is_ok()) << message(f);
  EXPECT_EQ(f.dropped, std::vector<uint32_t>{100});
  checkpoint_.table_entry(100, "public", "orders").dropped = true;  // handled: not reported again
  EXPECT_TRUE(compare().dropped.empty());
}

TEST_F(TableWatchTest, ARenamedTableStopsNamingOldAndNewNames) {
  catalog_.tables[0].name = "orders_v2";
  CatalogFindings f = compare();
  EXPECT_EQ(f.stop.code(), StatusCode::kBadInput);
  EXPECT_NE(message(f).find("table \"public\".\"orders\" (relation OID 100) was renamed to \"public\".\"orders_v2\""),
            std::string::npos)
      << message(f);
  // Out of the selection: said so.
  catalog_.tables[0].schema = "other";
  EXPECT_NE(message(compare()).find("a name tableMappings do not select"), std::string::npos);
}

TEST_F(TableWatchTest, AnEntryNoLongerSelectedIsNotWatched) {
  selector_ = TableSelector({include("public", "events")});
  catalog_.tables.erase(catalog_.tables.begin());  // orders dropped, but the task no longer selects it
  CatalogFindings f = compare();
  EXPECT_TRUE(f.stop.is_ok()) << message(f);
  EXPECT_TRUE(f.dropped.empty());
}

TEST_F(TableWatchTest, ATableAttachedAsAPartitionStops) {
  catalog_.tables[0].is_partition = true;
  EXPECT_NE(message(compare()).find("was attached as a partition"), std::string::npos);
}

TEST_F(TableWatchTest, ATruncatedPartitionStopsNamingPartitionAndRoot) {
  catalog_.partitions[1].relfilenode = 999;
  CatalogFindings f = compare();
  EXPECT_EQ(f.stop.code(), StatusCode::kBadInput);
  EXPECT_NE(message(f).find("partition public.events_2 was truncated"), std::string::npos) << message(f);
  EXPECT_NE(message(f).find("of partitioned table \"public\".\"events\""), std::string::npos) << message(f);
}

TEST_F(TableWatchTest, ADetachedPartitionStops) {
  catalog_.partitions.pop_back();
  catalog_.tables[3].is_partition = false;  // events_2 is a table of its own now
  CatalogFindings f = compare();
  EXPECT_NE(message(f).find("partition \"public\".\"events_2\" was detached or dropped"), std::string::npos)
      << message(f);
}

TEST_F(TableWatchTest, ANewPartitionWithRowsStopsAndAnEmptyOneIsRecorded) {
  catalog_.tables.push_back({203, "public", "events_3", true});
  catalog_.partitions.push_back({200, 203, 203, "public.events_3", false});
  EXPECT_NE(message(compare()).find("partition public.events_3 was attached with rows"), std::string::npos);

  catalog_.partitions.back().empty = true;
  CatalogFindings f = compare();
  EXPECT_TRUE(f.stop.is_ok()) << message(f);
  ASSERT_EQ(f.partitions.size(), 1u);
  EXPECT_EQ(f.partitions[0].first, 200u);
  EXPECT_EQ(f.partitions[0].second, (std::vector<PartitionCheckpoint>{{201, 201}, {202, 202}, {203, 203}}));
}

TEST_F(TableWatchTest, PartitionsNotRecordedYetAreRecorded) {
  checkpoint_.table_entry(200, "public", "events").partitions.reset();
  CatalogFindings f = compare();
  EXPECT_TRUE(f.stop.is_ok()) << message(f);
  ASSERT_EQ(f.partitions.size(), 1u);
  EXPECT_EQ(f.partitions[0].second, (std::vector<PartitionCheckpoint>{{201, 201}, {202, 202}}));
  EXPECT_EQ(recorded_leaves(checkpoint_, roots_), std::vector<uint32_t>{});
}

TEST_F(TableWatchTest, RelationMessagesOfRenamedOrUnknownSelectedTablesStop) {
  RelationDescriptor r;
  r.oid = 100;
  r.schema = "public";
  r.name = "orders";
  EXPECT_TRUE(check_relation(selector_, checkpoint_, r).is_ok());
  r.name = "orders_v2";
  EXPECT_NE(check_relation(selector_, checkpoint_, r).message().find("was renamed to \"public\".\"orders_v2\""),
            std::string::npos);
  r.oid = 500;  // a table created under a FOR ALL TABLES publication
  r.name = "fresh";
  EXPECT_EQ(check_relation(selector_, checkpoint_, r).code(), StatusCode::kBadInput);
  r.schema = "other";  // not selected: ignored, as before
  EXPECT_TRUE(check_relation(selector_, checkpoint_, r).is_ok());
  checkpoint_.table_entry(100, "public", "orders").dropped = true;  // a replay of a dropped table's changes
  r.oid = 100;
  r.schema = "public";
  r.name = "orders";
  EXPECT_TRUE(check_relation(selector_, checkpoint_, r).is_ok());
}

}  // namespace
}  // namespace pgs3
