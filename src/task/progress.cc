#include "task/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/byte_size.h"

namespace pgs3 {

std::string group_thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  return std::string(out.rbegin(), out.rend());
}

std::string eta_text(double seconds) {
  const auto s = static_cast<uint64_t>(std::llround(std::max(0.0, seconds)));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  }
  return buf;
}

Progress::Progress(bool live) : live_(live) {
  if (live_) {
    set_terminal_overlay(this);
    thread_ = std::thread([this] { redraw_loop(); });
  }
}

Progress::~Progress() {
  if (live_) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    with_log_lock([](void* self) { static_cast<Progress*>(self)->erase(); }, this);
    set_terminal_overlay(nullptr);
  }
}

TableProgress* Progress::table_started(const std::string& name, double estimated_rows, size_t segments) {
  TableProgress* t;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tables_.push_back(std::make_unique<TableProgress>(name, estimated_rows, segments));
    t = tables_.back().get();
    active_.push_back(t);
  }
  if (!live_) {
    log_info("loading " + name +
             (estimated_rows > 0 ? " (about " + group_thousands(static_cast<uint64_t>(estimated_rows)) + " rows"
                                 : std::string(" (row count not yet estimated by ANALYZE")) +
             (segments > 1 ? ", in " + std::to_string(segments) + " segments)" : std::string(")")));
  }
  return t;
}

void Progress::table_finished(TableProgress* table, uint64_t bytes, uint64_t files) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase(active_, table);
  }
  double secs = table->seconds();
  char rate[48];
  std::snprintf(rate, sizeof rate, "%.0f rows/s", secs > 0 ? static_cast<double>(table->rows()) / secs : 0.0);
  char took[32];
  std::snprintf(took, sizeof took, "%.2f s", secs);
  log_info("loaded " + table->name() + ": " + group_thousands(table->rows()) + " rows, " + std::to_string(files) +
           (files == 1 ? " file, " : " files, ") + human_bytes(bytes) + " in " + took + " (" + rate +
           (table->segments() > 1 ? ", " + std::to_string(table->segments()) + " segments" : std::string()) + ")");
}

std::string Progress::line_for(const TableProgress& t) const {
  uint64_t rows = t.rows();
  double secs = t.seconds();
  char buf[96];
  double pct = t.estimated_rows() > 0 ? 100.0 * static_cast<double>(rows) / t.estimated_rows() : 0.0;
  if (pct > 99.9) pct = 99.9;  // reltuples is an estimate: never claim 100% before the table is done
  const double rate = secs > 0 ? static_cast<double>(rows) / secs : 0.0;
  std::snprintf(buf, sizeof buf, " %5.1f%% %.0f rows/s", pct, rate);
  std::string line = "  " + t.name() + "  " + group_thousands(rows) + " / ~" +
                     group_thousands(static_cast<uint64_t>(t.estimated_rows())) + buf;
  if (t.segments() > 1) {
    line += "  segments " + std::to_string(t.segments_done()) + "/" + std::to_string(t.segments());
  }
  if (rate > 0 && t.estimated_rows() > static_cast<double>(rows)) {
    line += "  ETA " + eta_text((t.estimated_rows() - static_cast<double>(rows)) / rate);
  }
  return line;
}

void Progress::erase() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int i = 0; i < drawn_lines_; ++i) std::fputs("\033[1A\r\033[K", stderr);
  drawn_lines_ = 0;
}

void Progress::redraw() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (TableProgress* t : active_) {
    std::string line = line_for(*t);
    std::fputs(line.c_str(), stderr);
    std::fputs("\n", stderr);
  }
  drawn_lines_ = static_cast<int>(active_.size());
}

void Progress::redraw_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500));
    if (stopping_) break;
    lock.unlock();
    with_log_lock(
        [](void* self) {
          auto* p = static_cast<Progress*>(self);
          p->erase();
          p->redraw();
        },
        this);
    lock.lock();
  }
}

}  // namespace pgs3
