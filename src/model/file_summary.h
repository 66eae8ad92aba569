// FileSummary: what one committed file holds, as its writer reports it (sink/), the journal records it before the
// upload and the checkpoint counts it (state/). One struct travels the whole way, so that no stage copies it field by
// field (and none can drop a field on the way).
//
// A value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model/change.h"

namespace pgs3 {

struct FileSummary {
  std::string key;  // the object key
  ChangePosition first;
  ChangePosition last;
  uint64_t rows = 0;  // rows in the file: inserts + updates + deletes + key_updates
  uint64_t bytes = 0;
  // Changes in the file, by operation. A key-changing UPDATE (two rows: D old key, U new row) counts in updates and
  // in key_updates.
  uint64_t inserts = 0;
  uint64_t updates = 0;
  uint64_t deletes = 0;
  uint64_t key_updates = 0;
  // The commit time of the file's last change (TransactionBegin::commit_time_us: microseconds since 2000-01-01 UTC).
  std::optional<int64_t> last_commit_time_us;

  bool operator==(const FileSummary&) const = default;
};

}  // namespace pgs3
