// ToastWarnings: tells the user, per writer, that unchanged TOAST values were written as NULL in update rows
// (pgoutput sends no value for an out-of-line column an UPDATE did not change, unless REPLICA IDENTITY FULL gives
// the old row): at the first such value and whenever the count has doubled since, naming the columns and the fix.
//
// Not thread-safe: the loop's thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace pgs3 {

class ToastWarnings {
 public:
  // True when a warning is due for `writer` (any identity of it) whose count so far is `total`: cheap, for every
  // change; the caller builds the warning's words only then.
  bool due(const void* writer, uint64_t total) const;
  // Warns and remembers `total`. `by_column`: the counts per column; `where`: "table \"s\".\"t\"" or "the
  // transaction files"; `fix`: the statement(s) to run.
  void warn(const void* writer, uint64_t total, const std::map<std::string, uint64_t>& by_column,
            const std::string& where, const std::string& fix);

 private:
  std::map<const void*, uint64_t> warned_;  // the count when last warned, per writer
};

}  // namespace pgs3
