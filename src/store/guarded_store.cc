#include "store/guarded_store.h"

namespace pgs3 {
namespace {

class GuardedWriter final : public ObjectWriter {
 public:
  GuardedWriter(std::unique_ptr<ObjectWriter> inner, const GuardedStore::Guard& guard)
      : inner_(std::move(inner)), guard_(guard) {}

  Status append(std::string_view bytes) override { return inner_->append(bytes); }
  uint64_t position() const override { return inner_->position(); }
  Status commit() override {
    Status allowed = guard_();
    if (!allowed.is_ok()) {
      inner_->abort();
      return allowed;
    }
    return inner_->commit();
  }
  void abort() override { inner_->abort(); }

 private:
  std::unique_ptr<ObjectWriter> inner_;
  const GuardedStore::Guard& guard_;
};

}  // namespace

Result<std::unique_ptr<ObjectWriter>> GuardedStore::create(const std::string& key, const ObjectOptions& options) {
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, inner_.create(key, options));
  return std::unique_ptr<ObjectWriter>(new GuardedWriter(std::move(writer), guard_));
}

Status GuardedStore::remove(const std::string& key) {
  PGS3_RETURN_IF_ERROR(guard_());
  return inner_.remove(key);
}

Status GuardedStore::remove_all(const std::vector<std::string>& keys) {
  PGS3_RETURN_IF_ERROR(guard_());
  return inner_.remove_all(keys);
}

Result<std::string> GuardedStore::put_if(const std::string& key, std::string_view bytes,
                                         const std::string& expected_etag) {
  PGS3_RETURN_IF_ERROR(guard_());
  return inner_.put_if(key, bytes, expected_etag);
}

}  // namespace pgs3
