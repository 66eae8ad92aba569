// Positions and commit times as text and time points: the small conversions that checkpoints, journal intents and
// change files share.
//
// Positions (DESIGN.md §3.1) are written as "<commit LSN>:<seq>", the LSN as PostgreSQL prints it: "0/16B6C50:3".
// They go into each change file's Parquet key-value metadata and S3 user metadata, into checkpoints and intents.
//
// Commit times travel as pgoutput sends them: microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch).
//
// Stateless and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/change.h"

namespace pgs3 {

// "0/16B6C50:3"
std::string format_change_position(const ChangePosition& position);
// The inverse of format_change_position(); nullopt for anything else (no colon, bad LSN, seq not a decimal uint32).
std::optional<ChangePosition> parse_change_position(std::string_view text);

// A pgoutput commit time (TransactionBegin::commit_time_us) as a system_clock instant.
std::chrono::system_clock::time_point commit_time_point(int64_t commit_time_us);

}  // namespace pgs3
