// GuardedStore: an ObjectStore that asks its guard before every change it passes on to the store it wraps.
//
// The task's lease (state/task_lease.h) is the guard: a process that may no longer hold its task's lease (its
// renewal failed, or it was paused past the lease's end) must not commit, replace or remove an object, because a
// successor may already be writing the same task. Every change is checked at the last moment before it is sent:
// ObjectWriter::commit(), remove(), remove_all() and put_if(). Reads and uploads of bytes not yet committed pass
// (an upload that is never committed changes nothing a reader sees). When the guard refuses, the change is not made
// and the guard's status is returned (an uncommitted writer is aborted).
//
// Thread-safe when the guard and the wrapped store are.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/object_store.h"

namespace pgs3 {

class GuardedStore final : public ObjectStore {
 public:
  using Guard = std::function<Status()>;
  // `inner` must outlive this store.
  GuardedStore(ObjectStore& inner, Guard guard) : inner_(inner), guard_(std::move(guard)) {}

  std::string describe() const override { return inner_.describe(); }
  using ObjectStore::create;
  Result<std::unique_ptr<ObjectWriter>> create(const std::string& key, const ObjectOptions& options) override;
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override { return inner_.list(prefix); }
  Result<std::optional<std::string>> get(const std::string& key) override { return inner_.get(key); }
  Status remove(const std::string& key) override;
  Status remove_all(const std::vector<std::string>& keys) override;
  Result<std::optional<VersionedObject>> get_versioned(const std::string& key) override {
    return inner_.get_versioned(key);
  }
  Result<std::string> put_if(const std::string& key, std::string_view bytes, const std::string& expected_etag) override;

  ObjectStore& inner() { return inner_; }
  const ObjectStore& inner() const { return inner_; }

 private:
  ObjectStore& inner_;
  Guard guard_;
};

}  // namespace pgs3
