// nnc grad and nnc step against PyTorch on a model PyTorch exported (with
// its loss) to ONNX: gradients in train mode, and the parameters after 3
// steps of each of the seven optimizers. References come from Debian's
// python3-torch (tests/tools/torch/reference.py), which scripts/setup.sh
// installs; without it the tests fail rather than skip.
#include "../TempDir.h"
#include "../TestUtil.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sys/wait.h>

using namespace nnc;
using namespace nnc::test;

namespace {

int shell(const std::string &Cmd) {
  int Status = std::system(Cmd.c_str());
  return WIFEXITED(Status) ? WEXITSTATUS(Status) : -1;
}

std::vector<float> floats(const std::string &Path) {
  std::string Bytes = readText(Path);
  std::vector<float> V(Bytes.size() / 4);
  std::memcpy(V.data(), Bytes.data(), V.size() * 4);
  return V;
}

/// max |Want - Got| over the largest |Want| (at least Floor).
double relativeError(const std::vector<float> &Want,
                     const std::vector<float> &Got, double Floor = 1e-3) {
  double Scale = Floor, Diff = 0;
  for (size_t I = 0; I < Want.size() && I < Got.size(); ++I) {
    Scale = std::max(Scale, double(std::fabs(Want[I])));
    Diff = std::max(Diff, double(std::fabs(Want[I] - Got[I])));
  }
  return Diff / Scale;
}

/// Runs a PyTorch script of the source tree (path relative to it) with Out
/// as its argument; fails, rather than skips, when torch is missing.
::testing::AssertionResult runTorchScript(const std::string &Script,
                                          const std::string &Out) {
  if (shell("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0)
    return ::testing::AssertionFailure()
           << "python3-torch is not installed (bash scripts/setup.sh "
              "installs it)";
  if (shell("/usr/bin/python3 " + std::string(NNC_SOURCE_DIR) + "/" + Script +
            " " + Out + " >/dev/null 2>&1") != 0)
    return ::testing::AssertionFailure() << Script << " failed";
  return ::testing::AssertionSuccess();
}

/// Every file of Want has a twin in Got within Tol of the largest value.
void expectSameFiles(const std::string &Want, const std::string &Got,
                     double Tol, int MinFiles = 5) {
  int Files = 0;
  for (const auto &E : std::filesystem::directory_iterator(Want)) {
    std::string Name = E.path().filename().string();
    std::vector<float> W = floats(E.path().string()),
                       G = floats(Got + "/" + Name);
    ASSERT_EQ(W.size(), G.size()) << Name;
    EXPECT_LT(relativeError(W, G), Tol) << Name;
    ++Files;
  }
  EXPECT_GE(Files, MinFiles);
}

/// Every gradient file of Want has a twin in Got within Tol of the largest
/// gradient anywhere in Want: a gradient that is zero in exact arithmetic
/// (a bias before a training BatchNorm) is rounding noise at that scale.
void expectSameGradients(const std::string &Want, const std::string &Got,
                         double Tol) {
  std::map<std::string, std::vector<float>> W;
  double Scale = 1e-3;
  for (const auto &E : std::filesystem::directory_iterator(Want)) {
    std::vector<float> &V = W[E.path().filename().string()];
    V = floats(E.path().string());
    for (float X : V)
      Scale = std::max(Scale, double(std::fabs(X)));
  }
  ASSERT_TRUE(W.count("x.bin")) << "no d loss / d x in " << Want;
  for (const auto &[Name, V] : W) {
    std::vector<float> G = floats(Got + "/" + Name);
    ASSERT_EQ(V.size(), G.size()) << Name;
    double Diff = 0;
    for (size_t I = 0; I < V.size(); ++I)
      Diff = std::max(Diff, double(std::fabs(V[I] - G[I])));
    EXPECT_LT(Diff / Scale, Tol) << Name;
  }
}

} // namespace

TEST(PyTorch, GradAndEveryOptimizerConfigurationMatchesPyTorch) {
  TempDir D;
  ASSERT_TRUE(runTorchScript("tests/tools/torch/reference.py", D.Path));
  std::string Tool = NNC_TOOL, Model = D.file("model.onnx");
  std::string In =
      " --input x=" + D.file("x.bin") + " --input y=" + D.file("y.bin");
  // Train mode: the gradients and the running statistics moved by the
  // batch's (PyTorch's unbiased variance); eval mode: on the running ones.
  ASSERT_EQ(shell(Tool + " grad " + Model + " --loss loss --bn-stats" + In +
                  " --output-dir " + D.file("ours_grad") + " >/dev/null"),
            0);
  expectSameFiles(D.file("grad"), D.file("ours_grad"), 1e-5);
  ASSERT_EQ(shell(Tool + " grad " + Model + " --loss loss --bn-mode eval" + In +
                  " --output-dir " + D.file("ours_grad_eval") + " >/dev/null"),
            0);
  expectSameFiles(D.file("grad_eval"), D.file("ours_grad_eval"), 1e-5);
  std::ifstream Manifest(D.file("manifest.txt"));
  int Optimizers = 0;
  for (std::string Name, Kind, Hparams; Manifest >> Name >> Kind >> Hparams;) {
    // The interpreter computes in double: the update rules to the letter.
    // The JIT in float32: Adam normalizes by the gradient's scale, so three
    // steps of rounding are ~1e-5 of a small parameter (bn.bias).
    for (auto [Engine, Tol] : {std::pair{"interp", 1e-6}, {"jit", 1e-4}}) {
      SCOPED_TRACE(Name + " on " + Engine);
      std::string Out = D.file("ours_" + Name + "_" + Engine);
      ASSERT_EQ(shell(Tool + " step " + Model + " --loss loss --optimizer " +
                      Kind + " --hparams '" + Hparams + "' --steps 3" + In +
                      " --engine " + Engine + " --output-dir " + Out +
                      " >/dev/null"),
                0);
      expectSameFiles(D.file("step_" + Name), Out, Tol);
    }
    ++Optimizers;
  }
  EXPECT_EQ(Optimizers, 17);
  // Training an eval() export whose BatchNorm PyTorch folded into the conv
  // works, with one warning; the training export has none.
  for (const char *Name : {"folded.onnx", "model.onnx"}) {
    ASSERT_EQ(shell(Tool + " step " + D.file(Name) +
                    " --loss loss --optimizer sgd --hparams '{\"lr\":0.1}'" +
                    In + " --output-dir " + D.file("folded_step") + " 2>" +
                    D.file("err") + " >/dev/null"),
              0);
    std::string Err = readText(D.file("err"));
    size_t At = Err.find("folds each BatchNorm into the conv");
    if (std::string(Name) == "model.onnx") {
      EXPECT_EQ(At, std::string::npos) << Err;
      continue;
    }
    ASSERT_NE(At, std::string::npos) << Err;
    EXPECT_EQ(Err.find("folds each BatchNorm", At + 1), std::string::npos)
        << "said once: " << Err;
  }
}

TEST(PyTorch, ExportedLeNet5RunsAndMatchesPyTorch) {
  TempDir D;
  ASSERT_TRUE(runTorchScript("examples/onnx/export_lenet5.py", D.Path));
  for (const char *Engine : {"jit", "interp"}) {
    SCOPED_TRACE(Engine);
    std::string Out = D.file(std::string("nnc_") + Engine);
    ASSERT_EQ(shell(std::string(NNC_TOOL) + " run " + D.file("lenet5.onnx") +
                    " --input input=" + D.file("input.bin") + " --output-dir " +
                    Out + " --engine " + Engine + " >/dev/null"),
              0);
    std::vector<float> Want = floats(D.file("logits.bin")),
                       Got = floats(Out + "/logits.bin");
    ASSERT_EQ(Want.size(), 80u);
    ASSERT_EQ(Got.size(), Want.size());
    EXPECT_LT(relativeError(Want, Got, 0), 1e-5);
  }
}

// Ordinary modules exported as tutorials do (tests/tools/torch/exports.py):
// AvgPool2d's Pad, F.pad in every mode, GELU, amax maxout, torch.max(dim),
// expand_as and a batch-expanded token, x.view(x.size(0), -1) and other
// shape arithmetic on a dynamic batch axis, a training-mode export's Dropout
// with its mask, a residual block with torch.cat and adaptive pooling,
// nn.LSTM, nn.GRU and nn.RNN (tanh, relu) as PyTorch exports them. Each
// runs at two batch sizes it was not traced at, on the JIT and the
// interpreter: outputs to 1e-4 and gradients (parameters and input) to 1e-3.
TEST(PyTorch, OrdinaryExportsImportAndMatchAtAnyBatch) {
  TempDir D;
  ASSERT_TRUE(runTorchScript("tests/tools/torch/exports.py", D.Path));
  std::ifstream Manifest(D.file("manifest.txt"));
  int Cases = 0;
  for (std::string Name, Batch; Manifest >> Name >> Batch;) {
    std::string Stem = D.file(Name + "_b" + Batch);
    for (const char *Engine : {"jit", "interp"}) {
      SCOPED_TRACE(Name + " at batch " + Batch + " on " + Engine);
      std::string Out = Stem + "_" + Engine;
      // --no-cache is a compiled-code option: an error with the interpreter.
      std::string NoCache = Engine == std::string("jit") ? " --no-cache" : "";
      ASSERT_EQ(shell(std::string(NNC_TOOL) + " run " + D.file(Name) +
                      ".onnx --input x=" + Stem + "_x.bin --output-dir " + Out +
                      " --engine " + Engine + NoCache + " >/dev/null"),
                0);
      std::vector<float> Want = floats(Stem + "_y.bin"),
                         Got = floats(Out + "/y.bin");
      ASSERT_EQ(Got.size(), Want.size());
      EXPECT_LT(relativeError(Want, Got), 1e-4);
      // Gradients of sum(y * r) for the parameters and the input.
      ASSERT_EQ(shell(std::string(NNC_TOOL) + " grad " + D.file(Name) +
                      "_loss.onnx --loss loss --wrt-inputs --input x=" + Stem +
                      "_x.bin --output-dir " + Out + "_grad --engine " +
                      Engine + NoCache + " >/dev/null"),
                0);
      expectSameGradients(Stem + "_grad", Out + "_grad", 1e-3);
    }
    ++Cases;
  }
  EXPECT_EQ(Cases, 62);
}

// nn.LSTM, nn.GRU and nn.RNN (tanh, relu) written in the model format with
// PyTorch's options (tests/tools/torch/recurrent.py): 20 steps; one and two
// layers, one and two directions, batch_first both ways, without bias,
// with initial states, and with sequences of different lengths (packed in
// PyTorch). Outputs, d loss / d every weight and input, and the weights
// after two Adam steps, on the JIT and the interpreter.
TEST(PyTorch, RecurrentLayersWithPyTorchsOptionsMatchPyTorch) {
  TempDir D;
  ASSERT_TRUE(runTorchScript("tests/tools/torch/recurrent.py", D.Path));
  std::ifstream Manifest(D.file("manifest.txt"));
  int Cases = 0;
  for (std::string Name, Inputs; Manifest >> Name >> Inputs;) {
    std::string Dir = D.file(Name), Model = Dir + "/model.json", Feed;
    for (size_t At = 0; At <= Inputs.size();) {
      size_t End = std::min(Inputs.find(',', At), Inputs.size());
      std::string In = Inputs.substr(At, End - At);
      Feed += " --input " + In + "=" + Dir + "/" + In + ".bin";
      At = End + 1;
    }
    bool Lstm = Name.rfind("lstm", 0) == 0;
    for (const char *Engine : {"jit", "interp"}) {
      SCOPED_TRACE(Name + " on " + Engine);
      std::string Ours = Dir + "/" + Engine, Tool = NNC_TOOL;
      std::string Common = Feed + " --engine " + Engine + " >/dev/null";
      ASSERT_EQ(shell(Tool + " run " + Model + " --output-dir " + Ours +
                      "_run" + Common),
                0);
      for (const char *Out : {"y", "h_n", "c_n"}) {
        if (std::string(Out) == "c_n" && !Lstm)
          continue;
        std::vector<float> Want = floats(Dir + "/" + Out + ".bin"),
                           Got = floats(Ours + "_run/" + Out + ".bin");
        ASSERT_EQ(Got.size(), Want.size()) << Out;
        EXPECT_LT(relativeError(Want, Got), 1e-4) << Out;
      }
      ASSERT_EQ(shell(Tool + " grad " + Model +
                      " --loss loss --wrt-inputs --output-dir " + Ours +
                      "_grad" + Common),
                0);
      expectSameGradients(Dir + "/grad", Ours + "_grad", 1e-3);
      ASSERT_EQ(shell(Tool + " step " + Model +
                      " --loss loss --optimizer adam --hparams "
                      "'{\"lr\":0.01}' --steps 2 --output-dir " +
                      Ours + "_adam" + Common),
                0);
      expectSameFiles(Dir + "/adam", Ours + "_adam", 1e-4, 3);
    }
    ++Cases;
  }
  EXPECT_EQ(Cases, 10);
}

// A training-mode export trains with nnc train; evaluation and the saved
// checkpoint use the running statistics that training moved (PyTorch's
// eval()), not the test batch's.
TEST(PyTorch, TrainingExportEvaluatesOnMovedRunningStatistics) {
  TempDir D;
  ASSERT_TRUE(runTorchScript("tests/tools/torch/exports.py", D.Path));
  std::string Tool = NNC_TOOL, Ckpt = D.file("trained.nnc");
  ASSERT_EQ(shell(Tool + " train " + D.file("fashion_bn_training.onnx") +
                  " --data fashion-mnist --loss softmax-ce --max-steps 60 "
                  "--limit-train 3840 --save " +
                  Ckpt + " >/dev/null 2>&1"),
            0);
  ASSERT_EQ(shell(Tool + " dump " + Ckpt + " >" + D.file("dump.txt")), 0);
  std::string Dump = readText(D.file("dump.txt"));
  EXPECT_NE(Dump.find("= BatchNorm("), std::string::npos) << Dump;
  EXPECT_EQ(Dump.find("BatchNormTrain"), std::string::npos) << Dump;
  // Evaluating one example at a time: batch statistics of a single image
  // would make every prediction nearly the same class.
  ASSERT_EQ(shell(Tool + " eval " + Ckpt +
                  " --data fashion-mnist --batch 1 --limit 500 >" +
                  D.file("eval.txt") + " 2>&1"),
            0);
  std::string Eval = readText(D.file("eval.txt"));
  size_t At = Eval.find("accuracy ");
  ASSERT_NE(At, std::string::npos) << Eval;
  EXPECT_GT(std::stod(Eval.substr(At + 9)), 60.0) << Eval;
}
