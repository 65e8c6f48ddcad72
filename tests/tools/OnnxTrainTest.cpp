// An inference graph imported from ONNX gets a loss and an optimizer from
// nnc train --loss and learns.
#include "../TempDir.h"
#include "../TestUtil.h"

#include <fstream>
#include <onnx/onnx_pb.h>

using namespace nnc;
using namespace nnc::test;

namespace {

void addWeights(onnx::GraphProto &G, const std::string &Name,
                std::vector<int64_t> Dims, uint64_t Seed) {
  onnx::TensorProto *T = G.add_initializer();
  T->set_name(Name);
  T->set_data_type(onnx::TensorProto::FLOAT);
  int64_t N = 1;
  for (int64_t D : Dims) {
    T->add_dims(D);
    N *= D;
  }
  SplitMix64 Rng(Seed);
  for (int64_t I = 0; I < N; ++I)
    T->add_float_data(Dims.size() > 1 ? float(Rng.uniform() - 0.5) : 0.0f);
}

void addTensorInfo(onnx::ValueInfoProto *V, const std::string &Name,
                   int64_t Width) {
  V->set_name(Name);
  auto *T = V->mutable_type()->mutable_tensor_type();
  T->set_elem_type(onnx::TensorProto::FLOAT);
  T->mutable_shape()->add_dim()->set_dim_param("N");
  T->mutable_shape()->add_dim()->set_dim_value(Width);
}

/// x [N, 2] -> Gemm(16) -> Relu -> Gemm(3) -> logits, as PyTorch exports a
/// two-layer MLP with a dynamic batch.
std::string mlp() {
  onnx::ModelProto M;
  M.set_ir_version(8);
  M.add_opset_import()->set_version(13);
  onnx::GraphProto &G = *M.mutable_graph();
  G.set_name("mlp");
  addTensorInfo(G.add_input(), "x", 2);
  addTensorInfo(G.add_output(), "logits", 3);
  addWeights(G, "fc1.weight", {16, 2}, 1);
  addWeights(G, "fc1.bias", {16}, 2);
  addWeights(G, "fc2.weight", {3, 16}, 3);
  addWeights(G, "fc2.bias", {3}, 4);
  auto Gemm = [&](const char *In, const char *W, const char *B,
                  const char *Out) {
    onnx::NodeProto *N = G.add_node();
    N->set_op_type("Gemm");
    N->add_input(In);
    N->add_input(W);
    N->add_input(B);
    N->add_output(Out);
    onnx::AttributeProto *A = N->add_attribute();
    A->set_name("transB");
    A->set_type(onnx::AttributeProto::INT);
    A->set_i(1);
  };
  Gemm("x", "fc1.weight", "fc1.bias", "h");
  onnx::NodeProto *R = G.add_node();
  R->set_op_type("Relu");
  R->add_input("h");
  R->add_output("a");
  Gemm("a", "fc2.weight", "fc2.bias", "logits");
  return M.SerializeAsString();
}

/// Three Gaussian blobs around (0, 0), (3, 0) and (0, 3).
void blobs(const std::string &Path, int Count, uint64_t Seed) {
  SplitMix64 Rng(Seed);
  std::ofstream Out(Path);
  Out << "x1,x2,class\n";
  const double Cx[] = {0, 3, 0}, Cy[] = {0, 0, 3};
  for (int I = 0; I < Count; ++I) {
    int K = I % 3;
    Out << Cx[K] + 0.6 * Rng.normal() << "," << Cy[K] + 0.6 * Rng.normal()
        << "," << K << "\n";
  }
}

std::string run(const std::string &Args) {
  TempDir D;
  std::string Cmd =
      std::string(NNC_TOOL) + " " + Args + " >" + D.file("out") + " 2>&1";
  int Status = std::system(Cmd.c_str());
  return std::to_string(WEXITSTATUS(Status)) + ":" + readText(D.file("out"));
}

} // namespace

TEST(OnnxTrain, ImportedMlpLearnsWithAnAttachedLoss) {
  TempDir D;
  writeText(D.file("mlp.onnx"), mlp());
  blobs(D.file("train.csv"), 300, 1);
  blobs(D.file("test.csv"), 90, 2);
  std::string Data =
      " --data csv:" + D.file("train.csv") + "," + D.file("test.csv");
  std::string Out = run("train " + D.file("mlp.onnx") + Data +
                        " --loss softmax-ce --output logits --epochs 20"
                        " --batch 16 --lr 0.01 --progress none --save " +
                        D.file("mlp.nnc"));
  ASSERT_EQ(Out.rfind("0:", 0), 0u) << Out;
  size_t P = Out.rfind("accuracy ");
  ASSERT_NE(P, std::string::npos) << Out;
  EXPECT_GT(std::atof(Out.c_str() + P + 9), 90.0) << Out;
  // The checkpoint carries the loss: eval needs no --loss.
  std::string Eval = run("eval " + D.file("mlp.nnc") + Data);
  EXPECT_EQ(Eval.rfind("0:", 0), 0u) << Eval;
  // Without --loss the error says what to do.
  std::string NoLoss = run("train " + D.file("mlp.onnx") + Data);
  EXPECT_NE(NoLoss.find("name one with --loss"), std::string::npos) << NoLoss;
  std::string BadOut = run("train " + D.file("mlp.onnx") + Data +
                           " --loss softmax-ce --output nowhere");
  EXPECT_NE(BadOut.find("no computed tensor named 'nowhere'"),
            std::string::npos)
      << BadOut;
}
