#include "format/parquet/thrift_codec.h"

#include <thrift/TBase.h>
#include <thrift/TConfiguration.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <climits>
#include <exception>

namespace pgs3 {

using apache::thrift::TConfiguration;
using apache::thrift::protocol::TCompactProtocolT;
using apache::thrift::transport::TMemoryBuffer;

ThriftSerializer::ThriftSerializer()
    : buffer_(std::make_shared<TMemoryBuffer>()),
      protocol_(std::make_unique<TCompactProtocolT<TMemoryBuffer>>(buffer_)) {}

ThriftSerializer::~ThriftSerializer() = default;

Status ThriftSerializer::append(const apache::thrift::TBase& object, std::string* out) {
  try {
    buffer_->resetBuffer();
    object.write(protocol_.get());
    uint8_t* data = nullptr;
    uint32_t size = 0;
    buffer_->getBuffer(&data, &size);
    out->append(reinterpret_cast<const char*>(data), size);
    return Status::ok();
  } catch (const std::exception& e) {
    return Status::internal(std::string("thrift serialization failed: ") + e.what());
  }
}

Result<uint32_t> thrift_deserialize(std::string_view bytes, apache::thrift::TBase* object, const char* what) {
  if (bytes.size() > INT_MAX) return Status::data_error(std::string(what) + " is larger than 2 GiB");
  try {
    // The default 100 MiB message limit would refuse a large footer; the real bound is the bytes we were given.
    auto config = std::make_shared<TConfiguration>(static_cast<int>(bytes.size()));
    auto buffer = std::make_shared<TMemoryBuffer>(reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())),
                                                  static_cast<uint32_t>(bytes.size()), TMemoryBuffer::OBSERVE, config);
    // Strings and containers cannot be longer than the bytes that hold them: the limits stop a corrupt length from
    // allocating gigabytes before the read fails.
    TCompactProtocolT<TMemoryBuffer> protocol(buffer, static_cast<int32_t>(bytes.size()),
                                              static_cast<int32_t>(bytes.size()));
    return object->read(&protocol);
  } catch (const std::exception& e) {
    return Status::data_error(std::string(what) + " is malformed: " + e.what());
  }
}

}  // namespace pgs3
