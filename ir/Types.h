//===- ir/Types.h - Element types, shapes and tensor types ------*- C++ -*-===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::ir {

enum class DType : uint8_t { F32, F64, I32, I64, U8, Bool };

std::string_view dtypeName(DType T);
size_t dtypeSize(DType T);
inline bool isFloat(DType T) { return T == DType::F32 || T == DType::F64; }
inline bool isInteger(DType T) {
  return T == DType::I32 || T == DType::I64 || T == DType::U8;
}

/// Dimensions, outermost first. -1 marks the batch dimension of a graph input
/// before the batch size is bound; every other dimension is static.
using Shape = std::vector<int64_t>;

int64_t numElements(const Shape &S);
/// The element count, or nothing when a dimension is negative or the count
/// exceeds MaxElements (shapes from files are checked with this first, so
/// numElements never overflows).
constexpr int64_t MaxElements = int64_t(1) << 40;
std::optional<int64_t> checkedNumElements(const Shape &S);
std::string shapeString(const Shape &S);

struct TensorType {
  DType Elt = DType::F32;
  Shape Dims;

  int64_t rank() const { return static_cast<int64_t>(Dims.size()); }
  int64_t numElements() const { return ir::numElements(Dims); }
  size_t bytes() const { return size_t(numElements()) * dtypeSize(Elt); }
  bool operator==(const TensorType &O) const = default;
  /// "f32[1,6,28,28]"
  std::string str() const;
};

} // namespace nnc::ir
