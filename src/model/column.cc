#include "model/column.h"

namespace pgs3 {

int value_width(const ColumnSpec& spec) {
  switch (spec.physical) {
    case PhysicalType::kBoolean: return 1;
    case PhysicalType::kInt32: return 4;
    case PhysicalType::kInt64: return 8;
    case PhysicalType::kFloat: return 4;
    case PhysicalType::kDouble: return 8;
    case PhysicalType::kByteArray: return 0;
    case PhysicalType::kFixedLenByteArray: return spec.fixed_length;
  }
  return 0;
}

}  // namespace pgs3
