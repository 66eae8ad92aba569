#include "task/value_warnings.h"

#include "base/log.h"

namespace pgs3 {

void ValueWarnings::warn_if_grown(const std::string& key, uint64_t count, const std::string& message) {
  uint64_t& warned = warned_[key];
  if (count <= warned || (warned != 0 && count < 2 * warned)) return;
  log_warn(message);
  warned = count;
}

void ValueWarnings::check(const std::string& table, const std::vector<ColumnDecoder>& decoders) {
  for (const ColumnDecoder& d : decoders) {
    if (d.infinities() == 0 && d.nulled_special_numerics() == 0) continue;
    const std::string column = d.column().source_name;
    const std::string where = "table " + table + " column \"" + column + "\": ";
    warn_if_grown(table + "." + column + ".infinities", d.infinities(),
                  where + std::to_string(d.infinities()) +
                      " infinite date/timestamp values written as the largest/smallest integer of the Parquet type "
                      "(DuckDB reads them back as infinity; other readers see a far-away date)");
    warn_if_grown(table + "." + column + ".numerics", d.nulled_special_numerics(),
                  where + std::to_string(d.nulled_special_numerics()) +
                      " numeric NaN/Infinity values cannot be held by DECIMAL and were written as NULL");
  }
}

}  // namespace pgs3
