#include "pg/replication_connection.h"

#include <gtest/gtest.h>

#include <string>

namespace pgs3 {
namespace {

TEST(ReplicationConninfoTest, AddsReplicationDatabaseToKeyValueAndUri) {
  EXPECT_EQ(replication_conninfo("host=h port=5 dbname='my db'"),
            "dbname='my db' host='h' port='5' replication=database");
  std::string uri = replication_conninfo("postgresql://u@h:5/app?sslmode=disable&replication=true");
  EXPECT_NE(uri.find("user='u'"), std::string::npos) << uri;
  EXPECT_NE(uri.find("dbname='app'"), std::string::npos) << uri;
  EXPECT_NE(uri.find("sslmode='disable'"), std::string::npos) << uri;
  EXPECT_EQ(uri.find("replication='true'"), std::string::npos) << uri;
  EXPECT_NE(uri.find("replication=database"), std::string::npos) << uri;
  EXPECT_EQ(replication_conninfo("host=it\\'s"), "host='it\\'s' replication=database");
}

}  // namespace
}  // namespace pgs3
