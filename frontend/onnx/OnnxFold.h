//===- frontend/onnx/OnnxFold.h - Values known at import --------*- C++ -*-===//
#pragma once

#include "frontend/onnx/Onnx.h"

#include <string>
#include <vector>

namespace nnc::frontend::onnx_import {

/// A number known at import that may depend on the batch size N: A * N + B.
/// Shapes are static in nnc, but an export with a dynamic batch axis
/// computes them from Shape(x), whose first element is N.
struct Affine {
  double A = 0, B = 0;
};

/// A tensor known at import (OnnxFold.cpp): an integer or bool initializer,
/// a Constant, or the result of evaluating a node whose inputs are all
/// known (Shape, Gather, Concat, Cast, ... on shapes and constants).
struct Folded {
  ir::DType Elt = ir::DType::I64;
  ir::Shape Dims;
  std::vector<Affine> E; // row-major
  bool batchDependent() const;
  /// The values; only for a tensor that does not depend on the batch.
  OnnxTensor concrete() const;
};
Folded foldedOf(const OnnxTensor &T);

/// Tensor operations on known values (OnnxFoldOps.cpp), with ONNX's
/// semantics (broadcasting, negative axes and indices); an error where a
/// result would depend on the batch size in a way A * N + B cannot say.
namespace fold {
using Ints = std::vector<int64_t>;

int64_t count(const ir::Shape &S);
Status dependsOnBatch(const std::string &What);
/// Add, Sub, Mul, Div of two elements of a tensor of type T.
Expected<Affine> arith(const std::string &Op, Affine X, Affine Y, ir::DType T);
/// Add, Sub, Mul, Div, Equal, Less, Greater, And, Or.
Expected<Folded> binary(const std::string &Op, const Folded &X,
                        const Folded &Y);
/// The elements as integers; an error naming What if any is batch-dependent.
Expected<Ints> intsOf(const Folded &F, const char *What);
Expected<int64_t> axisIn(int64_t Axis, int64_t Rank);
Folded reshaped(Folded F, ir::Shape S);
Expected<Folded> transpose(const Folded &X, Ints Perm);
Expected<Folded> gather(const Folded &X, const Folded &Idx, int64_t Axis);
Expected<Folded> concat(const std::vector<const Folded *> &Xs, int64_t Axis);
Expected<Folded> slice(const Folded &X, const Ints &Starts, const Ints &Ends,
                       Ints Axes, Ints Steps);
/// Reshape to Target (0 copies, -1 infers).
Expected<Folded> reshapeKnown(const Folded &X, const Ints &Target);
/// Cast to an ONNX TensorProto data type.
Expected<Folded> cast(const Folded &X, int64_t To);
/// ConstantOfShape: Value's one element in a tensor of shape ShapeIn.
Expected<Folded> fill(const Folded &Value, const Folded &ShapeIn);
Expected<Folded> expand(const Folded &X, const Folded &ShapeIn);
Expected<Folded> range(const Folded &Start, const Folded &Limit,
                       const Folded &Delta);
Expected<Folded> where(const Folded &Cond, const Folded &X, const Folded &Y);

} // namespace fold

} // namespace nnc::frontend::onnx_import
