//===- backend/llvm/KernelCalls.h - Packing kernels' parameters -*- C++ -*-===//
//-*-===//
//
// Internal to backend/llvm: the helpers that kernelCall's families
// (KernelParams.cpp, ContractionCalls.cpp, PoolingCalls.cpp,
// LayoutCalls.cpp) share to pack shapes, windows and task counts into a
// kernel's P array.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/kernels/Codes.h"
#include "backend/kernels/Params.h"
#include "backend/kernels/Workspace.h"
#include "backend/llvm/KernelParams.h"
#include "ir/Geometry.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <type_traits>

namespace nnc::backend::calls {

using namespace nnc::ir;


inline std::vector<int64_t> rowMajorStrides(const Shape &Dims) {
  std::vector<int64_t> S(Dims.size(), 1);
  for (int64_t I = int64_t(Dims.size()) - 2; I >= 0; --I)
    S[size_t(I)] = S[size_t(I) + 1] * Dims[size_t(I) + 1];
  return S;
}

/// Stores the struct S as the array Out (all its fields of type Elt).
template <typename Elt, typename T>
void pack(std::vector<Elt> &Out, const T &S) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % sizeof(Elt) == 0,
                "kernel parameter structs hold fields of one type");
  Out.resize(sizeof(T) / sizeof(Elt));
  std::memcpy(Out.data(), &S, sizeof(T));
}

/// The struct pack stored in In (a T, or a bug in the caller).
template <typename T, typename Elt> T unpack(const std::vector<Elt> &In) {
  assert(In.size() * sizeof(Elt) == sizeof(T) && "not T's kernel");
  T S{};
  std::memcpy(&S, In.data(), std::min(sizeof(T), In.size() * sizeof(Elt)));
  return S;
}

/// Params and Reals (backend/kernels/Params.h) as the kernel's P and F.
template <typename T> void setParams(KernelCall &C, const T &Params) {
  pack(C.P, Params);
}
template <typename T> void setReals(KernelCall &C, const T &Reals) {
  pack(C.F, Reals);
}
template <typename T> T paramsOf(const KernelCall &C) { return unpack<T>(C.P); }
template <typename T> T realsOf(const KernelCall &C) { return unpack<T>(C.F); }

inline nnck::Window windowParams(const Window2D &G) {
  return {G.N,    G.C,    G.H,    G.W,  G.KH, G.KW, G.SH, G.SW, G.PadT,
          G.PadL, G.PadB, G.PadR, G.DH, G.DW, G.OH, G.OW, G.O,  G.Groups};
}

/// Appends the window, as the conv kernels' P starts.
inline void pushWindow(const Window2D &G, std::vector<int64_t> &P) {
  nnck::Window W = windowParams(G);
  int64_t Fields[sizeof W / sizeof(int64_t)];
  std::memcpy(Fields, &W, sizeof W);
  P.insert(P.end(), std::begin(Fields), std::end(Fields));
}

inline int64_t normalizedAxis(int64_t Axis, size_t Rank) {
  return Axis < 0 ? Axis + int64_t(Rank) : Axis;
}

/// Dims as the loops outside an axis, the axis and the loops inside it.
struct Split {
  int64_t Outer, Extent, Inner;
};
inline Split splitAround(const Shape &Dims, int64_t Axis) {
  Split S{1, Dims[size_t(Axis)], 1};
  for (int64_t I = 0; I < int64_t(Dims.size()); ++I)
    if (I < Axis)
      S.Outer *= Dims[size_t(I)];
    else if (I > Axis)
      S.Inner *= Dims[size_t(I)];
  return S;
}

/// N, C and the elements per channel and image of an NC... tensor.
struct Channels {
  int64_t N, C, Inner;
};
inline Channels channelsOf(const Shape &Dims) {
  int64_t N = Dims[0], C = Dims.size() > 1 ? Dims[1] : 1;
  return {N, C, numElements(Dims) / std::max<int64_t>(N * C, 1)};
}

inline uint64_t seedMix(const Node &N) {
  uint64_t Seed = N.Attrs.has("seed") ? uint64_t(N.Attrs.getInt("seed")) : 0;
  return Seed * 0x9e3779b97f4a7c15ULL ^ (uint64_t(N.Id) << 32);
}

/// Sorted, normalized reduction axes; all of them when 'axes' is empty.
inline std::vector<int64_t> reducedAxes(const Node &N, size_t Rank) {
  std::vector<int64_t> Axes;
  for (int64_t A : N.Attrs.getInts("axes"))
    Axes.push_back(normalizedAxis(A, Rank));
  if (Axes.empty())
    for (size_t I = 0; I < Rank; ++I)
      Axes.push_back(int64_t(I));
  return Axes;
}

/// Strides of the reduced tensor (reduced dims kept as 1) over Dims, 0 on
/// the reduced dims.
inline std::vector<int64_t> keptStrides(const Shape &Dims,
                                        const std::vector<int64_t> &Axes) {
  Shape Kept = Dims;
  for (int64_t A : Axes)
    Kept[size_t(A)] = 1;
  std::vector<int64_t> S = rowMajorStrides(Kept);
  for (size_t I = 0; I < Kept.size(); ++I)
    if (Kept[I] == 1)
      S[I] = 0;
  return S;
}

/// Small's row-major strides over Big's axes, right-aligned as NumPy
/// broadcasts: 0 on Big's leading axes and where Small has a 1.
inline std::vector<int64_t> broadcastStrides(const Shape &Small,
                                             const Shape &Big) {
  size_t Off = Big.size() - Small.size();
  std::vector<int64_t> SS = rowMajorStrides(Small), S(Big.size(), 0);
  for (size_t D = 0; D < Small.size(); ++D)
    S[Off + D] = Small[D] == 1 ? 0 : SS[D];
  return S;
}

/// Tasks for splitting Planes planes of Elements elements in all: none
/// worth the hand-off below 32K elements.
inline int64_t planeTasks(int64_t Planes, int64_t Elements, int64_t Threads) {
  if (Elements < (1 << 15))
    return 1;
  return std::max<int64_t>(1, std::min(Planes, Threads));
}

/// Tasks for a GEMM of Rows rows and MACs multiply-adds: whole register
/// blocks each, none below 256K multiply-adds.
inline int64_t gemmTasks(int64_t Rows, int64_t MACs, int64_t Threads) {
  if (MACs < (1 << 18))
    return 1;
  int64_t Blocks = (Rows + nnck::GemmMR - 1) / nnck::GemmMR;
  return std::max<int64_t>(1, std::min(Blocks, Threads));
}

inline int64_t tasksFor(int64_t Batch, int64_t Threads) {
  return std::max<int64_t>(1, std::min(Batch, Threads));
}

/// A call of nnc_k_<op>, parameters to be packed.
inline KernelCall namedCall(const Node &N) {
  KernelCall C;
  C.Symbol = "nnc_k_" + std::string(N.opName());
  return C;
}

/// The first operand's dimensions (none for an op without operands).
inline const Shape &firstDims(const Node &N) {
  static const Shape None;
  return N.Inputs.empty() ? None : N.Inputs[0]->Type.Dims;
}

// The families of kernelCall, each for the ops it lists.
Expected<KernelCall> contractionCall(const Node &N, bool Training,
                                     int64_t Threads);
Expected<KernelCall> poolingCall(const Node &N, bool Training, int64_t Threads);
Expected<KernelCall> layoutCall(const Node &N, bool Training, int64_t Threads);
Expected<KernelCall> recurrentCall(const Node &N, int64_t Threads);

} // namespace nnc::backend::calls
