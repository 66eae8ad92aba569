#include "pg/connect_failure.h"

namespace pgs3 {
namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// The text between `key` + ' "' and the next '"' in a server message (`host "10.0.0.5"`), or "".
std::string quoted_after(std::string_view message, std::string_view key) {
  const std::string opening = std::string(key) + " \"";
  size_t p = message.find(opening);
  if (p == std::string_view::npos) return "";
  p += opening.size();
  size_t end = message.find('"', p);
  return end == std::string_view::npos ? "" : std::string(message.substr(p, end - p));
}

}  // namespace

ConnectFailure classify_connect_failure(std::string_view message) {
  ConnectFailure f;
  if (contains(message, "no pg_hba.conf entry")) {
    f.kind = ConnectFailureKind::kHbaRejected;
    f.client_host = quoted_after(message, "host");
    f.user = quoted_after(message, "user");
    f.database = quoted_after(message, "database");
  } else if (contains(message, "password authentication failed") || contains(message, "no password supplied")) {
    f.kind = ConnectFailureKind::kBadPassword;
  } else if (contains(message, "replication role") || contains(message, "WAL sender") ||
             contains(message, "walsender")) {
    f.kind = ConnectFailureKind::kNotReplicationRole;
  } else if (contains(message, "max_wal_senders")) {
    f.kind = ConnectFailureKind::kNoWalSenders;
  } else if (contains(message, "does not exist")) {
    f.kind = ConnectFailureKind::kNotFound;
  }
  return f;
}

}  // namespace pgs3
