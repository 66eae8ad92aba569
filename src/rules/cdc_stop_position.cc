#include "rules/cdc_stop_position.h"

#include <chrono>
#include <cstdio>

#include "model/lsn.h"

namespace pgs3 {
namespace {

constexpr char kForms[] =
    "expected \"server_time:YYYY-MM-DDTHH:MM:SS\", \"commit_time:YYYY-MM-DDTHH:MM:SS\" (UTC) or an LSN such as "
    "\"0/16B6C50\"";

bool digits(const std::string& s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// "YYYY-MM-DDTHH:MM:SS[.ffffff][Z]" (a space instead of 'T' is accepted) -> microseconds since 2000-01-01 UTC.
bool parse_utc_time(const std::string& s, int64_t* out) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, &h) || s[13] != ':' ||
      !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &sec)) {
    return false;
  }
  size_t i = 19;
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 6) micros = micros * 10 + (s[i] - '0');
      ++n;
      ++i;
    }
    if (n == 0) return false;
    for (; n < 6; ++n) micros *= 10;
  }
  if (i < s.size() && s[i] == 'Z') ++i;
  if (i != s.size()) return false;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return false;
  const int64_t days = (sys_days{ymd} - sys_days{year{2000} / January / 1}).count();
  *out = ((days * 24 + h) * 60 + mi) * 60 * 1000000LL + sec * 1000000LL + micros;
  return true;
}

}  // namespace

Result<CdcStopPosition> parse_cdc_stop_position(const std::string& text) {
  CdcStopPosition stop;
  if (text.empty()) return stop;
  for (auto [prefix, kind] : {std::pair{std::string("server_time:"), CdcStopPosition::Kind::kServerTime},
                              std::pair{std::string("commit_time:"), CdcStopPosition::Kind::kCommitTime}}) {
    if (text.rfind(prefix, 0) == 0) {
      if (!parse_utc_time(text.substr(prefix.size()), &stop.time_us)) {
        return Status::bad_input("\"" + text + "\" is not a valid CDC stop position: " + kForms);
      }
      stop.kind = kind;
      return stop;
    }
  }
  std::optional<Lsn> lsn = Lsn::parse(text);
  if (!lsn || !lsn->is_valid()) {
    return Status::bad_input("\"" + text + "\" is not a valid CDC stop position: " + kForms);
  }
  stop.kind = CdcStopPosition::Kind::kLsn;
  stop.lsn = lsn->value();
  return stop;
}

}  // namespace pgs3
