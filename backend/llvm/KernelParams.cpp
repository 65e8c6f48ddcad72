#include "backend/llvm/KernelParams.h"
#include "backend/llvm/KernelCalls.h"

#include "backend/kernels/Codes.h"
#include "ir/Geometry.h"
#include "ir/Pointwise.h"

#include <algorithm>
#include <array>

namespace nnc::backend {

using namespace nnc::ir;
using namespace calls;

namespace {

/// Softmax, maxout and normalization.
Expected<KernelCall> channelCall(const Node &N, bool Training,
                                 int64_t Threads) {
  using namespace nnck;
  KernelCall C = namedCall(N);
  [[maybe_unused]] const Shape &X0 = firstDims(N);
  [[maybe_unused]] const Shape &Y0 = N.Outputs[0]->Type.Dims;
  [[maybe_unused]] const Attributes &A = N.Attrs;
  switch (N.Op) {
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::SoftmaxGrad: {
    Split S = splitAround(X0, normalizedAxis(A.getInt("axis"), X0.size()));
    setParams(C,
              SoftmaxParams{S.Outer, S.Extent, S.Inner,
                            N.Op == OpKind::SoftmaxGrad ? A.getInt("log") : 0});
    return C;
  }
  case OpKind::Maxout:
  case OpKind::MaxoutGrad: {
    Split S =
        splitAround(N.Op == OpKind::Maxout ? Y0 : N.Inputs[1]->Type.Dims, 1);
    setParams(C, MaxoutParams{S.Outer, S.Extent, S.Inner, A.getInt("pieces")});
    return C;
  }
  case OpKind::PReluGrad: {
    int64_t Ch = X0.size() >= 2 ? X0[1] : 1, Inner = 1;
    for (size_t I = 2; I < X0.size(); ++I)
      Inner *= X0[I];
    setParams(C, PReluGradParams{Ch, Inner,
                                 N.Inputs[1]->Type.numElements() != 1 ? 1 : 0,
                                 numElements(X0)});
    return C;
  }
  case OpKind::BatchNorm:
  case OpKind::BatchNormTrain:
  case OpKind::BatchNormGrad: {
    BatchNormParams B{};
    Channels Ch = channelsOf(X0);
    B.N = Ch.N, B.C = Ch.C, B.Inner = Ch.Inner;
    B.Mode = N.Op == OpKind::BatchNorm        ? (Training ? 1 : 0)
             : N.Op == OpKind::BatchNormTrain ? A.getInt("unbiased")
                                              : A.getInt("training");
    // Fused loops set these (addFusedActivation).
    B.Activation =
        N.Op == OpKind::BatchNormGrad ? -1 : int64_t(Unary::Identity);
    C.Tasks = B.Tasks = planeTasks(B.C, numElements(X0), Threads);
    B.SumRows = X0.size() >= 3 ? X0.back() : 1;
    setParams(C, B);
    setReals(C, BatchNormReals{A.getFloat("epsilon"),
                               A.has("momentum") ? A.getFloat("momentum") : 0.0,
                               {0, 0}});
    return C;
  }
  case OpKind::LRN:
  case OpKind::LRNGrad: {
    Channels Ch = channelsOf(X0);
    setParams(C, LrnParams{Ch.N, Ch.C, Ch.Inner, A.getInt("size")});
    setReals(C, LrnReals{A.getFloat("alpha"), A.getFloat("beta"),
                         A.getFloat("bias")});
    return C;
  }
  default:
    return error(N.describe(), ": ", N.opName(),
                 " is not a softmax, maxout or normalization op");
  }
}

/// Losses, dropout and optimizer updates.
Expected<KernelCall> trainingCall(const Node &N, bool Training,
                                  int64_t Threads) {
  using namespace nnck;
  KernelCall C = namedCall(N);
  [[maybe_unused]] const Shape &X0 = firstDims(N);
  [[maybe_unused]] const Shape &Y0 = N.Outputs[0]->Type.Dims;
  [[maybe_unused]] const Attributes &A = N.Attrs;
  switch (N.Op) {
  case OpKind::MseLoss:
  case OpKind::BceLoss:
  case OpKind::BceWithLogitsLoss:
    setParams(C, ElementwiseLossParams{numElements(X0)});
    return C;
  case OpKind::NllLoss:
  case OpKind::NllLossGrad: {
    const std::string &R = A.getString("reduction");
    int64_t Reduction = R == "none"   ? ReductionNone
                        : R == "sum"  ? ReductionSum
                        : R == "mean" ? ReductionMean
                                      : int64_t(-1);
    if (Reduction < 0)
      return error(N.describe(), ": unknown reduction '", R,
                   "' (expected none, sum, mean)");
    setParams(C, NllLossParams{X0[0], X0[1], numElements(X0) / (X0[0] * X0[1]),
                               Reduction, A.getInt("ignore_index"),
                               int64_t(N.Inputs.size()) >
                                   (N.Op == OpKind::NllLoss ? 2 : 3)});
    return C;
  }
  case OpKind::SoftmaxCrossEntropy:
  case OpKind::CorrectCount:
    setParams(C, RowLossParams{X0[0], X0[1]});
    return C;
  case OpKind::LossGrad: {
    const std::string &Loss = A.getString("loss");
    int64_t Kind = Loss == "SoftmaxCrossEntropy" ? LossGradSoftmaxCrossEntropy
                   : Loss == "MseLoss"           ? LossGradMse
                   : Loss == "BceLoss"           ? LossGradBce
                   : Loss == "BceWithLogitsLoss" ? LossGradBceWithLogits
                                                 : int64_t(-1);
    if (Kind < 0)
      return error(N.describe(), ": no gradient kernel for loss '", Loss, "'");
    bool Rows = Kind == LossGradSoftmaxCrossEntropy;
    setParams(C, LossGradParams{Kind, Rows ? X0[0] : 0, Rows ? X0[1] : 0,
                                numElements(X0)});
    return C;
  }
  case OpKind::DropoutMask:
    setParams(C, DropoutParams{int64_t(seedMix(N)), numElements(Y0)});
    setReals(C, DropoutReals{A.getFloat("ratio")});
    return C;
  case OpKind::Dropout: // training mode; inference is a view
    C.Symbol = "nnc_k_DropoutTrain";
    setParams(C, DropoutParams{int64_t(seedMix(N)), numElements(Y0)});
    setReals(C, DropoutReals{A.getFloat("ratio")});
    return C;
  case OpKind::SgdUpdate:
  case OpKind::AdagradUpdate:
  case OpKind::AdadeltaUpdate:
  case OpKind::RmspropUpdate:
  case OpKind::AdamUpdate: {
    int64_t Variant = 0;
    switch (N.Op) {
    case OpKind::SgdUpdate:
      Variant = A.getInt("nesterov");
      setReals(C, SgdReals{A.getFloat("momentum"), A.getFloat("dampening")});
      break;
    case OpKind::AdagradUpdate:
      setReals(C, AdagradReals{A.getFloat("lr_decay"), A.getFloat("eps")});
      break;
    case OpKind::AdadeltaUpdate:
      setReals(C, AdadeltaReals{A.getFloat("rho"), A.getFloat("eps")});
      break;
    case OpKind::RmspropUpdate:
      Variant = A.getInt("centered");
      setReals(C, RmspropReals{A.getFloat("alpha"), A.getFloat("eps"),
                               A.getFloat("momentum")});
      break;
    default:
      Variant = A.getInt("amsgrad");
      setReals(C, AdamReals{A.getFloat("beta1"), A.getFloat("beta2"),
                            A.getFloat("eps")});
      break;
    }
    setParams(C, OptimizerParams{numElements(X0), A.getInt("decoupled"),
                                 int64_t(N.Inputs.size()) - 5, Variant});
    return C;
  }
  case OpKind::OnnxAdagrad:
    setParams(C, OnnxOptimizerParams{numElements(N.Inputs[2]->Type.Dims), 0});
    setReals(C,
             OnnxAdagradReals{A.getFloat("decay_factor"), A.getFloat("epsilon"),
                              A.getFloat("norm_coefficient")});
    return C;
  case OpKind::OnnxMomentum:
    setParams(C, OnnxOptimizerParams{numElements(N.Inputs[2]->Type.Dims),
                                     A.getInt("nesterov")});
    setReals(C, OnnxMomentumReals{A.getFloat("alpha"), A.getFloat("beta"),
                                  A.getFloat("norm_coefficient")});
    return C;
  case OpKind::OnnxAdam:
    setParams(C, OnnxOptimizerParams{numElements(N.Inputs[2]->Type.Dims), 0});
    setReals(C, OnnxAdamReals{A.getFloat("alpha"), A.getFloat("beta"),
                              A.getFloat("epsilon"),
                              A.getFloat("norm_coefficient"),
                              A.getFloat("norm_coefficient_post")});
    return C;
  default:
    return error(N.describe(), ": ", N.opName(),
                 " is not a loss, dropout or optimizer op");
  }
}

/// A bucket's pack-and-start or wait-and-unpack: BucketParams, then each
/// gradient's element count.
KernelCall collectiveCall(const Node &N) {
  KernelCall C = namedCall(N);
  const std::vector<Value *> &Grads =
      N.Op == OpKind::AllReduceStart ? N.Inputs : N.Outputs;
  setParams(C, nnck::BucketParams{int64_t(Grads.size())});
  for (const Value *G : Grads)
    C.P.push_back(G->Type.numElements());
  return C;
}

} // namespace

passes::LoweringOptions loweringOptions(const EngineOptions &Opts,
                                        bool Training) {
  passes::LoweringOptions LO;
  LO.FuseElementwise = Opts.FuseElementwise;
  LO.FuseConvBn = Opts.FuseConvBn;
  LO.FuseConvAct = Opts.FuseConvAct;
  LO.Training = Training;
  int64_t Threads = std::max<int64_t>(Opts.Threads, 1);
  LO.Workspace = [Training, Threads](const passes::Kernel &K) {
    return kernelWorkspace(K, Training, Threads);
  };
  return LO;
}

Expected<KernelCall> kernelCall(const Node &N, bool Training, int64_t Threads) {
  switch (N.Op) {
  case OpKind::MatMul:
  case OpKind::Dense:
  case OpKind::Conv:
  case OpKind::ConvTranspose:
  case OpKind::ConvGradWeights:
  case OpKind::Rbf:
  case OpKind::RbfGrad:
    return contractionCall(N, Training, Threads);
  case OpKind::MaxPool:
  case OpKind::AvgPool:
  case OpKind::StochasticPool:
  case OpKind::MaxPoolIndices:
  case OpKind::GlobalAvgPool:
  case OpKind::GlobalMaxPool:
  case OpKind::PoolGrad:
    return poolingCall(N, Training, Threads);
  case OpKind::Transpose:
  case OpKind::ReduceGrad:
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::Expand:
  case OpKind::Pad:
  case OpKind::PadGrad:
  case OpKind::SumTo:
  case OpKind::Concat:
  case OpKind::ChannelShuffle:
  case OpKind::ArgMax:
  case OpKind::Slice:
    return layoutCall(N, Training, Threads);
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::SoftmaxGrad:
  case OpKind::Maxout:
  case OpKind::MaxoutGrad:
  case OpKind::PReluGrad:
  case OpKind::BatchNorm:
  case OpKind::BatchNormTrain:
  case OpKind::BatchNormGrad:
  case OpKind::LRN:
  case OpKind::LRNGrad:
    return channelCall(N, Training, Threads);
  case OpKind::Rnn:
  case OpKind::Gru:
  case OpKind::Lstm:
  case OpKind::RnnGrad:
  case OpKind::GruGrad:
  case OpKind::LstmGrad:
    return recurrentCall(N, Threads);
  case OpKind::MseLoss:
  case OpKind::BceLoss:
  case OpKind::BceWithLogitsLoss:
  case OpKind::NllLoss:
  case OpKind::NllLossGrad:
  case OpKind::SoftmaxCrossEntropy:
  case OpKind::CorrectCount:
  case OpKind::LossGrad:
  case OpKind::DropoutMask:
  case OpKind::Dropout:
  case OpKind::SgdUpdate:
  case OpKind::AdagradUpdate:
  case OpKind::AdadeltaUpdate:
  case OpKind::RmspropUpdate:
  case OpKind::AdamUpdate:
  case OpKind::OnnxAdagrad:
  case OpKind::OnnxMomentum:
  case OpKind::OnnxAdam:
    return trainingCall(N, Training, Threads);
  case OpKind::AllReduceStart:
  case OpKind::AllReduceWait:
    return collectiveCall(N);
#define NNC_UNARY(Kind, A0, D0, A1, D1, Epi, Onnx, OnnxAttrs) case OpKind::Kind:
#include "ir/PointwiseOps.def"
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::PRelu:
  case OpKind::UnaryGrad:
  case OpKind::Flatten:
  case OpKind::Reshape:
  case OpKind::ReshapeLike:
    return error(N.describe(), ": ", N.opName(),
                 " has no kernel of its own: it runs in a fused loop or is a "
                 "view");
  }
  return error(N.describe(), ": unknown op kind ", int(N.Op));
}

namespace {

/// nnck::activate's code and attributes for an epilogue's activation
/// node (null: Identity, none).
void activationCode(const Node *Act, int64_t &Code, double &A, double &B) {
  Code = int64_t(Unary::Identity), A = 0, B = 0;
  if (!Act)
    return;
  Unary U = *unaryOf(Act->Op); // passes::isEpilogueActivation admits no other
  std::array<double, 2> Attrs = unaryAttrs(U, Act->Attrs);
  Code = int64_t(U), A = Attrs[0], B = Attrs[1];
}

/// The op a UnaryGrad differentiates, as a pointwise::Unary code, and that
/// op's attributes; Dropout is the identity.
std::array<double, 2> unaryGradOp(const Node &N, int64_t &Code) {
  const std::string &Op = N.Attrs.getString("op");
  Unary U = Op == "Dropout" ? Unary::Identity : *unaryNamed(Op); // verified
  Code = int64_t(U);
  return unaryAttrs(U, N.Attrs);
}

} // namespace

void addConvEpilogue(const std::vector<const Node *> &Epilogue, KernelCall &C) {
  const Node *Bn = nullptr, *Act = nullptr;
  for (const Node *N : Epilogue)
    (N->Op == OpKind::BatchNorm ? Bn : Act) = N;
  nnck::ConvParams Conv = paramsOf<nnck::ConvParams>(C);
  double A, B;
  activationCode(Act, Conv.Activation, A, B);
  Conv.FoldedBatchNorm = Bn ? 1 : 0;
  setParams(C, Conv);
  setReals(C,
           nnck::ConvReals{Bn ? Bn->Attrs.getFloat("epsilon") : 0.0, {A, B}});
}

void addFusedActivation(const Node &Main, const std::vector<const Node *> &Pro,
                        const std::vector<const Node *> &Epi, KernelCall &C) {
  if (Main.Op != OpKind::BatchNormTrain && Main.Op != OpKind::BatchNormGrad)
    return;
  nnck::BatchNormParams Bn = paramsOf<nnck::BatchNormParams>(C);
  nnck::BatchNormReals Reals = realsOf<nnck::BatchNormReals>(C);
  if (Main.Op == OpKind::BatchNormTrain && !Epi.empty() &&
      Epi[0]->Op != OpKind::MaxPool) {
    double A, B;
    activationCode(Epi[0], Bn.Activation, A, B);
    Reals.Attrs[0] = A, Reals.Attrs[1] = B;
  }
  if (Main.Op == OpKind::BatchNormGrad && Pro.size() == 2) {
    const Shape &X = Pro[0]->Inputs[0]->Type.Dims; // the PoolGrad's
    Bn.PoolH = X[2];
    Bn.PoolW = X[3];
  }
  if (Main.Op == OpKind::BatchNormGrad && !Pro.empty()) {
    Bn.DyInWorkspace = 1;
    std::array<double, 2> A = unaryGradOp(*Pro.back(), Bn.Activation);
    Reals.Attrs[0] = A[0], Reals.Attrs[1] = A[1];
  }
  setParams(C, Bn);
  setReals(C, Reals);
}

void addSavedStatistics(const Node &, size_t Slot, KernelCall &C) {
  nnck::BatchNormParams Bn = paramsOf<nnck::BatchNormParams>(C);
  Bn.StatisticsSlot = int64_t(Slot);
  setParams(C, Bn);
}

size_t kernelWorkspace(const passes::Kernel &K, bool Training,
                       int64_t Threads) {
  const Node &N = K.node();
  Expected<KernelCall> C = kernelCall(N, Training, Threads);
  if (!C.ok())
    return 0; // the error comes when emitting
  size_t Bytes = C->WorkspaceBytes;
  if (N.Op == OpKind::BatchNormGrad && K.Main > 0) {
    const Shape &X = N.Inputs[0]->Type.Dims;
    Bytes += size_t(C->Tasks * (numElements(X) / X[1])) * sizeof(float);
  }
  return Bytes;
}

void addEpilogueResult(const Node &Main, const Node &Epilogue, size_t Slot,
                       KernelCall &C) {
  nnck::BatchNormParams Bn = paramsOf<nnck::BatchNormParams>(C);
  if (Main.Op == OpKind::BatchNormGrad) {
    Bn.DxSumSlot = int64_t(Slot);
  } else {
    const Shape &X = Epilogue.Inputs[0]->Type.Dims; // the pooled planes
    Bn.PoolH = X[2];
    Bn.PoolW = X[3];
    Bn.PooledSlot = int64_t(Slot);
  }
  setParams(C, Bn);
}

KernelCall scalarCall(const Node &N) {
  KernelCall C;
  C.Symbol = "nnc_s_" + std::string(N.opName());
  if (std::optional<Unary> U = unaryOf(N.Op)) {
    std::array<double, 2> A = unaryAttrs(*U, N.Attrs);
    C.F.assign(A.begin(), A.end());
  } else if (N.Op == OpKind::UnaryGrad) {
    nnck::UnaryGradParams Q{};
    std::array<double, 2> A = unaryGradOp(N, Q.Op);
    setParams(C, Q);
    C.F.assign(A.begin(), A.end());
  } else if (N.Op == OpKind::ReduceGrad) {
    C.F = {N.Attrs.getInt("mean") ? double(N.Inputs[0]->Type.numElements()) /
                                        double(N.Outputs[0]->Type.numElements())
                                  : 1.0};
  }
  return C;
}

std::vector<int64_t> operandStrides(const Node &N, size_t I) {
  const Shape &Out = N.Outputs[0]->Type.Dims;
  const Shape &In = N.Inputs[I]->Type.Dims;
  std::vector<int64_t> S(Out.size(), 0);
  if (N.Op == OpKind::ReduceGrad) {
    // dy, reduced: its own strides on the kept axes, 0 on the reduced ones
    // (with or without keepdims). "like" is only a shape: never read.
    if (I == 1)
      return S;
    return keptStrides(Out, reducedAxes(N, Out.size()));
  }
  if (N.Op == OpKind::PRelu && I == 1) {
    // One slope per channel (axis 1), or one for all.
    if (N.Inputs[1]->Type.numElements() != 1 && Out.size() >= 2)
      S[1] = 1;
    return S;
  }
  std::vector<int64_t> InS = rowMajorStrides(In);
  size_t Off = Out.size() - In.size();
  for (size_t D = 0; D < In.size(); ++D)
    S[Off + D] = In[D] == 1 ? 0 : InS[D];
  return S;
}

} // namespace nnc::backend
