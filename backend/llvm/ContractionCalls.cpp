//===- backend/llvm/ContractionCalls.cpp - Contraction kernels' parameters ===//
#include "backend/llvm/KernelCalls.h"
#include "ir/Pointwise.h"

namespace nnc::backend::calls {

namespace {

/// The one place a conv's algorithm is chosen; the kernels follow it.
nnck::ConvAlgorithm convAlgorithm(int64_t Kind, const Window2D &G) {
  using namespace nnck;
  if (Kind == ConvForward) {
    if (convWinograd(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C, G.O))
      return ConvByWinograd;
    if (convDirect(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C))
      return ConvByDirect;
    if (convChannelVec(G.KH, G.KW, G.Groups, G.C, G.O))
      return ConvByChannelVectors;
    return ConvByIm2col;
  }
  if (Kind == ConvTransposed) {
    if (convTransposeWinograd(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C,
                              G.O, G.PadT, G.PadL))
      return ConvByWinograd;
    if (convTransposeGather(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C,
                            G.PadT, G.PadL))
      return ConvByGather;
    return ConvByIm2col;
  }
  if (convDirectGrad(G.KH, G.KW, G.SH, G.SW, G.DH, G.DW, G.Groups, G.C))
    return ConvByDirect;
  if (convChannelVec(G.KH, G.KW, G.Groups, G.C, G.O))
    return ConvByChannelVectors;
  return ConvByIm2col;
}

/// Images per chunk and workspace floats per task for the algorithm.
void convWorkspace(int64_t Kind, nnck::ConvAlgorithm Algorithm,
                   const Window2D &G, int64_t Threads, int64_t &Images,
                   int64_t &PerTask) {
  using namespace nnck;
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups, KK = G.KH * G.KW;
  int64_t Pixels = Kind == ConvTransposed ? G.H * G.W : G.OH * G.OW;
  Images = convChunkImages(G.N, convColRows(Kind, Cg, Og, KK), Pixels);
  // Weight gradients of wide layers are dot products of many long rows: as
  // many images as keep the column matrix in L2 (measured: convbn's 32->64
  // layer 3.5 -> 2.3 ms; LeNet's narrow layers are faster with the default).
  if (Kind == ConvBackwardWeights && Og >= 32 && Cg * KK >= 64) {
    int64_t PerTaskImages = (G.N + Threads - 1) / std::max<int64_t>(Threads, 1);
    int64_t InL2 = (int64_t(1) << 18) / std::max<int64_t>(Cg * KK * Pixels, 1);
    Images = std::max<int64_t>(1, std::min(InL2, PerTaskImages));
  }
  PerTask = convWork(Kind, Cg, Og, G.O, KK, Pixels, Images).Total;
  switch (Algorithm) {
  case ConvByIm2col:
    return;
  case ConvByWinograd:
    Images = winogradChunkImages(G.N, G.C, G.O, winogradTiles(G.OH, G.OW));
    PerTask = winogradWork(G.C, G.O, G.OH, G.OW, Images).Total;
    return;
  case ConvByDirect:
    PerTask = Kind == ConvForward
                  ? convDirectFloats(G.C, G.KH, G.KW, G.OH, G.OW)
                  : convDirectGradFloats(G.C, G.KH, G.KW, G.OH, G.OW, G.O);
    return;
  case ConvByChannelVectors:
    Images = 1; // the planes (and transposed dY) are per image
    PerTask = Kind == ConvForward ? convVecFloats(G.C, G.KH, G.KW, G.SH, G.SW,
                                                  G.DH, G.DW, G.OH, G.OW, G.O)
                                  : convVecGradWork(G.C, G.KH, G.KW, G.SH, G.SW,
                                                    G.DH, G.DW, G.OH, G.OW, G.O)
                                        .Total;
    return;
  case ConvByGather:
    Images = 1; // the transposed input is per image
    PerTask = convGatherWork(G.C, G.O, G.KH, G.KW, G.OH, G.OW).Total;
    return;
  }
}

Expected<KernelCall> convCall(const Node &N, bool Transposed, bool GradW,
                              int64_t Threads) {
  using namespace nnck;
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
  int64_t Kind = Transposed ? ConvTransposed
                 : GradW    ? ConvBackwardWeights
                            : ConvForward;
  ConvAlgorithm Algorithm = convAlgorithm(Kind, G);
  int64_t Images = 1, PerTask = 0;
  convWorkspace(Kind, Algorithm, G, Threads, Images, PerTask);
  int64_t Chunks = (G.N + Images - 1) / Images;
  int64_t Tasks = tasksFor(Chunks, Threads);
  // Fewer chunks than threads (small batches): the direct and Winograd
  // paths split the output channels instead (nnck::channelsOf).
  if (Chunks < Threads && G.O >= 8 * Threads &&
      (Algorithm == ConvByWinograd ||
       (Kind == ConvForward && Algorithm == ConvByDirect)))
    Tasks = Threads;
  setParams(C, ConvParams{windowParams(G), Tasks, PerTask, Images, Algorithm, 0,
                          int64_t(Unary::Identity)});
  setReals(C, ConvReals{0, {0, 0}}); // addConvEpilogue sets Conv's
  C.Tasks = Tasks;
  C.WorkspaceBytes = size_t(Tasks * PerTask) * sizeof(float);
  return C;
}

} // namespace

Expected<KernelCall> contractionCall(const Node &N, bool Training,
                                     int64_t Threads) {
  KernelCall C = namedCall(N);
  [[maybe_unused]] const Shape &X0 = firstDims(N);
  [[maybe_unused]] const Shape &Y0 = N.Outputs[0]->Type.Dims;
  [[maybe_unused]] const Attributes &A = N.Attrs;
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
    setParams(C, nnck::MatMulParams{M, Cols, K, C.Tasks, PerTask, Batches});
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
    setParams(C, nnck::DenseParams{Rows, K, M, C.Tasks, PerTask});
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
    setParams(C, nnck::RbfParams{X0[0], X0[1], N.Inputs[1]->Type.Dims[0]});
    return C;
  default:
    return error(N.describe(), ": ", N.opName(), " is not a contraction op");
  }
}

} // namespace nnc::backend::calls
