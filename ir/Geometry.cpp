#include "ir/Geometry.h"

#include "ir/Graph.h"

namespace nnc::ir {
namespace {

/// Window attributes above this are refused: with them and the tensors'
/// bounded sizes, the window arithmetic cannot overflow.
constexpr int64_t MaxWindowValue = int64_t(1) << 30;

/// Reads a 2-element attribute (or 4 for pads: top, left, bottom, right; a
/// 2-element pads means the same on both sides).
Status readPair(const Node &N, const char *Name, int64_t &A, int64_t &B,
                int64_t Min) {
  const auto &V = N.Attrs.getInts(Name);
  if (V.size() != 2)
    return error("attribute '", Name, "' needs 2 values, found ", V.size());
  if (V[0] < Min || V[1] < Min || V[0] > MaxWindowValue ||
      V[1] > MaxWindowValue)
    return error("attribute '", Name, "' must be in [", Min, ", ",
                 MaxWindowValue, "], found ", attrValueString(V));
  A = V[0];
  B = V[1];
  return Status::success();
}

Status readPads(const Node &N, Window2D &G) {
  const auto &P = N.Attrs.getInts("pads");
  if (P.size() == 2)
    G.PadT = G.PadB = P[0], G.PadL = G.PadR = P[1];
  else if (P.size() == 4)
    G.PadT = P[0], G.PadL = P[1], G.PadB = P[2], G.PadR = P[3];
  else
    return error("attribute 'pads' needs 2 or 4 values, found ", P.size());
  for (int64_t V : P)
    if (V < 0 || V > MaxWindowValue)
      return error("attribute 'pads' must be in [0, ", MaxWindowValue,
                   "], found ", attrValueString(P));
  return Status::success();
}

Status checkRank4(const TensorType &T, const char *What) {
  if (T.rank() != 4)
    return error(What, " must be 4-D [N,C,H,W], found ", T.str());
  return Status::success();
}

/// Output extent of a sliding window, floor or ceil mode (PyTorch's rule: the
/// last window must start inside the input or its left padding).
int64_t slidingExtent(int64_t In, int64_t K, int64_t S, int64_t P0, int64_t P1,
                      int64_t D, bool Ceil) {
  int64_t Span = In + P0 + P1 - D * (K - 1) - 1;
  if (Span < 0)
    return 0;
  int64_t Out = (Ceil ? (Span + S - 1) / S : Span / S) + 1;
  if (Ceil && (Out - 1) * S >= In + P0)
    --Out;
  return Out;
}

} // namespace

Expected<Window2D> convWindow(const Node &N, const TensorType &X,
                              const TensorType &Wt) {
  Window2D G;
  NNC_TRY(checkRank4(X, "input"));
  NNC_TRY(checkRank4(Wt, "weight"));
  G.N = X.Dims[0], G.C = X.Dims[1], G.H = X.Dims[2], G.W = X.Dims[3];
  G.KH = Wt.Dims[2], G.KW = Wt.Dims[3];
  G.Groups = N.Attrs.getInt("group");
  NNC_TRY(readPair(N, "strides", G.SH, G.SW, 1));
  NNC_TRY(readPair(N, "dilations", G.DH, G.DW, 1));
  NNC_TRY(readPads(N, G));
  if (G.Groups < 1 || G.C % G.Groups != 0)
    return error("group ", G.Groups, " must be >= 1 and divide the ", G.C,
                 " input channels");
  bool Transposed = N.Op == OpKind::ConvTranspose;
  if (!Transposed) {
    G.O = Wt.Dims[0];
    if (Wt.Dims[1] * G.Groups != G.C)
      return error("weight ", Wt.str(), " expects ", Wt.Dims[1] * G.Groups,
                   " input channels (", Wt.Dims[1], " x group ", G.Groups,
                   "), input has ", G.C);
    if (G.O % G.Groups != 0)
      return error("group ", G.Groups, " must divide the ", G.O,
                   " output channels");
    G.OH = slidingExtent(G.H, G.KH, G.SH, G.PadT, G.PadB, G.DH, false);
    G.OW = slidingExtent(G.W, G.KW, G.SW, G.PadL, G.PadR, G.DW, false);
  } else {
    if (Wt.Dims[0] != G.C)
      return error("weight ", Wt.str(), " expects ", Wt.Dims[0],
                   " input channels, input has ", G.C);
    G.O = Wt.Dims[1] * G.Groups;
    int64_t OPH, OPW;
    NNC_TRY(readPair(N, "output_padding", OPH, OPW, 0));
    if (OPH >= std::max(G.SH, G.DH) || OPW >= std::max(G.SW, G.DW))
      return error("output_padding must be smaller than stride or dilation");
    G.OH = (G.H - 1) * G.SH - G.PadT - G.PadB + G.DH * (G.KH - 1) + OPH + 1;
    G.OW = (G.W - 1) * G.SW - G.PadL - G.PadR + G.DW * (G.KW - 1) + OPW + 1;
  }
  if (G.OH <= 0 || G.OW <= 0)
    return error("output would be empty (", G.OH, "x", G.OW, ") for input ",
                 X.str(), " and kernel ", G.KH, "x", G.KW);
  return G;
}

Expected<Window2D> poolWindow(const Node &N, const TensorType &X) {
  Window2D G;
  NNC_TRY(checkRank4(X, "input"));
  G.N = X.Dims[0], G.C = X.Dims[1], G.H = X.Dims[2], G.W = X.Dims[3];
  NNC_TRY(readPair(N, "kernel_shape", G.KH, G.KW, 1));
  if (N.Attrs.getInts("strides").empty())
    G.SH = G.KH, G.SW = G.KW;
  else
    NNC_TRY(readPair(N, "strides", G.SH, G.SW, 1));
  if (N.Attrs.has("pads"))
    NNC_TRY(readPads(N, G));
  if (N.Attrs.has("dilations"))
    NNC_TRY(readPair(N, "dilations", G.DH, G.DW, 1));
  if (G.PadT >= G.KH || G.PadB >= G.KH || G.PadL >= G.KW || G.PadR >= G.KW)
    return error("pads must be smaller than the kernel");
  bool Ceil = N.Attrs.has("ceil_mode") && N.Attrs.getInt("ceil_mode") != 0;
  G.OH = slidingExtent(G.H, G.KH, G.SH, G.PadT, G.PadB, G.DH, Ceil);
  G.OW = slidingExtent(G.W, G.KW, G.SW, G.PadL, G.PadR, G.DW, Ceil);
  if (G.OH <= 0 || G.OW <= 0)
    return error("output would be empty for input ", X.str(), " and kernel ",
                 G.KH, "x", G.KW);
  return G;
}

} // namespace nnc::ir
