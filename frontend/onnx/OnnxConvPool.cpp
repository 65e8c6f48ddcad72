//===- frontend/onnx/OnnxConvPool.cpp - Conv, ConvTranspose, pooling ------===//
//
// nnc's convolution and pooling ops are 2-D. ONNX's 1-D forms gain a unit
// height. 3-D forms are built from 2-D ops, so they run on the same tuned
// kernels and take their gradients from them:
// - pooling is separable: a 2-D pool over (H, W), then one over D;
// - Conv gathers, for each output depth, its KD input planes with a one-hot
//   depthwise conv along D (channel ci * KD + kd), then runs one 2-D conv
//   over (H, W) on all N * D' planes, with the weights viewed as
//   [Co, Ci / g * KD, KH, KW];
// - ConvTranspose mirrors that: a 2-D transposed conv of the N * D planes
//   to Co * KD channels, then a one-hot transposed conv along D that adds
//   tap kd of input depth id into output depth id * sd + kd * dd - pd.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxInternal.h"
#include "ir/Initializers.h"

#include <algorithm>

namespace nnc::frontend::onnx_import {

using namespace nnc::ir;
using Ints = std::vector<int64_t>;

namespace {

Ints orDefault(Ints V, Ints Default) { return V.empty() ? Default : V; }

/// The sliding window over K spatial dimensions. Pads hold the K begins,
/// then the K ends, as in ONNX.
struct Window {
  Ints Kernel, Strides, Dil, Pads, OutPad;

  size_t rank() const { return Kernel.size(); }
  /// The 2-D window over dimensions A and B; -1 is a unit dimension.
  Window plane(int A, int B) const {
    Window W;
    for (int D : {A, B}) {
      bool Unit = D < 0;
      size_t I = size_t(std::max(D, 0));
      W.Kernel.push_back(Unit ? 1 : Kernel[I]);
      W.Strides.push_back(Unit ? 1 : Strides[I]);
      W.Dil.push_back(Unit ? 1 : Dil[I]);
      W.OutPad.push_back(Unit ? 0 : OutPad[I]);
    }
    W.Pads = {A < 0 ? 0 : Pads[size_t(A)], B < 0 ? 0 : Pads[size_t(B)],
              A < 0 ? 0 : Pads[rank() + size_t(A)],
              B < 0 ? 0 : Pads[rank() + size_t(B)]};
    return W;
  }
};

/// Strides, dilations and pads: auto_pad SAME_UPPER / SAME_LOWER (the extra
/// pixel at the end or at the start), VALID, or the explicit 'pads'.
Expected<Window> windowOf(const onnx::NodeProto &N, const Shape &In,
                          Ints Kernel) {
  size_t K = Kernel.size();
  Window W;
  W.Kernel = std::move(Kernel);
  W.Strides = orDefault(attrInts(N, "strides"), Ints(K, 1));
  W.Dil = orDefault(attrInts(N, "dilations"), Ints(K, 1));
  W.OutPad = orDefault(attrInts(N, "output_padding"), Ints(K, 0));
  W.Pads = orDefault(attrInts(N, "pads"), Ints(2 * K, 0));
  if (W.Strides.size() != K || W.Dil.size() != K || W.OutPad.size() != K ||
      W.Pads.size() != 2 * K)
    return error("strides, dilations, output_padding and pads must have ", K,
                 ", ", K, ", ", K, " and ", 2 * K, " values for ", K,
                 " spatial dimensions");
  for (size_t I = 0; I < K; ++I)
    if (W.Strides[I] < 1 || W.Dil[I] < 1)
      return error("strides and dilations must be at least 1, found ",
                   W.Strides[I], " and ", W.Dil[I]);
  std::string Auto = attrString(N, "auto_pad", "NOTSET");
  if (Auto == "NOTSET")
    return W;
  W.Pads = Ints(2 * K, 0);
  if (Auto == "VALID")
    return W;
  if (Auto != "SAME_UPPER" && Auto != "SAME_LOWER")
    return error("auto_pad '", Auto, "' is not supported");
  for (size_t I = 0; I < K; ++I) {
    int64_t Size = In[2 + I], S = W.Strides[I];
    int64_t Out = (Size + S - 1) / S;
    int64_t Total = std::max<int64_t>(
        (Out - 1) * S + (W.Kernel[I] - 1) * W.Dil[I] + 1 - Size, 0);
    int64_t Small = Total / 2, Large = Total - Small;
    W.Pads[I] = Auto == "SAME_UPPER" ? Small : Large;
    W.Pads[K + I] = Auto == "SAME_UPPER" ? Large : Small;
  }
  return W;
}

Ints spatial(const Shape &S) { return Ints(S.begin() + 2, S.end()); }

Value *reshape(Context &C, Value *X, Ints Shape, const std::string &Name) {
  return C.B.op(OpKind::Reshape, {X}, attrs({{"shape", std::move(Shape)}}),
                Name);
}

Value *swapDepth(Context &C, Value *X, const std::string &Name) {
  return C.B.op(OpKind::Transpose, {X}, attrs({{"perm", Ints{0, 2, 1, 3, 4}}}),
                Name);
}

/// The one-hot weights [Channels * KD, 1, KD, 1]: output channel c * KD + kd
/// takes tap kd of channel c (a depthwise conv with Channels groups).
Value *oneHotDepth(Context &C, int64_t Channels, int64_t KD, DType T,
                   const std::string &Name) {
  std::vector<double> V(size_t(Channels * KD * KD), 0.0);
  for (int64_t Ch = 0; Ch < Channels; ++Ch)
    for (int64_t Kd = 0; Kd < KD; ++Kd)
      V[size_t((Ch * KD + Kd) * KD + Kd)] = 1;
  return C.B.constant(Name, {Channels * KD, 1, KD, 1}, V, T);
}

Value *conv2d(Context &C, OpKind K, Value *X, Value *W, Value *B,
              const Window &Win, int64_t Groups, const std::string &Name) {
  std::vector<Value *> Ins = {X, W};
  if (B)
    Ins.push_back(B);
  Attributes A = attrs({{"strides", Win.Strides},
                        {"dilations", Win.Dil},
                        {"pads", Win.Pads},
                        {"group", Groups}});
  if (K == OpKind::ConvTranspose)
    A.set("output_padding", Win.OutPad);
  return C.B.op(K, Ins, A, Name);
}

Status checkRank(const char *What, Value *X, Value *W) {
  int64_t K = X->Type.rank() - 2;
  if (K < 1 || K > 3 || W->Type.rank() != X->Type.rank())
    return error(What, " over ", K,
                 " spatial dimensions is not supported (1, 2 or 3), found ",
                 X->Type.str(), " with weights ", W->Type.str());
  return Status::success();
}

// Y[n, co, od] = sum over ci, kd of conv2d(X[n, ci, od * sd + kd * dd - pd],
// W[co, ci, kd]): gather the taps along D, then one 2-D conv.
Value *conv3d(Context &C, Value *X, Value *W, Value *B, const Window &Win,
              int64_t G, const std::string &Name) {
  const Shape &XD = X->Type.Dims, &WD = W->Type.Dims;
  int64_t Ci = XD[1], H = XD[3], Wd = XD[4], Co = WD[0], KD = WD[2];
  Value *Planes =
      conv2d(C, OpKind::Conv, reshape(C, X, {0, 0, 0, -1}, Name + ".x_d_hw"),
             oneHotDepth(C, Ci, KD, X->Type.Elt, Name + ".taps_d"), nullptr,
             Win.plane(0, -1), Ci, Name + ".gather_d");
  if (!C.B.status().ok())
    return Planes;
  int64_t OD = Planes->Type.Dims[2];
  Value *ByDepth =
      swapDepth(C, reshape(C, Planes, {0, 0, 0, H, Wd}, Name + ".taps"),
                Name + ".depth_major");
  Value *Y = conv2d(C, OpKind::Conv,
                    reshape(C, ByDepth, {-1, Ci * KD, H, Wd}, Name + ".nd"),
                    reshape(C, W, {Co, -1, WD[3], WD[4]}, Name + ".w2d"), B,
                    Win.plane(1, 2), G, Name + ".hw");
  if (!C.B.status().ok())
    return Y;
  const Shape &YD = Y->Type.Dims;
  return swapDepth(C, reshape(C, Y, {-1, OD, Co, YD[2], YD[3]}, Name + ".y"),
                   Name);
}

// The adjoint of conv3d's gather: a 2-D transposed conv of every input
// depth to Co * KD channels, then a one-hot transposed conv along D.
Value *convTranspose3d(Context &C, Value *X, Value *W, Value *B,
                       const Window &Win, int64_t G, const std::string &Name) {
  const Shape &XD = X->Type.Dims, &WD = W->Type.Dims;
  int64_t Ci = XD[1], D = XD[2], KD = WD[2], Co = WD[1] * G;
  Value *Planes = conv2d(C, OpKind::ConvTranspose,
                         reshape(C, swapDepth(C, X, Name + ".depth_major"),
                                 {-1, Ci, XD[3], XD[4]}, Name + ".nd"),
                         reshape(C, W, {Ci, -1, WD[3], WD[4]}, Name + ".w2d"),
                         nullptr, Win.plane(1, 2), G, Name + ".hw");
  if (!C.B.status().ok())
    return Planes;
  int64_t OH = Planes->Type.Dims[2], OW = Planes->Type.Dims[3];
  Value *Taps = reshape(
      C,
      swapDepth(C, reshape(C, Planes, {-1, D, Co * KD, OH, OW}, Name + ".y5"),
                Name + ".channel_major"),
      {0, 0, 0, -1}, Name + ".taps");
  Value *Y = conv2d(C, OpKind::ConvTranspose, Taps,
                    oneHotDepth(C, Co, KD, X->Type.Elt, Name + ".taps_d"),
                    nullptr, Win.plane(0, -1), Co, Name + ".scatter_d");
  if (!C.B.status().ok())
    return Y;
  Y = reshape(C, Y, {0, 0, 0, OH, OW}, B ? Name + ".nobias" : Name);
  if (B)
    Y = C.B.op(OpKind::Add, {Y, reshape(C, B, {Co, 1, 1, 1}, Name + ".b")}, {},
               Name);
  return Y;
}

/// N's data input: the source of the pending zero Pad it reads, if so.
Value *dataInput(Context &C, const onnx::NodeProto &N) {
  auto It = C.Pads.find(N.input(0));
  return It == C.Pads.end() ? C.value(N, 0) : C.Values.at(It->second.Source);
}

/// Adds the spatial pads of the pending Pad that N reads to Win's (both in
/// ONNX's layout: the begins, then the ends).
void addPendingPads(const Context &C, const onnx::NodeProto &N, Window &Win) {
  const PendingPad &P = C.Pads.at(N.input(0));
  size_t Rank = P.Pads.size() / 2, K = Win.Pads.size() / 2;
  for (size_t I = 0; I < K; ++I) {
    Win.Pads[I] += P.Pads[Rank - K + I];
    Win.Pads[K + I] += P.Pads[2 * Rank - K + I];
  }
}

Status convertConvLike(Context &C, const onnx::NodeProto &N, OpKind K) {
  if (K != OpKind::Conv || attrString(N, "auto_pad", "NOTSET") != "NOTSET")
    NNC_TRY(materializePad(C, N.input(0)));
  bool Padded = C.Pads.count(N.input(0)) > 0;
  Value *X = dataInput(C, N), *W = C.value(N, 1), *B = C.value(N, 2);
  bool Transposed = K == OpKind::ConvTranspose;
  NNC_TRY(
      checkRank(Transposed ? "transposed convolution" : "convolution", X, W));
  size_t Rank = size_t(X->Type.rank() - 2);
  Expected<Window> Win = windowOf(N, X->Type.Dims, spatial(W->Type.Dims));
  if (!Win.ok())
    return Win.status();
  if (Padded)
    addPendingPads(C, N, *Win);
  int64_t G = attrInt(N, "group", 1);
  if (Transposed) {
    // SAME and output_shape fix the total padding: stride (in - 1) +
    // output_padding + dilated kernel - out.
    Ints OutShape = attrInts(N, "output_shape");
    if (!OutShape.empty() && OutShape.size() != Rank &&
        OutShape.size() != Rank + 2)
      return error("output_shape must have ", Rank, " values (or ", Rank + 2,
                   " with batch and channels) for ", Rank,
                   " spatial dimensions, found ", OutShape.size());
    std::string Auto = attrString(N, "auto_pad", "NOTSET");
    if (!OutShape.empty() || Auto == "SAME_UPPER" || Auto == "SAME_LOWER") {
      for (size_t I = 0; I < Rank; ++I) {
        int64_t In = X->Type.Dims[2 + I], S = Win->Strides[I];
        int64_t Out =
            OutShape.empty() ? In * S : OutShape[OutShape.size() - Rank + I];
        int64_t Total = S * (In - 1) + Win->OutPad[I] +
                        (Win->Kernel[I] - 1) * Win->Dil[I] + 1 - Out;
        if (Total < 0) { // more output than the kernel reaches: pad the end
          Win->OutPad[I] -= Total;
          Total = 0;
        }
        bool Lower = Auto == "SAME_LOWER";
        Win->Pads[I] = Lower ? Total - Total / 2 : Total / 2;
        Win->Pads[Rank + I] = Lower ? Total / 2 : Total - Total / 2;
      }
    }
  }
  std::string Name = C.name(N);
  Value *Y;
  if (Rank == 2) {
    Y = conv2d(C, K, X, W, B, *Win, G, Name);
  } else if (Rank == 1) {
    Value *Y2 = conv2d(C, K, reshape(C, X, {0, 0, 1, -1}, Name + ".x2d"),
                       reshape(C, W, {0, 0, 1, -1}, Name + ".w2d"), B,
                       Win->plane(-1, 0), G, Name + ".2d");
    Y = reshape(C, Y2, {0, 0, -1}, Name);
  } else {
    Y = Transposed ? convTranspose3d(C, X, W, B, *Win, G, Name)
                   : conv3d(C, X, W, B, *Win, G, Name);
  }
  C.define(N, {Y});
  return Status::success();
}

Value *pool2d(Context &C, bool Max, const onnx::NodeProto &N, Value *X,
              const Window &Win, const std::string &Name,
              bool CountPad = false) {
  Attributes A = attrs({{"kernel_shape", Win.Kernel},
                        {"strides", Win.Strides},
                        {"pads", Win.Pads},
                        {"ceil_mode", attrInt(N, "ceil_mode", 0)}});
  if (Max)
    A.set("dilations", Win.Dil);
  else
    A.set("count_include_pad",
          CountPad ? 1 : attrInt(N, "count_include_pad", 0));
  return C.B.op(Max ? OpKind::MaxPool : OpKind::AvgPool, {X}, A, Name);
}

/// Whether the pool N can take the pending zero Pad it reads into its own
/// padding: the Pad's zeros are elements of the window and count, which the
/// pool's own padding must then do as well.
bool takesPad(const Context &C, const onnx::NodeProto &N, bool Max) {
  auto It = C.Pads.find(N.input(0));
  if (It == C.Pads.end() || Max || It->second.Pads.size() != 8 ||
      attrString(N, "auto_pad", "NOTSET") != "NOTSET")
    return false;
  for (int64_t P : attrInts(N, "pads"))
    if (P != 0 && !attrInt(N, "count_include_pad", 0))
      return false;
  return true;
}

Status convertPool(Context &C, const onnx::NodeProto &N, bool Max) {
  if (!takesPad(C, N, Max))
    NNC_TRY(materializePad(C, N.input(0)));
  bool Padded = C.Pads.count(N.input(0)) > 0;
  Value *X = dataInput(C, N);
  int64_t Rank = X->Type.rank() - 2;
  Ints Kernel = attrInts(N, "kernel_shape");
  if (Rank < 1 || Rank > 3 || int64_t(Kernel.size()) != Rank)
    return error("pooling over ", Rank,
                 " spatial dimensions is not supported (1, 2 or 3) or "
                 "kernel_shape does not match, found ",
                 X->Type.str(), " and kernel_shape of ", Kernel.size());
  // ONNX's strides default to 1 (PyTorch's to the kernel).
  Expected<Window> Win = windowOf(N, X->Type.Dims, Kernel);
  if (!Win.ok())
    return Win.status();
  if (Padded) {
    addPendingPads(C, N, *Win);
    C.define(N, {pool2d(C, false, N, X, *Win, C.name(N), true)});
    return Status::success();
  }
  std::string Name = C.name(N);
  bool Indices = Max && N.output_size() > 1 && !N.output(1).empty();
  if (Indices && Rank != 2)
    return error("output 'Indices' of pooling over ", Rank,
                 " spatial dimensions is not supported (2 only)");
  Value *Y;
  if (Rank == 2) {
    Y = pool2d(C, Max, N, X, *Win, Name);
    if (Indices) {
      Attributes A = C.B.status().ok() ? Y->Producer->Attrs : Attributes();
      A.set("storage_order", attrInt(N, "storage_order", 0));
      C.define(N,
               {Y, C.B.op(OpKind::MaxPoolIndices, {X}, A, Name + ".indices")});
      return Status::success();
    }
  } else if (Rank == 1) {
    Value *Y2 = pool2d(C, Max, N, reshape(C, X, {0, 0, 1, -1}, Name + ".x2d"),
                       Win->plane(-1, 0), Name + ".2d");
    Y = reshape(C, Y2, {0, 0, -1}, Name);
  } else {
    // Separable: the window is a box, its maximum (or its sum and its count
    // of counted elements) the product of per-axis ones.
    const Shape &XD = X->Type.Dims;
    Value *Hw = pool2d(C, Max, N,
                       reshape(C, X, {0, -1, XD[3], XD[4]}, Name + ".planes"),
                       Win->plane(1, 2), Name + ".hw");
    if (!C.B.status().ok())
      return C.B.status();
    int64_t OH = Hw->Type.Dims[2], OW = Hw->Type.Dims[3];
    Value *D =
        pool2d(C, Max, N, reshape(C, Hw, {0, XD[1], XD[2], -1}, Name + ".d_hw"),
               Win->plane(0, -1), Name + ".d");
    Y = reshape(C, D, {0, 0, 0, OH, OW}, Name);
  }
  C.define(N, {Y});
  return Status::success();
}

} // namespace

Status convertConv(Context &C, const onnx::NodeProto &N) {
  return convertConvLike(C, N, OpKind::Conv);
}
Status convertConvTranspose(Context &C, const onnx::NodeProto &N) {
  return convertConvLike(C, N, OpKind::ConvTranspose);
}
Status convertMaxPool(Context &C, const onnx::NodeProto &N) {
  return convertPool(C, N, true);
}
Status convertAveragePool(Context &C, const onnx::NodeProto &N) {
  return convertPool(C, N, false);
}

} // namespace nnc::frontend::onnx_import
