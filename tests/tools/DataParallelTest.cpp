// mpirun -np 2 nnc train against one process on the same global batch:
// the parameters agree to float summation order; and the data-parallel
// run's own errors. CI runs these as root and with 2 cores, hence
// --oversubscribe and Open MPI's run-as-root variables; containers may
// forbid the cross-process memory copies of Open MPI's shared-memory
// transport, hence single_copy_mechanism none. Open MPI's own allocations
// outlive MPI_Finalize, so the sanitizer build does not check for leaks
// in the ranks.
#include "../TempDir.h"
#include "../TestUtil.h"
#include "RunNnc.h"
#include "frontend/ModelIO.h"

#include <cmath>
#include <cstring>
#include <filesystem>

using namespace nnc;
using namespace nnc::test;

namespace {

const char *MpiRun =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_btl_vader_single_copy_mechanism=none "
    "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 " NNC_MPIRUN
    " --oversubscribe -np 2 ";

Result runCommand(const std::string &Cmd) {
  TempDir D;
  int Status =
      std::system((Cmd + " >" + D.file("out") + " 2>" + D.file("err")).c_str());
  Result R;
  R.Exit = WIFEXITED(Status) ? WEXITSTATUS(Status) : -1;
  R.Out = readText(D.file("out"));
  R.Err = readText(D.file("err"));
  return R;
}

std::string trainArgs(const std::string &Model, const std::string &Save,
                      const std::string &More = "", int Batch = 64) {
  return "train " + exampleModel(Model) +
         " --data fashion-mnist --limit-train 3200 --limit-test 100 "
         "--batch " +
         std::to_string(Batch) +
         " --max-steps 50 --seed 3 --threads 1 --progress none "
         "--no-cache --save " +
         Save + " " + More;
}

/// ||A - B|| / ||B|| over each stored tensor of the two checkpoints.
void expectSameParameters(const std::string &APath, const std::string &BPath,
                          double Tolerance) {
  Expected<ir::Graph> A = frontend::loadModel(APath);
  Expected<ir::Graph> B = frontend::loadModel(BPath);
  ASSERT_TRUE(A.ok()) << A.status().message();
  ASSERT_TRUE(B.ok()) << B.status().message();
  int Compared = 0;
  for (const auto &V : B->values()) {
    if (V->Kind != ir::Role::Parameter || V->Data.empty())
      continue;
    const ir::Value *W = A->findValue(V->Name);
    ASSERT_NE(W, nullptr) << V->Name;
    ASSERT_EQ(W->Data.size(), V->Data.size()) << V->Name;
    ASSERT_EQ(V->Type.Elt, ir::DType::F32) << V->Name;
    std::vector<float> X(V->Data.size() / 4), Y(X.size());
    std::memcpy(X.data(), W->Data.data(), W->Data.size());
    std::memcpy(Y.data(), V->Data.data(), V->Data.size());
    double Diff = 0, Norm = 0;
    for (size_t I = 0; I < X.size(); ++I) {
      Diff += double(X[I] - Y[I]) * double(X[I] - Y[I]);
      Norm += double(Y[I]) * double(Y[I]);
    }
    EXPECT_LE(std::sqrt(Diff), Tolerance * std::sqrt(Norm)) << V->Name;
    ++Compared;
  }
  EXPECT_GT(Compared, 0);
}

TEST(DataParallel, TwoRanksTrainAsOneProcessOnTheGlobalBatch) {
  TempDir D;
  std::string One = D.file("one.nnc"), Two = D.file("two.nnc");
  Result Single = runNnc(trainArgs("lenet5", One, "--distributed off"));
  ASSERT_EQ(Single.Exit, 0) << Single.Err;
  // Small buckets: several starts and waits in flight at once.
  Result Ranks = runCommand(std::string(MpiRun) + NNC_TOOL + " " +
                            trainArgs("lenet5", Two, "--bucket-mb 0.05 -v"));
  ASSERT_EQ(Ranks.Exit, 0) << Ranks.Out << Ranks.Err;
  EXPECT_TRUE(contains(Ranks.Out, "batch 64 over 2 ranks")) << Ranks.Out;
  EXPECT_TRUE(contains(Ranks.Out, "a step for the gradients' sums"))
      << Ranks.Out;
  // Rank 0 alone prints the run's header.
  size_t First = Ranks.Out.find("training, ");
  EXPECT_EQ(Ranks.Out.find("training, ", First + 1), std::string::npos)
      << Ranks.Out;
  expectSameParameters(Two, One, 1e-5);
}

TEST(DataParallel, BatchNotSplittableOverTheRanksIsAUsageError) {
  TempDir D;
  Result R = runCommand(std::string(MpiRun) + NNC_TOOL + " " +
                        trainArgs("lenet5", D.file("x.nnc"), "", 63));
  EXPECT_NE(R.Exit, 0);
  EXPECT_TRUE(contains(R.Err, "--batch 63 must be a multiple of the 2 ranks"))
      << R.Err;
  EXPECT_FALSE(std::filesystem::exists(D.file("x.nnc")));
}

TEST(DataParallel, BadModeIsAUsageError) {
  expectOneLineError(
      runNnc(trainArgs("lenet5", "/dev/null", "--distributed maybe")),
      "--distributed must be auto, on or off", 2);
}

} // namespace
