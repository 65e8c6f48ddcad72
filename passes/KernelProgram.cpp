#include "passes/KernelProgram.h"
#include "ir/Geometry.h"
#include "ir/Pointwise.h"

#include <algorithm>

namespace nnc::passes {

using namespace nnc::ir;

namespace {

bool isPointwise(const Node &N) {
  if (std::optional<Unary> U = unaryOf(N.Op))
    return *U != Unary::Identity; // a view
  switch (N.Op) {
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::PRelu:
  case OpKind::UnaryGrad:
  case OpKind::ReduceGrad: // dy read back with stride 0 on reduced axes
    return true;
  default: // ops with kernels of their own
    return false;
  }
}

} // namespace

bool isFusablePointwise(const Node &N, bool Training) {
  return isPointwise(N) && N.Outputs[0]->Type.Elt == DType::F32;
}

bool isView(const Node &N, bool Training) {
  switch (N.Op) {
  case OpKind::Identity:
  case OpKind::Flatten:
  case OpKind::Reshape:
  case OpKind::ReshapeLike:
    return true;
  case OpKind::Dropout: // inference: the identity
    return !Training || N.Attrs.getFloat("ratio") == 0;
  default:
    return false;
  }
}

bool isEpilogueActivation(const Node &N) {
  std::optional<Unary> U = unaryOf(N.Op);
  return U && unaryInfo(*U).Epilogue;
}

namespace {

/// The node reading V, when exactly one node of the schedule does and V is
/// not a result of the entry; else null.
const Node *soleUser(const Value *V, const std::vector<const Node *> &Schedule,
                     const std::set<const Value *> &Wanted) {
  if (Wanted.count(V))
    return nullptr;
  const Node *User = nullptr;
  for (const Node *N : Schedule)
    for (const Value *In : N->Inputs)
      if (In == V) {
        if (User && User != N)
          return nullptr;
        User = N;
      }
  return User;
}

/// Whether a pooling node's 2x2 windows (stride 2, no padding) tile its
/// 4-D input: a kernel can then pool, or route the pooling's gradient,
/// plane by plane with each element's own window.
bool tilesTwoByTwo(const Node &N) {
  if (N.Inputs.empty() || N.Inputs[0]->Type.Dims.size() != 4 ||
      N.Outputs[0]->Type.Elt != DType::F32)
    return false;
  Expected<Window2D> G = poolWindow(N, N.Inputs[0]->Type);
  return G.ok() && G->KH == 2 && G->KW == 2 && G->SH == 2 && G->SW == 2 &&
         G->DH == 1 && G->DW == 1 && G->PadT == 0 && G->PadL == 0 &&
         G->H == 2 * G->OH && G->W == 2 * G->OW;
}

bool isTilingMaxPoolGrad(const Node &N) {
  return N.Op == OpKind::PoolGrad && N.Attrs.getString("pool") == "MaxPool" &&
         tilesTwoByTwo(N);
}

bool isTilingMaxPool(const Node &N) {
  return N.Op == OpKind::MaxPool && N.Outputs.size() == 1 && tilesTwoByTwo(N);
}

/// The BatchNorm gradient an activation gradient's result goes to as dy,
/// and nowhere else; else null.
const Node *batchNormGradOf(const Node &U,
                            const std::vector<const Node *> &Sched,
                            const std::set<const Value *> &Wanted) {
  if (U.Op != OpKind::UnaryGrad || U.Outputs[0]->Type.Elt != DType::F32)
    return nullptr;
  const Node *Bn = soleUser(U.Outputs[0], Sched, Wanted);
  return Bn && Bn->Op == OpKind::BatchNormGrad && Bn->Inputs[4] == U.Outputs[0]
             ? Bn
             : nullptr;
}

/// A ReduceSum of a BatchNorm gradient's dx over every axis but the
/// channels (a conv bias's gradient, when a BatchNorm follows the conv):
/// the BatchNorm gradient's kernel sums dx by channel as it writes it.
const Node *channelSumOf(const Value *Dx,
                         const std::vector<const Node *> &Sched) {
  int64_t Rank = int64_t(Dx->Type.Dims.size());
  if (Rank < 2)
    return nullptr;
  std::vector<int64_t> Want;
  for (int64_t A = 0; A < Rank; ++A)
    if (A != 1)
      Want.push_back(A);
  for (const Node *N : Sched) {
    if (N->Op != OpKind::ReduceSum || N->Inputs.size() != 1 ||
        N->Inputs[0] != Dx || N->Outputs[0]->Type.Elt != DType::F32 ||
        N->Outputs[0]->Type.numElements() != Dx->Type.Dims[1])
      continue;
    std::vector<int64_t> Axes;
    for (int64_t A : N->Attrs.getInts("axes"))
      Axes.push_back(A < 0 ? A + Rank : A);
    std::sort(Axes.begin(), Axes.end());
    if (Axes == Want)
      return N;
  }
  return nullptr;
}

/// A conv and what its epilogue absorbs: a BatchNorm in inference mode
/// reading the conv's output and nothing else computed, then an activation
/// reading that. Each absorbed value must have no other reader, or it would
/// never be stored; at most one BatchNorm and one activation, in that
/// order, so nothing is folded through an activation already fused in.
std::vector<const Node *> convEpilogue(const Node &Conv,
                                       const std::vector<const Node *> &Sched,
                                       const std::set<const Value *> &Wanted,
                                       const LoweringOptions &Opts) {
  std::vector<const Node *> Chain = {&Conv};
  if (Conv.Outputs[0]->Type.Elt != DType::F32)
    return Chain;
  const Node *Next = soleUser(Conv.Outputs[0], Sched, Wanted);
  if (Next && Opts.FuseConvBn && Next->Op == OpKind::BatchNorm &&
      !Opts.Training && Next->Inputs[0] == Conv.Outputs[0]) {
    bool Stored = true;
    for (size_t I = 1; I < Next->Inputs.size(); ++I)
      Stored &= isStored(Next->Inputs[I]->Kind);
    if (Stored) {
      Chain.push_back(Next);
      Next = soleUser(Next->Outputs[0], Sched, Wanted);
    }
  }
  if (Next && Opts.FuseConvAct && isEpilogueActivation(*Next))
    Chain.push_back(Next);
  return Chain;
}

/// Groups the schedule into kernels: a pointwise op joins the open chain
/// when its output has the chain's shape and it reads a value the chain
/// computes; chains are contiguous in the schedule, so the order stays a
/// valid one.
std::vector<Kernel> groupKernels(const std::vector<const Node *> &Schedule,
                                 const std::set<const Value *> &Wanted,
                                 const LoweringOptions &Opts,
                                 std::map<const Value *, const Value *> &Root) {
  std::vector<Kernel> Ks;
  bool Open = false;
  std::set<const Value *> InChain;
  std::set<const Node *> Absorbed; // into another op's kernel
  // BatchNormGrad -> UnaryGrad, and UnaryGrad -> PoolGrad.
  std::map<const Node *, const Node *> Prologue;
  auto Single = [&](std::vector<const Node *> Nodes, size_t Main = 0) {
    Kernel K{std::move(Nodes)};
    K.Main = Main;
    const Node &M = *K.Nodes[Main];
    K.Outputs.assign(M.Outputs.begin(), M.Outputs.end());
    // An epilogue's result replaces M's, but for a BatchNorm gradient's
    // channel sums of dx and a pooling of what a BatchNorm wrote: those
    // come after, and the value they read is stored too.
    for (size_t I = Main + 1; I < K.Nodes.size(); ++I)
      if (K.Nodes[I]->Op == OpKind::ReduceSum ||
          K.Nodes[I]->Op == OpKind::MaxPool)
        K.Outputs.push_back(K.Nodes[I]->Outputs[0]);
      else
        K.Outputs[0] = K.Nodes[I]->Outputs[0];
    Absorbed.insert(K.Nodes.begin(), K.Nodes.end());
    Ks.push_back(std::move(K));
  };
  for (const Node *N : Schedule) {
    if (Absorbed.count(N))
      continue;
    if (N->Op == OpKind::Conv) {
      Open = false;
      Single(convEpilogue(*N, Schedule, Wanted, Opts));
      continue;
    }
    if (Opts.FuseConvBn && N->Op == OpKind::BatchNormTrain) {
      // Normalize, scale, shift and activate in one pass, and max-pool
      // each plane just written.
      Open = false;
      std::vector<const Node *> Nodes = {N};
      const Node *Act = soleUser(N->Outputs[0], Schedule, Wanted);
      if (Act && isEpilogueActivation(*Act))
        Nodes.push_back(Act);
      for (const Node *U : Schedule)
        if (isTilingMaxPool(*U) && U->Inputs[0] == Nodes.back()->Outputs[0] &&
            !Absorbed.count(U)) {
          Nodes.push_back(U);
          break;
        }
      Single(Nodes);
      continue;
    }
    if (Opts.FuseConvBn && isTilingMaxPoolGrad(*N)) {
      // Before that, the gradient of the max pooling that the activation
      // fed: the element's own window says whether it was the maximum.
      const Node *U = soleUser(N->Outputs[0], Schedule, Wanted);
      if (U && U->Op == OpKind::UnaryGrad && U->Inputs.size() == 3 &&
          U->Inputs[2] == N->Outputs[0] && U->Inputs[0] != N->Outputs[0] &&
          U->Inputs[1] != N->Outputs[0] &&
          batchNormGradOf(*U, Schedule, Wanted)) {
        Prologue[U] = N;
        Absorbed.insert(N);
        continue;
      }
    }
    if (Opts.FuseConvBn && N->Op == OpKind::UnaryGrad) {
      // An activation's gradient read only by a BatchNorm gradient as its
      // dy: computed there as dy is read, never stored.
      if (const Node *Bn = batchNormGradOf(*N, Schedule, Wanted)) {
        Prologue[Bn] = N;
        Absorbed.insert(N);
        continue;
      }
    }
    if (Opts.FuseConvBn && N->Op == OpKind::BatchNormGrad) {
      // With its prologues, and the channel sums of dx as an epilogue.
      Open = false;
      std::vector<const Node *> Nodes;
      if (auto It = Prologue.find(N); It != Prologue.end()) {
        if (auto Pool = Prologue.find(It->second); Pool != Prologue.end())
          Nodes.push_back(Pool->second);
        Nodes.push_back(It->second);
      }
      size_t Main = Nodes.size();
      Nodes.push_back(N);
      if (const Node *Sum = channelSumOf(N->Outputs[0], Schedule))
        Nodes.push_back(Sum);
      Single(Nodes, Main);
      continue;
    }
    if (isView(*N, Opts.Training)) {
      const Value *In = N->Inputs[0];
      // A chain reads memory at the start of an iteration and writes at its
      // end, so it must not read a view of what it writes.
      if (InChain.count(In))
        Open = false;
      auto It = Root.find(In);
      Root[N->Outputs[0]] = It == Root.end() ? In : It->second;
      continue; // no kernel; a view does not close a chain
    }
    if (!isFusablePointwise(*N, Opts.Training)) {
      Open = false;
      Single({N});
      continue;
    }
    bool Joins = false;
    if (Open && Opts.FuseElementwise &&
        N->Outputs[0]->Type.Dims == Ks.back().node().Outputs[0]->Type.Dims)
      for (const Value *In : N->Inputs)
        Joins |= InChain.count(In) > 0;
    if (!Joins) {
      Ks.push_back(Kernel{});
      Ks.back().Fused = true;
      InChain.clear();
      Open = true;
    }
    Ks.back().Nodes.push_back(N);
    InChain.insert(N->Outputs[0]);
  }
  return Ks;
}

using Readers = std::map<const Value *, std::set<int64_t>>; // root -> kernels
using Intervals = std::map<const Value *, std::pair<int64_t, int64_t>>;
using Owners = std::map<const Value *, const Value *>; // value -> buffer

/// Which kernels read each value (views resolved to roots), and what each
/// fused chain reads and keeps in memory. Wanted views keep their root
/// alive to the end.
Readers recordDataflow(KernelProgram &P,
                       const std::vector<const Value *> &Wanted) {
  std::map<const Value *, int64_t> Producer;
  for (size_t K = 0; K < P.Kernels.size(); ++K)
    for (const Node *N : P.Kernels[K].Nodes)
      for (const Value *Out : N->Outputs)
        Producer[Out] = int64_t(K);
  Readers ReadBy;
  for (size_t K = 0; K < P.Kernels.size(); ++K) {
    Kernel &Kn = P.Kernels[K];
    for (const Node *N : Kn.Nodes)
      for (const Value *In : N->Inputs) {
        const Value *R = P.root(In);
        auto It = Producer.find(In);
        bool Inside = It != Producer.end() && It->second == int64_t(K) &&
                      P.Root.count(In) == 0;
        if (Inside)
          continue;
        ReadBy[R].insert(int64_t(K));
        if (Kn.Fused &&
            std::find(Kn.Reads.begin(), Kn.Reads.end(), In) == Kn.Reads.end())
          Kn.Reads.push_back(In);
      }
  }
  for (const Value *V : Wanted)
    ReadBy[P.root(V)].insert(int64_t(P.Kernels.size()));
  for (Kernel &Kn : P.Kernels) {
    if (!Kn.Fused)
      continue;
    for (const Node *N : Kn.Nodes)
      if (ReadBy.count(N->Outputs[0]))
        Kn.Writes.push_back(N->Outputs[0]);
  }
  return ReadBy;
}

/// Live intervals of arena values: from the writing kernel to the last
/// reader. Values a fused chain keeps in registers have no buffer.
Intervals liveIntervals(const KernelProgram &P, const Readers &ReadBy,
                        const std::vector<const Value *> &Wanted) {
  int64_t End = int64_t(P.Kernels.size());
  Intervals Live;
  for (size_t K = 0; K < P.Kernels.size(); ++K) {
    const Kernel &Kn = P.Kernels[K];
    for (const Value *V : Kn.Fused ? Kn.Writes : Kn.Outputs) {
      int64_t Last = int64_t(K);
      if (auto It = ReadBy.find(V); It != ReadBy.end())
        Last = std::max(Last, *It->second.rbegin());
      Live[V] = {int64_t(K), Last};
    }
  }
  for (const Value *V : Wanted)
    if (auto It = Live.find(P.root(V)); It != Live.end())
      It->second.second = End;
  return Live;
}

/// In place: a fused chain's stored value may take over the buffer of an
/// arena value it reads elementwise (same shape) that dies in this kernel.
void fusedChainsInPlace(KernelProgram &P, const Intervals &Live,
                        Owners &Owner) {
  for (size_t K = 0; K < P.Kernels.size(); ++K) {
    Kernel &Kn = P.Kernels[K];
    if (!Kn.Fused)
      continue;
    std::set<const Value *> Taken;
    for (const Value *W : Kn.Writes)
      for (const Value *In : Kn.Reads) {
        const Value *R = P.root(In);
        auto It = Live.find(R);
        if (It == Live.end() || It->second.second != int64_t(K) ||
            Taken.count(R) || In->Type.Dims != W->Type.Dims ||
            R->Type.bytes() != W->Type.bytes())
          continue;
        bool Elementwise = true; // every read of R indexes as W does
        for (const Value *Other : Kn.Reads)
          Elementwise &= P.root(Other) != R || Other->Type.Dims == W->Type.Dims;
        if (!Elementwise)
          continue;
        Taken.insert(R);
        Owner[W] = Owner.at(R);
        P.InPlaceOf[W] = In;
        break;
      }
  }
}

/// A BatchNorm gradient (with or without its activation's gradient as a
/// prologue) writes dx[i] after its last read of dy[i] and x[i] (backend
/// kernels and the interpreter alike), so dx may take over dy's buffer
/// when dy dies there: in training, the largest gradient of a conv block.
/// With a pooling gradient before it, dy is the pooled size; x, which
/// dies there too in a conv block, is dx's size.
void batchNormGradientsInPlace(KernelProgram &P, const Intervals &Live,
                               Owners &Owner) {
  for (size_t K = 0; K < P.Kernels.size(); ++K) {
    const Kernel &Kn = P.Kernels[K];
    if (Kn.Fused || Kn.node().Op != OpKind::BatchNormGrad)
      continue;
    const Value *Dx = Kn.node().Outputs[0], *Dy = Kn.node().Inputs[4];
    if (Kn.Main == 2)
      Dy = Kn.node().Inputs[0];
    if (Kn.Main == 1 && Dy == Kn.Nodes[0]->Outputs[0])
      Dy = Kn.Nodes[0]->Inputs[2]; // the prologue's incoming gradient
    const Value *R = P.root(Dy);
    auto It = Live.find(R);
    bool ReadOtherwise = false; // then dx would overwrite what is still read
    for (const Node *N : Kn.Nodes)
      for (const Value *In : N->Inputs)
        ReadOtherwise |= In && In != Dy && P.root(In) == R;
    if (It == Live.end() || It->second.second != int64_t(K) ||
        !Live.count(Dx) || ReadOtherwise || Dy->Type.Dims != Dx->Type.Dims ||
        R->Type.bytes() != Dx->Type.bytes())
      continue;
    Owner[Dx] = Owner.at(R);
    P.InPlaceOf[Dx] = Dy;
  }
}

/// One buffer per owner, spanning its values' intervals.
std::map<const Value *, LiveBuffer> ownedBuffers(const Intervals &Live,
                                                 const Owners &Owner) {
  std::map<const Value *, LiveBuffer> Buffers;
  for (const auto &[V, I] : Live) {
    LiveBuffer &B = Buffers[Owner.at(V)];
    if (B.Bytes == 0) {
      B.First = I.first;
      B.Last = I.second;
    }
    B.Bytes = std::max(B.Bytes, V->Type.bytes());
    B.First = std::min(B.First, I.first);
    B.Last = std::max(B.Last, I.second);
  }
  return Buffers;
}

/// An output's buffer need not be in the arena: the kernels can write the
/// caller's buffer itself, which saves a copy of every result (a conv
/// block's whole output). Only where that buffer is exactly one output's
/// size and no other output shares it.
void elideOutputBuffers(KernelProgram &P, const EntryPoint &E,
                        const Owners &Owner,
                        std::map<const Value *, LiveBuffer> &Buffers) {
  std::map<const Value *, int64_t> OutputsOf; // owner -> outputs over it
  for (const Value *V : E.Outputs)
    if (auto It = Owner.find(P.root(V)); It != Owner.end())
      ++OutputsOf[It->second];
  for (size_t I = 0; I < E.Outputs.size(); ++I) {
    const Value *V = E.Outputs[I];
    auto It = Owner.find(P.root(V));
    if (It == Owner.end() || OutputsOf.at(It->second) != 1 ||
        Buffers.at(It->second).Bytes != V->Type.bytes())
      continue;
    const Value *O = It->second;
    for (const auto &[W, WO] : Owner)
      if (WO == O)
        P.OutputSlot[W] = I;
    Buffers.erase(O);
  }
}

/// Batch statistics from a BatchNormTrain kernel to the BatchNormGrad
/// kernel of the same x, in training: (forward, backward) kernels, each pair
/// with a buffer appended to List.
std::vector<std::pair<size_t, size_t>>
shareBatchStatistics(KernelProgram &P, const LoweringOptions &Opts,
                     std::vector<LiveBuffer> &List) {
  std::vector<std::pair<size_t, size_t>> Stats;
  std::map<const Value *, size_t> Forward; // x -> BatchNormTrain kernel
  for (size_t K = 0; Opts.FuseConvBn && K < P.Kernels.size(); ++K) {
    const Kernel &Kn = P.Kernels[K];
    if (Kn.Fused)
      continue;
    const Node &N = Kn.node();
    const Value *X = N.Inputs[0];
    if (N.Op == OpKind::BatchNormTrain && X->Type.Elt == DType::F32 &&
        X->Type.Dims.size() >= 2)
      Forward[P.root(X)] = K;
    if (N.Op == OpKind::BatchNormGrad && N.Attrs.getInt("training") != 0)
      if (auto It = Forward.find(P.root(X)); It != Forward.end()) {
        Stats.push_back({It->second, K});
        size_t Bytes = size_t(X->Type.Dims[1]) * 2 * sizeof(double);
        P.Kernels[It->second].StatsBytes = P.Kernels[K].StatsBytes = Bytes;
        List.push_back(LiveBuffer{Bytes, int64_t(It->second), int64_t(K)});
        Forward.erase(It);
      }
  }
  return Stats;
}

/// The arena: the owned buffers (by value id), then each kernel's
/// workspace, then the shared batch statistics, planned together.
void planArena(KernelProgram &P, const LoweringOptions &Opts,
               const std::map<const Value *, LiveBuffer> &Buffers,
               const Owners &Owner) {
  std::vector<const Value *> Index;
  for (const auto &[V, B] : Buffers)
    Index.push_back(V);
  std::sort(Index.begin(), Index.end(),
            [](const Value *X, const Value *Y) { return X->Id < Y->Id; });
  std::vector<LiveBuffer> List;
  for (const Value *V : Index)
    List.push_back(Buffers.at(V));
  std::vector<size_t> WorkIndex;
  for (size_t K = 0; K < P.Kernels.size(); ++K) {
    Kernel &Kn = P.Kernels[K];
    if (!Kn.Fused && Opts.Workspace)
      Kn.WorkspaceBytes = Opts.Workspace(Kn);
    if (Kn.WorkspaceBytes) {
      WorkIndex.push_back(K);
      List.push_back(LiveBuffer{Kn.WorkspaceBytes, int64_t(K), int64_t(K)});
    }
  }
  std::vector<std::pair<size_t, size_t>> Stats =
      shareBatchStatistics(P, Opts, List);
  P.Plan = planMemory(List);
  P.Buffers = List;
  for (size_t I = 0; I < Stats.size(); ++I) {
    size_t Off = P.Plan.Offsets[Index.size() + WorkIndex.size() + I];
    P.Kernels[Stats[I].first].StatsOffset = Off;
    P.Kernels[Stats[I].second].StatsOffset = Off;
  }
  for (size_t I = 0; I < Index.size(); ++I)
    P.Offset[Index[I]] = P.Plan.Offsets[I];
  for (const auto &[V, O] : Owner)
    if (!P.OutputSlot.count(V))
      P.Offset[V] = P.Offset.at(O);
  for (size_t I = 0; I < WorkIndex.size(); ++I)
    P.Kernels[WorkIndex[I]].WorkspaceOffset = P.Plan.Offsets[Index.size() + I];
}

} // namespace

Expected<KernelProgram> lowerToKernels(const Graph &G, const EntryPoint &E,
                                       const LoweringOptions &Opts,
                                       StepObserver *Obs) {
  KernelProgram P;
  StepResult Shown{G, &E, &P};
  std::vector<const Value *> Wanted(E.Outputs.begin(), E.Outputs.end());
  for (const Update &U : E.Updates)
    Wanted.push_back(U.NewValue);
  std::vector<const Node *> Schedule = G.nodesReaching(Wanted);
  std::set<const Value *> WantedValues(Wanted.begin(), Wanted.end());
  P.Kernels = groupKernels(Schedule, WantedValues, Opts, P.Root);
  Readers ReadBy = recordDataflow(P, Wanted);
  NNC_TRY(observe(Obs, LoweringSteps[0], Shown));
  if (stopped(Obs))
    return P;

  P.Live = liveIntervals(P, ReadBy, Wanted);
  NNC_TRY(observe(Obs, LoweringSteps[1], Shown));
  if (stopped(Obs))
    return P;

  // Every value owns its buffer unless it takes over another's.
  Owners Owner;
  for (const auto &[V, I] : P.Live)
    Owner[V] = V;
  fusedChainsInPlace(P, P.Live, Owner);
  batchNormGradientsInPlace(P, P.Live, Owner);
  NNC_TRY(observe(Obs, LoweringSteps[2], Shown));
  if (stopped(Obs))
    return P;

  std::map<const Value *, LiveBuffer> Buffers = ownedBuffers(P.Live, Owner);
  elideOutputBuffers(P, E, Owner, Buffers);
  planArena(P, Opts, Buffers, Owner);
  NNC_TRY(observe(Obs, LoweringSteps[3], Shown));
  return P;
}

} // namespace nnc::passes
