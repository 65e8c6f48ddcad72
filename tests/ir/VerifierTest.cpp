#include "../TestUtil.h"
#include "ir/Printer.h"

#include <sstream>

using namespace nnc;
using namespace nnc::test;

namespace {

/// x -> Dense(w, b) -> Relu, as a minimal valid graph to break.
struct SmallGraph {
  Graph G;
  Value *X, *W, *B, *H, *Y;
  Node *DenseNode, *ReluNode;
  SmallGraph() {
    X = G.addValue("x", Role::Input, {DType::F32, {-1, 4}});
    W = G.addValue("w", Role::Parameter, {DType::F32, {3, 4}});
    B = G.addValue("b", Role::Parameter, {DType::F32, {3}});
    W->Init.Kind = Initializer::Scheme::GlorotUniform;
    B->Init.Kind = Initializer::Scheme::Zeros;
    H = G.addValue("h", Role::Activation, {});
    Y = G.addValue("y", Role::Output, {});
    DenseNode = G.addNode(OpKind::Dense, "fc", {X, W, B}, {H});
    ReluNode = G.addNode(OpKind::Relu, "relu", {H}, {Y});
    G.EntryPoints.push_back({"infer", {X}, {Y}});
  }
  std::string verifyError() {
    Status S = verify(G);
    EXPECT_FALSE(S.ok());
    return S.message();
  }
};

} // namespace

TEST(Verifier, AcceptsAValidGraphAndFillsDefaults) {
  SmallGraph S;
  ASSERT_OK(verify(S.G));
  EXPECT_EQ(S.Y->Type, (TensorType{DType::F32, {1, 3}}));
  ASSERT_OK(inferShapes(S.G, 7));
  EXPECT_EQ(S.Y->Type.Dims, (Shape{7, 3}));
  EXPECT_EQ(S.X->DeclaredDims, (Shape{-1, 4}));
}

TEST(Verifier, NodesAreSortedTopologically) {
  // Re-create the graph with the nodes in reverse file order.
  Graph G;
  Value *X = G.addValue("x", Role::Input, {DType::F32, {2}});
  Value *H = G.addValue("h", Role::Activation, {});
  Value *Y = G.addValue("y", Role::Output, {});
  G.addNode(OpKind::Tanh, "second", {H}, {Y});
  G.addNode(OpKind::Relu, "first", {X}, {H});
  G.EntryPoints.push_back({"infer", {X}, {Y}});
  ASSERT_OK(verify(G));
  EXPECT_EQ(G.nodes()[0]->Name, "first");
  EXPECT_EQ(G.nodes()[1]->Name, "second");
}

TEST(Verifier, Cycle) {
  Graph G;
  Value *X = G.addValue("x", Role::Input, {DType::F32, {2}});
  Value *A = G.addValue("a", Role::Activation, {});
  Value *B = G.addValue("b", Role::Output, {});
  G.addNode(OpKind::Add, "n1", {X, B}, {A});
  G.addNode(OpKind::Relu, "n2", {A}, {B});
  G.EntryPoints.push_back({"infer", {X}, {B}});
  Status S = verify(G);
  ASSERT_FALSE(S.ok());
  EXPECT_NE(S.message().find("cycle"), std::string::npos) << S.message();
  EXPECT_NE(S.message().find("'n1'"), std::string::npos) << S.message();
  EXPECT_NE(S.message().find("'n2'"), std::string::npos) << S.message();
}

TEST(Verifier, ShapeMismatchBetweenNodes) {
  SmallGraph S;
  S.W->DeclaredDims = S.W->Type.Dims = {3, 5}; // x has 4 features
  std::string E = S.verifyError();
  EXPECT_NE(E.find("node 'fc' (Dense)"), std::string::npos) << E;
  EXPECT_NE(E.find("tensor 'w'"), std::string::npos) << E;
}

TEST(Verifier, DeclaredShapeIsChecked) {
  SmallGraph S;
  S.H->ShapeDeclared = true;
  S.H->DeclaredDims = {-1, 5};
  std::string E = S.verifyError();
  EXPECT_NE(E.find("declared [N,5]"), std::string::npos) << E;
  EXPECT_NE(E.find("computes [1,3]"), std::string::npos) << E;
}

TEST(Verifier, Arity) {
  SmallGraph S;
  S.ReluNode->Inputs.push_back(S.X);
  std::string E = S.verifyError();
  EXPECT_NE(E.find("node 'relu' (Relu): expected 1 inputs, found 2"),
            std::string::npos)
      << E;
}

TEST(Verifier, DanglingReference) {
  SmallGraph S;
  S.ReluNode->Inputs[0] = nullptr;
  EXPECT_NE(S.verifyError().find("refers to no tensor"), std::string::npos);
}

TEST(Verifier, ActivationWithoutProducer) {
  SmallGraph S;
  S.G.addValue("orphan", Role::Activation, {});
  EXPECT_NE(S.verifyError().find("tensor 'orphan' is an activation but no "
                                 "node produces it"),
            std::string::npos);
}

TEST(Verifier, InputWrittenByANode) {
  SmallGraph S;
  S.DenseNode->Outputs[0] = S.X;
  S.X->Producer = S.DenseNode;
  EXPECT_NE(S.verifyError().find("has role input"), std::string::npos);
}

TEST(Verifier, TwoWriters) {
  SmallGraph S;
  S.G.addNode(OpKind::Tanh, "again", {S.X}, {S.H});
  EXPECT_NE(S.verifyError().find("written by both"), std::string::npos);
}

TEST(Verifier, ParameterWithoutData) {
  SmallGraph S;
  S.W->Init.Kind = Initializer::Scheme::None;
  EXPECT_NE(S.verifyError().find("neither data nor an initializer"),
            std::string::npos);
}

TEST(Verifier, WrongDataSize) {
  SmallGraph S;
  S.B->Data.assign(5, 0);
  EXPECT_NE(S.verifyError().find("5 bytes of data, expected 12"),
            std::string::npos);
}

TEST(Verifier, InitializerNeedsFans) {
  SmallGraph S;
  S.B->Init.Kind = Initializer::Scheme::HeNormal;
  EXPECT_NE(S.verifyError().find("rank >= 2"), std::string::npos);
}

TEST(Verifier, BatchDimensionOnlyOnInputs) {
  SmallGraph S;
  S.W->DeclaredDims = {-1, 4};
  EXPECT_NE(S.verifyError().find("invalid dimension -1"), std::string::npos);
}

TEST(Verifier, EntryPointMustFeedWhatItNeeds) {
  SmallGraph S;
  S.G.EntryPoints[0].Inputs.clear();
  EXPECT_NE(S.verifyError().find("needs tensor 'x'"), std::string::npos);
}

TEST(Verifier, DuplicateNames) {
  SmallGraph S;
  S.G.addValue("x", Role::Input, {DType::F32, {1}});
  EXPECT_NE(S.verifyError().find("two tensors are named 'x'"),
            std::string::npos);
}

TEST(Verifier, TrainingLossMustBeScalar) {
  SmallGraph S;
  S.G.Training = TrainingConfig{};
  S.G.Training->Loss = S.Y;
  EXPECT_NE(S.verifyError().find("scalar"), std::string::npos);
}

TEST(Printer, TextAndDot) {
  SmallGraph S;
  ASSERT_OK(verify(S.G));
  std::ostringstream Text, Dot;
  printGraph(S.G, Text);
  printDot(S.G, Dot);
  EXPECT_NE(Text.str().find("%h = Dense(%x, %w, %b) : f32[1,3]  # fc"),
            std::string::npos)
      << Text.str();
  EXPECT_NE(Text.str().find("input %x: f32[N,4]"), std::string::npos);
  EXPECT_NE(Text.str().find("entry infer(%x) -> (%y)"), std::string::npos);
  EXPECT_EQ(Dot.str().rfind("digraph", 0), 0u);
  EXPECT_NE(Dot.str().find("label=\"Dense\\nfc\""), std::string::npos)
      << Dot.str();
}

// A UnaryGrad carries every pointwise op's attributes; it shows the ones
// of the op it differentiates.
TEST(Printer, UnaryGradShowsItsOpsAttributesOnly) {
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {-1, 3});
  Value *Y = B.op(OpKind::LeakyRelu, {X}, attrs({{"alpha", 0.2}}), "y");
  Value *D =
      B.op(OpKind::UnaryGrad, {X, Y, X},
           attrs({{"op", std::string("LeakyRelu")}, {"alpha", 0.2}}), "dy");
  B.entry("grad", {X}, {D});
  ASSERT_OK(B.status());
  ASSERT_OK(verify(G));
  std::ostringstream Text;
  printGraph(G, Text);
  EXPECT_NE(
      Text.str().find("UnaryGrad(%x, %y, %x) {alpha=0.2, op=\"LeakyRelu\"}"),
      std::string::npos)
      << Text.str();
}

TEST(Verifier, HugeShapesAreRejectedNotOverflowed) {
  SmallGraph S;
  S.W->DeclaredDims = S.W->Type.Dims = {int64_t(1) << 40, int64_t(1) << 40};
  EXPECT_NE(S.verifyError().find("more than"), std::string::npos);
  // 2^39 values per example is allowed; a batch of 4 of them is not.
  SmallGraph T;
  T.X->DeclaredDims = {-1, int64_t(1) << 39};
  Status Big = inferShapes(T.G, 4);
  ASSERT_FALSE(Big.ok());
  EXPECT_NE(Big.message().find("tensor 'x' at batch size 4"), std::string::npos)
      << Big.message();
}
