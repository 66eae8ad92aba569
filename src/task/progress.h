// Progress: what a running full load shows its operator.
//
// On a terminal (live mode) a block of lines, one per table being loaded — rows done / rows estimated from
// pg_class.reltuples, percentage, rate, segments done / total, estimated time left — is redrawn twice a second below
// the log; otherwise (logs going to a file or a collector) one log line when a table starts and one when it finishes.
// Thread-safe: workers call table_started/add_rows/table_finished concurrently; the redraw runs on its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"

namespace pgs3 {

class TableProgress {
 public:
  TableProgress(std::string name, double estimated_rows, size_t segments)
      : name_(std::move(name)),
        estimated_rows_(estimated_rows),
        segments_(segments),
        started_(std::chrono::steady_clock::now()) {}
  void add_rows(uint64_t n) { rows_.fetch_add(n, std::memory_order_relaxed); }
  void segment_done() { segments_done_.fetch_add(1, std::memory_order_relaxed); }
  size_t segments() const { return segments_; }
  size_t segments_done() const { return segments_done_.load(std::memory_order_relaxed); }
  uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  const std::string& name() const { return name_; }
  double estimated_rows() const { return estimated_rows_; }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(); }

 private:
  std::string name_;
  double estimated_rows_;
  size_t segments_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<uint64_t> rows_{0};
  std::atomic<size_t> segments_done_{0};
};

class Progress final : public TerminalOverlay {
 public:
  explicit Progress(bool live);
  ~Progress() override;
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // The returned object stays valid until the Progress is destroyed. `segments`: how many parts of the table are
  // read in parallel (task/load_plan.h); the line shows how many are done, and an estimate of the time left.
  TableProgress* table_started(const std::string& name, double estimated_rows, size_t segments = 1);
  void table_finished(TableProgress* table, uint64_t bytes, uint64_t files);

  // TerminalOverlay, called by the logger with its lock held.
  void erase() override;
  void redraw() override;

 private:
  void redraw_loop();
  std::string line_for(const TableProgress& t) const;

  bool live_;
  std::mutex mutex_;  // guards tables_, active_, drawn_lines_
  std::vector<std::unique_ptr<TableProgress>> tables_;
  std::vector<TableProgress*> active_;
  int drawn_lines_ = 0;
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread thread_;
};

// "1,234,567"
std::string group_thousands(uint64_t n);
// A time left, "42s", "3m07s", "2h15m".
std::string eta_text(double seconds);

}  // namespace pgs3
