#include "sink/memory_budget.h"

#include <malloc.h>

#include <algorithm>
#include <set>

namespace pgs3 {

MemoryBudget::MemoryBudget(uint64_t limit_bytes, double target_fraction) : limit_(limit_bytes) {
  target_fraction = std::clamp(target_fraction, 0.0, 1.0);
  target_ = static_cast<uint64_t>(static_cast<double>(limit_bytes) * target_fraction);
}

void MemoryBudget::add(MemoryConsumer* consumer) { held_.emplace(consumer, 0); }

void MemoryBudget::remove(MemoryConsumer* consumer) {
  auto it = held_.find(consumer);
  if (it == held_.end()) return;
  total_ -= it->second;
  if (it->second > 0) --holding_;
  held_.erase(it);
}

void MemoryBudget::set(MemoryConsumer* consumer, uint64_t bytes) {
  auto it = held_.find(consumer);
  if (it == held_.end()) return;  // not registered (or already removed): not counted
  total_ = total_ - it->second + bytes;
  holding_ = holding_ + (bytes > 0 ? 1 : 0) - (it->second > 0 ? 1 : 0);
  it->second = bytes;
  peak_ = std::max(peak_, total_);
}

Status MemoryBudget::update(MemoryConsumer* consumer, uint64_t bytes) {
  auto it = held_.find(consumer);
  const bool grew = it != held_.end() && bytes > it->second;
  set(consumer, bytes);
  if (spilling_ || !grew || total_ <= limit_ || total_ <= next_round_at_) return Status::ok();
  return spill_largest(consumer);
}

Status MemoryBudget::spill_largest(MemoryConsumer* caller) {
  ++spill_rounds_;
  spilling_ = true;
  const uint64_t before = total_;
  bool any_failed = false;
  Status caller_status;
  std::set<MemoryConsumer*> asked;
  while (total_ > target_) {
    MemoryConsumer* largest = nullptr;
    uint64_t largest_bytes = 0;
    for (const auto& [consumer, bytes] : held_) {
      if (bytes > largest_bytes && !asked.count(consumer)) {
        largest = consumer;
        largest_bytes = bytes;
      }
    }
    if (largest == nullptr) break;  // everyone was asked: what is left cannot be spilled
    asked.insert(largest);
    Status st = largest->spill();
    if (!st.is_ok()) any_failed = true;
    if (!st.is_ok() && largest == caller) caller_status = st;
    // The consumer may have been removed (destroyed) by a failure inside spill(); set() ignores unknown ones.
    set(largest, held_.count(largest) ? largest->memory_bytes() : 0);
  }
  spilling_ = false;
  // A round that could not reach the target (what is left cannot move) is not repeated on every change: the next
  // one starts when the total has grown by the limit's spill margin again.
  // (A failed spill is retried at the next growth: its consumer must learn of the failure.)
  next_round_at_ = total_ > target_ && !any_failed ? total_ + (limit_ - target_) : 0;
  // What the consumers freed goes back to the system: glibc keeps freed memory in its arenas otherwise, and the
  // process's resident size is what the limit is about.
  if (before > total_ + (1u << 20)) malloc_trim(0);
  return caller_status;
}

void MemoryBudget::record_spill(uint64_t bytes, uint64_t new_files) {
  spilled_bytes_ += bytes;
  spill_files_ += new_files;
}

}  // namespace pgs3
