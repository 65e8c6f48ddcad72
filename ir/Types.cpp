#include "ir/Types.h"

namespace nnc::ir {

std::string_view dtypeName(DType T) {
  switch (T) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::U8:
    return "u8";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

size_t dtypeSize(DType T) {
  switch (T) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::U8:
  case DType::Bool:
    return 1;
  }
  return 0;
}

int64_t numElements(const Shape &S) {
  int64_t N = 1;
  for (int64_t D : S)
    N *= D;
  return N;
}

std::optional<int64_t> checkedNumElements(const Shape &S) {
  int64_t N = 1;
  for (int64_t D : S) {
    if (D < 0 || (D > 0 && N > MaxElements / D))
      return std::nullopt;
    N *= D;
  }
  return N;
}

std::string shapeString(const Shape &S) {
  std::string Out = "[";
  for (size_t I = 0; I < S.size(); ++I) {
    if (I)
      Out += ",";
    Out += S[I] < 0 ? std::string("N") : std::to_string(S[I]);
  }
  return Out + "]";
}

std::string TensorType::str() const {
  return std::string(dtypeName(Elt)) + shapeString(Dims);
}

} // namespace nnc::ir
