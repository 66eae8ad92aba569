// Thrift compact-protocol (de)serialization of the generated Parquet metadata structs (parquet.thrift).
//
// The Parquet specification serializes page headers and the footer with Thrift's TCompactProtocol. ThriftSerializer
// reuses one memory transport for all the headers of a file. Thrift reports failures with exceptions; they are caught
// here and never leave this module: callers see Status values. Not thread-safe: one serializer per writer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace apache::thrift {
class TBase;
namespace transport {
class TMemoryBuffer;
}
namespace protocol {
class TProtocol;
}
}  // namespace apache::thrift

namespace pgs3 {

class ThriftSerializer {
 public:
  ThriftSerializer();
  ~ThriftSerializer();
  ThriftSerializer(const ThriftSerializer&) = delete;
  ThriftSerializer& operator=(const ThriftSerializer&) = delete;

  // Appends the compact-protocol encoding of `object` to `*out`.
  Status append(const apache::thrift::TBase& object, std::string* out);

 private:
  std::shared_ptr<apache::thrift::transport::TMemoryBuffer> buffer_;
  std::unique_ptr<apache::thrift::protocol::TProtocol> protocol_;
};

// Reads one compact-protocol struct from the start of `bytes` into `*object`; returns the bytes it used. Fails with
// kDataError (naming `what`) when the bytes are truncated or malformed.
Result<uint32_t> thrift_deserialize(std::string_view bytes, apache::thrift::TBase* object, const char* what);

}  // namespace pgs3
