//===- backend/llvm/ContractionCalls.cpp - Contraction kernels' parameters ===//
#include "backend/llvm/KernelCalls.h"

namespace nnc::backend::calls {

namespace {

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
    setParams(C, nnck::RbfParams{X0[0], X0[1], N.Inputs[1]->Type.Dims[0]});
    return C;
  default:
    return error(N.describe(), ": ", N.opName(), " is not a contraction op");
  }
}

} // namespace nnc::backend::calls
