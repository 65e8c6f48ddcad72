//===- passes/DataParallel.cpp - Gradients averaged over ranks ------------===//
#include "passes/DataParallel.h"

#include "ir/Builder.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace nnc::passes {

using namespace nnc::ir;
using Ints = std::vector<int64_t>;

namespace {

/// Where V is computed in G's node order; -1 for a value no node computes.
int64_t positionOf(const Value *V) {
  return V->Producer ? int64_t(V->Producer->Id) : -1;
}

/// Each of Values' means over the ranks: one bucket.
std::vector<Value *> meanOverRanks(Builder &B,
                                   const std::vector<Value *> &Values,
                                   const std::string &Name) {
  Value *Bucket = B.op(OpKind::AllReduceStart, Values, {}, Name + ".sum");
  return B.ops(OpKind::AllReduceWait, {Bucket}, allReduceWaitAttrs(Values),
               Values.size(), Name);
}

Status addBucket(Graph &G, const std::vector<size_t> &Members,
                 std::vector<std::pair<Value *, Value *>> &Grads,
                 int64_t Index) {
  Builder B(G);
  std::vector<Value *> In;
  for (size_t M : Members)
    In.push_back(Grads[M].second);
  std::vector<Value *> Mean =
      meanOverRanks(B, In, "allreduce/bucket" + std::to_string(Index));
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

namespace {

/// A BatchNormTrain attribute, or its default when the node has none (one
/// lowered from a BatchNorm carries BatchNorm's).
double attrOrDefault(const Node &N, const char *Name) {
  if (const AttrValue *V = N.Attrs.find(Name))
    return std::holds_alternative<double>(*V) ? std::get<double>(*V)
                                              : double(std::get<int64_t>(*V));
  const AttrValue &D = opInfo(OpKind::BatchNormTrain).findAttr(Name)->Default;
  return std::holds_alternative<double>(D) ? std::get<double>(D)
                                           : double(std::get<int64_t>(D));
}

/// Makes Out (an existing value) the result of Op(Ins).
void produce(Graph &G, Value *Out, OpKind Op, std::vector<Value *> Ins) {
  Out->Producer = nullptr;
  G.addNode(Op, Out->Name, std::move(Ins), {Out});
}

Status synchronize(Graph &G, Node &N, const DataParallel &D) {
  Builder B(G);
  Value *X = N.Inputs[0];
  int64_t Rank = X->Type.rank(), C = X->Type.Dims[1], Inner = 1;
  Ints Axes = {0}, Broadcast(size_t(Rank), 1);
  Broadcast[1] = C;
  for (int64_t A = 2; A < Rank; ++A) {
    Axes.push_back(A);
    Inner *= X->Type.Dims[size_t(A)];
  }
  const std::string &Name = N.Name;
  auto ChannelMean = [&](Value *V, const char *Tag) {
    Value *Local = B.op(OpKind::ReduceMean, {V},
                        attrs({{"axes", Axes}, {"keepdims", int64_t(1)}}),
                        Name + ".local_" + Tag);
    return meanOverRanks(B, {Local}, Name + "." + Tag)[0];
  };
  auto Scalar = [&](const char *Tag, double X) {
    return B.constant(Name + "." + Tag, {}, {X});
  };
  Value *Mean = ChannelMean(X, "mean");
  Value *Dev = B.op(OpKind::Sub, {X, Mean});
  Value *Var = ChannelMean(B.op(OpKind::Mul, {Dev, Dev}), "var");
  Value *Std = B.op(
      OpKind::Sqrt,
      {B.op(OpKind::Add, {Var, Scalar("eps", attrOrDefault(N, "epsilon"))})});
  auto PerChannel = [&](Value *V) {
    return B.op(OpKind::Reshape, {V}, attrs({{"shape", Broadcast}}));
  };
  Value *Scaled = B.op(
      OpKind::Mul, {B.op(OpKind::Div, {Dev, Std}), PerChannel(N.Inputs[1])});
  // The running statistics move toward the global batch's.
  double Mom = attrOrDefault(N, "momentum");
  double Count = double(D.LocalBatch * Inner * D.Ranks);
  double Unbias = attrOrDefault(N, "unbiased") != 0 && Count > 1
                      ? Count / (Count - 1)
                      : 1.0;
  for (size_t I = 1; I < N.Outputs.size() && I < 3; ++I) {
    Value *Batch = B.op(OpKind::Reshape, {I == 1 ? Mean : Var},
                        attrs({{"shape", Ints{C}}}));
    Value *Old =
        B.op(OpKind::Mul, {N.Inputs[2 + I],
                           Scalar(I == 1 ? "mean_keep" : "var_keep", 1 - Mom)});
    Value *New =
        B.op(OpKind::Mul, {Batch, Scalar(I == 1 ? "mean_step" : "var_step",
                                         Mom * (I == 1 ? 1 : Unbias))});
    produce(G, N.Outputs[I], OpKind::Add, {Old, New});
  }
  NNC_TRY(B.status());
  // The node itself adds the bias.
  N.Op = OpKind::Add;
  N.Inputs = {Scaled, PerChannel(N.Inputs[2])};
  N.Outputs.resize(1);
  N.Attrs = Attributes();
  return B.status();
}

} // namespace

Status synchronizeBatchNorm(Graph &G, const DataParallel &D) {
  if (!D.SyncBatchNorm || D.Ranks <= 1)
    return Status::success();
  if (D.LocalBatch < 1)
    return error("synchronized BatchNorm needs each rank's batch size");
  std::vector<Node *> Norms;
  for (const auto &N : G.nodes())
    if (N->Op == OpKind::BatchNormTrain)
      Norms.push_back(N.get());
  for (Node *N : Norms)
    NNC_TRY(synchronize(G, *N, D).withPrefix(N->describe()));
  // The statistics' nodes were appended after their readers.
  return G.sortTopologically();
}

Status scheduleCollectives(Graph &G) {
  // Each node gets a key (position among the other nodes, before/at/after,
  // creation order): a start sorts just after its last gradient's
  // producer, a wait just before its first reader.
  using Key = std::tuple<int64_t, int, int64_t>;
  // A start reading what a wait returns (a mean of means) has no key
  // here; the order as built is valid, only without the overlap.
  for (const auto &N : G.nodes())
    if (N->Op == OpKind::AllReduceStart)
      for (const Value *In : N->Inputs)
        if (In->Producer && (In->Producer->Op == OpKind::AllReduceStart ||
                             In->Producer->Op == OpKind::AllReduceWait))
          return Status::success();
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
