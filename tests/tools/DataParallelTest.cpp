// mpirun -np 2 nnc train against one process on the same global batch:
// the parameters agree to float summation order (and across the ranks, bit
// for bit, after every step: --check-ranks); and the data-parallel run's
// own errors. CI runs these as root and with 2 cores, hence
// --oversubscribe and Open MPI's run-as-root variables; containers may
// forbid the cross-process memory copies of Open MPI's shared-memory
// transport, hence single_copy_mechanism none. Open MPI's own allocations
// outlive MPI_Finalize, so the sanitizer build does not check for leaks
// in the ranks.
#include "../TempDir.h"
#include "../TestUtil.h"
#include "RunNnc.h"
#include "frontend/ModelIO.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>
#include <unistd.h>

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

/// Steps 0: no --max-steps.
std::string trainArgs(const std::string &Model, const std::string &Save,
                      const std::string &More = "", int Batch = 64,
                      int Steps = 50) {
  return "train " + exampleModel(Model) +
         " --data fashion-mnist --limit-train 3200 --limit-test 100 "
         "--batch " +
         std::to_string(Batch) +
         (Steps ? " --max-steps " + std::to_string(Steps) : "") +
         " --seed 3 --threads 1 --progress none --no-cache --save " + Save +
         " " + More;
}

/// ||A - B|| <= Tolerance ||B|| (or <= Floor) for each parameter of the
/// two checkpoints.
void expectSameParameters(const std::string &APath, const std::string &BPath,
                          double Tolerance, double Floor = 0) {
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
    EXPECT_LE(std::sqrt(Diff), std::max(Tolerance * std::sqrt(Norm), Floor))
        << V->Name;
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
  Result Ranks =
      runCommand(std::string(MpiRun) + NNC_TOOL + " " +
                 trainArgs("lenet5", Two, "--bucket-mb 0.05 -v --check-ranks"));
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

TEST(DataParallel, SyncBatchNormOnTwoRanksTrainsAsOneProcess) {
  // convbn without its dropout (each rank draws its own masks): with
  // --sync-bn its BatchNorms see the global batch, as one process does.
  // Momentum SGD, not the model's Adam: the conv biases under the
  // BatchNorms have gradients that are rounding noise, which Adam scales
  // up to whole steps.
  TempDir D;
  std::string Model = readText(exampleModel("convbn"));
  size_t Ratio = Model.find("\"f\": 0.25");
  ASSERT_NE(Ratio, std::string::npos);
  Model.replace(Ratio, 10, "\"f\": 0.0");
  std::string Path = D.file("convbn_no_dropout.json");
  writeText(Path, Model);
  auto Args = [&](const std::string &Save, const std::string &More) {
    std::string A = trainArgs("convbn", Save, More, 32, 20);
    A.replace(A.find(exampleModel("convbn")), exampleModel("convbn").size(),
              Path);
    return A;
  };
  std::string One = D.file("one.nnc"), Two = D.file("two.nnc");
  Result Single =
      runNnc(Args(One, "--distributed off --optimizer momentum --lr 0.01"));
  ASSERT_EQ(Single.Exit, 0) << Single.Err;
  Result Ranks =
      runCommand(std::string(MpiRun) + NNC_TOOL + " " +
                 Args(Two, "--sync-bn --optimizer momentum --lr 0.01"));
  ASSERT_EQ(Ranks.Exit, 0) << Ranks.Out << Ranks.Err;
  // Floor: those conv biases start at zero and move by their noise alone
  // (about 1e-7 here).
  expectSameParameters(Two, One, 1e-5, 1e-6);
}

TEST(DataParallel, ResumedOnTheSameRanksEqualsUninterrupted) {
  // convbn: each rank's dropout masks and BatchNorm statistics, and rank
  // 0's checkpoint, which every rank resumes from.
  TempDir D;
  auto Run = [&](const std::string &Save, const std::string &More) {
    return runCommand(std::string(MpiRun) + NNC_TOOL + " " +
                      trainArgs("convbn", Save, "--epochs 2 " + More, 64, 0));
  };
  std::string Full = D.file("full.nnc"), Half = D.file("half.nnc"),
              Resumed = D.file("resumed.nnc");
  Result A = Run(Full, "");
  ASSERT_EQ(A.Exit, 0) << A.Err;
  Result B = Run(Half, "--max-steps 70"); // inside the second epoch
  ASSERT_EQ(B.Exit, 0) << B.Err;
  Result C = Run(Resumed, "--resume " + Half);
  ASSERT_EQ(C.Exit, 0) << C.Err;
  EXPECT_TRUE(readText(Full) == readText(Resumed));
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

/// Rank 0 runs nnc train with Rank0's options, rank 1 with Rank1's (Open
/// MPI's MPMD form).
Result trainDiffering(const std::string &Save, const std::string &Rank0,
                      const std::string &Rank1) {
  std::string Mpmd = MpiRun;
  Mpmd.replace(Mpmd.find("-np 2"), 5, "-np 1");
  return runCommand(Mpmd + NNC_TOOL + " " + trainArgs("lenet5", Save, Rank0) +
                    " : -np 1 " + NNC_TOOL + " " +
                    trainArgs("lenet5", Save, Rank1));
}

TEST(DataParallel, RanksWithOtherHyperParametersAreRefusedAtStartUp) {
  TempDir D;
  Result R = trainDiffering(D.file("x.nnc"), "--lr 0.001", "--lr 0.002");
  EXPECT_NE(R.Exit, 0);
  EXPECT_TRUE(contains(R.Err, "rank 1 has another model, optimizer or "
                              "training options than rank 0"))
      << R.Err;
  EXPECT_FALSE(std::filesystem::exists(D.file("x.nnc")));
}

TEST(DataParallel, RanksWithOtherDataAreRefusedBeforeTheFirstStep) {
  TempDir D;
  Result R = trainDiffering(D.file("x.nnc"), "", "--hflip");
  EXPECT_NE(R.Exit, 0);
  EXPECT_TRUE(contains(R.Err, "rank 1 has other training, validation or test "
                              "sets, or another augmentation, than rank 0"))
      << R.Err;
  EXPECT_FALSE(std::filesystem::exists(D.file("x.nnc")));
}

TEST(DataParallel, ANonFiniteLossStopsEveryRankAtItsStep) {
  TempDir D;
  Result R = runCommand(std::string(MpiRun) + NNC_TOOL + " " +
                        trainArgs("lenet5", D.file("x.nnc"), "--lr 1e30"));
  EXPECT_NE(R.Exit, 0);
  // Each rank sees the same summed loss and fails at the same step; the
  // first to fail ends the others, maybe before they print.
  EXPECT_TRUE(contains(R.Err, ": step ")) << R.Err;
  EXPECT_TRUE(contains(R.Err, ": the loss is NaN") ||
              contains(R.Err, ": the loss is infinite"))
      << R.Err;
  EXPECT_FALSE(std::filesystem::exists(D.file("x.nnc")));
}

/// The pids of Parent's children.
std::vector<pid_t> childrenOf(pid_t Parent) {
  std::vector<pid_t> Kids;
  for (const auto &E : std::filesystem::directory_iterator("/proc")) {
    std::string Name = E.path().filename();
    if (Name.find_first_not_of("0123456789") != std::string::npos)
      continue; // not a process
    std::string Stat = readText(E.path().string() + "/stat");
    size_t Close = Stat.rfind(')');
    if (Close == std::string::npos)
      continue;
    // pid (comm) state ppid ...
    long Ppid = std::strtol(Stat.c_str() + Close + 4, nullptr, 10);
    if (Ppid == Parent)
      Kids.push_back(pid_t(std::atol(Name.c_str())));
  }
  return Kids;
}

TEST(DataParallel, AKilledRankEndsTheRunNamingItWithinAMinute) {
  TempDir D;
  std::string Log = D.file("log.csv");
  std::string Cmd =
      std::string("exec env ") + MpiRun + NNC_TOOL + " " +
      trainArgs("lenet5", D.file("x.nnc"),
                "--epochs 1000 --log " + Log + " --log-every 1", 64, 0) +
      " >" + D.file("out") + " 2>" + D.file("err");
  pid_t Run = fork();
  if (Run == 0) {
    execl("/bin/sh", "sh", "-c", Cmd.c_str(), (char *)nullptr);
    _exit(127);
  }
  // Training has begun once rank 0 logs a few steps.
  auto Start = std::chrono::steady_clock::now();
  auto Elapsed = [&] { return std::chrono::steady_clock::now() - Start; };
  auto Logged = [&] {
    std::string Text = readText(Log);
    return std::count(Text.begin(), Text.end(), '\n');
  };
  while (Logged() < 5 && Elapsed() < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::vector<pid_t> Ranks = childrenOf(Run);
  ASSERT_EQ(Ranks.size(), 2u) << readText(D.file("err"));
  kill(std::max(Ranks[0], Ranks[1]), SIGKILL);
  auto Killed = std::chrono::steady_clock::now();
  int Status = 0;
  while (waitpid(Run, &Status, WNOHANG) == 0 &&
         std::chrono::steady_clock::now() - Killed < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (waitpid(Run, &Status, WNOHANG) == 0) {
    kill(Run, SIGKILL);
    waitpid(Run, &Status, 0);
    FAIL() << "the other rank still ran a minute after one was killed";
  }
  EXPECT_FALSE(WIFEXITED(Status) && WEXITSTATUS(Status) == 0);
  std::string Err = readText(D.file("err"));
  EXPECT_TRUE(contains(Err, "rank")) << Err;
  EXPECT_TRUE(contains(Err, "signal 9")) << Err;
  EXPECT_TRUE(childrenOf(Run).empty());
}

TEST(DataParallel, BadModeIsAUsageError) {
  expectOneLineError(
      runNnc(trainArgs("lenet5", "/dev/null", "--distributed maybe")),
      "--distributed must be auto, on or off", 2);
}

} // namespace
