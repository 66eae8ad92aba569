// ValueWarnings: tells the user about values the output type cannot hold, the same way for the full load and the
// stream (README, type mapping): infinite dates and timestamps are written as the largest/smallest integer of the
// Parquet type, and numeric NaN/±Infinity in a DECIMAL column as NULL. Each warning names the table, the column and
// the count; a table read once (the full load) is warned about at its end, a stream at the first such value of a
// column and whenever its count has doubled since.
//
// Not thread-safe: one per caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pg/type_mapping.h"

namespace pgs3 {

class ValueWarnings {
 public:
  // `decoders`: a table's columns' decoders, whose counters only grow; `table`: the table as messages name it, asked
  // only when a warning is due (the stream checks after every change).
  void check(const std::vector<ColumnDecoder>& decoders, const std::function<std::string()>& table);

 private:
  // The count when last warned, per decoder and kind (0 infinities, 1 numerics).
  std::map<std::pair<const ColumnDecoder*, int>, uint64_t> warned_;
};

}  // namespace pgs3
