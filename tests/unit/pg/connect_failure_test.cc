#include "pg/connect_failure.h"

#include <gtest/gtest.h>

namespace pgs3 {
namespace {

// Messages as libpq 15 prints them for the server's FATAL errors (and its own).
TEST(ConnectFailureTest, HbaRejectionNamesHostUserAndDatabase) {
  ConnectFailure f = classify_connect_failure(
      "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  no pg_hba.conf entry for host \"10.0.0.5\", "
      "user \"replicator\", database \"app\", no encryption");
  EXPECT_EQ(f.kind, ConnectFailureKind::kHbaRejected);
  EXPECT_EQ(f.client_host, "10.0.0.5");
  EXPECT_EQ(f.user, "replicator");
  EXPECT_EQ(f.database, "app");
}

TEST(ConnectFailureTest, EachServerRefusalHasItsKind) {
  EXPECT_EQ(classify_connect_failure("FATAL:  password authentication failed for user \"app\"").kind,
            ConnectFailureKind::kBadPassword);
  EXPECT_EQ(classify_connect_failure("fe_sendauth: no password supplied").kind, ConnectFailureKind::kBadPassword);
  EXPECT_EQ(classify_connect_failure("FATAL:  database \"nope\" does not exist").kind, ConnectFailureKind::kNotFound);
  EXPECT_EQ(classify_connect_failure("FATAL:  role \"nobody\" does not exist").kind, ConnectFailureKind::kNotFound);
  EXPECT_EQ(
      classify_connect_failure("FATAL:  must be superuser or replication role to start walsender").kind,
      ConnectFailureKind::kNotReplicationRole);
  EXPECT_EQ(classify_connect_failure(
                "FATAL:  number of requested standby connections exceeds max_wal_senders (currently 0)")
                .kind,
            ConnectFailureKind::kNoWalSenders);
  ConnectFailure refused = classify_connect_failure(
      "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host "
      "and accepting TCP/IP connections?");
  EXPECT_EQ(refused.kind, ConnectFailureKind::kOther);
  EXPECT_TRUE(refused.client_host.empty());
}

}  // namespace
}  // namespace pgs3
