//===- passes/DataParallel.cpp - Gradients averaged over ranks ------------===//
#include "passes/DataParallel.h"

#include "ir/Builder.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace nnc::passes {

using namespace nnc::ir;

namespace {

/// Where V is computed in G's node order; -1 for a value no node computes.
int64_t positionOf(const Value *V) {
  return V->Producer ? int64_t(V->Producer->Id) : -1;
}

Status addBucket(Graph &G, const std::vector<size_t> &Members,
                 std::vector<std::pair<Value *, Value *>> &Grads,
                 int64_t Index) {
  Builder B(G);
  std::vector<Value *> In;
  std::vector<int64_t> Dims, Ranks;
  for (size_t M : Members) {
    Value *Grad = Grads[M].second;
    In.push_back(Grad);
    Dims.insert(Dims.end(), Grad->Type.Dims.begin(), Grad->Type.Dims.end());
    Ranks.push_back(Grad->Type.rank());
  }
  std::string Name = "allreduce/bucket" + std::to_string(Index);
  Value *Bucket = B.op(OpKind::AllReduceStart, In, {}, Name);
  std::vector<Value *> Mean = B.ops(OpKind::AllReduceWait, {Bucket},
                                    attrs({{"dims", Dims}, {"ranks", Ranks}}),
                                    Members.size(), Name + ".mean");
  NNC_TRY(B.status());
  for (size_t I = 0; I < Members.size(); ++I)
    Grads[Members[I]].second = Mean[I];
  return Status::success();
}

} // namespace

Status averageGradients(Graph &G, const DataParallel &D,
                        std::vector<std::pair<Value *, Value *>> &Grads) {
  if (D.Ranks <= 1)
    return Status::success();
  if (D.BucketBytes < 1)
    return error("data-parallel training: the bucket size must be >= 1 "
                 "byte, found ",
                 D.BucketBytes);
  for (const auto &[Param, Grad] : Grads)
    if (Grad->Type.Elt != DType::F32)
      return error("data-parallel training sums f32 gradients; parameter '",
                   Param->Name, "' has a ", Grad->Type.str(), " gradient");
  // The backward pass computes the last layer's gradients first.
  std::vector<size_t> Order(Grads.size());
  for (size_t I = 0; I < Order.size(); ++I)
    Order[I] = I;
  std::stable_sort(Order.begin(), Order.end(), [&](size_t A, size_t B) {
    return positionOf(Grads[A].second) < positionOf(Grads[B].second);
  });
  std::vector<size_t> Members;
  int64_t Bytes = 0, Buckets = 0;
  for (size_t I : Order) {
    Members.push_back(I);
    Bytes += Grads[I].second->Type.bytes();
    if (Bytes >= D.BucketBytes) {
      NNC_TRY(addBucket(G, Members, Grads, Buckets++));
      Members.clear();
      Bytes = 0;
    }
  }
  if (!Members.empty())
    NNC_TRY(addBucket(G, Members, Grads, Buckets));
  return Status::success();
}

Status scheduleCollectives(Graph &G) {
  // Each node gets a key (position among the other nodes, before/at/after,
  // creation order): a start sorts just after its last gradient's
  // producer, a wait just before its first reader.
  using Key = std::tuple<int64_t, int, int64_t>;
  std::map<const Node *, int64_t> Position;
  std::map<const Value *, int64_t> FirstReader;
  int64_t Next = 0;
  for (const auto &N : G.nodes()) {
    if (N->Op == OpKind::AllReduceStart || N->Op == OpKind::AllReduceWait)
      continue;
    Position[N.get()] = Next;
    for (const Value *In : N->Inputs)
      if (In)
        FirstReader.emplace(In, Next);
    ++Next;
  }
  std::vector<std::pair<Key, const Node *>> Keyed;
  for (const auto &N : G.nodes()) {
    const Node *P = N.get();
    if (P->Op == OpKind::AllReduceStart) {
      int64_t After = -1;
      for (const Value *In : P->Inputs)
        if (In->Producer)
          After = std::max(After, Position.at(In->Producer));
      Keyed.push_back({{After, 1, P->Id}, P});
    } else if (P->Op == OpKind::AllReduceWait) {
      int64_t Before = Next;
      for (const Value *Out : P->Outputs)
        if (auto It = FirstReader.find(Out); It != FirstReader.end())
          Before = std::min(Before, It->second);
      Keyed.push_back({{Before, 0, P->Id}, P});
    } else {
      Keyed.push_back({{Position.at(P), 0, Next + P->Id}, P});
    }
  }
  std::sort(Keyed.begin(), Keyed.end());
  std::vector<const Node *> Order;
  for (const auto &[K, N] : Keyed)
    Order.push_back(N);
  return G.reorder(Order);
}

} // namespace nnc::passes
