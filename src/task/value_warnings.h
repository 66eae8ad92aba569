// ValueWarnings: tells the user about values the output type cannot hold, the same way for the full load and the
// stream (README, type mapping): infinite dates and timestamps are written as the largest/smallest integer of the
// Parquet type, and numeric NaN/±Infinity in a DECIMAL column as NULL. Each warning names the table, the column and
// the count; a table read once (the full load) is warned about at its end, a stream at the first such value of a
// column and whenever its count has doubled since.
//
// Not thread-safe: one per caller's thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pg/type_mapping.h"

namespace pgs3 {

class ValueWarnings {
 public:
  // `table`: the table as messages name it; `decoders`: its columns' decoders, whose counters only grow.
  void check(const std::string& table, const std::vector<ColumnDecoder>& decoders);

 private:
  void warn_if_grown(const std::string& key, uint64_t count, const std::string& message);

  std::map<std::string, uint64_t> warned_;  // "<table>.<column>.<kind>" -> count when last warned
};

}  // namespace pgs3
