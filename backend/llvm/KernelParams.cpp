#include "backend/llvm/KernelParams.h"

#include "backend/kernels/Codes.h"
#include "backend/kernels/PadIndex.h"
#include "backend/kernels/Workspace.h"
#include "ir/Geometry.h"
#include "ir/Pointwise.h"

#include <algorithm>
#include <array>

namespace nnc::backend {

using namespace nnc::ir;

namespace {

constexpr int MaxRank = 6;

std::vector<int64_t> rowMajorStrides(const Shape &Dims) {
  std::vector<int64_t> S(Dims.size(), 1);
  for (int64_t I = int64_t(Dims.size()) - 2; I >= 0; --I)
    S[size_t(I)] = S[size_t(I) + 1] * Dims[size_t(I) + 1];
  return S;
}

/// Appends dims and strides padded in front to rank 6.
Status pushStrided(const Node &N, const Shape &Dims,
                   const std::vector<int64_t> &Strides,
                   std::vector<int64_t> &P) {
  if (Dims.size() > size_t(MaxRank))
    return error(N.describe(), ": rank ", Dims.size(),
                 " is more than the compiled backend's ", MaxRank);
  size_t Pad = MaxRank - Dims.size();
  for (size_t I = 0; I < Pad; ++I)
    P.push_back(1);
  P.insert(P.end(), Dims.begin(), Dims.end());
  for (size_t I = 0; I < Pad; ++I)
    P.push_back(0);
  P.insert(P.end(), Strides.begin(), Strides.end());
  return Status::success();
}

void pushWindow(const Window2D &G, std::vector<int64_t> &P) {
  P.insert(P.end(), {G.N, G.C, G.H, G.W, G.KH, G.KW, G.SH, G.SW, G.PadT, G.PadL,
                     G.PadB, G.PadR, G.DH, G.DW, G.OH, G.OW, G.O, G.Groups});
}

int64_t normalizedAxis(int64_t Axis, size_t Rank) {
  return Axis < 0 ? Axis + int64_t(Rank) : Axis;
}

/// Outer, extent, inner around an axis.
void pushSplit(const Shape &Dims, int64_t Axis, std::vector<int64_t> &P) {
  int64_t Outer = 1, Inner = 1;
  for (int64_t I = 0; I < int64_t(Dims.size()); ++I)
    if (I < Axis)
      Outer *= Dims[size_t(I)];
    else if (I > Axis)
      Inner *= Dims[size_t(I)];
  P.insert(P.end(), {Outer, Dims[size_t(Axis)], Inner});
}

/// N, C, elements per channel and image.
void pushChannels(const Shape &Dims, std::vector<int64_t> &P) {
  int64_t N = Dims[0], C = Dims.size() > 1 ? Dims[1] : 1;
  P.insert(P.end(), {N, C, numElements(Dims) / std::max<int64_t>(N * C, 1)});
}

uint64_t seedMix(const Node &N) {
  uint64_t Seed = N.Attrs.has("seed") ? uint64_t(N.Attrs.getInt("seed")) : 0;
  return Seed * 0x9e3779b97f4a7c15ULL ^ (uint64_t(N.Id) << 32);
}

/// Sorted, normalized reduction axes; all of them when 'axes' is empty.
std::vector<int64_t> reducedAxes(const Node &N, size_t Rank) {
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
std::vector<int64_t> keptStrides(const Shape &Dims,
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
std::vector<int64_t> broadcastStrides(const Shape &Small, const Shape &Big) {
  size_t Off = Big.size() - Small.size();
  std::vector<int64_t> SS = rowMajorStrides(Small), S(Big.size(), 0);
  for (size_t D = 0; D < Small.size(); ++D)
    S[Off + D] = Small[D] == 1 ? 0 : SS[D];
  return S;
}

/// Tasks for splitting Planes planes of Elements elements in all: none
/// worth the hand-off below 32K elements.
int64_t planeTasks(int64_t Planes, int64_t Elements, int64_t Threads) {
  if (Elements < (1 << 15))
    return 1;
  return std::max<int64_t>(1, std::min(Planes, Threads));
}

/// Tasks for a GEMM of Rows rows and MACs multiply-adds: whole register
/// blocks each, none below 256K multiply-adds.
int64_t gemmTasks(int64_t Rows, int64_t MACs, int64_t Threads) {
  if (MACs < (1 << 18))
    return 1;
  int64_t Blocks = (Rows + nnck::GemmMR - 1) / nnck::GemmMR;
  return std::max<int64_t>(1, std::min(Blocks, Threads));
}

int64_t tasksFor(int64_t Batch, int64_t Threads) {
  return std::max<int64_t>(1, std::min(Batch, Threads));
}

Expected<KernelCall> convCall(const Node &N, bool Transposed, bool GradW,
                              int64_t Threads) {
  const Value *X = N.Inputs[0];
  const TensorType &Wt = GradW ? N.Outputs[0]->Type : N.Inputs[1]->Type;
  Expected<Window2D> GOr = convWindow(N, X->Type, Wt);
  if (!GOr.ok())
    return GOr.status();
  const Window2D &G = *GOr;
  KernelCall C;
  C.Symbol = Transposed ? "nnc_k_ConvTranspose"
             : GradW    ? "nnc_k_ConvGradWeights"
                        : "nnc_k_Conv";
  pushWindow(G, C.P);
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups, KK = G.KH * G.KW;
  int64_t Kind = Transposed ? nnck::ConvTransposed
                 : GradW    ? nnck::ConvBackwardWeights
                            : nnck::ConvForward;
  int64_t Pixels = Transposed ? G.H * G.W : G.OH * G.OW;
  int64_t Images =
      nnck::convChunkImages(G.N, nnck::convColRows(Kind, Cg, Og, KK), Pixels);
  // Weight gradients of wide layers are dot products of many long rows: as
  // many images as keep the column matrix in L2 (measured: convbn's 32->64
  // layer 3.5 -> 2.3 ms; LeNet's narrow layers are faster with the default).
  if (Kind == nnck::ConvBackwardWeights && Og >= 32 && Cg * KK >= 64) {
    int64_t PerTaskImages = (G.N + Threads - 1) / std::max<int64_t>(Threads, 1);
    int64_t InL2 = (int64_t(1) << 18) / std::max<int64_t>(Cg * KK * Pixels, 1);
    Images = std::max<int64_t>(1, std::min(InL2, PerTaskImages));
  }
  int64_t PerTask = nnck::convWork(Kind, Cg, Og, G.O, KK, Pixels, Images).Total;
  if (Kind == nnck::ConvForward &&
      nnck::convWinograd(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C,
                         G.O)) {
    Images = nnck::winogradChunkImages(G.N, G.C, G.O,
                                       nnck::winogradTiles(G.OH, G.OW));
    PerTask = nnck::winogradWork(G.C, G.O, G.OH, G.OW, Images).Total;
  }
  if (Kind == nnck::ConvForward &&
      nnck::convDirect(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C))
    PerTask = nnck::convDirectFloats(G.C, G.KH, G.KW, G.OH, G.OW);
  bool ChannelVec =
      Kind == nnck::ConvForward &&
      !nnck::convWinograd(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C,
                          G.O) &&
      !nnck::convDirect(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C) &&
      nnck::convChannelVec(G.KH, G.KW, G.Groups, G.C, G.O);
  if (ChannelVec) {
    // One image per chunk: the planes are per image.
    Images = 1;
    PerTask = nnck::convVecFloats(G.C, G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.OH,
                                  G.OW, G.O);
  }
  bool TransposeWinograd =
      Kind == nnck::ConvTransposed &&
      nnck::convTransposeWinograd(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups,
                                  G.C, G.O, G.PadT, G.PadL);
  if (TransposeWinograd) {
    Images = nnck::winogradChunkImages(G.N, G.C, G.O,
                                       nnck::winogradTiles(G.OH, G.OW));
    PerTask = nnck::winogradWork(G.C, G.O, G.OH, G.OW, Images).Total;
  } else if (Kind == nnck::ConvTransposed &&
             nnck::convTransposeGather(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW,
                                       G.Groups, G.C, G.PadT, G.PadL)) {
    Images = 1; // the transposed input is per image
    PerTask = nnck::convGatherWork(G.C, G.O, G.KH, G.KW, G.OH, G.OW).Total;
  }
  if (Kind == nnck::ConvBackwardWeights &&
      nnck::convDirectGrad(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C))
    PerTask = nnck::convDirectGradFloats(G.C, G.KH, G.KW, G.OH, G.OW, G.O);
  else if (Kind == nnck::ConvBackwardWeights &&
           nnck::convChannelVec(G.KH, G.KW, G.Groups, G.C, G.O)) {
    Images = 1; // the planes and transposed dY are per image
    PerTask = nnck::convVecGradWork(G.C, G.KH, G.KW, G.SH, G.SW, G.DH, G.DW,
                                    G.OH, G.OW, G.O)
                  .Total;
  }
  int64_t Chunks = (G.N + Images - 1) / Images;
  int64_t Tasks = tasksFor(Chunks, Threads);
  // Fewer chunks than threads (small batches): the direct and Winograd
  // paths split the output channels instead (nnck::channelsOf).
  if (Chunks < Threads && G.O >= 8 * Threads &&
      ((Kind == nnck::ConvForward &&
        (nnck::convWinograd(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C,
                            G.O) ||
         nnck::convDirect(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups,
                          G.C))) ||
       TransposeWinograd))
    Tasks = Threads;
  C.P.insert(C.P.end(), {Tasks, PerTask, Images});
  // The Winograd path's epilogue reads P[21], P[22] (no BatchNorm, no
  // activation), which only a conv's fusion adds.
  if (Transposed)
    C.P.insert(C.P.end(), {0, 0});
  C.Tasks = Tasks;
  C.WorkspaceBytes = size_t(Tasks * PerTask) * sizeof(float);
  return C;
}

const char *poolName(const std::string &Pool) { return Pool.c_str(); }

} // namespace

Expected<KernelCall> kernelCall(const Node &N, bool Training, int64_t Threads) {
  KernelCall C;
  C.Symbol = "nnc_k_" + std::string(N.opName());
  const Shape &X0 = N.Inputs.empty() ? Shape{} : N.Inputs[0]->Type.Dims;
  const Shape &Y0 = N.Outputs[0]->Type.Dims;
  const Attributes &A = N.Attrs;
  switch (N.Op) {
  case OpKind::MatMul: {
    const Shape &B = N.Inputs[1]->Type.Dims;
    int64_t K = B[B.size() - 2], Cols = B.back();
    int64_t Batches = numElements(B) / std::max<int64_t>(K * Cols, 1);
    int64_t M = numElements(X0) / std::max<int64_t>(K * Batches, 1);
    // One operand matrix: tasks split A's rows; batched: the batches.
    C.Tasks = Batches == 1 ? gemmTasks(M, M * Cols * K, Threads)
                           : std::min(Batches, std::max<int64_t>(Threads, 1));
    int64_t Rows = Batches == 1 ? (M + C.Tasks - 1) / C.Tasks : M;
    int64_t PerTask =
        nnck::roundUp(nnck::gemmWorkspace(Rows + nnck::GemmMR, Cols, K), 16);
    C.P = {M, Cols, K, C.Tasks, PerTask, Batches};
    C.WorkspaceBytes = size_t(C.Tasks * PerTask) * 4;
    return C;
  }
  case OpKind::Dense: {
    int64_t Rows = X0[0], K = X0[1], M = N.Inputs[1]->Type.Dims[0];
    // A few rows are dot products over W's rows, split by output feature
    // (batch-1 inference reads all of W: two cores read it faster).
    C.Tasks = Rows > nnck::DenseDotRows
                  ? gemmTasks(Rows, Rows * M * K, Threads)
                  : (Rows * M * K < (1 << 16) ? 1 : std::min(M, Threads));
    int64_t PerTask =
        Rows > nnck::DenseDotRows
            ? nnck::roundUp(nnck::gemmWorkspace((Rows + C.Tasks - 1) / C.Tasks +
                                                    nnck::GemmMR,
                                                M, K),
                            16)
            : 0;
    C.P = {Rows, K, M, C.Tasks, PerTask};
    C.WorkspaceBytes = size_t(C.Tasks * PerTask) * 4;
    return C;
  }
  case OpKind::Conv:
    return convCall(N, false, false, Threads);
  case OpKind::ConvTranspose:
    return convCall(N, true, false, Threads);
  case OpKind::ConvGradWeights:
    return convCall(N, false, true, Threads);
  case OpKind::Rbf:
  case OpKind::RbfGrad:
    C.P = {X0[0], X0[1], N.Inputs[1]->Type.Dims[0]};
    return C;
  case OpKind::MaxPool:
  case OpKind::AvgPool:
  case OpKind::StochasticPool: {
    Expected<Window2D> G = poolWindow(N, N.Inputs[0]->Type);
    if (!G.ok())
      return G.status();
    pushWindow(*G, C.P);
    if (N.Op == OpKind::StochasticPool) { // sequential: one random stream
      C.P.insert(C.P.end(), {int64_t(seedMix(N)), Training ? 1 : 0});
      return C;
    }
    C.P.push_back(N.Op == OpKind::AvgPool ? A.getInt("count_include_pad") : 0);
    C.Tasks = planeTasks(G->N * G->C, numElements(X0), Threads);
    C.P.push_back(C.Tasks);
    return C;
  }
  case OpKind::MaxPoolIndices: {
    Expected<Window2D> G = poolWindow(N, N.Inputs[0]->Type);
    if (!G.ok())
      return G.status();
    pushWindow(*G, C.P);
    C.P.push_back(A.getInt("storage_order"));
    return C;
  }
  case OpKind::GlobalAvgPool:
  case OpKind::GlobalMaxPool:
    C.P = {X0[0] * X0[1], numElements(X0) / (X0[0] * X0[1])};
    return C;
  case OpKind::PoolGrad: {
    const std::string &Pool = A.getString("pool");
    int64_t Planes = X0[0] * X0[1];
    using namespace nnck;
    int64_t Kind =
        Pool == "MaxPool"         ? PoolGradMax
        : Pool == "AvgPool"       ? PoolGradAvg
        : Pool == "GlobalAvgPool" ? PoolGradGlobalAvg
        : Pool == "GlobalMaxPool" ? PoolGradGlobalMax
        : Pool == "StochasticPool"
            ? (Training ? PoolGradMax : PoolGradStochasticExpectation)
            : int64_t(-1);
    if (Kind < 0)
      return error(N.describe(), ": no gradient kernel for pooling '", Pool,
                   "'");
    Window2D G;
    if (Kind != PoolGradGlobalAvg && Kind != PoolGradGlobalMax) {
      Expected<Window2D> GOr = poolWindow(N, N.Inputs[0]->Type);
      if (!GOr.ok())
        return GOr.status().withPrefix(poolName(Pool));
      G = *GOr;
    }
    pushWindow(G, C.P);
    C.Tasks = planeTasks(Planes, numElements(X0), Threads);
    C.P.insert(C.P.end(),
               {Kind,
                A.has("count_include_pad") ? A.getInt("count_include_pad") : 0,
                Planes, numElements(X0) / Planes, C.Tasks});
    return C;
  }
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    pushSplit(X0, normalizedAxis(A.getInt("axis"), X0.size()), C.P);
    return C;
  case OpKind::SoftmaxGrad:
    pushSplit(X0, normalizedAxis(A.getInt("axis"), X0.size()), C.P);
    C.P.push_back(A.getInt("log"));
    return C;
  case OpKind::Maxout:
    pushSplit(Y0, 1, C.P);
    C.P.push_back(A.getInt("pieces"));
    return C;
  case OpKind::MaxoutGrad:
    pushSplit(N.Inputs[1]->Type.Dims, 1, C.P);
    C.P.push_back(A.getInt("pieces"));
    return C;
  case OpKind::PReluGrad: {
    int64_t Ch = X0.size() >= 2 ? X0[1] : 1, Inner = 1;
    for (size_t I = 2; I < X0.size(); ++I)
      Inner *= X0[I];
    C.P = {Ch, Inner, N.Inputs[1]->Type.numElements() != 1 ? 1 : 0,
           numElements(X0)};
    return C;
  }
  case OpKind::BatchNorm:
  case OpKind::BatchNormTrain:
  case OpKind::BatchNormGrad:
    pushChannels(X0, C.P);
    C.P.push_back(N.Op == OpKind::BatchNorm        ? (Training ? 1 : 0)
                  : N.Op == OpKind::BatchNormTrain ? A.getInt("unbiased")
                                                   : A.getInt("training"));
    // P[4]: a fused activation (BatchNormTrain; 0 none) or activation
    // gradient (BatchNormGrad; -1 none), see addFusedActivation.
    C.P.push_back(N.Op == OpKind::BatchNormGrad ? -1 : 0);
    C.Tasks = planeTasks(C.P[1], numElements(X0), Threads); // channels
    C.P.push_back(C.Tasks);
    // P[6], P[7]: BatchNormGrad's fused max-pooling gradient, the pooled
    // input's height and width (0: none). Then the slot of the saved batch
    // statistics (0: none; BatchNormTrain's P[6], BatchNormGrad's P[8]),
    // and BatchNormGrad's P[9], the slot of dx's channel sums (0: none),
    // P[10] the rows they are summed in (as the Reduce kernel sums).
    if (N.Op == OpKind::BatchNormGrad)
      C.P.insert(C.P.end(), {0, 0});
    if (N.Op != OpKind::BatchNorm)
      C.P.push_back(0);
    // BatchNormGrad's P[11]: the workspace holds each task's dy through
    // the prologues (see kernelWorkspace).
    if (N.Op == OpKind::BatchNormGrad)
      C.P.insert(C.P.end(), {0, X0.size() >= 3 ? X0.back() : 1, 0});
    // BatchNormTrain's P[7], P[8], P[9]: a 2x2 max pooling of each plane
    // written (height, width; 0: none) and the slot of its result.
    if (N.Op == OpKind::BatchNormTrain)
      C.P.insert(C.P.end(), {0, 0, 0});
    C.F = {A.getFloat("epsilon"),
           A.has("momentum") ? A.getFloat("momentum") : 0.0,
           0,
           0,
           0,
           0};
    return C;
  case OpKind::LRN:
  case OpKind::LRNGrad:
    pushChannels(X0, C.P);
    C.P.push_back(A.getInt("size"));
    C.F = {A.getFloat("alpha"), A.getFloat("beta"), A.getFloat("bias")};
    return C;
  case OpKind::Transpose: {
    std::vector<int64_t> Perm = A.getInts("perm");
    if (Perm.empty())
      for (int64_t I = int64_t(X0.size()) - 1; I >= 0; --I)
        Perm.push_back(I);
    std::vector<int64_t> In = rowMajorStrides(X0), S;
    for (int64_t D : Perm)
      S.push_back(In[size_t(D)]);
    C.Symbol = "nnc_k_Gather";
    C.F = {1.0};
    NNC_TRY(pushStrided(N, Y0, S, C.P));
    C.P.push_back(1); // the output's slot
    return C;
  }
  case OpKind::ReduceGrad: {
    // dy (reduced) read back over x's shape, scaled for a mean.
    std::vector<int64_t> Axes = reducedAxes(N, Y0.size());
    C.Symbol = "nnc_k_Gather";
    C.F = {A.getInt("mean") ? double(N.Inputs[0]->Type.numElements()) /
                                  double(numElements(Y0))
                            : 1.0};
    NNC_TRY(pushStrided(N, Y0, keptStrides(Y0, Axes), C.P));
    C.P.push_back(2); // after dy and like
    return C;
  }
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin: {
    // Sums scaled by F[0]; extremes signed by F[0] (-1: the minimum).
    std::vector<int64_t> Axes = reducedAxes(N, X0.size());
    bool Extreme = N.Op == OpKind::ReduceMax || N.Op == OpKind::ReduceMin;
    C.Symbol = Extreme ? "nnc_k_ReduceExtreme" : "nnc_k_Reduce";
    C.F = {N.Op == OpKind::ReduceMean
               ? double(numElements(Y0)) / double(numElements(X0))
           : N.Op == OpKind::ReduceMin ? -1.0
                                       : 1.0};
    NNC_TRY(pushStrided(N, X0, keptStrides(X0, Axes), C.P));
    C.P.insert(C.P.end(), {numElements(Y0), 1});
    return C;
  }
  case OpKind::Expand:
    // x read with stride 0 along the axes it broadcasts on.
    C.Symbol = "nnc_k_Gather";
    C.F = {1.0};
    NNC_TRY(pushStrided(N, Y0, broadcastStrides(X0, Y0), C.P));
    C.P.push_back(2); // after x and batch_like (null when absent)
    return C;
  case OpKind::Pad:
  case OpKind::PadGrad: {
    // Both walk the padded shape: Pad's output, PadGrad's dy.
    bool Grad = N.Op == OpKind::PadGrad;
    const Shape &Padded = Grad ? X0 : Y0, &Plain = Grad ? Y0 : X0;
    std::vector<int64_t> Pads = A.getInts("pads"), Begins(Plain.size());
    std::copy_n(Pads.begin(), Plain.size(), Begins.begin());
    NNC_TRY(pushStrided(N, Padded, rowMajorStrides(Padded), C.P));
    C.P.resize(MaxRank); // the strides are not needed
    NNC_TRY(pushStrided(N, Plain, Begins, C.P));
    std::string Mode = A.getString("mode");
    C.P.push_back(Mode == "reflect" ? nnck::PadReflect
                  : Mode == "edge"  ? nnck::PadEdge
                                    : nnck::PadConstant);
    C.F = {A.getFloat("value")};
    return C;
  }
  case OpKind::SumTo:
    // x's leading dims and the target's 1s are summed.
    C.Symbol = "nnc_k_Reduce";
    C.F = {1.0};
    NNC_TRY(pushStrided(N, X0, broadcastStrides(Y0, X0), C.P));
    C.P.insert(C.P.end(), {numElements(Y0), 2}); // after x and like
    return C;
  case OpKind::Concat: {
    int64_t Axis = normalizedAxis(A.getInt("axis"), Y0.size());
    int64_t Outer = 1, Inner = 1;
    for (int64_t D = 0; D < int64_t(Y0.size()); ++D)
      if (D < Axis)
        Outer *= Y0[size_t(D)];
      else if (D > Axis)
        Inner *= Y0[size_t(D)];
    C.P = {int64_t(N.Inputs.size()), Outer, Y0[size_t(Axis)] * Inner};
    for (const Value *In : N.Inputs)
      C.P.push_back(In->Type.Dims[size_t(Axis)] * Inner);
    return C;
  }
  case OpKind::ChannelShuffle: {
    int64_t G = A.getInt("groups");
    C.P = {X0[0], G, X0[1] / G, numElements(X0) / (X0[0] * X0[1])};
    return C;
  }
  case OpKind::ArgMax:
    pushSplit(X0, normalizedAxis(A.getInt("axis"), X0.size()), C.P);
    return C;
  case OpKind::Slice: {
    int64_t Axis = normalizedAxis(A.getInt("axis"), X0.size());
    pushSplit(X0, Axis, C.P);
    C.P.insert(C.P.end(),
               {A.getInt("start"), A.getInt("end") - A.getInt("start")});
    return C;
  }
  case OpKind::MseLoss:
  case OpKind::BceLoss:
  case OpKind::BceWithLogitsLoss:
    C.P = {numElements(X0)};
    return C;
  case OpKind::NllLoss:
  case OpKind::NllLossGrad: {
    const std::string &R = A.getString("reduction");
    C.P = {X0[0],
           X0[1],
           numElements(X0) / (X0[0] * X0[1]),
           R == "none"  ? 0
           : R == "sum" ? 1
                        : 2,
           A.getInt("ignore_index"),
           int64_t(N.Inputs.size()) > (N.Op == OpKind::NllLoss ? 2 : 3)};
    return C;
  }
  case OpKind::SoftmaxCrossEntropy:
  case OpKind::CorrectCount:
    C.P = {X0[0], X0[1]};
    return C;
  case OpKind::LossGrad: {
    const std::string &Loss = A.getString("loss");
    using namespace nnck;
    int64_t Kind = Loss == "SoftmaxCrossEntropy" ? LossGradSoftmaxCrossEntropy
                   : Loss == "MseLoss"           ? LossGradMse
                   : Loss == "BceLoss"           ? LossGradBce
                   : Loss == "BceWithLogitsLoss" ? LossGradBceWithLogits
                                                 : int64_t(-1);
    if (Kind < 0)
      return error(N.describe(), ": no gradient kernel for loss '", Loss, "'");
    if (Kind == LossGradSoftmaxCrossEntropy)
      C.P = {Kind, X0[0], X0[1]};
    else
      C.P = {Kind, numElements(X0)};
    return C;
  }
  case OpKind::DropoutMask:
    C.P = {int64_t(seedMix(N)), numElements(Y0)};
    C.F = {A.getFloat("ratio")};
    return C;
  case OpKind::Dropout: // training mode; inference is a view
    C.Symbol = "nnc_k_DropoutTrain";
    C.P = {int64_t(seedMix(N)), numElements(Y0)};
    C.F = {A.getFloat("ratio")};
    return C;
  case OpKind::SgdUpdate:
  case OpKind::AdagradUpdate:
  case OpKind::AdadeltaUpdate:
  case OpKind::RmspropUpdate:
  case OpKind::AdamUpdate: {
    C.P = {numElements(X0), A.getInt("decoupled"),
           int64_t(N.Inputs.size()) - 5};
    switch (N.Op) {
    case OpKind::SgdUpdate:
      C.P.push_back(A.getInt("nesterov"));
      C.F = {A.getFloat("momentum"), A.getFloat("dampening")};
      break;
    case OpKind::AdagradUpdate:
      C.F = {A.getFloat("lr_decay"), A.getFloat("eps")};
      break;
    case OpKind::AdadeltaUpdate:
      C.F = {A.getFloat("rho"), A.getFloat("eps")};
      break;
    case OpKind::RmspropUpdate:
      C.P.push_back(A.getInt("centered"));
      C.F = {A.getFloat("alpha"), A.getFloat("eps"), A.getFloat("momentum")};
      break;
    default:
      C.P.push_back(A.getInt("amsgrad"));
      C.F = {A.getFloat("beta1"), A.getFloat("beta2"), A.getFloat("eps")};
      break;
    }
    return C;
  }
  case OpKind::OnnxAdagrad:
    C.P = {numElements(N.Inputs[2]->Type.Dims), 0};
    C.F = {A.getFloat("decay_factor"), A.getFloat("epsilon"),
           A.getFloat("norm_coefficient")};
    return C;
  case OpKind::OnnxMomentum:
    C.P = {numElements(N.Inputs[2]->Type.Dims), A.getInt("nesterov")};
    C.F = {A.getFloat("alpha"), A.getFloat("beta"),
           A.getFloat("norm_coefficient")};
    return C;
  case OpKind::OnnxAdam:
    C.P = {numElements(N.Inputs[2]->Type.Dims), 0};
    C.F = {A.getFloat("alpha"), A.getFloat("beta"), A.getFloat("epsilon"),
           A.getFloat("norm_coefficient"), A.getFloat("norm_coefficient_post")};
    return C;
  default:
    return error(N.describe(), ": the compiled backend has no kernel for ",
                 N.opName());
  }
}

namespace {

/// nnck::activate's code and attributes for an epilogue's activation
/// node (null: Identity, none).
void activationCode(const Node *Act, int64_t &Code, double &A, double &B) {
  Code = int64_t(Unary::Identity), A = 0, B = 0;
  if (!Act)
    return;
  Unary U = *unaryOf(Act->Op); // passes::isEpilogueActivation admits no other
  std::array<double, 2> Attrs = unaryAttrs(U, Act->Attrs);
  Code = int64_t(U), A = Attrs[0], B = Attrs[1];
}

/// The op a UnaryGrad differentiates, as a pointwise::Unary code, and that
/// op's attributes; Dropout is the identity.
std::array<double, 2> unaryGradOp(const Node &N, int64_t &Code) {
  const std::string &Op = N.Attrs.getString("op");
  Unary U = Op == "Dropout" ? Unary::Identity : *unaryNamed(Op); // verified
  Code = int64_t(U);
  return unaryAttrs(U, N.Attrs);
}

} // namespace

void addConvEpilogue(const std::vector<const Node *> &Epilogue, KernelCall &C) {
  const Node *Bn = nullptr, *Act = nullptr;
  for (const Node *N : Epilogue)
    (N->Op == OpKind::BatchNorm ? Bn : Act) = N;
  int64_t Code;
  double A, B;
  activationCode(Act, Code, A, B);
  C.P.insert(C.P.end(), {Bn ? 1 : 0, Code});
  C.F.insert(C.F.end(), {Bn ? Bn->Attrs.getFloat("epsilon") : 0.0, A, B});
}

void addFusedActivation(const Node &Main, const std::vector<const Node *> &Pro,
                        const std::vector<const Node *> &Epi, KernelCall &C) {
  if (Main.Op == OpKind::BatchNormTrain && !Epi.empty() &&
      Epi[0]->Op != OpKind::MaxPool) {
    int64_t Code;
    double A, B;
    activationCode(Epi[0], Code, A, B);
    C.P[4] = Code;
    C.F[2] = A, C.F[3] = B;
  }
  if (Main.Op == OpKind::BatchNormGrad && Pro.size() == 2) {
    const Shape &X = Pro[0]->Inputs[0]->Type.Dims; // the PoolGrad's
    C.P[6] = X[2];
    C.P[7] = X[3];
  }
  if (Main.Op == OpKind::BatchNormGrad && !Pro.empty()) {
    C.P[11] = 1;
    std::array<double, 2> A = unaryGradOp(*Pro.back(), C.P[4]);
    C.F = {C.F[0], A[0], A[1]};
  }
}

void addSavedStatistics(const Node &Main, size_t Slot, KernelCall &C) {
  C.P[Main.Op == OpKind::BatchNormTrain ? 6 : 8] = int64_t(Slot);
}

size_t kernelWorkspace(const passes::Kernel &K, bool Training,
                       int64_t Threads) {
  const Node &N = K.node();
  Expected<KernelCall> C = kernelCall(N, Training, Threads);
  if (!C.ok())
    return 0; // the error comes when emitting
  size_t Bytes = C->WorkspaceBytes;
  if (N.Op == OpKind::BatchNormGrad && K.Main > 0) {
    const Shape &X = N.Inputs[0]->Type.Dims;
    Bytes += size_t(C->Tasks * (numElements(X) / X[1])) * sizeof(float);
  }
  return Bytes;
}

void addEpilogueResult(const Node &Main, const Node &Epilogue, size_t Slot,
                       KernelCall &C) {
  if (Main.Op == OpKind::BatchNormGrad) {
    C.P[9] = int64_t(Slot);
    return;
  }
  const Shape &X = Epilogue.Inputs[0]->Type.Dims; // the pooled planes
  C.P[7] = X[2];
  C.P[8] = X[3];
  C.P[9] = int64_t(Slot);
}

KernelCall scalarCall(const Node &N) {
  KernelCall C;
  C.Symbol = "nnc_s_" + std::string(N.opName());
  if (std::optional<Unary> U = unaryOf(N.Op)) {
    std::array<double, 2> A = unaryAttrs(*U, N.Attrs);
    C.F.assign(A.begin(), A.end());
  } else if (N.Op == OpKind::UnaryGrad) {
    C.P = {0};
    std::array<double, 2> A = unaryGradOp(N, C.P[0]);
    C.F.assign(A.begin(), A.end());
  } else if (N.Op == OpKind::ReduceGrad) {
    C.F = {N.Attrs.getInt("mean") ? double(N.Inputs[0]->Type.numElements()) /
                                        double(N.Outputs[0]->Type.numElements())
                                  : 1.0};
  }
  return C;
}

std::vector<int64_t> operandStrides(const Node &N, size_t I) {
  const Shape &Out = N.Outputs[0]->Type.Dims;
  const Shape &In = N.Inputs[I]->Type.Dims;
  std::vector<int64_t> S(Out.size(), 0);
  if (N.Op == OpKind::ReduceGrad) {
    // dy, reduced: its own strides on the kept axes, 0 on the reduced ones
    // (with or without keepdims). "like" is only a shape: never read.
    if (I == 1)
      return S;
    return keptStrides(Out, reducedAxes(N, Out.size()));
  }
  if (N.Op == OpKind::PRelu && I == 1) {
    // One slope per channel (axis 1), or one for all.
    if (N.Inputs[1]->Type.numElements() != 1 && Out.size() >= 2)
      S[1] = 1;
    return S;
  }
  std::vector<int64_t> InS = rowMajorStrides(In);
  size_t Off = Out.size() - In.size();
  for (size_t D = 0; D < In.size(); ++D)
    S[Off + D] = In[D] == 1 ? 0 : InS[D];
  return S;
}

} // namespace nnc::backend
