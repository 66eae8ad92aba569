#include "obs/task_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace pgs3 {
namespace {

using ::testing::HasSubstr;

TEST(TaskMetricsTest, TableSeriesAreCreatedOnceAndRenderedWithSchemaTableAndOp) {
  MetricsRegistry registry;
  TaskMetrics m(registry, "orders-to-lake", "full-load-and-cdc");
  TableMetrics& orders = m.table("public", "orders");
  EXPECT_EQ(&orders, &m.table("public", "orders"));
  EXPECT_NE(&orders, &m.table("Sales Data", "orders"));
  orders.inserts.add(3);
  orders.deletes.add();
  orders.cdc_rows_written.add(4);
  orders.cdc_bytes_written.add(1234);
  orders.cdc_files_written.add();
  m.retries("s3_5xx").add(2);
  m.slot_lag_bytes.set(65536);
  std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("pgs3_changes_total{op=\"insert\",schema=\"public\",table=\"orders\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("pgs3_changes_total{op=\"delete\",schema=\"public\",table=\"orders\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("pgs3_changes_total{op=\"update\",schema=\"public\",table=\"orders\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("pgs3_rows_written_total{kind=\"cdc\",schema=\"public\",table=\"orders\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("pgs3_bytes_written_total{kind=\"cdc\",schema=\"public\",table=\"orders\"} 1234\n"));
  EXPECT_THAT(text, HasSubstr("pgs3_files_written_total{kind=\"load\",schema=\"Sales Data\",table=\"orders\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("pgs3_retries_total{cause=\"s3_5xx\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("pgs3_slot_lag_bytes 65536\n"));
  EXPECT_THAT(text, HasSubstr("pgs3_info{migration_type=\"full-load-and-cdc\",task_id=\"orders-to-lake\",version=\"" +
                              std::string(PGS3_VERSION) + "\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE pgs3_cdc_latency_source_seconds gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE pgs3_checkpoints_total counter\n"));
}

}  // namespace
}  // namespace pgs3
