#include "model/change_position_text.h"

#include "model/lsn.h"

namespace pgs3 {
namespace {

constexpr int64_t kPostgresEpochMicros = 946684800LL * 1000000;

}  // namespace

std::string format_change_position(const ChangePosition& position) {
  return Lsn(position.commit_lsn).to_string() + ":" + std::to_string(position.seq);
}

std::optional<ChangePosition> parse_change_position(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::optional<Lsn> lsn = Lsn::parse(text.substr(0, colon));
  std::string_view seq_text = text.substr(colon + 1);
  if (!lsn || seq_text.empty() || seq_text.size() > 10) return std::nullopt;
  uint64_t seq = 0;
  for (char c : seq_text) {
    if (c < '0' || c > '9') return std::nullopt;
    seq = seq * 10 + static_cast<uint64_t>(c - '0');
  }
  if (seq > UINT32_MAX) return std::nullopt;
  return ChangePosition{.commit_lsn = lsn->value(), .seq = static_cast<uint32_t>(seq)};
}

std::chrono::system_clock::time_point commit_time_point(int64_t commit_time_us) {
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::microseconds(commit_time_us + kPostgresEpochMicros)));
}

}  // namespace pgs3
