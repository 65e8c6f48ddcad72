#include "../TempDir.h"
#include "../TestUtil.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "frontend/onnx/Onnx.h"

#include <onnx/onnx_pb.h>

using namespace nnc;
using namespace nnc::test;

namespace {

const std::string NodeTests = "/usr/share/libonnx-testdata/data/node/";

onnx::ModelProto load(const std::string &Test) {
  Expected<std::vector<uint8_t>> B = frontend::readFile(NodeTests + Test + "/model.onnx");
  EXPECT_TRUE(B.ok()) << B.status().message()
                      << " (scripts/setup.sh installs libonnx-testdata)";
  onnx::ModelProto M;
  EXPECT_TRUE(B.ok() && M.ParseFromArray(B->data(), int(B->size())));
  return M;
}

Expected<Graph> import(const onnx::ModelProto &M) {
  std::string S = M.SerializeAsString();
  return frontend::importOnnx(std::vector<uint8_t>(S.begin(), S.end()), "m.onnx");
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
  std::string Cmd = std::string(NNC_TOOL) + " import " + Dir + "/model.onnx -o " +
                    D.file("bn.nnc") + " >/dev/null";
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
