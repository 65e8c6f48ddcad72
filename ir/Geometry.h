//===- ir/Geometry.h - Sizes of 2-D convolution and pooling windows -*- C++
//-*-===//
//
// One place computes output sizes from attributes, so shape inference, the
// interpreter and the FLOP count cannot disagree.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Status.h"
#include "ir/Types.h"

namespace nnc::ir {

class Node;

struct Window2D {
  int64_t N = 0, C = 0, H = 0, W = 0; // input
  int64_t KH = 1, KW = 1;             // kernel
  int64_t SH = 1, SW = 1;             // strides
  int64_t PadT = 0, PadL = 0, PadB = 0, PadR = 0;
  int64_t DH = 1, DW = 1; // dilations
  int64_t OH = 0, OW = 0; // output
  // Convolutions only.
  int64_t O = 0, Groups = 1;
};

/// Conv: X [N,C,H,W], Wt [O,C/groups,KH,KW]. ConvTranspose: X [N,C,H,W],
/// Wt [C,O/groups,KH,KW], with output_padding.
Expected<Window2D> convWindow(const Node &N, const TensorType &X,
                              const TensorType &Wt);
/// MaxPool, AvgPool, StochasticPool: X [N,C,H,W] with kernel_shape etc.
/// Strides default to the kernel size, as in PyTorch.
Expected<Window2D> poolWindow(const Node &N, const TensorType &X);

} // namespace nnc::ir
