// Kill a training run mid-way and resume it from its checkpoint: the final
// parameters, optimizer state and BatchNorm statistics equal those of an
// uninterrupted run with the same seed, bit for bit. convbn exercises
// dropout masks, BatchNorm running statistics and Adam's state; the
// augmentation flags exercise the data pipeline's randomness.
#include "../TempDir.h"
#include "../TestUtil.h"
#include "frontend/ModelIO.h"

#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace nnc;
using namespace nnc::test;

namespace {

std::vector<std::string> trainArgs(const std::string &Save) {
  return {NNC_TOOL,
          "train",
          std::string(NNC_SOURCE_DIR) + "/examples/models/convbn.json",
          "--data",
          "fashion-mnist",
          "--limit-train",
          "160",
          "--limit-test",
          "32",
          "--epochs",
          "2",
          "--batch",
          "32",
          "--seed",
          "7",
          "--hflip",
          "--translate",
          "2",
          "--noise",
          "0.05",
          "--progress",
          "none",
          "--save",
          Save};
}

pid_t spawn(std::vector<std::string> Args,
            const std::string &Out = "/dev/null") {
  pid_t Pid = fork();
  if (Pid == 0) {
    std::vector<char *> Argv;
    for (std::string &A : Args)
      Argv.push_back(A.data());
    Argv.push_back(nullptr);
    if (!freopen(Out.c_str(), "w", stdout))
      _exit(126);
    execv(Argv[0], Argv.data());
    _exit(127);
  }
  return Pid;
}

int run(std::vector<std::string> Args, const std::string &Out = "/dev/null") {
  int Status = 0;
  waitpid(spawn(std::move(Args), Out), &Status, 0);
  return WIFEXITED(Status) ? WEXITSTATUS(Status) : -1;
}

/// Every stored tensor and the step count, bit for bit.
void expectSameState(const std::string &A, const std::string &B) {
  Expected<Graph> GA = frontend::loadModel(A), GB = frontend::loadModel(B);
  ASSERT_OK(GA);
  ASSERT_OK(GB);
  EXPECT_EQ(GA->Training->Step, GB->Training->Step);
  int Compared = 0;
  for (const auto &V : GA->values()) {
    if (V->Data.empty())
      continue;
    const Value *W = GB->findValue(V->Name);
    ASSERT_NE(W, nullptr) << V->Name;
    EXPECT_EQ(V->Data, W->Data) << V->Name;
    ++Compared;
  }
  // 12 parameters, 4 BatchNorm statistics, 24 Adam slots.
  EXPECT_EQ(Compared, 40);
}

/// The uninterrupted run, trained once for all tests.
class Resume : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    Dir = new TempDir();
    FullExit = run(trainArgs(Dir->file("full.nnc")));
  }
  static void TearDownTestSuite() { delete Dir; }
  void SetUp() override { ASSERT_EQ(FullExit, 0); }
  static std::string full() { return Dir->file("full.nnc"); }

  static TempDir *Dir;
  static int FullExit;
  TempDir D;
};
TempDir *Resume::Dir = nullptr;
int Resume::FullExit = -1;

} // namespace

TEST_F(Resume, StoppedMidEpochThenResumedEqualsUninterrupted) {
  std::vector<std::string> First = trainArgs(D.file("part.nnc"));
  First.insert(First.end(), {"--max-steps", "4"});
  ASSERT_EQ(run(First), 0);
  Expected<Graph> Part = frontend::loadModel(D.file("part.nnc"));
  ASSERT_OK(Part);
  EXPECT_EQ(Part->Training->Step, 4); // mid-way through epoch 1 of 5 steps
  // A tampered copy: resuming from it must give other weights, which shows
  // the checkpoint is really used, not silently retrained from scratch.
  Value *W = Part->findValue("fc2.w");
  W->Data[0] ^= 0x10;
  ASSERT_OK(frontend::saveModel(*Part, D.file("tampered.nnc")));
  std::vector<std::string> Rest = trainArgs(D.file("part.nnc"));
  Rest.insert(Rest.end(), {"--resume", D.file("part.nnc")});
  ASSERT_EQ(run(Rest, D.file("log")), 0);
  EXPECT_NE(readText(D.file("log")).find("resuming at step 4"),
            std::string::npos);
  expectSameState(full(), D.file("part.nnc"));

  Rest = trainArgs(D.file("tampered.nnc"));
  Rest.insert(Rest.end(), {"--resume", D.file("tampered.nnc")});
  ASSERT_EQ(run(Rest), 0);
  Expected<Graph> Full = frontend::loadModel(full());
  Expected<Graph> Tampered = frontend::loadModel(D.file("tampered.nnc"));
  ASSERT_OK(Full);
  ASSERT_OK(Tampered);
  EXPECT_NE(Full->findValue("fc2.w")->Data, Tampered->findValue("fc2.w")->Data);
}

TEST_F(Resume, KilledThenResumedEqualsUninterrupted) {
  std::vector<std::string> Args = trainArgs(D.file("killed.nnc"));
  Args.insert(Args.end(), {"--checkpoint-every", "1"});
  pid_t Pid = spawn(Args);
  // Kill it as soon as its first checkpoint is on disk.
  for (int I = 0; I < 6000 && !std::filesystem::exists(D.file("killed.nnc"));
       ++I)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(Pid, SIGKILL);
  int Status;
  waitpid(Pid, &Status, 0);
  Expected<Graph> Ckpt = frontend::loadModel(D.file("killed.nnc"));
  ASSERT_OK(Ckpt); // written atomically: never half a file
  std::vector<std::string> Rest = trainArgs(D.file("killed.nnc"));
  Rest.insert(Rest.end(), {"--resume", D.file("killed.nnc")});
  ASSERT_EQ(run(Rest), 0);
  expectSameState(full(), D.file("killed.nnc"));
}

TEST_F(Resume, RefusesAnotherSeed) {
  std::vector<std::string> First = trainArgs(D.file("c.nnc"));
  First.insert(First.end(), {"--max-steps", "1"});
  ASSERT_EQ(run(First), 0);
  std::vector<std::string> Rest = trainArgs(D.file("c.nnc"));
  Rest[14] = "8"; // --seed 8
  Rest.insert(Rest.end(), {"--resume", D.file("c.nnc")});
  EXPECT_EQ(run(Rest), 1);
}
