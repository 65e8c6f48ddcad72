//===- backend/llvm/RecurrentCalls.cpp - Rnn, Gru, Lstm and gradients -----===//
#include "backend/llvm/KernelCalls.h"
#include "ir/RecurrenceBackward.h"
#include "ir/RecurrentOps.h"

namespace nnc::backend::calls {

Expected<KernelCall> recurrentCall(const Node &N, int64_t Threads) {
  Expected<std::pair<recurrent::Params, recurrent::Reals>> PR =
      recurrentParams(N);
  if (!PR.ok())
    return PR.status().withPrefix(N.describe());
  const recurrent::Params &P = PR->first;
  KernelCall C = namedCall(N);
  int64_t Scratch;
  if (isRecurrentGrad(N.Op)) {
    RecurrentGradOperands O = recurrentGradOperands(N);
    setParams(C, recurrent::BackwardParams{
                     P, O.Dy[0].has_value(), O.Dy[1].has_value(),
                     O.Dy[2].has_value(), O.Peepholes.has_value(),
                     O.Lengths.has_value()});
    Scratch = recurrent::backwardWorkspaceFloats(P);
  } else {
    setParams(C, P);
    Scratch = recurrent::workspaceFloats(P);
  }
  setReals(C, PR->second);
  // The driver's scratch, R's packed copies (backend/kernels/Recurrent.cpp),
  // then packing space for its largest product.
  int64_t H = P.Hidden, GH = recurrent::gateCount(cellOf(N.Op)) * H;
  int64_t Rows = P.Steps * P.Batch;
  int64_t Pack = 0;
  for (auto [M, Cols, K] : {std::array<int64_t, 3>{Rows, GH, P.Input},
                            {P.Batch, GH, H},
                            {P.Batch, H, GH},
                            {Rows, P.Input, GH},
                            {GH, P.Input, Rows},
                            {GH, H, Rows}})
    Pack = std::max(Pack, nnck::gemmWorkspace(M, Cols, K));
  int64_t PackedR =
      nnck::recurrentPackedRCopies(isRecurrentGrad(N.Op), P.Batch) *
      nnck::recurrentPackedRFloats(H, GH);
  // Each slice of a product split over the threads packs on its own.
  Pack = nnck::roundUp(Pack, 16);
  int64_t Slices = std::max<int64_t>(1, Threads);
  C.P.push_back(Slices);
  C.P.push_back(Pack);
  C.WorkspaceBytes =
      size_t(nnck::roundUp(Scratch, 16) + PackedR + Slices * Pack) *
      sizeof(float);
  return C;
}

} // namespace nnc::backend::calls
