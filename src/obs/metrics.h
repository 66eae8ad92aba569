// Metrics: process-wide counters and gauges, rendered in Prometheus' text exposition format (version 0.0.4) for the
// /metrics endpoint of obs/metrics_server.h.
//
// Component `obs` (observability): depends on `base` only; `task` and `cli` record into it. It knows nothing about
// PostgreSQL or files: callers choose the names, help texts and labels.
//
// Usage:
//   Counter& rows = metrics().counter("pgs3_rows_written_total", "Rows written to files", {{"table",
//   "public.orders"}}); rows.add(n);  // one relaxed atomic add: cheap enough for the hot path
//
// A series is a metric name plus a set of labels (pairs name=value; their order does not matter). counter() and
// gauge() return the same object for the same name and labels, created on first use; the reference stays valid for
// the registry's whole life, so callers keep it rather than look it up on every change. One name has one type and
// one help text: the first registration sets them.
//
// Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__", not
// repeated). Label values may hold any UTF-8 text: render() escapes them. A misuse — an invalid name, a label name
// repeated, a name registered again with the other type — is a bug in pgs3: it is logged as an error once per name,
// and the caller gets a working object that is never rendered (a metric must never stop replication).
//
// Thread-safety: every method may be called from any thread. Counter and Gauge values are atomics; registration and
// render() take the registry's mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgs3 {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A value that only goes up (Prometheus counter): events, rows, bytes. Restarts from 0 with the process.
class Counter {
 public:
  void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (Prometheus gauge): lag, memory in use, a timestamp.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});

  // Every registered series, families sorted by name and series by labels (sorted by label name):
  //   # HELP pgs3_rows_written_total Rows written to files
  //   # TYPE pgs3_rows_written_total counter
  //   pgs3_rows_written_total{table="public.orders"} 42
  // HELP text escapes '\' and newline; label values escape '\', '"' and newline. Gauges print the shortest text
  // that reads back to the same double ("NaN", "+Inf", "-Inf" for those).
  std::string render() const;

  // Validity of names, as above (exposed for tests and for callers that build names from data).
  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);

 private:
  enum class Type { kCounter, kGauge };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
  };
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, Series> series;  // labels sorted by name
  };

  // The series for (name, labels), created if needed; null when the request is invalid (logged once).
  Series* find_or_create(std::string_view name, std::string_view help, Labels labels, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  // Objects handed out for invalid requests: they work but are never rendered.
  std::vector<std::unique_ptr<Series>> orphans_;
  std::vector<std::string> reported_;  // names whose misuse was already logged
};

// The registry of this process (what `pgs3 run --metrics-listen` serves).
MetricsRegistry& metrics();

}  // namespace pgs3
