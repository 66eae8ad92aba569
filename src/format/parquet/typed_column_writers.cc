#include "format/parquet/typed_column_writers.h"

namespace pgs3 {

std::unique_ptr<ColumnChunkWriter> ColumnChunkWriter::create(const ColumnSpec& spec,
                                                             const ParquetWriterOptions& options,
                                                             BlockCompressor* compressor,
                                                             ThriftSerializer* serializer) {
  switch (spec.physical) {
    case PhysicalType::kBoolean: return std::make_unique<BooleanColumnWriter>(spec, options, compressor, serializer);
    case PhysicalType::kInt32:
      return std::make_unique<FixedWidthColumnWriter<int32_t, uint32_t>>(spec, options, compressor, serializer);
    case PhysicalType::kInt64:
      return std::make_unique<FixedWidthColumnWriter<int64_t, uint64_t>>(spec, options, compressor, serializer);
    case PhysicalType::kFloat:
      return std::make_unique<FixedWidthColumnWriter<float, uint32_t>>(spec, options, compressor, serializer);
    case PhysicalType::kDouble:
      return std::make_unique<FixedWidthColumnWriter<double, uint64_t>>(spec, options, compressor, serializer);
    case PhysicalType::kByteArray:
      return std::make_unique<BinaryColumnWriter<false>>(spec, options, compressor, serializer);
    case PhysicalType::kFixedLenByteArray:
      return std::make_unique<BinaryColumnWriter<true>>(spec, options, compressor, serializer);
  }
  return nullptr;
}

}  // namespace pgs3
