#include "../TempDir.h"
#include "../TestUtil.h"
#include "../passes/GradCheck.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "frontend/onnx/Onnx.h"

#include <onnx/onnx_pb.h>

using namespace nnc;
using namespace nnc::test;

namespace {

const std::string NodeTests = "/usr/share/libonnx-testdata/data/node/";

onnx::ModelProto load(const std::string &Test) {
  Expected<std::vector<uint8_t>> B =
      frontend::readFile(NodeTests + Test + "/model.onnx");
  EXPECT_TRUE(B.ok()) << B.status().message()
                      << " (scripts/setup.sh installs libonnx-testdata)";
  onnx::ModelProto M;
  EXPECT_TRUE(B.ok() && M.ParseFromArray(B->data(), int(B->size())));
  return M;
}

Expected<Graph> import(const onnx::ModelProto &M) {
  std::string S = M.SerializeAsString();
  return frontend::importOnnx(std::vector<uint8_t>(S.begin(), S.end()),
                              "m.onnx");
}

} // namespace

TEST(OnnxImport, ConvWithPaddingImportsAndRuns) {
  Expected<Graph> G = import(load("test_conv_with_strides_padding"));
  ASSERT_OK(G);
  EXPECT_EQ(G->EntryPoints[0].Name, "infer");
  EXPECT_EQ(G->nodes().size(), 1u);
  EXPECT_EQ(G->nodes()[0]->Op, OpKind::Conv);
}

TEST(OnnxImport, MalformedProtobuf) {
  std::vector<uint8_t> Junk = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34};
  Expected<Graph> G = frontend::importOnnx(Junk, "junk.onnx");
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find("junk.onnx: not a valid ONNX model"),
            std::string::npos)
      << G.status().message();
}

TEST(OnnxImport, ReportsEveryUnsupportedConstructAtOnce) {
  onnx::ModelProto M = load("test_conv_with_strides_padding");
  onnx::NodeProto *Conv = M.mutable_graph()->mutable_node(0);
  onnx::AttributeProto *A = Conv->add_attribute();
  A->set_name("colour");
  A->set_type(onnx::AttributeProto::INT);
  onnx::NodeProto *Extra = M.mutable_graph()->add_node();
  *Extra = *Conv;
  Extra->set_name("second");
  Extra->set_op_type("Frobnicate");
  Expected<Graph> G = import(M);
  ASSERT_FALSE(G.ok());
  std::string E = G.status().message();
  EXPECT_NE(E.find("2 unsupported constructs"), std::string::npos) << E;
  EXPECT_NE(E.find("(Conv): attribute 'colour'"), std::string::npos) << E;
  EXPECT_NE(E.find("node 'second' (Frobnicate): unsupported op"),
            std::string::npos)
      << E;
  EXPECT_EQ(E.find('\n'), std::string::npos);
}

TEST(OnnxImport, MissingInitializer) {
  onnx::ModelProto M = load("test_conv_with_strides_padding");
  // Keep the weight as a node input but drop it from the graph's inputs.
  auto *Inputs = M.mutable_graph()->mutable_input();
  for (int I = 0; I < Inputs->size(); ++I)
    if (Inputs->Get(I).name() == M.graph().node(0).input(1))
      Inputs->DeleteSubrange(I, 1);
  Expected<Graph> G = import(M);
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find("is not defined before it (missing "
                                      "initializer?)"),
            std::string::npos)
      << G.status().message();
}

TEST(OnnxImport, ImportThenRunMatchesTheReferenceOutput) {
  TempDir D;
  std::string Dir = NodeTests + "test_batchnorm_example";
  std::string Cmd = std::string(NNC_TOOL) + " import " + Dir +
                    "/model.onnx -o " + D.file("bn.nnc") + " >/dev/null";
  ASSERT_EQ(std::system(Cmd.c_str()), 0);
  Expected<Graph> G = frontend::loadModel(D.file("bn.nnc"));
  ASSERT_OK(G);
  Expected<interp::Interpreter> I = interp::Interpreter::create(*G);
  ASSERT_OK(I);
  interp::TensorMap Feed;
  const EntryPoint &E = G->EntryPoints[0];
  for (size_t K = 0; K < E.Inputs.size(); ++K) {
    auto T = frontend::readOnnxTensor(Dir + "/test_data_set_0/input_" +
                                      std::to_string(K) + ".pb");
    ASSERT_OK(T);
    Feed[E.Inputs[K]->Name] = Tensor(T->Elt, T->Dims, decode(T->Raw, T->Elt));
  }
  auto Out = I->run("infer", Feed);
  ASSERT_OK(Out);
  auto Want = frontend::readOnnxTensor(Dir + "/test_data_set_0/output_0.pb");
  ASSERT_OK(Want);
  expectNear(Out->at(E.Outputs[0]->Name), decode(Want->Raw, Want->Elt), 1e-5);
}

// LogSoftmax -> NegativeLogLikelihoodLoss (mean) and Pow(x, 2 or 3), as
// hand-written losses and RBF layers export them.
TEST(OnnxImport, NllLossAndPow) {
  onnx::ModelProto M;
  M.set_ir_version(8);
  M.add_opset_import()->set_version(13);
  onnx::GraphProto &G = *M.mutable_graph();
  auto Info = [](onnx::ValueInfoProto *V, const char *Name, int Type,
                 std::vector<int64_t> Dims) {
    V->set_name(Name);
    auto *T = V->mutable_type()->mutable_tensor_type();
    T->set_elem_type(Type);
    for (int64_t D : Dims)
      T->mutable_shape()->add_dim()->set_dim_value(D);
  };
  Info(G.add_input(), "x", onnx::TensorProto::FLOAT, {2, 3});
  Info(G.add_input(), "t", onnx::TensorProto::INT64, {2});
  Info(G.add_output(), "loss", onnx::TensorProto::FLOAT, {});
  Info(G.add_output(), "sq", onnx::TensorProto::FLOAT, {2, 3});
  onnx::TensorProto *Two = G.add_initializer();
  Two->set_name("two");
  Two->set_data_type(onnx::TensorProto::FLOAT);
  Two->add_float_data(2);
  auto Node = [&](const char *Op, std::vector<const char *> In,
                  const char *Out) {
    onnx::NodeProto *N = G.add_node();
    N->set_op_type(Op);
    for (const char *I : In)
      N->add_input(I);
    N->add_output(Out);
    return N;
  };
  onnx::AttributeProto *Axis = Node("LogSoftmax", {"x"}, "lp")->add_attribute();
  Axis->set_name("axis");
  Axis->set_type(onnx::AttributeProto::INT);
  Axis->set_i(1);
  Node("NegativeLogLikelihoodLoss", {"lp", "t"}, "loss");
  Node("Pow", {"x", "two"}, "sq");
  Expected<Graph> Imported = import(M);
  ASSERT_OK(Imported);
  auto I = interp::Interpreter::create(*Imported);
  ASSERT_OK(I);
  std::vector<double> X = {1, 2, 3, 0, 0, 0};
  auto Out = I->run("infer", {{"x", tensor({2, 3}, X)},
                              {"t", tensor({2}, {2, 1}, DType::I64)}});
  ASSERT_OK(Out);
  double Z = std::log(std::exp(1) + std::exp(2) + std::exp(3));
  expectNear(Out->at("loss"), {((Z - 3) + std::log(3.0)) / 2});
  expectNear(Out->at("sq"), {1, 4, 9, 0, 0, 0});
  // Another exponent is the general Pow.
  G.mutable_initializer(0)->set_float_data(0, 3);
  Expected<Graph> Cube = import(M);
  ASSERT_OK(Cube);
  auto IC = interp::Interpreter::create(*Cube);
  ASSERT_OK(IC);
  Out = IC->run("infer", {{"x", tensor({2, 3}, X)},
                          {"t", tensor({2}, {2, 1}, DType::I64)}});
  ASSERT_OK(Out);
  expectNear(Out->at("sq"), {1, 8, 27, 0, 0, 0});
}

namespace {

/// A one-node model whose operands are all graph inputs, so that gradients
/// can be checked with respect to each.
onnx::ModelProto oneNode(const std::string &Op,
                         const std::vector<std::pair<std::string, Shape>> &Ins,
                         const std::map<std::string, Ints> &IntsAttrs,
                         const std::map<std::string, int64_t> &IntAttrs = {}) {
  onnx::ModelProto M;
  M.set_ir_version(8);
  M.add_opset_import()->set_version(13);
  onnx::GraphProto &G = *M.mutable_graph();
  onnx::NodeProto *N = G.add_node();
  N->set_op_type(Op);
  N->add_output("y");
  for (const auto &[Name, Dims] : Ins) {
    onnx::ValueInfoProto *V = G.add_input();
    V->set_name(Name);
    auto *T = V->mutable_type()->mutable_tensor_type();
    T->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t D : Dims)
      T->mutable_shape()->add_dim()->set_dim_value(D);
    N->add_input(Name);
  }
  G.add_output()->set_name("y");
  for (const auto &[Name, V] : IntsAttrs) {
    onnx::AttributeProto *A = N->add_attribute();
    A->set_name(Name);
    A->set_type(onnx::AttributeProto::INTS);
    for (int64_t X : V)
      A->add_ints(X);
  }
  for (const auto &[Name, V] : IntAttrs) {
    onnx::AttributeProto *A = N->add_attribute();
    A->set_name(Name);
    A->set_type(onnx::AttributeProto::INT);
    A->set_i(V);
  }
  return M;
}

/// Imports M and checks d sum(y * R) / d every input against central
/// differences.
void expectImportedGradients(const onnx::ModelProto &M) {
  Expected<Graph> G = import(M);
  ASSERT_OK(G);
  EntryPoint E = G->EntryPoints[0]; // a copy: the check adds entry points
  interp::TensorMap Feed;
  uint64_t Seed = 7;
  for (Value *In : E.Inputs)
    Feed[In->Name] = randomTensor(In->Type.Dims, Seed++);
  EXPECT_GRADIENTS_MATCH(
      gradCheckGraph(*G, E.Outputs[0], E.Inputs, Feed, E.Inputs));
}

} // namespace

// 1-D and 3-D convolutions and pooling are built from 2-D ops (see
// frontend/onnx/OnnxConvPool.cpp); their values are checked by the ONNX
// conformance suites, their gradients here.
TEST(OnnxImport, Conv1dAnd3dGradients) {
  expectImportedGradients(
      oneNode("Conv", {{"x", {2, 3, 7}}, {"w", {4, 3, 3}}, {"b", {4}}},
              {{"strides", {2}}, {"dilations", {2}}, {"pads", {1, 2}}}));
  expectImportedGradients(oneNode(
      "Conv", {{"x", {2, 4, 4, 5, 3}}, {"w", {6, 2, 2, 3, 2}}, {"b", {6}}},
      {{"strides", {2, 1, 1}},
       {"dilations", {1, 2, 1}},
       {"pads", {1, 0, 1, 0, 1, 0}}},
      {{"group", 2}}));
}

TEST(OnnxImport, ConvTranspose1dAnd3dGradients) {
  expectImportedGradients(
      oneNode("ConvTranspose", {{"x", {1, 3, 4}}, {"w", {3, 2, 3}}},
              {{"strides", {2}}, {"pads", {1, 0}}, {"output_padding", {1}}}));
  expectImportedGradients(
      oneNode("ConvTranspose",
              {{"x", {1, 4, 3, 2, 3}}, {"w", {4, 3, 2, 2, 3}}, {"b", {6}}},
              {{"strides", {2, 1, 2}},
               {"pads", {0, 1, 0, 1, 0, 0}},
               {"output_padding", {1, 0, 1}}},
              {{"group", 2}}));
}

// output_shape names the spatial size (or, as older exporters write it,
// the whole shape); any other length is the model's mistake.
TEST(OnnxImport, ConvTransposeOutputShape) {
  expectImportedGradients(
      oneNode("ConvTranspose", {{"x", {1, 2, 3, 3}}, {"w", {2, 3, 3, 3}}},
              {{"strides", {2, 2}}, {"output_shape", {8, 7}}}));
  Expected<Graph> G = import(oneNode("ConvTranspose",
                                     {{"x", {1, 2, 3, 3}}, {"w", {2, 3, 3, 3}}},
                                     {{"output_shape", {8}}}));
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find("output_shape must have 2 values (or 4 "
                                      "with batch and channels) for 2 spatial "
                                      "dimensions, found 1"),
            std::string::npos)
      << G.status().message();
}

TEST(OnnxImport, Pool1dAnd3dGradients) {
  expectImportedGradients(
      oneNode("MaxPool", {{"x", {2, 3, 9}}},
              {{"kernel_shape", {3}}, {"strides", {2}}, {"pads", {1, 1}}}));
  expectImportedGradients(oneNode("MaxPool", {{"x", {1, 2, 4, 5, 4}}},
                                  {{"kernel_shape", {2, 3, 2}},
                                   {"strides", {2, 1, 2}},
                                   {"pads", {1, 0, 0, 0, 1, 1}}}));
  expectImportedGradients(oneNode("AveragePool", {{"x", {1, 2, 5, 4, 4}}},
                                  {{"kernel_shape", {3, 2, 2}},
                                   {"strides", {2, 2, 1}},
                                   {"pads", {1, 0, 1, 1, 1, 0}}},
                                  {{"ceil_mode", 1}}));
  expectImportedGradients(
      oneNode("AveragePool", {{"x", {1, 2, 5, 4, 4}}},
              {{"kernel_shape", {2, 2, 3}}, {"pads", {1, 1, 1, 0, 0, 1}}},
              {{"count_include_pad", 1}}));
}

namespace {

/// A model with input x [N, 3, 2, 2] (N symbolic), output y, opset 13.
onnx::ModelProto dynamicBatchModel() {
  onnx::ModelProto M;
  M.set_ir_version(8);
  M.add_opset_import()->set_version(13);
  onnx::ValueInfoProto *X = M.mutable_graph()->add_input();
  X->set_name("x");
  auto *T = X->mutable_type()->mutable_tensor_type();
  T->set_elem_type(onnx::TensorProto::FLOAT);
  T->mutable_shape()->add_dim()->set_dim_param("N");
  for (int D : {3, 2, 2})
    T->mutable_shape()->add_dim()->set_dim_value(D);
  M.mutable_graph()->add_output()->set_name("y");
  return M;
}

onnx::NodeProto *addNode(onnx::ModelProto &M, const std::string &Op,
                         std::vector<std::string> In, const std::string &Out) {
  onnx::NodeProto *N = M.mutable_graph()->add_node();
  N->set_op_type(Op);
  N->set_name(Out);
  for (const std::string &I : In)
    N->add_input(I);
  N->add_output(Out);
  return N;
}

/// Sets integer attribute Name of N.
void setInt(onnx::NodeProto *N, const char *Name, int64_t V) {
  onnx::AttributeProto *A = N->add_attribute();
  A->set_name(Name);
  A->set_type(onnx::AttributeProto::INT);
  A->set_i(V);
}

void addInts(onnx::ModelProto &M, const std::string &Name,
             std::vector<int64_t> V, bool Scalar = false) {
  onnx::TensorProto *T = M.mutable_graph()->add_initializer();
  T->set_name(Name);
  T->set_data_type(onnx::TensorProto::INT64);
  if (!Scalar)
    T->add_dims(int64_t(V.size()));
  for (int64_t X : V)
    T->add_int64_data(X);
}

} // namespace

TEST(OnnxImport, ShapeArithmeticIsEvaluatedAndFollowsTheBatch) {
  // y = x.view(x.size(0), -1), as PyTorch exports it.
  onnx::ModelProto M = dynamicBatchModel();
  addInts(M, "zero", {0}, true);
  addInts(M, "axes", {0});
  addInts(M, "rest", {-1});
  addNode(M, "Shape", {"x"}, "shape");
  addNode(M, "Gather", {"shape", "zero"}, "n");
  addNode(M, "Unsqueeze", {"n", "axes"}, "n1");
  setInt(addNode(M, "Concat", {"n1", "rest"}, "target"), "axis", 0);
  addNode(M, "Reshape", {"x", "target"}, "y");
  Expected<Graph> G = import(M);
  ASSERT_OK(G);
  ASSERT_EQ(G->nodes().size(), 1u); // only the Reshape reaches the IR
  EXPECT_EQ(G->nodes()[0]->Attrs.getInts("shape"),
            (std::vector<int64_t>{0, -1}));
  ASSERT_OK(inferShapes(*G, 5));
  EXPECT_EQ(G->EntryPoints[0].Outputs[0]->Type.Dims, (Shape{5, 12}));
}

TEST(OnnxImport, BatchDependentDataAndRunTimeBoolsNameTheNode) {
  onnx::ModelProto M = dynamicBatchModel();
  addNode(M, "Shape", {"x"}, "shape");
  addNode(M, "ConstantOfShape", {"shape"}, "zeros");
  addNode(M, "Add", {"x", "zeros"}, "y");
  Expected<Graph> G = import(M);
  ASSERT_FALSE(G.ok());
  // Zeros of the batch's shape are only a recurrent layer's initial state.
  EXPECT_NE(G.status().message().find("node 'y' (Add): input 'zeros' is "
                                      "zeros of a batch-dependent shape"),
            std::string::npos)
      << G.status().message();

  onnx::ModelProto B = dynamicBatchModel();
  addInts(B, "one", {1});
  setInt(addNode(B, "Cast", {"one"}, "flag"), "to", onnx::TensorProto::BOOL);
  addNode(B, "Mul", {"x", "flag"}, "y");
  G = import(B);
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find("node 'y' (Mul): 'flag' is bool and "
                                      "needed at run time"),
            std::string::npos)
      << G.status().message();
}

TEST(OnnxImport, MalformedShapeArithmeticIsAnErrorNotACrash) {
  auto Refused = [](onnx::ModelProto M, const std::string &Want) {
    Expected<Graph> G = import(M);
    ASSERT_FALSE(G.ok());
    EXPECT_NE(G.status().message().find(Want), std::string::npos)
        << G.status().message();
  };
  // A filled tensor of 2^40 elements is refused before it is allocated.
  onnx::ModelProto Huge = dynamicBatchModel();
  addInts(Huge, "shape", {int64_t(1) << 20, int64_t(1) << 20});
  addNode(Huge, "ConstantOfShape", {"shape"}, "zeros");
  addNode(Huge, "Add", {"x", "zeros"}, "y");
  Refused(Huge, "evaluated at import is not supported");
  // A shape element beyond int64's range.
  onnx::ModelProto Wide = dynamicBatchModel();
  onnx::AttributeProto *F =
      addNode(Wide, "Constant", {}, "big")->add_attribute();
  F->set_name("value_floats");
  F->set_type(onnx::AttributeProto::FLOATS);
  F->add_floats(1e30f);
  setInt(addNode(Wide, "Cast", {"big"}, "bigint"), "to",
         onnx::TensorProto::INT64);
  addNode(Wide, "ConstantOfShape", {"bigint"}, "zeros");
  addNode(Wide, "Add", {"x", "zeros"}, "y");
  Refused(Wide, "out of range");
  // Unsqueeze with an axis given twice.
  onnx::ModelProto Twice = dynamicBatchModel();
  addInts(Twice, "v", {3});
  addInts(Twice, "axes", {0, 0});
  addNode(Twice, "Unsqueeze", {"v", "axes"}, "u");
  addNode(Twice, "Reshape", {"x", "u"}, "y");
  Refused(Twice, "axis 0 is given twice");
}

TEST(OnnxImport, ZeroPadFoldsIntoAConvAndIsAnOpBeforeAnythingElse) {
  auto Padded = [](const std::string &Reader) {
    onnx::ModelProto M = dynamicBatchModel();
    addInts(M, "pads", {0, 0, 1, 1, 0, 0, 1, 1});
    addNode(M, "Pad", {"x", "pads"}, "p");
    std::vector<std::string> In = {"p"};
    if (Reader == "Conv") {
      onnx::TensorProto *W = M.mutable_graph()->add_initializer();
      W->set_name("w");
      W->set_data_type(onnx::TensorProto::FLOAT);
      for (int D : {2, 3, 2, 2})
        W->add_dims(D);
      for (int I = 0; I < 24; ++I)
        W->add_float_data(0.1f * float(I % 5) - 0.2f);
      In.push_back("w");
    }
    onnx::AttributeProto *K = addNode(M, Reader, In, "y")->add_attribute();
    K->set_name("kernel_shape");
    K->set_type(onnx::AttributeProto::INTS);
    K->add_ints(2);
    K->add_ints(2);
    return import(M);
  };
  Expected<Graph> Conv = Padded("Conv");
  ASSERT_OK(Conv);
  for (const auto &N : Conv->nodes())
    EXPECT_NE(N->Op, OpKind::Pad) << "a zero spatial pad folds into the conv";
  Expected<Graph> Max = Padded("MaxPool");
  ASSERT_OK(Max);
  ASSERT_EQ(Max->nodes().size(), 2u);
  EXPECT_EQ(Max->nodes()[0]->Op, OpKind::Pad);
  ASSERT_OK(inferShapes(*Max, 3));
  EXPECT_EQ(Max->EntryPoints[0].Outputs[0]->Type.Dims, (Shape{3, 3, 3, 3}));
}

TEST(OnnxImport, UnsupportedOpsWithAWorkAroundSayIt) {
  onnx::ModelProto M = dynamicBatchModel();
  M.mutable_opset_import(0)->set_version(18);
  addNode(M, "LayerNormalization", {"x"}, "y");
  Expected<Graph> G = import(M);
  ASSERT_FALSE(G.ok());
  std::string E = G.status().message();
  EXPECT_NE(E.find("opset 18 (nnc reads 1 to 17; re-export with "
                   "opset_version=17 or lower)"),
            std::string::npos)
      << E;
  EXPECT_NE(E.find("(LayerNormalization): unsupported op; re-export with "
                   "opset_version=16 or lower"),
            std::string::npos)
      << E;
}

namespace {

/// x * (erf(x / sqrt(2)) + 1) * Half, as torch.onnx writes nn.GELU() at
/// opsets below 20, on x of shape [2, 3].
onnx::ModelProto exportedGelu(float Half) {
  onnx::ModelProto M;
  M.set_ir_version(7);
  M.add_opset_import()->set_version(13);
  onnx::GraphProto *G = M.mutable_graph();
  auto Value = [](onnx::ValueInfoProto *V, const std::string &Name) {
    V->set_name(Name);
    auto *T = V->mutable_type()->mutable_tensor_type();
    T->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t D : {2, 3})
      T->mutable_shape()->add_dim()->set_dim_value(D);
  };
  Value(G->add_input(), "x");
  Value(G->add_output(), "y");
  auto Constant = [G](const std::string &Name, float V) {
    onnx::NodeProto *N = G->add_node();
    N->set_op_type("Constant");
    N->add_output(Name);
    onnx::AttributeProto *A = N->add_attribute();
    A->set_name("value");
    A->set_type(onnx::AttributeProto::TENSOR);
    A->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    A->mutable_t()->add_float_data(V);
  };
  auto Op = [G](const char *Type, std::vector<std::string> In,
                const std::string &Out) {
    onnx::NodeProto *N = G->add_node();
    N->set_op_type(Type);
    for (const std::string &I : In)
      N->add_input(I);
    N->add_output(Out);
  };
  Constant("sqrt2", 1.4142135f);
  Constant("one", 1.f);
  Constant("half", Half);
  Op("Div", {"x", "sqrt2"}, "d");
  Op("Erf", {"d"}, "e");
  Op("Add", {"e", "one"}, "a");
  Op("Mul", {"x", "a"}, "m");
  Op("Mul", {"m", "half"}, "y");
  return M;
}

} // namespace

TEST(OnnxImport, PyTorchsGeluChainBecomesTheGeluOp) {
  Expected<Graph> G = import(exportedGelu(0.5f));
  ASSERT_OK(G);
  ASSERT_EQ(G->nodes().size(), 1u);
  EXPECT_EQ(G->nodes()[0]->Op, OpKind::Gelu);
  Tensor X = randomTensor({2, 3}, 3, -3, 3);
  auto I = interp::Interpreter::create(*G);
  ASSERT_OK(I);
  auto Out = I->run("infer", {{"x", X}});
  ASSERT_OK(Out);
  std::vector<double> Want;
  for (double V : X.Data)
    Want.push_back(V * 0.5 * (1 + std::erf(V / std::sqrt(2.0))));
  expectNear(Out->at("y"), Want, 1e-12);
  // Another constant: not GELU, imported op by op.
  G = import(exportedGelu(0.25f));
  ASSERT_OK(G);
  EXPECT_EQ(G->nodes().size(), 5u);
}
