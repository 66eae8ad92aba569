#include "task/value_warnings.h"

#include "base/log.h"

namespace pgs3 {

namespace {

bool grown(uint64_t count, uint64_t warned) { return count > warned && (warned == 0 || count >= 2 * warned); }

}  // namespace

void ValueWarnings::check(const std::vector<ColumnDecoder>& decoders, const std::function<std::string()>& table) {
  for (const ColumnDecoder& d : decoders) {
    if (d.infinities() == 0 && d.nulled_special_numerics() == 0) continue;
    uint64_t& warned_infinities = warned_[{&d, 0}];
    uint64_t& warned_numerics = warned_[{&d, 1}];
    const bool infinities = grown(d.infinities(), warned_infinities);
    const bool numerics = grown(d.nulled_special_numerics(), warned_numerics);
    if (!infinities && !numerics) continue;
    const std::string where = "table " + table() + " column \"" + d.column().source_name + "\": ";
    if (infinities) {
      log_warn(where + std::to_string(d.infinities()) +
               " infinite date/timestamp values written as the largest/smallest integer of the Parquet type "
               "(DuckDB reads them back as infinity; other readers see a far-away date)");
      warned_infinities = d.infinities();
    }
    if (numerics) {
      log_warn(where + std::to_string(d.nulled_special_numerics()) +
               " numeric NaN/Infinity values cannot be held by DECIMAL and were written as NULL");
      warned_numerics = d.nulled_special_numerics();
    }
  }
}

}  // namespace pgs3
