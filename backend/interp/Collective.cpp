//===- backend/interp/Collective.cpp - Gradients summed over ranks --------===//
//
// The interpreter runs one process: AllReduceStart packs the gradients into
// the bucket and AllReduceWait unpacks them, the mean over one rank.
//
//===----------------------------------------------------------------------===//
#include "backend/interp/Kernels.h"

#include <algorithm>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

Status evalAllReduceStart(const Node &, EvalContext &, const Args &In,
                          Results &Out) {
  auto At = Out[0].Data.begin();
  for (const Tensor *G : In)
    At = std::copy(G->Data.begin(), G->Data.end(), At);
  return Status::success();
}

Status evalAllReduceWait(const Node &, EvalContext &, const Args &In,
                         Results &Out) {
  auto From = In[0]->Data.begin();
  for (Tensor &G : Out) {
    std::copy(From, From + int64_t(G.Data.size()), G.Data.begin());
    From += int64_t(G.Data.size());
  }
  return Status::success();
}

} // namespace

void kernels::registerCollective() {
  define(OpKind::AllReduceStart, evalAllReduceStart);
  define(OpKind::AllReduceWait, evalAllReduceWait);
}

} // namespace nnc::interp
