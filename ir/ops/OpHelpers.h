//===- ir/ops/OpHelpers.h - Checks shared by op definitions -----*- C++ -*-===//
#pragma once

#include "ir/Graph.h"
#include "ir/OpTable.h"

#include <limits>

namespace nnc::ir::ops {

using Types = std::vector<TensorType>;

/// "operand 'w' (tensor 'conv1.w', f32[6,1,5,5])"
std::string operand(const Node &N, const Types &In, size_t I);
Status expectFloat(const Node &N, const Types &In, size_t I);
Status expectInteger(const Node &N, const Types &In, size_t I);
Status expectRank(const Node &N, const Types &In, size_t I, int64_t Rank);
Status expectMinRank(const Node &N, const Types &In, size_t I, int64_t Rank);
Status expectSameType(const Node &N, const Types &In, size_t A, size_t B);
/// A floating-point operand 0 whose type the single output takes.
Status inferLikeFirst(const Node &N, const Types &In, Types &Out);
/// BatchNorm and BatchNormTrain: operands 1..4 (scale, bias, mean, var) hold
/// one value per channel (dim 1) of operand 0; epsilon > 0, momentum in [0,1].
Status checkBatchNorm(const Node &N, const Types &In);
/// Pad and PadGrad: 'pads' (every axis's begin, then every end; negative
/// crops) and 'mode' are valid for X; Padded is the padded shape.
Status checkPad(const Node &N, const TensorType &X, Shape &Padded);
/// Resolves a possibly negative axis against Rank, or fails naming it.
Expected<int64_t> normalizeAxis(int64_t Axis, int64_t Rank);
/// NumPy broadcasting of two shapes.
Expected<Shape> broadcast(const Shape &A, const Shape &B);

int64_t outputElements(const Node &N);
int64_t flopsPerOutput(const Node &N); // one per output element
int64_t noFlops(const Node &N);

inline constexpr double Inf = std::numeric_limits<double>::infinity();
using Ints = std::vector<int64_t>;
using Floats = std::vector<double>;

/// The registry each family file adds its ops to.
void define(OpInfo Info);

} // namespace nnc::ir::ops
