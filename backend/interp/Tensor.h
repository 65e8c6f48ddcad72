//===- backend/interp/Tensor.h - Host tensors of the interpreter -*- C++
//-*-===//
//
// The reference interpreter computes in double whatever the model's dtype,
// so it can serve as the oracle for float32 kernels and for finite-difference
// gradient checks alike. Integer tensors (class labels) are held exactly.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Types.h"

#include <vector>

namespace nnc::interp {

struct Tensor {
  ir::DType Elt = ir::DType::F32;
  ir::Shape Dims;
  std::vector<double> Data;

  Tensor() = default;
  Tensor(ir::DType Elt, ir::Shape Dims)
      : Elt(Elt), Dims(std::move(Dims)),
        Data(size_t(ir::numElements(this->Dims)), 0.0) {}
  Tensor(ir::DType Elt, ir::Shape Dims, std::vector<double> Data)
      : Elt(Elt), Dims(std::move(Dims)), Data(std::move(Data)) {}

  int64_t numElements() const { return int64_t(Data.size()); }
  double &operator[](int64_t I) { return Data[size_t(I)]; }
  double operator[](int64_t I) const { return Data[size_t(I)]; }
};

/// Row-major strides of a shape.
std::vector<int64_t> stridesOf(const ir::Shape &Dims);

} // namespace nnc::interp
