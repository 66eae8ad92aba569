// Conditional writes (ObjectStore::get_versioned / put_if) for the unit tests' own one-process stores, built on the
// store's get() and create(): the version of an object is a hash of its bytes (the objects written conditionally —
// checkpoints, leases, intents — never repeat their bytes) and its age is 0.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/object_store.h"

namespace pgs3::test_support {

inline std::string content_version(std::string_view bytes) {
  return std::to_string(std::hash<std::string_view>{}(bytes));
}

inline Result<std::optional<VersionedObject>> get_versioned_via(ObjectStore& store, const std::string& key) {
  PGS3_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store.get(key));
  if (!bytes) return std::optional<VersionedObject>();
  VersionedObject out;
  out.etag = content_version(*bytes);
  out.bytes = std::move(*bytes);
  return std::optional<VersionedObject>(std::move(out));
}

inline Result<std::string> put_if_via(ObjectStore& store, const std::string& key, std::string_view bytes,
                                      const std::string& expected_etag) {
  PGS3_ASSIGN_OR_RETURN(std::optional<std::string> current, store.get(key));
  const std::string version = current ? content_version(*current) : "";
  if (version != expected_etag) {
    if (current && *current == bytes) return version;
    return Status::conflict(key + (current ? " was changed by another writer" : " does not exist"));
  }
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, store.create(key));
  PGS3_RETURN_IF_ERROR(writer->append(bytes));
  PGS3_RETURN_IF_ERROR(writer->commit());
  return content_version(bytes);
}

}  // namespace pgs3::test_support
