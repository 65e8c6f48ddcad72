//===- backend/Tensor.h - Tensors the engines take and return ---*- C++ -*-===//
//
// What callers hand an engine and get back, whatever the engine: values in
// double whatever the model's dtype, so the interpreter can serve as the
// oracle for float32 kernels and for finite-difference gradient checks
// alike. Integer tensors (class labels) are held exactly.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Types.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nnc::backend {

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

/// Tensors keyed by the graph's tensor names.
using TensorMap = std::map<std::string, Tensor>;

/// A caller's tensor used where it lies: row-major and contiguous, in the
/// compiled types (float32 for F32, int64 for I64).
struct TensorView {
  ir::DType Elt = ir::DType::F32;
  ir::Shape Dims;
  const void *Data = nullptr;
};
using TensorViewMap = std::map<std::string, TensorView>;

/// Where an entry point writes its output Name of type Elt and shape Dims:
/// caller memory of that many float32 or int64 elements.
using OutputBuffer = std::function<void *(
    const std::string &Name, ir::DType Elt, const ir::Shape &Dims)>;

struct RunOptions {
  /// Training semantics: dropout drops, BatchNorm uses batch statistics and
  /// updates its running statistics, stochastic pooling samples.
  bool Training = false;
  /// Mixed into every random op's own seed; vary it per step.
  uint64_t Seed = 0;
  /// Fail at the first node whose result holds NaN or infinity, naming it
  /// (inputs are checked first).
  bool CheckNumerics = false;
};

/// Row-major strides of a shape.
std::vector<int64_t> stridesOf(const ir::Shape &Dims);

} // namespace nnc::backend
