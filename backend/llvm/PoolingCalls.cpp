//===- backend/llvm/PoolingCalls.cpp - Pooling kernels' parameters --------===//
#include "backend/kernels/Codes.h"
#include "backend/llvm/KernelCalls.h"

namespace nnc::backend::calls {

namespace {

const char *poolName(const std::string &Pool) { return Pool.c_str(); }

} // namespace

Expected<KernelCall> poolingCall(const Node &N, bool Training,
                                 int64_t Threads) {
  KernelCall C = namedCall(N);
  [[maybe_unused]] const Shape &X0 = firstDims(N);
  [[maybe_unused]] const Shape &Y0 = N.Outputs[0]->Type.Dims;
  [[maybe_unused]] const Attributes &A = N.Attrs;
  switch (N.Op) {
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
  default:
    return error(N.describe(), ": ", N.opName(), " is not a pooling op");
  }
}

} // namespace nnc::backend::calls
