#include "passes/ArenaPlan.h"

#include <algorithm>

namespace nnc::passes {

using namespace nnc::ir;

namespace {

/// Ops that may write their output over operand 0 when it dies there: each
/// output element depends only on the same element of the inputs.
bool canRunInPlace(const Node &N) {
  switch (N.Op) {
  case OpKind::Identity:
  case OpKind::Step:
  case OpKind::Sigmoid:
  case OpKind::Tanh:
  case OpKind::Relu:
  case OpKind::LeakyRelu:
  case OpKind::Elu:
  case OpKind::Swish:
  case OpKind::Clip:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Neg:
  case OpKind::Abs:
  case OpKind::Dropout:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::UnaryGrad:
    return true;
  default:
    return false;
  }
}

} // namespace

ArenaPlan planArena(const Graph &G, const EntryPoint &E) {
  ArenaPlan A;
  std::vector<const Value *> Wanted(E.Outputs.begin(), E.Outputs.end());
  for (const Update &U : E.Updates)
    Wanted.push_back(U.NewValue);
  A.Schedule = G.nodesReaching(Wanted);
  int64_t End = int64_t(A.Schedule.size());

  // Live interval of each computed value: from its producer to its last
  // reader; results of the entry stay until the end.
  std::map<const Value *, std::pair<int64_t, int64_t>> Live;
  for (int64_t Pos = 0; Pos < End; ++Pos) {
    const Node *N = A.Schedule[size_t(Pos)];
    for (const Value *Out : N->Outputs)
      Live[Out] = {Pos, Pos};
    for (const Value *In : N->Inputs)
      if (auto It = Live.find(In); It != Live.end())
        It->second.second = Pos;
  }
  for (const Value *V : Wanted)
    if (auto It = Live.find(V); It != Live.end())
      It->second.second = End;

  // In place: the output takes over operand 0's buffer when operand 0 dies
  // at this node and has the output's size.
  std::map<const Value *, const Value *> Root; // value -> buffer owner
  for (const Node *N : A.Schedule) {
    for (const Value *Out : N->Outputs)
      Root[Out] = Out;
    if (!canRunInPlace(*N) || N->Outputs.size() != 1 || N->Inputs.empty())
      continue;
    const Value *In = N->Inputs[0], *Out = N->Outputs[0];
    auto It = Live.find(In);
    int64_t Pos = Live.at(Out).first;
    if (It == Live.end() || It->second.second != Pos ||
        In->Type.bytes() != Out->Type.bytes())
      continue;
    // The same value read twice by this node (x * x) is fine: elementwise.
    Root[Out] = Root.at(In);
    A.InPlaceOf[Out] = In;
  }
  std::map<const Value *, LiveBuffer> Owners;
  for (const auto &[V, Interval] : Live) {
    LiveBuffer &B = Owners[Root.at(V)];
    if (B.Bytes == 0) {
      B.First = Interval.first;
      B.Last = Interval.second;
    }
    B.Bytes = std::max(B.Bytes, V->Type.bytes());
    B.First = std::min(B.First, Interval.first);
    B.Last = std::max(B.Last, Interval.second);
  }
  // In value order, not pointer order, so plans are the same every run.
  std::vector<const Value *> Index;
  for (const auto &[V, B] : Owners)
    Index.push_back(V);
  std::sort(Index.begin(), Index.end(),
            [](const Value *X, const Value *Y) { return X->Id < Y->Id; });
  std::vector<LiveBuffer> Buffers;
  for (const Value *V : Index)
    Buffers.push_back(Owners.at(V));
  A.Plan = planMemory(Buffers);
  std::map<const Value *, size_t> OwnerOffset;
  for (size_t I = 0; I < Index.size(); ++I)
    OwnerOffset[Index[I]] = A.Plan.Offsets[I];
  for (const auto &[V, Owner] : Root)
    A.Offset[V] = OwnerOffset.at(Owner);
  return A;
}

} // namespace nnc::passes
