// Dictionaries of one column chunk (Encodings.md, "Dictionary Encoding").
//
// A dictionary assigns each distinct value of a column chunk an index, in order of first appearance, and keeps the
// entries PLAIN-encoded so that they are the dictionary page as they stand. It never grows past a byte limit (DMS's
// DictPageSizeLimit): index_of() refuses to add the entry that would cross it, and the column writer then falls back
// to PLAIN for the rest of the chunk, as parquet-mr and Arrow do.
//
// Lookups use an open-addressing hash table of entry indices (load factor <= 1/2) and allocate only when the table
// or the entry storage grows, never per value. The table starts small (kInitialSlots): a file holds a dictionary per
// column, and a task with hundreds of tables of tens of columns holds thousands of them at once. memory_bytes() is
// what a dictionary holds (its buffers' capacity), for the memory budget. Floating-point values are keyed by their bit
// pattern, so -0.0 and +0.0, and NaNs with different payloads, stay distinct and round-trip exactly. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace pgs3 {

// A strong, cheap 64-bit finalizer (the SplitMix64 mixing function) so that sequential keys spread over the table.
inline uint64_t mix_hash(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// Hash of a byte string, 8 bytes per step.
inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xc2b2ae3d27d4eb4full);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix_hash(h ^ w);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    h = mix_hash(h ^ (uint64_t{a} | uint64_t{b} << 32));
  } else if (n > 0) {
    auto u = [&](size_t i) { return uint64_t{static_cast<uint8_t>(p[i])}; };
    h = mix_hash(h ^ (u(0) | u(n / 2) << 8 | u(n - 1) << 16));
  }
  return h;
}

inline constexpr size_t kInitialSlots = 16;

// Dictionary of fixed-width values, keyed by their bit pattern (uint32_t for INT32/FLOAT, uint64_t for INT64/DOUBLE).
template <typename Bits>
class FixedWidthDictionary {
 public:
  static constexpr int32_t kFull = -1;

  // Index of `key`, which is added if absent unless that would make the dictionary page larger than `byte_limit`
  // (then kFull is returned and nothing changes).
  int32_t index_of(Bits key, size_t byte_limit) {
    if (slots_.empty()) grow();
    size_t mask = slots_.size() - 1;
    size_t s = static_cast<size_t>(mix_hash(key)) & mask;
    for (;;) {
      int32_t index = slots_[s];
      if (index < 0) break;
      if (entries_[static_cast<size_t>(index)] == key) return index;
      s = (s + 1) & mask;
    }
    if ((entries_.size() + 1) * sizeof(Bits) > byte_limit) return kFull;
    int32_t index = static_cast<int32_t>(entries_.size());
    entries_.push_back(key);
    slots_[s] = index;
    if (entries_.size() * 2 > slots_.size()) grow();
    return index;
  }

  size_t size() const { return entries_.size(); }
  // The dictionary page body: the entries PLAIN-encoded (little-endian, back to back).
  std::string_view plain() const {
    return {reinterpret_cast<const char*>(entries_.data()), entries_.size() * sizeof(Bits)};
  }
  size_t plain_size() const { return entries_.size() * sizeof(Bits); }
  Bits entry(size_t index) const { return entries_[index]; }
  size_t memory_bytes() const { return entries_.capacity() * sizeof(Bits) + slots_.capacity() * sizeof(int32_t); }
  // Empties the dictionary and frees its memory.
  void release() { *this = FixedWidthDictionary(); }

  // Empties the dictionary for the next column chunk, keeping its memory. A small dictionary in a table grown by an
  // earlier chunk clears just its own slots, so that a row group costs time in its values, not in the table size.
  void clear() {
    if (entries_.size() * 8 < slots_.size()) {
      size_t mask = slots_.size() - 1;
      for (size_t i = 0; i < entries_.size(); ++i) {
        size_t s = static_cast<size_t>(mix_hash(entries_[i])) & mask;
        while (slots_[s] != static_cast<int32_t>(i)) s = (s + 1) & mask;
        slots_[s] = -1;
      }
    } else {
      std::fill(slots_.begin(), slots_.end(), -1);
    }
    entries_.clear();
  }

 private:
  void grow() {
    size_t capacity = slots_.empty() ? kInitialSlots : slots_.size() * 2;
    slots_.assign(capacity, -1);
    size_t mask = capacity - 1;
    for (size_t i = 0; i < entries_.size(); ++i) {
      size_t s = static_cast<size_t>(mix_hash(entries_[i])) & mask;
      while (slots_[s] >= 0) s = (s + 1) & mask;
      slots_[s] = static_cast<int32_t>(i);
    }
  }

  std::vector<Bits> entries_;
  std::vector<int32_t> slots_;  // entry index, or -1 for an empty slot; size is a power of two
};

// Dictionary of byte strings: BYTE_ARRAY (PLAIN entries carry a 4-byte length prefix) or FIXED_LEN_BYTE_ARRAY
// (entries are the bytes alone).
class BinaryDictionary {
 public:
  static constexpr int32_t kFull = -1;

  explicit BinaryDictionary(bool length_prefix) : length_prefix_(length_prefix) {}

  int32_t index_of(std::string_view value, size_t byte_limit) {
    if (slots_.empty()) grow();
    uint64_t h = hash_bytes(value.data(), value.size());
    uint32_t tag = static_cast<uint32_t>(h >> 32);
    size_t mask = slots_.size() - 1;
    size_t s = static_cast<size_t>(h) & mask;
    for (;;) {
      const Slot& slot = slots_[s];
      if (slot.index < 0) break;
      if (slot.tag == tag && entry(static_cast<size_t>(slot.index)) == value) return slot.index;
      s = (s + 1) & mask;
    }
    size_t added = value.size() + (length_prefix_ ? 4 : 0);
    if (plain_.size() + added > byte_limit) return kFull;
    int32_t index = static_cast<int32_t>(starts_.size());
    if (length_prefix_) {
      uint32_t length = static_cast<uint32_t>(value.size());
      char prefix[4];
      std::memcpy(prefix, &length, 4);
      plain_.append(prefix, 4);
    }
    starts_.push_back(plain_.size());
    lengths_.push_back(static_cast<uint32_t>(value.size()));
    hashes_.push_back(h);
    plain_.append(value);
    slots_[s] = Slot{tag, index};
    if (starts_.size() * 2 > slots_.size()) grow();
    return index;
  }

  size_t size() const { return starts_.size(); }
  std::string_view plain() const { return plain_; }
  size_t plain_size() const { return plain_.size(); }
  std::string_view entry(size_t index) const {
    return std::string_view(plain_).substr(starts_[index], lengths_[index]);
  }
  size_t memory_bytes() const {
    return plain_.capacity() + starts_.capacity() * sizeof(size_t) + lengths_.capacity() * sizeof(uint32_t) +
           hashes_.capacity() * sizeof(uint64_t) + slots_.capacity() * sizeof(Slot);
  }
  void release() {
    // std::string's move assignment may keep the target's buffer (when the source is a short string): swap.
    std::string().swap(plain_);
    *this = BinaryDictionary(length_prefix_);
  }

  void clear() {
    if (hashes_.size() * 8 < slots_.size()) {
      size_t mask = slots_.size() - 1;
      for (size_t i = 0; i < hashes_.size(); ++i) {
        size_t s = static_cast<size_t>(hashes_[i]) & mask;
        while (slots_[s].index != static_cast<int32_t>(i)) s = (s + 1) & mask;
        slots_[s] = Slot{};
      }
    } else {
      std::fill(slots_.begin(), slots_.end(), Slot{});
    }
    plain_.clear();
    starts_.clear();
    lengths_.clear();
    hashes_.clear();
  }

 private:
  struct Slot {
    uint32_t tag = 0;    // high half of the hash, to skip most unequal entries without touching their bytes
    int32_t index = -1;  // entry index, or -1 for an empty slot
  };

  void grow() {
    size_t capacity = slots_.empty() ? kInitialSlots : slots_.size() * 2;
    slots_.assign(capacity, Slot{});
    size_t mask = capacity - 1;
    for (size_t i = 0; i < hashes_.size(); ++i) {
      size_t s = static_cast<size_t>(hashes_[i]) & mask;
      while (slots_[s].index >= 0) s = (s + 1) & mask;
      slots_[s] = Slot{static_cast<uint32_t>(hashes_[i] >> 32), static_cast<int32_t>(i)};
    }
  }

  bool length_prefix_;
  std::string plain_;           // the dictionary page body
  std::vector<size_t> starts_;  // where each entry's bytes begin in plain_ (after its length prefix)
  std::vector<uint32_t> lengths_;
  std::vector<uint64_t> hashes_;  // kept so that growing the table does not rehash the bytes
  std::vector<Slot> slots_;       // size is a power of two
};

}  // namespace pgs3
