// Conv epilogue fusion: where it fires, where its guards stop it, and that
// fused, unfused and interpreted graphs compute the same thing.
#include "../backend/JitTestUtil.h"
#include "backend/llvm/KernelParams.h"
#include "frontend/ModelIO.h"
#include "ir/Pointwise.h"
#include "passes/Autodiff.h"
#include "passes/KernelProgram.h"
#include "passes/TrainStep.h"

using namespace nnc;
using namespace nnc::test;

namespace {

Tensor rnd(Shape S, uint64_t Seed, double Lo = -1, double Hi = 1) {
  return randomTensor(std::move(S), Seed, Lo, Hi);
}

/// x -> Conv (groups G) -> ..., built by the caller from the conv's output.
struct Net {
  Graph G;
  Builder B{G};
  Value *X = nullptr, *Conv = nullptr;
  interp::TensorMap Feed;
  explicit Net(int64_t Groups = 1, int64_t C = 4, int64_t O = 6) {
    X = B.input("x", {2, C, 7, 6});
    Value *W = B.constant("w", {O, C / Groups, 3, 3},
                          rnd({O, C / Groups, 3, 3}, 1).Data);
    Value *Bias = B.constant("b", {O}, rnd({O}, 2).Data);
    Conv = B.op(OpKind::Conv, {X, W, Bias},
                attrs({{"pads", Ints{1, 1, 1, 1}}, {"group", Groups}}), "conv");
    Feed["x"] = rnd({2, C, 7, 6}, 3);
  }
  Value *bn(Value *In, int64_t C, const std::string &Name = "bn") {
    return B.op(OpKind::BatchNorm,
                {In, B.constant(Name + ".s", {C}, rnd({C}, 4).Data),
                 B.constant(Name + ".b", {C}, rnd({C}, 5).Data),
                 B.constant(Name + ".m", {C}, rnd({C}, 6).Data),
                 B.constant(Name + ".v", {C}, rnd({C}, 7, 0.5, 2).Data)},
                {}, Name);
  }
  /// The kernels of entry "infer" returning Outs.
  passes::KernelProgram lower(const std::vector<Value *> &Outs,
                              bool Training = false) {
    B.entry("infer", {X}, Outs);
    EXPECT_OK(B.status());
    EXPECT_OK(verify(G));
    passes::LoweringOptions O;
    O.Training = Training;
    return passes::lowerToKernels(G, *G.findEntry("infer"), O);
  }
};

std::vector<std::string> kernelOps(const passes::KernelProgram &P) {
  std::vector<std::string> Out;
  for (const passes::Kernel &K : P.Kernels) {
    std::string S;
    for (const Node *N : K.Nodes)
      S += (S.empty() ? "" : "+") + std::string(N->opName());
    Out.push_back(S);
  }
  return Out;
}

/// Fused JIT, unfused JIT and the interpreter agree on entry "infer".
void expectSameResults(Graph &G, const interp::TensorMap &Feed, bool Training,
                       double Tol) {
  auto Fused = makeEngine(G, backend::EngineKind::Jit, 2, "", true);
  auto Unfused = makeEngine(G, backend::EngineKind::Jit, 2, "", false);
  auto Ref = makeEngine(G, backend::EngineKind::Interp);
  interp::Options O;
  O.Training = Training;
  expectEnginesAgree(*Fused, *Ref, "infer", Feed, Tol, O);
  expectEnginesAgree(*Fused, *Unfused, "infer", Feed, Tol, O);
}
void expectSameResults(Net &N, bool Training = false) {
  expectSameResults(N.G, N.Feed, Training, 1e-5);
}

} // namespace

TEST(Fusion, ConvBatchNormReluIsOneKernel) {
  Net N;
  Value *Y = N.B.op(OpKind::Relu, {N.bn(N.Conv, 6)}, {}, "relu");
  EXPECT_EQ(kernelOps(N.lower({Y})),
            std::vector<std::string>{"Conv+BatchNorm+Relu"});
  expectSameResults(N);
}

TEST(Fusion, EveryEpilogueActivationFuses) {
  std::vector<std::pair<OpKind, Attributes>> Cases = {
      {OpKind::LeakyRelu, attrs({{"alpha", 0.2}})},
      {OpKind::Elu, attrs({{"alpha", 0.7}})},
      {OpKind::Sigmoid, attrs({{"slope", 1.5}})},
      {OpKind::Swish, attrs({{"beta", 1.2}})},
      {OpKind::Clip, attrs({{"min", -0.4}, {"max", 0.5}})},
      {OpKind::Softplus, attrs({{"beta", 2.0}, {"threshold", 0.5}})}};
  // And every activation of the table that says it fuses, with defaults.
  for (const pointwise::UnaryInfo &Row : pointwise::UnaryTable)
    if (Row.Epilogue)
      Cases.push_back({findOp(Row.Name)->Kind, {}});
  for (auto [K, A] : Cases) {
    // A direct conv, and one with 16+ channels (Winograd's epilogue).
    for (auto [C, O] : {std::pair<int64_t, int64_t>{4, 6}, {16, 18}}) {
      SCOPED_TRACE(std::string(opName(K)) + ", channels " + std::to_string(C));
      Net N(1, C, O);
      Value *Y = N.B.op(K, {N.Conv}, A, "act");
      EXPECT_EQ(kernelOps(N.lower({Y})),
                std::vector<std::string>{"Conv+" + std::string(opName(K))});
      expectSameResults(N);
    }
  }
}

TEST(Fusion, GroupedAndDepthwiseConvsFoldBatchNorm) {
  for (int64_t Groups : {2, 4}) {
    SCOPED_TRACE(Groups);
    Net N(Groups, 4, Groups == 4 ? 4 : 6);
    int64_t O = Groups == 4 ? 4 : 6;
    Value *Y = N.B.op(OpKind::Relu, {N.bn(N.Conv, O)}, {}, "relu");
    EXPECT_EQ(kernelOps(N.lower({Y})),
              std::vector<std::string>{"Conv+BatchNorm+Relu"});
    expectSameResults(N);
  }
}

TEST(Fusion, ConvWithoutBiasFoldsBatchNorm) {
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {2, 3, 5, 5});
  Value *W = B.constant("w", {4, 3, 3, 3}, rnd({4, 3, 3, 3}, 8).Data);
  Value *C = B.op(OpKind::Conv, {X, W}, {}, "conv");
  Value *Y = B.op(OpKind::BatchNorm,
                  {C, B.constant("s", {4}, rnd({4}, 9).Data),
                   B.constant("b", {4}, rnd({4}, 10).Data),
                   B.constant("m", {4}, rnd({4}, 11).Data),
                   B.constant("v", {4}, rnd({4}, 12, 0.5, 2).Data)},
                  {}, "bn");
  B.entry("infer", {X}, {Y});
  ASSERT_OK(B.status());
  ASSERT_OK(verify(G));
  auto P = passes::lowerToKernels(G, G.EntryPoints[0], {});
  EXPECT_EQ(kernelOps(P), std::vector<std::string>{"Conv+BatchNorm"});
  auto J = makeEngine(G, backend::EngineKind::Jit);
  auto R = makeEngine(G, backend::EngineKind::Interp);
  expectEnginesAgree(*J, *R, "infer", {{"x", rnd({2, 3, 5, 5}, 13)}}, 1e-5);
}

TEST(Fusion, NoFoldWhenTheConvOutputHasAnotherUser) {
  Net N;
  Value *Y = N.B.op(OpKind::Relu, {N.bn(N.Conv, 6)}, {}, "relu");
  Value *Z = N.B.op(OpKind::Sigmoid, {N.Conv}, {}, "other");
  std::vector<std::string> Ops = kernelOps(N.lower({Y, Z}));
  EXPECT_EQ(Ops[0], "Conv");
  for (const std::string &S : Ops)
    EXPECT_EQ(S.find("Conv+"), std::string::npos) << S;
  expectSameResults(N);
  // A conv output returned by the entry is another user too.
  Net M;
  Value *Y2 = M.B.op(OpKind::Relu, {M.Conv}, {}, "relu");
  EXPECT_EQ(kernelOps(M.lower({Y2, M.Conv}))[0], "Conv");
}

TEST(Fusion, NoBatchNormFoldedThroughAFusedActivation) {
  // Conv -> ReLU -> BatchNorm: the ReLU joins the epilogue; the BatchNorm
  // must stay outside, since BN(ReLU(x)) is not ReLU folded into BN.
  Net N;
  Value *Y = N.bn(N.B.op(OpKind::Relu, {N.Conv}, {}, "relu"), 6);
  std::vector<std::string> Ops = kernelOps(N.lower({Y}));
  EXPECT_EQ(Ops, (std::vector<std::string>{"Conv+Relu", "BatchNorm"}));
  expectSameResults(N);
}

TEST(Fusion, NoFoldOfBatchNormInTrainingMode) {
  Net N;
  Value *Y = N.B.op(OpKind::Relu, {N.bn(N.Conv, 6)}, {}, "relu");
  std::vector<std::string> Ops = kernelOps(N.lower({Y}, /*Training=*/true));
  EXPECT_EQ(Ops[0], "Conv");
  EXPECT_EQ(Ops[1], "BatchNorm");
  expectSameResults(N, /*Training=*/true);
}

TEST(Fusion, TrainingBatchNormAndActivationRunAsOnePassEachWay) {
  // convbn's training step: BatchNormTrain+ReLU forward, the ReLU gradient
  // inside BatchNormGrad backward; with conv-bn off, neither.
  Expected<Graph> G = frontend::loadModel(std::string(NNC_SOURCE_DIR) +
                                          "/examples/models/convbn.json");
  ASSERT_OK(G);
  ASSERT_OK(passes::buildTrainStep(*G));
  ASSERT_OK(inferShapes(*G, 4));
  for (bool On : {true, false}) {
    passes::LoweringOptions O;
    O.FuseConvBn = On;
    std::vector<std::string> Ops =
        kernelOps(passes::lowerToKernels(*G, *G->findEntry("train_step"), O));
    EXPECT_EQ(std::count(Ops.begin(), Ops.end(), "BatchNormTrain+Relu+MaxPool"),
              On ? 2 : 0);
    EXPECT_EQ(std::count(Ops.begin(), Ops.end(),
                         "PoolGrad+UnaryGrad+BatchNormGrad+ReduceSum"),
              On ? 2 : 0);
  }
}

TEST(Fusion, BatchNormGradientSumsItsResultByChannel) {
  // dx summed over all but the channel axis (a conv bias's gradient) is an
  // epilogue of the BatchNorm gradient; a sum over other axes is not. With
  // fixed statistics: with the batch's, the channel sums are zero but for
  // rounding, which no tolerance can compare.
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {3, 4, 5, 6});
  Value *Dy = B.input("dy", {3, 4, 5, 6});
  auto Param = [&](const char *Name, uint64_t Seed, double Lo, double Hi) {
    return B.constant(Name, {4}, rnd({4}, Seed, Lo, Hi).Data);
  };
  std::vector<Value *> Bn =
      B.ops(OpKind::BatchNormGrad,
            {X, Param("s", 31, 0.5, 1.5), Param("m", 32, -1, 1),
             Param("v", 33, 0.5, 2), Dy},
            attrs({{"training", int64_t(0)}}), 3, "bn");
  Value *ByChannel =
      B.op(OpKind::ReduceSum, {Bn[0]},
           attrs({{"axes", Ints{0, 2, -1}}, {"keepdims", int64_t(0)}}));
  Value *Other =
      B.op(OpKind::ReduceSum, {Bn[0]},
           attrs({{"axes", Ints{0, 1, 2}}, {"keepdims", int64_t(0)}}));
  B.entry("infer", {X, Dy}, {Bn[0], Bn[1], ByChannel, Other});
  ASSERT_OK(B.status());
  ASSERT_OK(verify(G));
  passes::LoweringOptions O;
  O.Training = true;
  EXPECT_EQ(kernelOps(passes::lowerToKernels(G, G.EntryPoints[0], O)),
            (std::vector<std::string>{"BatchNormGrad+ReduceSum", "ReduceSum"}));
  auto Fused = makeEngine(G, backend::EngineKind::Jit, 2, "", true);
  auto Ref = makeEngine(G, backend::EngineKind::Interp);
  interp::TensorMap Feed = {{"x", rnd({3, 4, 5, 6}, 34)},
                            {"dy", rnd({3, 4, 5, 6}, 35)}};
  expectEnginesAgree(*Fused, *Ref, "infer", Feed, 1e-5);
}

namespace {

/// x [2, 3, H, W] -> conv -> BatchNormTrain -> ReLU -> max pooling (2x2
/// windows, the given strides) -> loss = sum(pool * R). Entry "infer"
/// returns the gradients of x, the conv weight and the BatchNorm's scale
/// and bias, and with ExposePoolGrad the pooling's gradient too.
struct PooledBlock {
  Graph G;
  interp::TensorMap Feed;
  void build(int64_t H, int64_t W, Ints Strides, bool ExposePoolGrad) {
    Builder B(G);
    Value *X = B.input("x", {2, 3, H, W});
    Value *Wt = B.constant("w", {4, 3, 3, 3}, rnd({4, 3, 3, 3}, 21).Data);
    Value *C = B.op(OpKind::Conv, {X, Wt}, attrs({{"pads", Ints{1, 1, 1, 1}}}),
                    "conv");
    Value *S = B.constant("s", {4}, rnd({4}, 22, 0.5, 1.5).Data);
    Value *Bias = B.constant("b", {4}, rnd({4}, 23).Data);
    Value *Bn = B.ops(OpKind::BatchNormTrain,
                      {C, S, Bias, B.constant("m", {4}, rnd({4}, 24).Data),
                       B.constant("v", {4}, rnd({4}, 25, 0.5, 2).Data)},
                      {}, 3, "bn")[0];
    Value *Pool = B.op(
        OpKind::MaxPool, {B.op(OpKind::Relu, {Bn}, {}, "relu")},
        attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Strides}}), "pool");
    ASSERT_OK(B.status());
    Tensor R = rnd(Pool->Type.Dims, 26);
    Value *Loss =
        B.op(OpKind::ReduceSum,
             {B.op(OpKind::Mul, {Pool, B.constant("r", R.Dims, R.Data)})},
             attrs({{"keepdims", int64_t(0)}}), "loss");
    ASSERT_OK(B.status());
    auto D = passes::differentiate(G, Loss, {X, Wt, S, Bias});
    ASSERT_OK(D);
    std::vector<Value *> Grads;
    for (Value *V : {X, Wt, S, Bias})
      Grads.push_back(D->Grads.at(V));
    if (ExposePoolGrad)
      for (const auto &N : G.nodes())
        if (N->Op == OpKind::PoolGrad)
          Grads.push_back(N->Outputs[0]);
    G.EntryPoints.push_back({"infer", {X}, Grads, {}});
    ASSERT_OK(verify(G));
    Feed["x"] = rnd({2, 3, H, W}, 27);
  }
  std::vector<std::string> ops() {
    passes::LoweringOptions O;
    O.Training = true;
    return kernelOps(passes::lowerToKernels(G, G.EntryPoints[0], O));
  }
};

} // namespace

TEST(Fusion, MaxPoolingGradientRunsInsideTheBatchNormGradient) {
  // 2x2 windows tiling the input: the pooling gradient is computed as the
  // BatchNorm gradient reads it. Rows of windows are routed through a
  // buffer of 1024 floats: 35 row pairs of 20 take two rounds, rows of
  // 520 do not fit and are visited window by window.
  for (auto [H, W] :
       std::vector<std::pair<int64_t, int64_t>>{{6, 10}, {70, 20}, {4, 520}}) {
    SCOPED_TRACE(std::to_string(H) + "x" + std::to_string(W));
    PooledBlock N;
    N.build(H, W, {2, 2}, false);
    std::vector<std::string> Ops = N.ops();
    EXPECT_EQ(
        std::count(Ops.begin(), Ops.end(), "PoolGrad+UnaryGrad+BatchNormGrad"),
        1);
    EXPECT_EQ(std::count(Ops.begin(), Ops.end(), "PoolGrad"), 0);
    EXPECT_EQ(std::count(Ops.begin(), Ops.end(), "BatchNormTrain+Relu+MaxPool"),
              1);
    expectSameResults(N.G, N.Feed, true, 1e-4);
  }
}

TEST(Fusion, NoPoolingGradientFusedWhenWindowsOverlapOrItIsStored) {
  // Stride 1: windows overlap. A result of the entry: it must be stored.
  PooledBlock Overlap, Stored;
  Overlap.build(6, 10, {1, 1}, false);
  Stored.build(6, 10, {2, 2}, true);
  std::vector<std::string> OverlapOps = Overlap.ops();
  EXPECT_EQ(
      std::count(OverlapOps.begin(), OverlapOps.end(), "BatchNormTrain+Relu"),
      1)
      << "overlapping windows are not pooled in the BatchNorm's kernel";
  for (PooledBlock *N : {&Overlap, &Stored}) {
    std::vector<std::string> Ops = N->ops();
    EXPECT_EQ(std::count(Ops.begin(), Ops.end(), "PoolGrad"), 1);
    EXPECT_EQ(std::count(Ops.begin(), Ops.end(), "UnaryGrad+BatchNormGrad"), 1);
  }
}

TEST(Fusion, NoTrainingFusionWhenTheNormalizedValueHasAnotherUser) {
  Net N;
  Value *Bn = N.B.ops(OpKind::BatchNormTrain,
                      {N.Conv, N.B.constant("bn.s", {6}, rnd({6}, 4).Data),
                       N.B.constant("bn.b", {6}, rnd({6}, 5).Data),
                       N.B.constant("bn.m", {6}, rnd({6}, 6).Data),
                       N.B.constant("bn.v", {6}, rnd({6}, 7, 0.5, 2).Data)},
                      {}, 3, "bn")[0];
  Value *Y = N.B.op(OpKind::Relu, {Bn}, {}, "relu");
  std::vector<std::string> Ops = kernelOps(N.lower({Y, Bn}));
  EXPECT_EQ(std::count(Ops.begin(), Ops.end(), "BatchNormTrain"), 1);
  EXPECT_EQ(std::count(Ops.begin(), Ops.end(), "BatchNormTrain+Relu"), 0);
  // Alone, the same graph fuses.
  Net M;
  Value *Bn2 = M.B.ops(OpKind::BatchNormTrain,
                       {M.Conv, M.B.constant("bn.s", {6}, rnd({6}, 4).Data),
                        M.B.constant("bn.b", {6}, rnd({6}, 5).Data),
                        M.B.constant("bn.m", {6}, rnd({6}, 6).Data),
                        M.B.constant("bn.v", {6}, rnd({6}, 7, 0.5, 2).Data)},
                       {}, 3, "bn")[0];
  Value *Y2 = M.B.op(OpKind::Relu, {Bn2}, {}, "relu");
  std::vector<std::string> Ops2 = kernelOps(M.lower({Y2}));
  EXPECT_EQ(std::count(Ops2.begin(), Ops2.end(), "BatchNormTrain+Relu"), 1);
  expectSameResults(M, true);
}

TEST(Fusion, PoolGradientReadByAOneInputConcatGradientIsNotAPrologue) {
  // relu -> Concat(one input) -> max pooling: the pooling gradient's sole
  // user is the concat's Slice, which has one operand, not an activation
  // gradient (its operands were once read unchecked).
  Expected<Graph> G = frontend::loadModel(std::string(NNC_SOURCE_DIR) +
                                          "/examples/models/convbn.json");
  ASSERT_OK(G);
  Node *Pool = nullptr;
  for (const auto &N : G->nodes())
    if (N->Name == "pool1")
      Pool = N.get();
  ASSERT_NE(Pool, nullptr);
  Builder B(*G);
  Pool->Inputs[0] = B.op(OpKind::Concat, {Pool->Inputs[0]}, {}, "cat1");
  ASSERT_OK(B.status());
  ASSERT_OK(G->sortTopologically());
  ASSERT_OK(passes::buildTrainStep(*G));
  ASSERT_OK(inferShapes(*G, 4));
  std::vector<std::string> Ops =
      kernelOps(passes::lowerToKernels(*G, *G->findEntry("train_step"), {}));
  EXPECT_EQ(std::count(Ops.begin(), Ops.end(),
                       "PoolGrad+UnaryGrad+BatchNormGrad+ReduceSum"),
            1);
}
