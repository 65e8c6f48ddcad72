// nnc export: every example model, trained a little, goes out as ONNX that
// passes ONNX's checker and comes back in computing the same outputs.
#include "frontend/onnx/OnnxExport.h"
#include "../TempDir.h"
#include "../TestUtil.h"
#include "../tools/RunNnc.h"
#include "backend/interp/Interpreter.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "frontend/onnx/Onnx.h"
#include "ir/Builder.h"

#include <filesystem>

using namespace nnc;
using namespace nnc::test;

namespace {

/// The largest |a - b| / max(1, |b|) over G's and Back's infer outputs
/// on one random batch of 3, both on the reference interpreter.
double roundTripError(Graph &G, Graph &Back) {
  interp::TensorMap In;
  for (const Value *V : G.findEntry("infer")->Inputs) {
    Shape Dims = V->DeclaredDims;
    Dims[0] = 3;
    In[V->Name] = randomTensor(Dims, 11, 0, 1);
  }
  Expected<interp::Interpreter> A = interp::Interpreter::create(G);
  Expected<interp::Interpreter> B = interp::Interpreter::create(Back);
  EXPECT_OK(A.status());
  EXPECT_OK(B.status());
  Expected<interp::TensorMap> Want = A->run("infer", In);
  Expected<interp::TensorMap> Got = B->run("infer", In);
  EXPECT_OK(Want.status());
  EXPECT_OK(Got.status());
  double Worst = 0;
  for (const auto &[Name, T] : *Want) {
    EXPECT_EQ(Got->count(Name), 1u) << Name;
    const Tensor &U = Got->at(Name);
    EXPECT_EQ(U.Dims, T.Dims) << Name;
    for (size_t I = 0; I < T.Data.size() && I < U.Data.size(); ++I)
      Worst = std::max(Worst, std::fabs(U.Data[I] - T.Data[I]) /
                                  std::max(1.0, std::fabs(T.Data[I])));
  }
  return Worst;
}

TEST(OnnxExport, EveryExampleTrainedRoundTripsThroughOnnx) {
  TempDir D;
  for (const char *M : {"lenet5", "convbn", "alexnet_tiny", "vgg_tiny", "rbf",
                        "xor_mlp", "lstm_fmnist", "gru_fmnist"}) {
    SCOPED_TRACE(M);
    std::string Path = exampleModel(M);
    if (std::string(M) != "xor_mlp") { // the others read Fashion-MNIST
      Path = D.file(std::string(M) + ".nnc");
      Result R = runNnc("train " + exampleModel(M) +
                        " --data fashion-mnist --limit-train 640 "
                        "--limit-test 64 --epochs 1 --progress none --save " +
                        Path);
      ASSERT_EQ(R.Exit, 0) << R.Err;
    }
    Expected<Graph> G = frontend::loadModel(Path);
    ASSERT_OK(G.status());
    for (bool Fold : {false, true})
      for (int64_t Opset : {13, 17}) {
        frontend::OnnxExportOptions O;
        O.FoldBatchNorm = Fold;
        O.Opset = Opset;
        Expected<std::vector<uint8_t>> Bytes = frontend::exportOnnx(*G, O, M);
        ASSERT_OK(Bytes.status());
        Expected<Graph> Back = frontend::importOnnx(*Bytes, M);
        ASSERT_OK(Back.status());
        EXPECT_LT(roundTripError(*G, *Back), Fold ? 1e-5 : 1e-6)
            << "fold " << Fold << " opset " << Opset;
      }
  }
}

TEST(OnnxExport, WhatOnnxCannotSayIsNamedAndNothingIsWritten) {
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {-1, 4});
  Value *S = B.op(OpKind::Step, {X}, {}, "step");
  Value *Y = B.op(OpKind::Sigmoid, {S}, attrs({{"slope", 2.0}}), "y");
  B.entry("infer", {X}, {Y});
  ASSERT_OK(B.status());
  ASSERT_OK(verify(G));
  Expected<std::vector<uint8_t>> Bytes = frontend::exportOnnx(G, {}, "m");
  ASSERT_FALSE(Bytes.ok());
  EXPECT_EQ(Bytes.status().message(),
            "m: cannot be expressed in ONNX: node 'step' (Step) has no ONNX "
            "form; node 'y' (Sigmoid) has no ONNX form with these attributes");
  TempDir D;
  ASSERT_OK(frontend::saveModel(G, D.file("m.nnc")));
  expectOneLineError(
      runNnc("export " + D.file("m.nnc") + " -o " + D.file("m.onnx")),
      "node 'step' (Step) has no ONNX form");
  EXPECT_FALSE(std::filesystem::exists(D.file("m.onnx")));
  expectOneLineError(
      runNnc("export " + D.file("m.nnc") + " -o x.onnx --opset 12"),
      "--opset must be 13 to 17, found 12", 2);
}

TEST(OnnxExport, TheCommandWritesAFileNncImports) {
  TempDir D;
  Result R = runNnc("export " + exampleModel("convbn") +
                    " --fold-batchnorm -o " + D.file("m.onnx"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  R = runNnc("import " + D.file("m.onnx") + " -o " + D.file("m.nnc"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  Expected<Graph> Back = frontend::loadModel(D.file("m.nnc"));
  ASSERT_OK(Back.status());
  int BatchNorms = 0;
  for (const auto &N : Back->nodes())
    BatchNorms += N->Op == OpKind::BatchNorm;
  EXPECT_EQ(BatchNorms, 0); // folded into the convs
}

} // namespace
