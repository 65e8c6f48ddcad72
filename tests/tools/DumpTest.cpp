// nnc dump: every step of the compile pipeline can be shown, as text or
// one file per step.
#include "RunNnc.h"

#include <filesystem>

using namespace nnc;
using namespace nnc::test;

namespace {

TEST(NncDump, ShowsTheKernelProgramAfterEachLoweringStep) {
  std::string M = exampleModel("convbn");
  Result R = runNnc("dump " + M + " --print-after fuse --entry train_step");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out, "kernel program of 'train_step'")) << R.Out;
  EXPECT_FALSE(contains(R.Out, " live [")) << R.Out;
  R = runNnc("dump " + M + " --print-after liveness --entry train_step");
  EXPECT_TRUE(contains(R.Out, " live [")) << R.Out;
  EXPECT_FALSE(contains(R.Out, "@ arena")) << R.Out;
  R = runNnc("dump " + M + " --print-after in-place --entry train_step");
  EXPECT_TRUE(contains(R.Out, " in place of ")) << R.Out;
  R = runNnc("dump " + M + " --print-after memory-plan --batch 8");
  EXPECT_TRUE(contains(R.Out, "@ arena ")) << R.Out;
  EXPECT_TRUE(contains(R.Out, "-> output 0")) << R.Out;
  EXPECT_TRUE(contains(R.Out, "planned / lower bound")) << R.Out;
}

TEST(NncDump, ShowsTheCodeAfterCodegenOptimizeAndMachineCode) {
  std::string M = exampleModel("xor_mlp");
  Result R = runNnc("dump " + M + " --print-after codegen");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out, "define ")) << R.Out;
  EXPECT_TRUE(contains(R.Out, "@nnc_entry(")) << R.Out;
  R = runNnc("dump " + M + " --print-after machine-code");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_TRUE(contains(R.Out, "nnc_entry:")) << R.Out.substr(0, 2000);
  EXPECT_FALSE(contains(R.Out, "define ")) << R.Out.substr(0, 2000);
}

TEST(NncDump, WritesOneFilePerStep) {
  TempDir D;
  Result R = runNnc("dump " + exampleModel("xor_mlp") +
                    " --dot --print-after all -o " + D.file("steps"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_EQ(R.Out, "");
  std::vector<std::string> Files;
  for (const auto &F : std::filesystem::directory_iterator(D.file("steps")))
    Files.push_back(F.path().filename().string());
  std::sort(Files.begin(), Files.end());
  EXPECT_EQ(Files, (std::vector<std::string>{
                       "01-load.dot", "02-training-lowering.dot",
                       "03-regularization.dot", "04-autodiff.dot",
                       "05-optimizer.dot", "06-fuse.dot", "07-liveness.dot",
                       "08-in-place.dot", "09-memory-plan.dot", "10-codegen.ll",
                       "11-optimize.ll", "12-machine-code.s"}));
  EXPECT_EQ(readText(D.file("steps/06-fuse.dot")).rfind("digraph", 0), 0u);
}

} // namespace
