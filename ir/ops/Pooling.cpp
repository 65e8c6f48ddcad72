//===- ir/ops/Pooling.cpp - Windowed and global pooling -------------------===//
#include "ir/Geometry.h"
#include "ir/ops/OpHelpers.h"

namespace nnc::ir::ops {
namespace {

Status inferPool(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  Expected<Window2D> G = poolWindow(N, In[0]);
  if (!G.ok())
    return G.status();
  Out = {TensorType{In[0].Elt, {G->N, G->C, G->OH, G->OW}}};
  return Status::success();
}

// The int64 positions of MaxPool's maxima in x viewed flat (ONNX's
// 'Indices'): row-major within each plane, or column-major (h + w H) with
// storage_order = 1.
Status inferPoolIndices(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(inferPool(N, In, Out));
  Out[0].Elt = DType::I64;
  int64_t Order = N.Attrs.getInt("storage_order");
  if (Order != 0 && Order != 1)
    return error("attribute 'storage_order' must be 0 or 1, found ", Order);
  return Status::success();
}

int64_t poolFlops(const Node &N) {
  const auto &K = N.Attrs.getInts("kernel_shape");
  return outputElements(N) * K[0] * K[1];
}

Status inferGlobalPool(const Node &N, const Types &In, Types &Out) {
  NNC_TRY(expectFloat(N, In, 0));
  NNC_TRY(expectMinRank(N, In, 0, 3));
  Out = {In[0]};
  for (size_t I = 2; I < Out[0].Dims.size(); ++I)
    Out[0].Dims[I] = 1;
  return Status::success();
}

int64_t globalPoolFlops(const Node &N) {
  return N.Inputs[0]->Type.numElements();
}

// Empty strides mean "the kernel size", as in PyTorch.
AttrSpec kernelAttr() { return {"kernel_shape", Ints{}, /*Required=*/true}; }
AttrSpec stridesAttr() { return {"strides", Ints{}}; }
AttrSpec padsAttr() { return {"pads", Ints{0, 0, 0, 0}}; }

} // namespace

void registerPoolingOps() {
  define({.Kind = OpKind::MaxPool,
          .Operands = {"x"},
          .Attrs = {kernelAttr(),
                    stridesAttr(),
                    padsAttr(),
                    {"dilations", Ints{1, 1}},
                    {"ceil_mode", int64_t(0)}},
          .Infer = inferPool,
          .Flops = poolFlops});
  define({.Kind = OpKind::MaxPoolIndices,
          .Operands = {"x"},
          .Attrs = {kernelAttr(),
                    stridesAttr(),
                    padsAttr(),
                    {"dilations", Ints{1, 1}},
                    {"ceil_mode", int64_t(0)},
                    {"storage_order", int64_t(0)}},
          .Infer = inferPoolIndices,
          .Flops = poolFlops});
  // count_include_pad defaults to 1 as in PyTorch (ONNX's default is 0).
  define({.Kind = OpKind::AvgPool,
          .Operands = {"x"},
          .Attrs = {kernelAttr(),
                    stridesAttr(),
                    padsAttr(),
                    {"ceil_mode", int64_t(0)},
                    {"count_include_pad", int64_t(1)}},
          .Infer = inferPool,
          .Flops = poolFlops});
  define({.Kind = OpKind::GlobalAvgPool,
          .Operands = {"x"},
          .Infer = inferGlobalPool,
          .Flops = globalPoolFlops});
  define({.Kind = OpKind::GlobalMaxPool,
          .Operands = {"x"},
          .Infer = inferGlobalPool,
          .Flops = globalPoolFlops});
  // Stochastic pooling (Zeiler & Fergus): samples an activation with
  // probability a_i / sum(a) when training; the probability-weighted sum
  // sum(a_i^2) / sum(a) at inference. Inputs are expected non-negative.
  define({.Kind = OpKind::StochasticPool,
          .Operands = {"x"},
          .Attrs = {kernelAttr(), stridesAttr(), {"seed", int64_t(0)}},
          .Infer = inferPool,
          .Flops = poolFlops});
}

} // namespace nnc::ir::ops
