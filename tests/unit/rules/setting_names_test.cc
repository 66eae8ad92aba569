#include "rules/setting_names.h"

#include <gtest/gtest.h>

#include "rules/connection_string.h"

namespace pgs3 {
namespace {

TEST(SettingNames, EditDistanceCountsEditsIgnoringCase) {
  EXPECT_EQ(edit_distance("CompressionType", "compressiontype"), 0u);
  EXPECT_EQ(edit_distance("CompresionType", "CompressionType"), 1u);   // deletion
  EXPECT_EQ(edit_distance("CompressoinType", "CompressionType"), 1u);  // transposition
  EXPECT_EQ(edit_distance("MaxFileSise", "MaxFileSize"), 1u);          // substitution
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(SettingNames, ClosestNameSuggestsOnlyPlausibleMisspellings) {
  constexpr std::string_view known[] = {"BucketName", "BucketFolder", "CompressionType", "DataFormat"};
  EXPECT_EQ(closest_name("BucketFoldr", known), "BucketFolder");
  EXPECT_EQ(closest_name("bucketname", known), "BucketName");
  EXPECT_EQ(closest_name("dataformatt", known), "DataFormat");
  EXPECT_EQ(closest_name("Region", known), "");
}

TEST(ConnectionString, FindsPasswordsInKeywordValueStrings) {
  EXPECT_TRUE(connection_has_password("host=db password=s3cr3t dbname=app"));
  EXPECT_TRUE(connection_has_password("host=db password = 's3 cr3t'"));
  EXPECT_TRUE(connection_has_password("  PASSWORD=x"));
  EXPECT_TRUE(connection_has_password("application_name='a password=b' password=c"));
  EXPECT_FALSE(connection_has_password("host=db dbname=app user=replicator sslmode=verify-full"));
  EXPECT_FALSE(connection_has_password("host=db passfile=/etc/pgpass"));
  EXPECT_FALSE(connection_has_password("application_name='password=in a value'"));
}

TEST(ConnectionString, FindsPasswordsInUris) {
  EXPECT_TRUE(connection_has_password("postgresql://replicator:s3cr3t@db/app"));
  EXPECT_TRUE(connection_has_password("postgres://replicator:@db/app"));
  EXPECT_TRUE(connection_has_password("postgresql://replicator@db/app?sslmode=require&password=s3cr3t"));
  EXPECT_FALSE(connection_has_password("postgresql://replicator@db:5432/app"));
  EXPECT_FALSE(connection_has_password("postgresql://db1:5432,db2:5433/app?target_session_attrs=read-write"));
  EXPECT_FALSE(connection_has_password("postgresql:///app?host=/var/run/postgresql"));
}

}  // namespace
}  // namespace pgs3
