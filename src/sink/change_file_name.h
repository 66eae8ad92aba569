// Change-file names, positions and timestamps as text: the small formats the CDC change files carry.
//
// Change file names (AWS DMS User Guide, "Using Amazon S3 as a target": CDC files are named with a timestamp):
//
//   <BucketFolder>/<schema>/<table>/[<date folder>/]<yyyymmdd-hhmmssfff>.<ext>     e.g. 20261130-233000123.parquet
//
// The timestamp is the file's creation time to the millisecond, in UTC, or in DatePartitionTimezone when date
// partitioning is on (DMS: "The conversion occurs when a date partition folder is created and a CDC file name is
// generated"). Names of one table must be unique and sort in creation order, so that a reader can apply the files in
// the order of their changes. The wall clock alone does not give that: two files can be created in the same
// millisecond, the clock can step back (NTP), and local time repeats an hour when daylight saving time ends.
// ChangeFileNamer therefore keeps the last stem it issued (as a count of local milliseconds) and bumps the next one
// to the following millisecond when the clock has not moved past it: it never waits, and a name can run ahead of the
// clock by as many milliseconds as files were created faster than one per millisecond. observe() seeds it with a
// name already in the target (the newest one found at start), so that a restarted writer, whose clock may be behind
// the previous process's, neither sorts before nor overwrites an earlier file.
//
// Free functions are stateless and thread-safe; a ChangeFileNamer is used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/change.h"
#include "model/change_position_text.h"

namespace pgs3 {

class TimeZone;  // rules/time_zone.h

// "yyyymmdd-hhmmssfff" of a count of milliseconds since 1970-01-01 00:00:00 (of local time: the caller adds the
// zone's offset). Years outside 0..9999 are printed with as many digits as they need.
std::string change_file_stem(int64_t local_millis);

// The local milliseconds of a stem, or of a file name "<stem>.<ext>" when `extension` is given (and must match), or
// nullopt when `name` is not one (e.g. a LOAD file, or a temporary name).
std::optional<int64_t> parse_change_file_stem(std::string_view name);
std::optional<int64_t> parse_change_file_name(std::string_view name, std::string_view extension);

// Transaction files (PreserveTransactions; AWS DMS User Guide, "Capturing data changes (CDC) including transaction
// order on the S3 target"): "CDC_TXN-<yyyymmddhhmmssfff>", e.g. CDC_TXN-20201117153046033 — the stem without its
// '-'. The inverse gives back the stem, or nullopt for any other name.
std::string transaction_file_stem(std::string_view change_file_stem);
std::optional<std::string> change_stem_of_transaction_file(std::string_view stem);

// Issues unique, creation-ordered stems for one table (see the file comment).
class ChangeFileNamer {
 public:
  // `zone` null means UTC.
  explicit ChangeFileNamer(std::shared_ptr<const TimeZone> zone = nullptr) : zone_(std::move(zone)) {}

  // The stem for a file created at `now`: its local time, or one millisecond after the last stem issued or observed
  // when that is not earlier.
  std::string next(std::chrono::system_clock::time_point now);
  // Makes every later stem sort after `name` (a stem or "<stem>.<ext>", or a transaction file's). Names that are
  // not change-file names are ignored (returns false).
  bool observe(std::string_view name);

 private:
  std::shared_ptr<const TimeZone> zone_;
  std::optional<int64_t> last_;  // local milliseconds of the last stem issued or observed
};

// A pgoutput commit time (microseconds since 2000-01-01 00:00:00 UTC, TransactionBegin::commit_time_us) as the
// TimestampColumnName column shows it: "yyyy-MM-dd HH:mm:ss.SSSSSS" in UTC, the format of the full load's column
// (base/utc_time.h, UtcTimeStyle::kDmsMicros).
std::string dms_commit_timestamp(int64_t commit_time_us);

}  // namespace pgs3
