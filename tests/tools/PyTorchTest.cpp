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
                     double Tol) {
  int Files = 0;
  for (const auto &E : std::filesystem::directory_iterator(Want)) {
    std::string Name = E.path().filename().string();
    std::vector<float> W = floats(E.path().string()),
                       G = floats(Got + "/" + Name);
    ASSERT_EQ(W.size(), G.size()) << Name;
    double Scale = 1e-3, Diff = 0;
    for (size_t I = 0; I < W.size(); ++I) {
      Scale = std::max(Scale, double(std::fabs(W[I])));
      Diff = std::max(Diff, double(std::fabs(W[I] - G[I])));
    }
    EXPECT_LT(Diff / Scale, Tol) << Name;
    ++Files;
  }
  EXPECT_GT(Files, 4);
}

} // namespace

TEST(PyTorch, GradAndEveryOptimizerConfigurationMatchesPyTorch) {
  TempDir D;
  ASSERT_TRUE(runTorchScript("tests/tools/torch/reference.py", D.Path));
  std::string Tool = NNC_TOOL, Model = D.file("model.onnx");
  std::string In =
      " --input x=" + D.file("x.bin") + " --input y=" + D.file("y.bin");
  ASSERT_EQ(shell(Tool + " grad " + Model + " --loss loss" + In +
                  " --output-dir " + D.file("ours_grad") + " >/dev/null"),
            0);
  expectSameFiles(D.file("grad"), D.file("ours_grad"), 1e-5);
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
  // A training-mode export's BatchNorm has no running-statistics form to
  // fall back on: --bn-mode eval says so instead of using the batch's.
  EXPECT_NE(shell(Tool + " step " + Model + " --loss loss --bn-mode eval" + In +
                  " --output-dir " + D.file("eval") + " 2>" + D.file("err")),
            0);
  EXPECT_NE(readText(D.file("err")).find("exported in training mode"),
            std::string::npos)
      << readText(D.file("err"));
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
    double Scale = 0, Diff = 0;
    for (size_t I = 0; I < Want.size(); ++I) {
      Scale = std::max(Scale, double(std::fabs(Want[I])));
      Diff = std::max(Diff, double(std::fabs(Want[I] - Got[I])));
    }
    EXPECT_LT(Diff / Scale, 1e-5);
  }
}

// Ordinary modules exported as tutorials do (tests/tools/torch/exports.py):
// AvgPool2d's Pad, GELU, x.view(x.size(0), -1) and other shape arithmetic on a
// dynamic batch axis, a training-mode export's Dropout with its mask, a
// residual block with torch.cat and adaptive pooling. Each runs at two batch
// sizes it was not traced at, on the JIT and the interpreter.
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
      ASSERT_EQ(shell(std::string(NNC_TOOL) + " run " + D.file(Name) +
                      ".onnx --input x=" + Stem + "_x.bin --output-dir " + Out +
                      " --engine " + Engine + " --no-cache >/dev/null"),
                0);
      std::vector<float> Want = floats(Stem + "_y.bin"),
                         Got = floats(Out + "/y.bin");
      ASSERT_EQ(Got.size(), Want.size());
      double Scale = 1e-3, Diff = 0;
      for (size_t I = 0; I < Want.size(); ++I) {
        Scale = std::max(Scale, double(std::fabs(Want[I])));
        Diff = std::max(Diff, double(std::fabs(Want[I] - Got[I])));
      }
      EXPECT_LT(Diff / Scale, 1e-4);
    }
    ++Cases;
  }
  EXPECT_EQ(Cases, 24);
}
