// TimeZone: the UTC offset of an IANA time zone (DatePartitionTimezone, "Asia/Seoul") at any instant, read from the
// system's time zone database: the TZif files under /usr/share/zoneinfo (RFC 8536), Debian package tzdata.
//
// Why a reader of our own: std::chrono::locate_zone is not implemented by libstdc++ 12 (Debian 12's GCC), and
// localtime_r under a changed TZ is not thread-safe (setenv("TZ") races with getenv() in other threads, e.g. libcurl
// reading proxy variables). A TZif file is a sorted list of transitions plus, for instants after the last one, a
// POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"); both are read here. "UTC" is built in and needs no file.
// Immutable after locate(); thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace pgs3 {

class TimeZone {
 public:
  // The zone named `name` (an IANA name such as "Europe/Berlin", or "UTC"). Fails with kBadInput when the name is
  // malformed or names no zone on this machine; the message names the zone, for the caller to prefix with the
  // setting's path.
  static Result<std::shared_ptr<const TimeZone>> locate(std::string_view name);

  // Reads a zone from the bytes of a TZif file (exposed for tests).
  static Result<std::shared_ptr<const TimeZone>> from_tzif(std::string name, std::string_view bytes);

  const std::string& name() const { return name_; }

  // Seconds to add to UTC to get local time at `unix_seconds` (e.g. +32400 for Asia/Seoul).
  int64_t utc_offset_seconds(int64_t unix_seconds) const;

 private:
  // One DST boundary of a POSIX TZ rule: Mm.w.d (kind 'M'), Jn (kind 'J', 1..365, Feb 29 never counted) or n (kind
  // 'n', 0..365), at `seconds` after local midnight.
  struct RuleDate {
    char kind = 'M';
    int month = 0, week = 0, weekday = 0, day = 0;
    int64_t seconds = 7200;
  };
  struct PosixRule {
    int64_t std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    int64_t dst_offset = 0;
    RuleDate start, end;
  };

  static Result<PosixRule> parse_posix_rule(std::string_view text);
  int64_t rule_offset(int64_t unix_seconds) const;

  std::string name_;
  std::vector<int64_t> transitions_;  // sorted transition instants (unix seconds)
  std::vector<int64_t> offsets_;      // offsets_[i]: in effect from transitions_[i]
  int64_t initial_offset_ = 0;        // before the first transition (RFC 8536: time type 0)
  bool has_rule_ = false;             // the footer rule applies after the last transition
  PosixRule rule_;
};

// Calendar fields of a count of days since 1970-01-01 (proleptic Gregorian).
struct CivilDate {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};
CivilDate civil_from_days(int64_t days);
int64_t days_from_civil(int64_t year, int month, int day);

}  // namespace pgs3
