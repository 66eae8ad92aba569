// MemoryBudget: one byte limit over the buffers of every table of a task (DESIGN.md §3 invariant 5: "no transaction
// size or table count can exhaust memory").
//
// Each buffer holder (a MemoryConsumer: a ChangeFileWriter) registers itself, and reports with update() how many
// bytes it holds in memory after every change to that number. When a report that raises the total takes it past
// limit(), the budget asks the consumers holding the most, largest first, to spill() — move what they can to local
// spill files — until the total is at or under target() (75% of the limit by default, so that spills come in batches
// rather than on every row) or every consumer has been asked once. What a consumer cannot move (e.g. a small open
// row group) stays counted: the total may then stay above the limit, and bytes_in_memory() says so; the next round
// then waits until the total has grown by limit - target beyond what the last one left. After a round that freed
// more than 1 MiB, freed memory is handed back to the system (malloc_trim).
//
// A consumer's spill() must not call update(): the budget reads the consumer's memory_bytes() after spill() returns.
// update() calls made during a spill (e.g. by a consumer that fails and frees its buffers) only record the number.
// A spill failure of another consumer than the one calling update() is that consumer's own: it fails itself and
// reports the error on its next call; update() returns only the caller's own spill failure.
//
// Counters for metrics: bytes_in_memory() now, peak_bytes() (the highest total reported, before spilling brought
// it down), spilled_bytes() (every byte written to a spill file, as reported by consumers with record_spill()) and
// spill_files() (files created).
//
// Not thread-safe: the task's one replication thread registers, updates and reads it. The budget must outlive its
// consumers (each unregisters itself when destroyed).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>

#include "base/status.h"

namespace pgs3 {

class MemoryConsumer {
 public:
  virtual ~MemoryConsumer() = default;
  // Bytes held in memory now.
  virtual uint64_t memory_bytes() const = 0;
  // Moves what it can of its memory to local spill files. After it, memory_bytes() is smaller or unchanged.
  virtual Status spill() = 0;
};

class MemoryBudget {
 public:
  static constexpr uint64_t kDefaultLimitBytes = 512ull << 20;  // the default: 512 MB

  // `target_fraction` of `limit_bytes` is where spilling stops (clamped to [0, 1]).
  explicit MemoryBudget(uint64_t limit_bytes = kDefaultLimitBytes, double target_fraction = 0.75);

  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Registers `consumer` holding 0 bytes. Registering twice changes nothing.
  void add(MemoryConsumer* consumer);
  // Unregisters `consumer`; its bytes no longer count.
  void remove(MemoryConsumer* consumer);
  // Records that `consumer` (registered) now holds `bytes`; when that raised the total past the limit, spills as
  // described above. A report that lowers a consumer's bytes never spills (so releasing memory cannot fail).
  // Returns `consumer`'s own spill failure, if it was asked and failed.
  Status update(MemoryConsumer* consumer, uint64_t bytes);
  // Called by consumers: `bytes` more went to spill files, `new_files` files were created.
  void record_spill(uint64_t bytes, uint64_t new_files);

  uint64_t limit() const { return limit_; }
  uint64_t target() const { return target_; }
  uint64_t bytes_in_memory() const { return total_; }
  uint64_t peak_bytes() const { return peak_; }
  uint64_t spilled_bytes() const { return spilled_bytes_; }
  uint64_t spill_files() const { return spill_files_; }
  // Times the total passed the limit and consumers were asked to spill.
  uint64_t spill_rounds() const { return spill_rounds_; }
  size_t consumers() const { return held_.size(); }
  // The limit shared out among the consumers holding memory now (the whole limit when none does): what one of them
  // may keep without crowding the others out, e.g. the size of a buffer it cannot spill.
  uint64_t share_bytes() const { return limit_ / std::max<size_t>(1, holding_); }

 private:
  void set(MemoryConsumer* consumer, uint64_t bytes);
  Status spill_largest(MemoryConsumer* caller);

  uint64_t limit_;
  uint64_t target_;
  std::map<MemoryConsumer*, uint64_t> held_;
  size_t holding_ = 0;  // consumers whose bytes are not 0
  uint64_t total_ = 0;
  uint64_t peak_ = 0;
  uint64_t spilled_bytes_ = 0;
  uint64_t spill_files_ = 0;
  uint64_t spill_rounds_ = 0;
  uint64_t next_round_at_ = 0;  // after a round that left more than the target: no round below this total
  bool spilling_ = false;
};

}  // namespace pgs3
