#include "obs/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace pgs3 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsRegistryTest, EmptyRegistryRendersNothing) {
  MetricsRegistry r;
  EXPECT_EQ(r.render(), "");
}

TEST(MetricsRegistryTest, RendersHelpAndTypeOncePerNameAndSeriesSortedByLabels) {
  MetricsRegistry r;
  r.counter("pgs3_changes_total", "Changes received", {{"table", "public.b"}, {"op", "insert"}}).add(3);
  r.counter("pgs3_changes_total", "Changes received", {{"table", "public.a"}, {"op", "delete"}}).add();
  r.gauge("pgs3_slot_lag_bytes", "Slot lag").set(1024);
  EXPECT_EQ(r.render(),
            "# HELP pgs3_changes_total Changes received\n"
            "# TYPE pgs3_changes_total counter\n"
            "pgs3_changes_total{op=\"delete\",table=\"public.a\"} 1\n"
            "pgs3_changes_total{op=\"insert\",table=\"public.b\"} 3\n"
            "# HELP pgs3_slot_lag_bytes Slot lag\n"
            "# TYPE pgs3_slot_lag_bytes gauge\n"
            "pgs3_slot_lag_bytes 1024\n");
}

TEST(MetricsRegistryTest, SameNameAndLabelsInAnyOrderGiveTheSameObject) {
  MetricsRegistry r;
  Counter& a = r.counter("x_total", "x", {{"a", "1"}, {"b", "2"}});
  Counter& b = r.counter("x_total", "x", {{"b", "2"}, {"a", "1"}});
  Counter& c = r.counter("x_total", "x", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  Gauge& g1 = r.gauge("g", "g");
  Gauge& g2 = r.gauge("g", "g");
  EXPECT_EQ(&g1, &g2);
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelpText) {
  MetricsRegistry r;
  r.counter("esc_total", "line one\nback\\slash \"quoted\"", {{"table", "we\"ird\\na\nme"}}).add(2);
  std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("# HELP esc_total line one\\nback\\\\slash \"quoted\"\n"));
  EXPECT_THAT(text, HasSubstr("esc_total{table=\"we\\\"ird\\\\na\\nme\"} 2\n"));
  // Every line is one sample or comment: the raw newline of the value never reaches the output.
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    EXPECT_TRUE(line.starts_with("#") || line.starts_with("esc_total")) << line;
    start = end + 1;
  }
}

TEST(MetricsRegistryTest, KeepsNonAsciiLabelValuesAsUtf8) {
  MetricsRegistry r;
  r.gauge("lag_seconds", "lag", {{"table", "\"Sales Data\".\"Größe\""}}).set(1.5);
  EXPECT_THAT(r.render(), HasSubstr("lag_seconds{table=\"\\\"Sales Data\\\".\\\"Größe\\\"\"} 1.5\n"));
}

TEST(MetricsRegistryTest, GaugesSetAddAndPrintShortestDoubles) {
  MetricsRegistry r;
  Gauge& g = r.gauge("g", "g");
  g.set(0.1);
  g.add(0.2);
  EXPECT_DOUBLE_EQ(g.value(), 0.30000000000000004);
  EXPECT_THAT(r.render(), HasSubstr("\ng 0.30000000000000004\n"));
  g.set(-3);
  EXPECT_THAT(r.render(), HasSubstr("\ng -3\n"));
  g.set(std::numeric_limits<double>::infinity());
  EXPECT_THAT(r.render(), HasSubstr("\ng +Inf\n"));
  g.set(-std::numeric_limits<double>::infinity());
  EXPECT_THAT(r.render(), HasSubstr("\ng -Inf\n"));
  g.set(std::nan(""));
  EXPECT_THAT(r.render(), HasSubstr("\ng NaN\n"));
  g.set(1e21);
  EXPECT_THAT(r.render(), HasSubstr("\ng 1e+21\n"));
}

TEST(MetricsRegistryTest, CountersPrintFullUint64) {
  MetricsRegistry r;
  Counter& c = r.counter("big_total", "big");
  c.add(18446744073709551615ull);
  EXPECT_THAT(r.render(), HasSubstr("\nbig_total 18446744073709551615\n"));
}

TEST(MetricsRegistryTest, ValidatesMetricAndLabelNames) {
  EXPECT_TRUE(MetricsRegistry::valid_metric_name("pgs3_rows_total"));
  EXPECT_TRUE(MetricsRegistry::valid_metric_name("ns:sub_total"));
  EXPECT_TRUE(MetricsRegistry::valid_metric_name("_x9"));
  EXPECT_FALSE(MetricsRegistry::valid_metric_name(""));
  EXPECT_FALSE(MetricsRegistry::valid_metric_name("9lives"));
  EXPECT_FALSE(MetricsRegistry::valid_metric_name("rows-total"));
  EXPECT_FALSE(MetricsRegistry::valid_metric_name("rows total"));
  EXPECT_FALSE(MetricsRegistry::valid_metric_name("größe"));
  EXPECT_TRUE(MetricsRegistry::valid_label_name("table"));
  EXPECT_TRUE(MetricsRegistry::valid_label_name("_op2"));
  EXPECT_FALSE(MetricsRegistry::valid_label_name("__name__"));
  EXPECT_FALSE(MetricsRegistry::valid_label_name("a:b"));
  EXPECT_FALSE(MetricsRegistry::valid_label_name("2x"));
  EXPECT_FALSE(MetricsRegistry::valid_label_name(""));
}

TEST(MetricsRegistryTest, InvalidRequestsGetWorkingObjectsThatAreNotRendered) {
  MetricsRegistry r;
  r.counter("bad-name", "x").add(5);
  r.counter("ok_total", "x", {{"bad-label", "v"}}).add(5);
  r.counter("dup_total", "x", {{"a", "1"}, {"a", "2"}}).add(5);
  r.counter("typed", "typed as counter first").add(7);
  Gauge& wrong = r.gauge("typed", "now as gauge");
  wrong.set(9);
  EXPECT_EQ(wrong.value(), 9);
  EXPECT_EQ(r.render(),
            "# HELP typed typed as counter first\n"
            "# TYPE typed counter\n"
            "typed 7\n");
}

TEST(MetricsRegistryTest, ConcurrentAddsAndRegistrationsLoseNothing) {
  MetricsRegistry r;
  constexpr int kThreads = 8;
  constexpr int kAdds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      Counter& shared = r.counter("shared_total", "shared");
      Gauge& level = r.gauge("level", "level");
      for (int i = 0; i < kAdds; ++i) {
        shared.add();
        level.add(1);
        // Registration of new and existing series from every thread, and renders, while others add.
        if (i % 1000 == 0) {
          r.counter("per_thread_total", "per thread", {{"thread", std::to_string(t)}}).add();
          (void)r.render();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(r.counter("shared_total", "shared").value(), uint64_t{kThreads} * kAdds);
  EXPECT_EQ(r.gauge("level", "level").value(), double{kThreads} * kAdds);
  std::string text = r.render();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_THAT(text, HasSubstr("per_thread_total{thread=\"" + std::to_string(t) + "\"} " +
                                std::to_string(kAdds / 1000)));
  }
  EXPECT_THAT(text, Not(HasSubstr("bad")));
}

TEST(MetricsRegistryTest, ProcessRegistryIsOneObject) { EXPECT_EQ(&metrics(), &metrics()); }

}  // namespace
}  // namespace pgs3
