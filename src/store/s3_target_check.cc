#include "store/s3_target_check.h"

#include <chrono>
#include <random>

#include "base/log.h"

namespace pgs3 {

std::vector<S3TargetCheck> check_s3_target(S3Store& store, const std::string& probe_prefix, bool tagging) {
  std::vector<S3TargetCheck> checks;
  S3Client& client = store.client();
  const std::string bucket = "s3://" + client.options().bucket;
  auto fail = [&](std::string name, const Status& s) {
    checks.push_back({std::move(name), false, false, s.message()});
  };

  auto region = client.head_bucket();
  if (!region.is_ok()) {
    fail("bucket", region.status());
    return checks;
  }
  checks.push_back({"bucket", true, false, bucket + " exists and is reachable"});
  if (*region != client.options().region) {
    checks.push_back({"region", false, false,
                      "bucket \"" + client.options().bucket + "\" is in region " + *region + ", not " +
                          client.options().region + ": set target.region to \"" + *region + "\""});
    return checks;
  }
  checks.push_back({"region", true, false, bucket + " is in " + *region});

  std::random_device rd;
  const std::string probe_key = probe_prefix + "probe-" + std::to_string(rd()) + std::to_string(rd());
  ObjectOptions options;
  if (tagging) options.tags = {{"pgs3-probe", "1"}};
  Status put = [&]() -> Status {
    PGS3_ASSIGN_OR_RETURN(auto writer, store.create(probe_key, options));
    PGS3_RETURN_IF_ERROR(writer->append("pgs3 permission probe; safe to delete\n"));
    return writer->commit();
  }();
  if (!put.is_ok()) {
    fail("put", put);
    return checks;
  }
  checks.push_back({"put", true, false, "may put objects under " + bucket + "/" + probe_prefix});
  if (tagging) {
    Status tag = client.put_object_tagging(probe_key, {{"pgs3-probe", "2"}});
    if (tag.is_ok()) {
      checks.push_back({"tag", true, false, "may tag objects"});
    } else {
      fail("tag", tag);
    }
  }
  Status del = client.delete_object(probe_key);
  if (del.is_ok()) {
    checks.push_back({"delete", true, false, "may delete objects (the probe object was removed)"});
  } else {
    fail("delete", del.with_context("the probe object " + probe_key + " could not be removed"));
  }

  auto versioning = client.get_bucket_versioning();
  if (!versioning.is_ok()) {
    checks.push_back({"versioning", true, true,
                      "could not read the versioning state of " + bucket + ": " + versioning.status().message()});
  } else if (*versioning == "Enabled") {
    checks.push_back({"versioning", true, true,
                      "versioning is enabled on " + bucket +
                          ": every rewritten object (a reloaded LOAD file, each checkpoint) keeps its old versions, "
                          "which cost storage forever; DMS advises not to enable versioning on its S3 target, or to "
                          "add a lifecycle rule that expires noncurrent versions"});
  } else {
    checks.push_back({"versioning", true, false, "versioning is not enabled"});
  }
  return checks;
}

Status s3_target_status(const std::vector<S3TargetCheck>& checks) {
  for (const auto& c : checks) {
    if (!c.passed) return Status::bad_input(c.detail);
    if (c.warning) log_warn(c.detail);
  }
  return Status::ok();
}

}  // namespace pgs3
