// Date folders of change files (DMS S3 setting DatePartitionEnabled; AWS DMS User Guide, "Using date-based folder
// partitioning", CHAP_Target.S3.DatePartitioning).
//
// With date partitioning on, DMS writes each CDC file to <BucketFolder>/<schema>/<table>/<date folder>/, the date
// folder being the transaction commit date in DatePartitionTimezone (DMS: "The conversion occurs when a date
// partition folder is created and a CDC file name is generated"), laid out by DatePartitionSequence and
// DatePartitionDelimiter: YYYYMMDD + SLASH gives "2026/11/30", YYYYMMDDHH + DASH "2026-11-30-23", DDMMYYYY + NONE
// "30112026". Only change files are partitioned: the full load's LOAD files have no commit date and stay in the table
// folder, as with DMS.
//
// Stateless; thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "rules/task_config.h"

namespace pgs3 {

// The date folder for a change committed at `commit_time`, without leading or trailing delimiter ("2026/11/30").
// Uses settings.zone (UTC when null). Does not look at settings.enabled: the caller asks only when it is on.
std::string date_partition_folder(const DatePartitionSettings& settings,
                                  std::chrono::system_clock::time_point commit_time);

}  // namespace pgs3
