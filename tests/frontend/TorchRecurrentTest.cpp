// Recurrent nodes with PyTorch's module options (frontend/TorchRecurrent.h):
// how they are built and what a mistake in one says. Their numbers are
// checked against PyTorch in tests/tools/PyTorchTest.cpp.
#include "../TempDir.h"
#include "../TestUtil.h"
#include "frontend/ModelIO.h"

using namespace nnc;
using namespace nnc::test;

namespace {

/// A model whose node 'lstm' reads x [batch, 5, 3] (batch first) and the
/// named operands, with the given attributes (JSON), writing y, h_n, c_n.
std::string lstmModel(const std::string &Attrs,
                      const std::vector<std::string> &Operands,
                      const std::string &Op = "Lstm") {
  std::string Tensors = R"({"name": "x", "role": "INPUT", "shape": [-1, 5, 3]},
    {"name": "x0", "role": "INPUT", "shape": [5, 2, 3]},
    {"name": "w0", "role": "PARAMETER", "shape": [2, 16, 3], "init": {"scheme": "ZEROS"}},
    {"name": "r0", "role": "PARAMETER", "shape": [2, 16, 4], "init": {"scheme": "ZEROS"}},
    {"name": "b0", "role": "PARAMETER", "shape": [2, 32], "init": {"scheme": "ZEROS"}},
    {"name": "w1", "role": "PARAMETER", "shape": [2, 16, 8], "init": {"scheme": "ZEROS"}},
    {"name": "r1", "role": "PARAMETER", "shape": [2, 16, 4], "init": {"scheme": "ZEROS"}},
    {"name": "b1", "role": "PARAMETER", "shape": [2, 32], "init": {"scheme": "ZEROS"}},
    {"name": "state", "role": "INPUT", "shape": [4, 2, 4]},
    {"name": "y", "role": "OUTPUT"}, {"name": "h_n", "role": "OUTPUT"},
    {"name": "c_n", "role": "OUTPUT"})";
  std::string Ins;
  for (const std::string &O : Operands)
    Ins += (Ins.empty() ? "\"" : ", \"") + O + "\"";
  return R"({"schema_version": 1, "tensors": [)" + Tensors +
         R"(], "nodes": [{"name": "lstm", "op": ")" + Op + R"(", "inputs": [)" +
         Ins + R"(], "outputs": ["y", "h_n", "c_n"], "attributes": [)" + Attrs +
         "]}]}";
}

Expected<Graph> load(const std::string &Json) {
  TempDir D;
  writeText(D.file("m.json"), Json);
  return frontend::loadModel(D.file("m.json"));
}

void expectError(const std::string &Json, const std::string &Message) {
  Expected<Graph> G = load(Json);
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find(Message), std::string::npos)
      << G.status().message();
}

const char *TwoLayers =
    R"({"name": "hidden_size", "i": 4}, {"name": "num_layers", "i": 2},
       {"name": "bidirectional", "i": 1}, {"name": "batch_first", "i": 1})";

} // namespace

TEST(TorchRecurrent, LayersStackWithDropoutBetweenThemAndPyTorchsShapes) {
  Expected<Graph> G = load(
      lstmModel(std::string(TwoLayers) + R"(, {"name": "dropout", "f": 0.25})",
                {"x", "w0", "r0", "b0", "w1", "r1", "b1"}));
  ASSERT_OK(G.status());
  int Layers = 0, Dropouts = 0;
  for (const auto &N : G->nodes()) {
    Layers += N->Op == ir::OpKind::Lstm;
    if (N->Op == ir::OpKind::Dropout) {
      ++Dropouts;
      EXPECT_EQ(N->Name, "lstm.l1.dropout"); // before the second layer only
      EXPECT_EQ(N->Attrs.getFloat("ratio"), 0.25);
    }
  }
  EXPECT_EQ(Layers, 2);
  EXPECT_EQ(Dropouts, 1);
  // Batch first: y [batch, steps, directions x hidden]; the states are
  // [layers x directions, batch, hidden] as in PyTorch.
  EXPECT_EQ(G->findValue("y")->Type.Dims, (Shape{1, 5, 8}));
  EXPECT_EQ(G->findValue("h_n")->Type.Dims, (Shape{4, 1, 4}));
  EXPECT_EQ(G->findValue("c_n")->Type.Dims, (Shape{4, 1, 4}));
}

TEST(TorchRecurrent, MistakesNameTheNodeAndWhatWasExpected) {
  std::vector<std::string> Operands = {"x", "w0", "r0", "b0", "w1", "r1", "b1"};
  expectError(
      lstmModel(std::string(TwoLayers) + R"(, {"name": "layout", "i": 1})",
                Operands),
      "node 'lstm' (Lstm, as nn.LSTM): 'layout' is not an option of "
      "nn.LSTM");
  expectError(lstmModel(TwoLayers, {"x", "w0", "r0", "b0"}),
              "node 'lstm' (Lstm, as nn.LSTM): expected 7 to 10 inputs (x, "
              "then w, r, b for each layer, then h_0, c_0 and "
              "sequence_lens), found 4");
  expectError(lstmModel(std::string(TwoLayers) +
                            R"(, {"name": "nonlinearity", "s": "relu"})",
                        Operands),
              "'nonlinearity' is an option of nn.RNN only");
  expectError(
      lstmModel(std::string(TwoLayers) + R"(, {"name": "dropout", "f": 1.0})",
                Operands),
      "'dropout' must be a number (f) in [0, 1), found 1");
  expectError(
      lstmModel(R"({"name": "num_layers", "i": 1})", {"x", "w0", "r0", "b0"}),
      "'hidden_size' is required");
  expectError(lstmModel(R"({"name": "hidden_size", "i": 4},
                           {"name": "bidirectional", "i": 2})",
                        {"x", "w0", "r0", "b0"}),
              "'bidirectional' must be an integer (i) in [0, 1], found 2");
  Operands.insert(Operands.end(), {"state", "state", "state"});
  expectError(lstmModel(TwoLayers, Operands),
              "the operand after h_0 and c_0 must be sequence_lens (int64)");
  // Two states of the wrong batch: the layer op's own check names it.
  expectError(lstmModel(TwoLayers, {"x", "w0", "r0", "b0", "w1", "r1", "b1",
                                    "state", "state"}),
              "node 'lstm.l0' (Lstm)");
}

// Without batch_first the input is [steps, batch, features] (of a fixed
// batch: only an input's first dimension may be -1), and two
// directions' outputs are interleaved per step, as PyTorch's.
TEST(TorchRecurrent, StepsFirstOutputsAreStepsBatchDirectionsTimesHidden) {
  Expected<Graph> G = load(lstmModel(
      R"({"name": "hidden_size", "i": 4}, {"name": "bidirectional", "i": 1})",
      {"x0", "w0", "r0", "b0"}));
  ASSERT_OK(G.status());
  EXPECT_EQ(G->findValue("y")->Type.Dims, (Shape{5, 2, 8}));
  EXPECT_EQ(G->findValue("h_n")->Type.Dims, (Shape{2, 2, 4}));
}
