//===- backend/llvm/PoolingCalls.cpp - Pooling kernels' parameters --------===//
#include "backend/kernels/Codes.h"
#include "backend/llvm/KernelCalls.h"

namespace nnc::backend::calls {

namespace {

Expected<KernelCall> poolGradCall(const Node &N, bool Training,
                                  int64_t Threads) {
  using namespace nnck;
  KernelCall C = namedCall(N);
  const Shape &X0 = firstDims(N);
  const Attributes &A = N.Attrs;
  const std::string &Pool = A.getString("pool");
  int64_t Kind = Pool == "MaxPool"         ? PoolGradMax
                 : Pool == "AvgPool"       ? PoolGradAvg
                 : Pool == "GlobalAvgPool" ? PoolGradGlobalAvg
                 : Pool == "GlobalMaxPool" ? PoolGradGlobalMax
                 : Pool == "StochasticPool"
                     ? (Training ? PoolGradMax : PoolGradStochasticExpectation)
                     : int64_t(-1);
  if (Kind < 0)
    return error(N.describe(), ": no gradient kernel for pooling '", Pool, "'");
  Window2D G;
  if (Kind != PoolGradGlobalAvg && Kind != PoolGradGlobalMax) {
    Expected<Window2D> GOr = poolWindow(N, N.Inputs[0]->Type);
    if (!GOr.ok())
      return GOr.status().withPrefix(Pool);
    G = *GOr;
  }
  int64_t Planes = X0[0] * X0[1];
  C.Tasks = planeTasks(Planes, numElements(X0), Threads);
  setParams(C, PoolGradParams{windowParams(G), Kind,
                              A.has("count_include_pad")
                                  ? A.getInt("count_include_pad")
                                  : 0,
                              Planes, numElements(X0) / Planes, C.Tasks});
  return C;
}

} // namespace

Expected<KernelCall> poolingCall(const Node &N, bool Training,
                                 int64_t Threads) {
  using namespace nnck;
  KernelCall C = namedCall(N);
  const Shape &X0 = firstDims(N);
  const Attributes &A = N.Attrs;
  switch (N.Op) {
  case OpKind::MaxPool:
  case OpKind::AvgPool:
  case OpKind::StochasticPool:
  case OpKind::MaxPoolIndices: {
    Expected<Window2D> G = poolWindow(N, N.Inputs[0]->Type);
    if (!G.ok())
      return G.status();
    if (N.Op == OpKind::StochasticPool) {
      setParams(C, StochasticPoolParams{windowParams(*G), int64_t(seedMix(N)),
                                        Training ? 1 : 0});
      return C;
    }
    if (N.Op == OpKind::MaxPoolIndices) {
      setParams(
          C, MaxPoolIndicesParams{windowParams(*G), A.getInt("storage_order")});
      return C;
    }
    C.Tasks = planeTasks(G->N * G->C, numElements(X0), Threads);
    setParams(
        C,
        PoolParams{windowParams(*G),
                   N.Op == OpKind::AvgPool ? A.getInt("count_include_pad") : 0,
                   C.Tasks});
    return C;
  }
  case OpKind::GlobalAvgPool:
  case OpKind::GlobalMaxPool:
    setParams(
        C, GlobalPoolParams{X0[0] * X0[1], numElements(X0) / (X0[0] * X0[1])});
    return C;
  case OpKind::PoolGrad:
    return poolGradCall(N, Training, Threads);
  default:
    return error(N.describe(), ": ", N.opName(), " is not a pooling op");
  }
}

} // namespace nnc::backend::calls
