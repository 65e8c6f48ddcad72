//===- ir/ops/Gradient.cpp - Backward ops emitted by autodiff -------------===//
//
// Operands that only give a shape ("like") keep these ops independent of the
// batch size, so one differentiated graph runs at any batch.
//
//===----------------------------------------------------------------------===//
#include "ir/Geometry.h"
#include "ir/Pointwise.h"
#include "ir/ops/OpHelpers.h"

#include <algorithm>

namespace nnc::ir::ops {
namespace {

/// Requires operand I to have exactly the type of operand J.
Status sameAs(const Node &N, const Types &In, size_t I, size_t J) {
  return expectSameType(N, In, J, I);
}

// UnaryGrad(x, y, dy): dy times the derivative of the pointwise op named by
// 'op' (with that op's attributes), given its input x and output y.
Status inferUnaryGrad(const Node &N, const Types &In, Types &Out) {
  const std::string &Op = N.Attrs.getString("op");
  if (!unaryNamed(Op) && Op != "Dropout")
    return error("attribute 'op' names '", Op,
                 "', which is not a pointwise op with a derivative");
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(sameAs(N, In, 1, 0));
  NNC_TRY(sameAs(N, In, 2, 0));
  Out = {In[0]};
  return Status::success();
}

// SumTo(x, like): x summed over the dimensions along which 'like' broadcasts
// to x's shape, giving like's shape.
Status inferSumTo(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  Expected<Shape> B = broadcast(In[1].Dims, In[0].Dims);
  if (!B.ok() || *B != In[0].Dims)
    return error(operand(N, In, 1), " does not broadcast to ",
                 operand(N, In, 0));
  Out = {TensorType{In[0].Elt, In[1].Dims}};
  return Status::success();
}

Status inferReshapeLike(const Node &N, const Types &In, Types &Out) {
  if (In[0].numElements() != In[1].numElements())
    return error(operand(N, In, 0), " and ", operand(N, In, 1),
                 " differ in size");
  Out = {TensorType{In[0].Elt, In[1].Dims}};
  return Status::success();
}

// PReluGrad(x, slope, dy) -> (dx, dslope).
Status inferPReluGrad(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(sameAs(N, In, 2, 0));
  Out = {In[0], In[1]};
  return Status::success();
}

// SoftmaxGrad(y, dy) -> dx for Softmax (log = 0) or LogSoftmax (log = 1).
Status inferSoftmaxGrad(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(sameAs(N, In, 1, 0));
  Expected<int64_t> Axis = normalizeAxis(N.Attrs.getInt("axis"), In[0].rank());
  if (!Axis.ok())
    return Axis.status();
  Out = {In[0]};
  return Status::success();
}

// ConvGradWeights(x, dy): the weight gradient of Conv(x, w) with output
// gradient dy: [dy channels, x channels / group, kernel_shape].
Status inferConvGradWeights(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectRank(N, In, 0, 4));
  NNC_TRY(expectRank(N, In, 1, 4));
  const auto &K = N.Attrs.getInts("kernel_shape");
  if (K.size() != 2)
    return error("attribute 'kernel_shape' needs 2 values");
  int64_t G = N.Attrs.getInt("group");
  if (G < 1 || In[0].Dims[1] % G != 0)
    return error("group ", G, " does not divide ", operand(N, In, 0));
  TensorType W{In[0].Elt, {In[1].Dims[1], In[0].Dims[1] / G, K[0], K[1]}};
  Expected<Window2D> Win = convWindow(N, In[0], W);
  if (!Win.ok())
    return Win.status();
  if (Win->N != In[1].Dims[0] || Win->OH != In[1].Dims[2] ||
      Win->OW != In[1].Dims[3])
    return error(operand(N, In, 1), " is not the output shape of the conv");
  Out = {W};
  return Status::success();
}

int64_t convGradWeightsFlops(const Node &N) {
  const auto &K = N.Attrs.getInts("kernel_shape");
  const TensorType &X = N.Inputs[0]->Type;
  return 2 * N.Inputs[1]->Type.numElements() *
         (X.Dims[1] / N.Attrs.getInt("group")) * K[0] * K[1];
}

// RbfGrad(x, centers, beta, y, dy) -> (dx, dcenters, dbeta).
Status inferRbfGrad(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(sameAs(N, In, 4, 3));
  Out = {In[0], In[1], In[2]};
  return Status::success();
}

// PoolGrad(x, y, dy) -> dx for the pooling op named by 'pool'. Max and
// stochastic pooling route dy to the first window element equal to y.
Status inferPoolGrad(const Node &N, const Types &In, Types &Out) {
  const std::string &Pool = N.Attrs.getString("pool");
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(sameAs(N, In, 2, 1));
  if (Pool == "MaxPool" || Pool == "AvgPool" || Pool == "StochasticPool") {
    Expected<Window2D> G = poolWindow(N, In[0]);
    if (!G.ok())
      return G.status();
    if (In[1].Dims != Shape{G->N, G->C, G->OH, G->OW})
      return error(operand(N, In, 1), " is not the pooled shape");
  } else if (Pool != "GlobalAvgPool" && Pool != "GlobalMaxPool") {
    return error("attribute 'pool' names '", Pool, "', not a pooling op");
  }
  Out = {In[0]};
  return Status::success();
}

// BatchNormGrad(x, scale, mean, var, dy) -> (dx, dscale, dbias). With
// training = 1 the statistics are the batch's (as BatchNormTrain used);
// otherwise the given running ones.
Status inferBatchNormGrad(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 2));
  NNC_TRY(sameAs(N, In, 4, 0));
  Out = {In[0], In[1], In[1]};
  return Status::success();
}

// ReduceGrad(dy, x): spreads dy back over x's shape (divided by the count
// when mean = 1).
Status inferReduceGrad(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  Out = {TensorType{In[0].Elt, In[1].Dims}};
  return Status::success();
}

// PadGrad(dy, x): dy summed back onto the elements of x it was padded from.
Status inferPadGrad(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  Shape Padded;
  NNC_TRY(checkPad(N, In[1], Padded));
  if (Padded != In[0].Dims)
    return error(operand(N, In, 0), " is not ", operand(N, In, 1),
                 " padded by 'pads'");
  Out = {TensorType{In[0].Elt, In[1].Dims}};
  return Status::success();
}

// LossGrad(prediction, target, dloss) -> dprediction of the loss named by
// 'loss', including the 1 / count of the mean.
Status inferLossGrad(const Node &N, const Types &In, Types &Out) {
  const std::string &Loss = N.Attrs.getString("loss");
  if (Loss != "MseLoss" && Loss != "BceLoss" && Loss != "BceWithLogitsLoss" &&
      Loss != "SoftmaxCrossEntropy")
    return error("attribute 'loss' names '", Loss, "', not a loss");
  NNC_TRY(expectFloat(N, In, 0));
  if (In[2].numElements() != 1)
    return error(operand(N, In, 2), " must be a scalar");
  Out = {In[0]};
  return Status::success();
}

// NllLossGrad(log_probs, labels, dloss, weights?) -> dlog_probs; dloss
// has NllLoss's output shape (labels' for 'none', else a scalar).
Status inferNllLossGrad(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  const std::string &R = N.Attrs.getString("reduction");
  Shape Want = R == "none" ? In[1].Dims : Shape{};
  if (In[2].Dims != Want)
    return error(operand(N, In, 2), " must be ", shapeString(Want));
  Out = {In[0]};
  return Status::success();
}

int64_t threePerOutput(const Node &N) { return 3 * outputElements(N); }

/// The op's name, and the attributes of every op it may name.
std::vector<AttrSpec> unaryGradAttrs() {
  std::vector<AttrSpec> A = {{"op", std::string(), true}};
  for (AttrSpec &S : unaryAttrUnion())
    A.push_back(std::move(S));
  A.push_back({"ratio", 0.0}); // Dropout's
  A.push_back({"seed", int64_t(0)});
  return A;
}

} // namespace

void registerGradientOps() {
  define({.Kind = OpKind::UnaryGrad,
          .Operands = {"x", "y", "dy"},
          .MinInputs = 3,
          .Attrs = unaryGradAttrs(),
          .Infer = inferUnaryGrad,
          .Flops = threePerOutput});
  define({.Kind = OpKind::SumTo,
          .Operands = {"x", "like"},
          .MinInputs = 2,
          .Infer = inferSumTo,
          .Flops = flopsPerOutput});
  define({.Kind = OpKind::ReshapeLike,
          .Operands = {"x", "like"},
          .MinInputs = 2,
          .Infer = inferReshapeLike,
          .Flops = noFlops});
  define({.Kind = OpKind::PReluGrad,
          .Operands = {"x", "slope", "dy"},
          .MinInputs = 3,
          .NumOutputs = 2,
          .Infer = inferPReluGrad,
          .Flops = threePerOutput});
  define({.Kind = OpKind::MaxoutGrad,
          .Operands = {"x", "dy"},
          .MinInputs = 2,
          .Attrs = {{"pieces", int64_t(2)}},
          .Infer = inferLikeFirst,
          .Flops = flopsPerOutput});
  define({.Kind = OpKind::SoftmaxGrad,
          .Operands = {"y", "dy"},
          .MinInputs = 2,
          .Attrs = {{"axis", int64_t(-1)}, {"log", int64_t(0)}},
          .Infer = inferSoftmaxGrad,
          .Flops = threePerOutput});
  define({.Kind = OpKind::ConvGradWeights,
          .Operands = {"x", "dy"},
          .MinInputs = 2,
          .Attrs = {{"kernel_shape", Ints{}, true},
                    {"strides", Ints{1, 1}},
                    {"pads", Ints{0, 0, 0, 0}},
                    {"dilations", Ints{1, 1}},
                    {"group", int64_t(1)}},
          .Infer = inferConvGradWeights,
          .Flops = convGradWeightsFlops});
  define({.Kind = OpKind::RbfGrad,
          .Operands = {"x", "centers", "beta", "y", "dy"},
          .MinInputs = 5,
          .NumOutputs = 3,
          .Infer = inferRbfGrad,
          .Flops = threePerOutput});
  define({.Kind = OpKind::PoolGrad,
          .Operands = {"x", "y", "dy"},
          .MinInputs = 3,
          .Attrs = {{"pool", std::string(), true},
                    {"kernel_shape", Ints{}},
                    {"strides", Ints{}},
                    {"pads", Ints{0, 0, 0, 0}},
                    {"dilations", Ints{1, 1}},
                    {"ceil_mode", int64_t(0)},
                    {"count_include_pad", int64_t(1)},
                    {"seed", int64_t(0)}},
          .Infer = inferPoolGrad,
          .Flops = threePerOutput});
  define({.Kind = OpKind::BatchNormGrad,
          .Operands = {"x", "scale", "mean", "var", "dy"},
          .MinInputs = 5,
          .NumOutputs = 3,
          .Attrs = {{"epsilon", 1e-5}, {"training", int64_t(1)}},
          .Infer = inferBatchNormGrad,
          .Flops = threePerOutput});
  define({.Kind = OpKind::LRNGrad,
          .Operands = {"x", "dy"},
          .MinInputs = 2,
          .Attrs = {{"size", int64_t(5)},
                    {"alpha", 1e-4},
                    {"beta", 0.75},
                    {"bias", 1.0}},
          .Infer = inferLikeFirst,
          .Flops = threePerOutput});
  define({.Kind = OpKind::ReduceGrad,
          .Operands = {"dy", "like"},
          .MinInputs = 2,
          .Attrs = {{"axes", Ints{}},
                    {"keepdims", int64_t(1)},
                    {"mean", int64_t(0)}},
          .Infer = inferReduceGrad,
          .Flops = flopsPerOutput});
  define({.Kind = OpKind::PadGrad,
          .Operands = {"dy", "like"},
          .MinInputs = 2,
          .Attrs = {{"pads", Ints{}, true},
                    {"mode", std::string("constant")},
                    {"value", 0.0}},
          .Infer = inferPadGrad,
          .Flops = flopsPerOutput});
  define({.Kind = OpKind::LossGrad,
          .Operands = {"prediction", "target", "dloss"},
          .MinInputs = 3,
          .Attrs = {{"loss", std::string(), true}},
          .Infer = inferLossGrad,
          .Flops = threePerOutput});
  define({.Kind = OpKind::NllLossGrad,
          .Operands = {"log_probs", "labels", "dloss", "weights"},
          .MinInputs = 3,
          .Attrs = {{"reduction", std::string("mean")},
                    {"ignore_index", NoIgnoreIndex}},
          .Infer = inferNllLossGrad,
          .Flops = outputElements});
}

} // namespace nnc::ir::ops
