// Runs the nnc binary as a user would and checks exit codes and messages.
#include "../TempDir.h"
#include "../TestUtil.h"
#include "RunNnc.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "ir/Initializers.h"
#include "tools/TensorFiles.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <sys/wait.h>

using namespace nnc;
using namespace nnc::test;

namespace {

std::string example(const std::string &Name) {
  return std::string(NNC_SOURCE_DIR) + "/examples/models/" + Name;
}

} // namespace

TEST(NncTool, InfoReportsParameterCounts) {
  Result R = runNnc("info " + example("lenet5.json"));
  EXPECT_EQ(R.Exit, 0) << R.Err;
  EXPECT_NE(R.Out.find("parameters: 61,706 "), std::string::npos) << R.Out;
  EXPECT_NE(R.Out.find("image            f32[N,1,28,28]"), std::string::npos);
  EXPECT_NE(R.Out.find("forward FLOPs per example"), std::string::npos);
  R = runNnc("info " + example("convbn.json"));
  EXPECT_EQ(R.Exit, 0) << R.Err;
  EXPECT_NE(R.Out.find("parameters: 421,834 "), std::string::npos) << R.Out;
  EXPECT_NE(R.Out.find("state: 192 values"), std::string::npos) << R.Out;
}

TEST(NncTool, InfoOnAModelWithoutEntryPoints) {
  // It once crashed taking the first entry point of none.
  Expected<ir::Graph> G = frontend::loadModel(example("lenet5.json"));
  ASSERT_TRUE(G.ok()) << G.message();
  G->EntryPoints.clear();
  TempDir D;
  ASSERT_TRUE(frontend::saveModel(*G, D.file("none.nnc")).ok());
  Result R = runNnc("info " + D.file("none.nnc"));
  EXPECT_EQ(R.Exit, 0) << R.Err;
  EXPECT_NE(R.Out.find("entry points: none"), std::string::npos) << R.Out;
}

TEST(NncTool, VersionHelpCommandAndWholeSummaries) {
  Result R = runNnc("--version");
  EXPECT_EQ(R.Exit, 0) << R.Err;
  EXPECT_EQ(R.Out.rfind("nnc ", 0), 0u) << R.Out;
  EXPECT_NE(R.Out.find("(LLVM 19."), std::string::npos) << R.Out;
  EXPECT_NE(R.Out.find(", host CPU "), std::string::npos) << R.Out;
  R = runNnc("help train");
  EXPECT_EQ(R.Exit, 0) << R.Err;
  EXPECT_EQ(R.Out.rfind("usage: nnc train ", 0), 0u) << R.Out;
  EXPECT_EQ(runNnc("help frobnicate").Exit, 2);
  // Every summary line of the overview ends a sentence.
  R = runNnc("--help");
  std::istringstream Lines(R.Out);
  int Commands = 0;
  bool InCommands = false;
  std::string Last;
  for (std::string L; std::getline(Lines, L);) {
    if (L == "commands:") {
      InCommands = true;
      continue;
    }
    if (InCommands && L.empty()) {
      break;
    } else if (InCommands && L.size() > 2 && L[2] != ' ') {
      if (!Last.empty())
        EXPECT_EQ(Last.back(), '.') << Last;
      ++Commands;
    }
    if (InCommands && !L.empty())
      Last = L;
  }
  EXPECT_EQ(Last.back(), '.') << Last;
  EXPECT_EQ(Commands, 15);
}

TEST(NncTool, NotFoundSaysWhatExists) {
  std::string M = example("lenet5.json");
  expectOneLineError(runNnc("run " + M + " --output-dir /tmp --entry nope"),
                     "no entry point 'nope' (the model has: infer, "
                     "train_step)");
  expectOneLineError(runNnc("run " + M + " --output-dir /tmp --input pic=x"),
                     "has no input 'pic' (its inputs: image)");
}

TEST(NncTool, EverySubcommandHasHelp) {
  for (const char *Cmd :
       {"info", "dump", "convert", "run", "train", "eval", "gradcheck"}) {
    Result R = runNnc(std::string(Cmd) + " --help");
    EXPECT_EQ(R.Exit, 0) << Cmd;
    EXPECT_EQ(R.Out.rfind(std::string("usage: nnc ") + Cmd, 0), 0u) << R.Out;
  }
  Result R = runNnc("--help");
  EXPECT_EQ(R.Exit, 0);
  EXPECT_NE(R.Out.find("convert"), std::string::npos);
}

TEST(NncTool, UsageErrorsExitTwo) {
  EXPECT_EQ(runNnc("frobnicate").Exit, 2);
  EXPECT_EQ(runNnc("").Exit, 2);
  Result R = runNnc("info --colour " + example("lenet5.json"));
  EXPECT_EQ(R.Exit, 2);
  EXPECT_NE(R.Err.find("unknown option '--colour'"), std::string::npos);
  EXPECT_EQ(runNnc("info").Exit, 2);
  // Malformed or out-of-range option values are usage errors too.
  std::string M = example("lenet5.json");
  expectOneLineError(runNnc("train " + M + " --data fashion-mnist --epochs -1"),
                     "must be >= 1", 2);
  expectOneLineError(runNnc("train " + M + " --data fashion-mnist --batch abc"),
                     "needs an integer, found 'abc'", 2);
  expectOneLineError(runNnc("run " + M + " --output-dir /tmp --threads 100000"),
                     "--threads must be between 0", 2);
  expectOneLineError(runNnc("run " + M + " --output-dir /tmp --engine gpu"),
                     "unknown engine 'gpu'", 2);
  expectOneLineError(runNnc("train " + M +
                            " --data fashion-mnist --limit-train 100 "
                            "--batch 128"),
                     "--batch 128 is more than the 100 training examples", 2);
  expectOneLineError(runNnc("run " + M + " --output-dir /tmp --max-memory 8X"),
                     "--max-memory needs a size", 2);
}

TEST(NncTool, MemoryBeyondTheLimitIsRefusedBeforeAllocating) {
  std::string M = example("lenet5.json");
  // A terabyte batch, against the machine's memory: refused with figures,
  // not attempted.
  expectOneLineError(
      runNnc("train " + M + " --data fashion-mnist --batch 1000000000"),
      "a batch of 1000000000 needs 2.9 TB, more than the memory limit of");
  // The compiled step's arena against --max-memory.
  expectOneLineError(runNnc("train " + M +
                            " --data fashion-mnist --limit-train 20000 "
                            "--batch 20000 --max-memory 100M --no-cache"),
                     "(--max-memory)");
}

TEST(NncTool, BadModelFilesGiveOneLineErrors) {
  TempDir D;
  writeText(D.file("syntax.json"), "{ \"schema_version\": 1, \"tensors\": [ }");
  expectOneLineError(runNnc("info " + D.file("syntax.json")),
                     D.file("syntax.json"));
  writeBytes(D.file("random.nnc"), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  expectOneLineError(runNnc("dump " + D.file("random.nnc")), "file identifier");
  writeBytes(D.file("empty.nnc"), {});
  expectOneLineError(
      runNnc("run " + D.file("empty.nnc") + " --output-dir " + D.Path),
      "only 0 bytes");
  expectOneLineError(runNnc("info " + D.file("missing.nnc")), "cannot open");
}

TEST(NncTool, DumpPrintsTextAndDot) {
  Result R = runNnc("dump " + example("lenet5.json") + " --batch 64");
  EXPECT_EQ(R.Exit, 0) << R.Err;
  EXPECT_NE(R.Out.find("%conv1 = Conv(%image, %conv1.w, %conv1.b)"),
            std::string::npos)
      << R.Out;
  EXPECT_NE(R.Out.find(": f32[64,6,28,28]"), std::string::npos);
  R = runNnc("dump --dot " + example("lenet5.json"));
  EXPECT_EQ(R.Exit, 0);
  EXPECT_EQ(R.Out.rfind("digraph \"lenet5\"", 0), 0u) << R.Out;
}

TEST(NncTool, DumpAndCompileShowEachStepOfTheTrainStep) {
  std::string M = example("xor_mlp.json");
  Result R = runNnc("dump " + M + " --print-after autodiff");
  EXPECT_EQ(R.Exit, 0) << R.Err;
  EXPECT_NE(R.Out.find("= LossGrad("), std::string::npos) << R.Out;
  EXPECT_EQ(R.Out.find("= AdamUpdate("), std::string::npos) << R.Out;
  R = runNnc("dump " + M + " --print-after optimizer");
  EXPECT_NE(R.Out.find("= AdamUpdate("), std::string::npos) << R.Out;
  EXPECT_EQ(runNnc("dump " + M + " --print-after train-step").Out, R.Out);
  R = runNnc("dump " + M + " --print-after all");
  size_t At = 0;
  for (const char *Step : {"load", "training-lowering", "regularization",
                           "autodiff", "optimizer", "fuse"}) {
    size_t Next = R.Out.find("// after " + std::string(Step) + "\n", At);
    EXPECT_NE(Next, std::string::npos) << Step << "\n" << R.Out;
    At = Next == std::string::npos ? At : Next;
  }
  expectOneLineError(runNnc("dump " + M + " --print-after fusion"),
                     "--print-after must be load, training-lowering", 2);
  R = runNnc("compile " + M + " --entry train_step --batch 4 -v");
  EXPECT_NE(R.Out.find("train_step: training-lowering "), std::string::npos)
      << R.Out;
  EXPECT_NE(R.Out.find("train_step: optimizer "), std::string::npos) << R.Out;
}

// nnc convert and flatc read and write the same files.
TEST(NncTool, ConvertRoundTripsThroughFlatc) {
  TempDir D;
  std::string Schema = std::string(NNC_SOURCE_DIR) + "/frontend/schema/nnc.fbs";
  ASSERT_EQ(
      runNnc("convert " + example("lenet5.json") + " " + D.file("a.nnc")).Exit,
      0);
  // flatc turns our binary into JSON...
  std::string Flatc = std::string(NNC_FLATC) +
                      " --json --strict-json --raw-binary -o " + D.Path + " " +
                      Schema + " -- " + D.file("a.nnc");
  ASSERT_EQ(std::system(Flatc.c_str()), 0) << Flatc;
  // ...which nnc turns back into the same bytes.
  Result R = runNnc("convert " + D.file("a.json") + " " + D.file("b.nnc"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_EQ(*frontend::readFile(D.file("a.nnc")),
            *frontend::readFile(D.file("b.nnc")));
  // And flatc's binary from our JSON loads in nnc.
  ASSERT_EQ(runNnc("convert " + D.file("b.nnc") + " " + D.file("c.json")).Exit,
            0);
  std::string FlatcBin = std::string(NNC_FLATC) + " --binary -o " + D.Path +
                         "/fb " + Schema + " " + D.file("c.json");
  ASSERT_EQ(std::system(FlatcBin.c_str()), 0);
  EXPECT_EQ(runNnc("info " + D.Path + "/fb/c.nnc").Exit, 0);
}

TEST(NncTool, ConvertRefusesAnInvalidModel) {
  TempDir D;
  writeText(D.file("bad.json"),
            R"({"schema_version": 1, "tensors": [{"name": "x"}],
    "nodes": [{"op": "Relu", "inputs": [0], "outputs": [5]}]})");
  expectOneLineError(
      runNnc("convert " + D.file("bad.json") + " " + D.file("out.nnc")),
      "refers to tensor #5");
  EXPECT_FALSE(std::filesystem::exists(D.file("out.nnc")));
}

TEST(NncTool, RunReadsRawAndNpyAndWritesBoth) {
  TempDir D;
  // Three 28x28 images as raw float32.
  Tensor Images = randomTensor({3, 1, 28, 28}, 17, 0, 1);
  Graph Dummy;
  Value *Target =
      Dummy.addValue("image", Role::Input, {DType::F32, {-1, 1, 28, 28}});
  ASSERT_OK(tools::writeTensorFile(D.file("images.bin"), Images, false));
  ASSERT_OK(tools::writeTensorFile(D.file("images.npy"), Images, true));
  Result Raw = runNnc("run " + example("lenet5.json") + " --input image=" +
                      D.file("images.bin") + " --output-dir " + D.file("raw"));
  ASSERT_EQ(Raw.Exit, 0) << Raw.Err;
  Result Npy = runNnc("run " + example("lenet5.json") +
                      " --input image=" + D.file("images.npy") +
                      " --output-dir " + D.file("npy") + " --format npy");
  ASSERT_EQ(Npy.Exit, 0) << Npy.Err;
  EXPECT_EQ(std::filesystem::file_size(D.file("raw/logits.bin")), 3u * 10 * 4);
  auto Back =
      tools::parseNpy(*frontend::readFile(D.file("npy/logits.npy")), "npy");
  ASSERT_OK(Back);
  EXPECT_EQ(Back->Dims, (Shape{3, 10}));
  auto Reread =
      tools::readTensorFile(D.file("images.npy"), *Target, std::nullopt);
  ASSERT_OK(Reread);
  EXPECT_EQ(Reread->Dims, Images.Dims);
}

TEST(NncTool, CompileCacheServesASecondRunAndRejectsACorruptEntry) {
  TempDir D;
  Tensor Images = randomTensor({2, 1, 28, 28}, 5, 0, 1);
  ASSERT_OK(tools::writeTensorFile(D.file("images.bin"), Images, false));
  std::string Run = "run " + example("lenet5.json") +
                    " --input image=" + D.file("images.bin") + " --cache-dir " +
                    D.file("cache") + " -v --output-dir ";
  Result First = runNnc(Run + D.file("first"));
  ASSERT_EQ(First.Exit, 0) << First.Err;
  EXPECT_EQ(First.Err.find("compile cache"), std::string::npos) << First.Err;
  std::vector<std::filesystem::path> Entries;
  for (const auto &E : std::filesystem::directory_iterator(D.file("cache")))
    Entries.push_back(E.path());
  ASSERT_EQ(Entries.size(), 1u); // one entry point at one batch size

  Result Second = runNnc(Run + D.file("second"));
  ASSERT_EQ(Second.Exit, 0) << Second.Err;
  EXPECT_NE(Second.Err.find("machine code from the compile cache"),
            std::string::npos)
      << Second.Err;
  EXPECT_EQ(readText(D.file("first/logits.bin")),
            readText(D.file("second/logits.bin")));

  // One flipped bit in the object: detected, recompiled and replaced.
  std::string Entry = readText(Entries[0].string());
  Entry[Entry.size() / 2] ^= 1;
  writeText(Entries[0].string(), Entry);
  Result Third = runNnc(Run + D.file("third"));
  ASSERT_EQ(Third.Exit, 0) << Third.Err;
  EXPECT_NE(Third.Err.find("fails its checksum; recompiled"), std::string::npos)
      << Third.Err;
  EXPECT_EQ(readText(D.file("first/logits.bin")),
            readText(D.file("third/logits.bin")));
  Result Fourth = runNnc(Run + D.file("fourth"));
  EXPECT_NE(Fourth.Err.find("machine code from the compile cache"),
            std::string::npos)
      << Fourth.Err;

  // The default folder is $XDG_CACHE_HOME/nnc; --no-cache writes nothing.
  ASSERT_EQ(setenv("XDG_CACHE_HOME", D.file("xdg").c_str(), 1), 0);
  std::string Plain = "run " + example("lenet5.json") +
                      " --input image=" + D.file("images.bin") +
                      " --output-dir " + D.file("plain");
  Result Off = runNnc(Plain + " --no-cache");
  ASSERT_EQ(Off.Exit, 0) << Off.Err;
  EXPECT_FALSE(std::filesystem::exists(D.file("xdg")));
  Result Default = runNnc(Plain);
  unsetenv("XDG_CACHE_HOME");
  ASSERT_EQ(Default.Exit, 0) << Default.Err;
  EXPECT_TRUE(std::filesystem::exists(D.file("xdg/nnc/") +
                                      Entries[0].filename().string()));
  EXPECT_EQ(readText(D.file("first/logits.bin")),
            readText(D.file("plain/logits.bin")));
}

TEST(NncTool, RunNamesWhatIsMissingOrWrong) {
  TempDir D;
  std::string Model = example("lenet5.json");
  expectOneLineError(runNnc("run " + Model + " --output-dir " + D.Path),
                     "missing input 'image'");
  writeBytes(D.file("odd.bin"), std::vector<uint8_t>(4 * 100, 0));
  expectOneLineError(runNnc("run " + Model + " --input image=" +
                            D.file("odd.bin") + " --output-dir " + D.Path),
                     "not a whole number of 'image' examples");
  expectOneLineError(runNnc("run " + Model + " --input pixels=" +
                            D.file("odd.bin") + " --output-dir " + D.Path),
                     "has no input 'pixels'");
}

namespace {

/// The number after "accuracy " in a line of nnc's output.
double accuracyIn(const std::string &Out) {
  size_t P = Out.rfind("accuracy ");
  return P == std::string::npos ? -1 : std::atof(Out.c_str() + P + 9);
}

} // namespace

// The full run (one epoch, >= 84%) is scripts/train_lenet5.sh; this subset
// shows the model learns and that eval reads the checkpoint train wrote.
TEST(NncTool, TrainLeNetOnASubsetThenEvaluate) {
  TempDir D;
  Result R = runNnc("train " + example("lenet5.json") +
                    " --data fashion-mnist --limit-train 6400 --limit-test 2000"
                    " --epochs 1 --optimizer adam --lr 1e-3 --progress lines"
                    " --save " +
                    D.file("l5.nnc"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  double TrainAcc = accuracyIn(R.Out);
  EXPECT_GT(TrainAcc, 70.0) << R.Out;
  EXPECT_NE(R.Out.find("epoch 1/1 step 100/100"), std::string::npos) << R.Out;
  Result E =
      runNnc("eval " + D.file("l5.nnc") + " --data fashion-mnist --limit 2000");
  ASSERT_EQ(E.Exit, 0) << E.Err;
  EXPECT_NEAR(accuracyIn(E.Out), TrainAcc, 0.01) << E.Out;
  EXPECT_NE(E.Out.find("confusion matrix"), std::string::npos);
}

TEST(NncTool, TrainXorFromCsv) {
  TempDir D;
  writeText(D.file("xor.csv"), "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n");
  std::string Csv = D.file("xor.csv");
  Result R = runNnc("train " + example("xor_mlp.json") + " --data csv:" + Csv +
                    "," + Csv + " --batch 4 --epochs 1000 --progress none" +
                    " --no-shuffle --save " + D.file("xor.nnc"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_EQ(accuracyIn(R.Out), 100.0) << R.Out;
}

// Model-level checks in training mode: dropout masks, BatchNorm on batch
// statistics (convbn), LRN and overlapping pooling (alexnet_tiny), RBF.
TEST(NncTool, GradcheckPassesOnTheExampleModels) {
  for (const char *M :
       {"lenet5.json", "convbn.json", "alexnet_tiny.json", "rbf.json"}) {
    Result R = runNnc("gradcheck " + example(M) + " --samples 4");
    EXPECT_EQ(R.Exit, 0) << M << "\n" << R.Out << R.Err;
    EXPECT_NE(R.Out.find("all gradients match"), std::string::npos) << M;
  }
  // A conv bias feeding a training-mode BatchNorm has a zero gradient.
  Result R = runNnc("gradcheck " + example("convbn.json") + " --samples 4");
  size_t Line = R.Out.find("conv1.b");
  ASSERT_NE(Line, std::string::npos) << R.Out;
  std::string Row = R.Out.substr(Line, R.Out.find('\n', Line) - Line);
  EXPECT_NE(Row.find("0 (vanishes)"), std::string::npos) << Row;
}

TEST(NncTool, StepScheduleDecaysPerEpoch) {
  Result R = runNnc("train " + example("lenet5.json") +
                    " --data fashion-mnist --limit-train 128 --limit-test 16"
                    " --batch 64 --epochs 3 --lr 0.01 --schedule step"
                    " --step-size 1 --gamma 0.5 --progress lines");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_NE(R.Out.find("epoch 1/3 step 2/2 lr 0.01 "), std::string::npos)
      << R.Out;
  EXPECT_NE(R.Out.find("epoch 2/3 step 2/2 lr 0.005 "), std::string::npos);
  EXPECT_NE(R.Out.find("epoch 3/3 step 2/2 lr 0.0025 "), std::string::npos);
  R = runNnc("train " + example("lenet5.json") +
             " --data fashion-mnist --limit-train 128 --limit-test 16"
             " --batch 32 --epochs 2 --lr 0.01 --schedule cosine"
             " --progress lines");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  // Step 5 of 8: 0.01 * (1 + cos(pi * 4 / 8)) / 2 = 0.005.
  EXPECT_NE(R.Out.find("epoch 2/2 step 1/4 lr 0.005 "), std::string::npos)
      << R.Out;
}

TEST(NncTool, TrainErrors) {
  std::string M = example("lenet5.json");
  expectOneLineError(runNnc("train " + M), "--data SPEC is required", 2);
  expectOneLineError(
      runNnc("train " + M + " --data fashion-mnist --optimizer lbfgs"),
      "unknown optimizer 'lbfgs'", 2);
  expectOneLineError(
      runNnc("train " + M + " --data fashion-mnist:/nonexistent"),
      "/nonexistent/train-images-idx3-ubyte.gz: cannot open");
  expectOneLineError(runNnc("train " + M + " --data floppy:/dev/fd0"),
                     "unknown --data 'floppy:/dev/fd0'", 2);
  expectOneLineError(
      runNnc("train " + M + " --data fashion-mnist --schedule zigzag"),
      "unknown learning-rate schedule 'zigzag'", 2);
  expectOneLineError(
      runNnc("train " + example("xor_mlp.json") +
             " --data fashion-mnist --limit-train 10"),
      "the data has examples of 784 values, input 'x' [N,2] takes 2");
}

TEST(NncTool, RunsAnOnnxModelOnTensorProtoInputs) {
  TempDir D;
  std::string Dir = "/usr/share/libonnx-testdata/data/node/test_relu";
  Result R = runNnc("run " + Dir + "/model.onnx --input x=" + Dir +
                    "/test_data_set_0/input_0.pb --output-dir " + D.Path);
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_EQ(std::filesystem::file_size(D.file("y.bin")), 3u * 4 * 5 * 4);
}

// A Reshape whose target shape is a graph input: reported with the remedy,
// then imported with the value bound, which becomes a constant.
TEST(NncTool, ImportBindsAnInputThatFixesAShape) {
  TempDir D;
  std::string Dir = "/usr/share/libonnx-testdata/data/node/test_reshape_"
                    "negative_dim";
  Result R = runNnc("import " + Dir + "/model.onnx -o " + D.file("r.nnc"));
  EXPECT_NE(R.Exit, 0);
  EXPECT_NE(R.Err.find("node 'reshaped' (Reshape): the shape comes at run "
                       "time from 'shape'"),
            std::string::npos)
      << R.Err;
  EXPECT_NE(R.Err.find("--bind shape=FILE.pb"), std::string::npos) << R.Err;
  EXPECT_FALSE(std::filesystem::exists(D.file("r.nnc")));
  R = runNnc("import " + Dir + "/model.onnx -o " + D.file("r.nnc") +
             " --bind shape=" + Dir + "/test_data_set_0/input_1.pb");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  R = runNnc("info " + D.file("r.nnc"));
  ASSERT_EQ(R.Exit, 0) << R.Err;
  EXPECT_NE(R.Out.find("reshaped       f32[2,6,2]"), std::string::npos)
      << R.Out;
  R = runNnc("import " + Dir + "/model.onnx -o " + D.file("s.nnc") +
             " --bind nosuch=" + Dir + "/test_data_set_0/input_1.pb");
  EXPECT_NE(R.Exit, 0);
  EXPECT_NE(R.Err.find("'nosuch', which is not a graph input"),
            std::string::npos)
      << R.Err;
}

TEST(NncTool, StepWithBatchNormInEvalMode) {
  TempDir D;
  Tensor Images = randomTensor({4, 1, 28, 28}, 3, 0, 1);
  ASSERT_OK(tools::writeTensorFile(D.file("image.bin"), Images, false));
  Tensor Labels(DType::I64, {4}, {1, 2, 3, 4});
  ASSERT_OK(tools::writeTensorFile(D.file("label.bin"), Labels, false));
  auto Step = [&](const std::string &Mode, const std::string &Engine) {
    std::string Out = D.file(Mode + "_" + Engine);
    Result R = runNnc("step " + example("convbn.json") +
                      " --loss loss --optimizer sgd --hparams '{\"lr\":0.1}' "
                      "--steps 2 --input image=" +
                      D.file("image.bin") +
                      " --input label=" + D.file("label.bin") + " --bn-mode " +
                      Mode + " --engine " + Engine + " --output-dir " + Out);
    EXPECT_EQ(R.Exit, 0) << R.Err;
    std::string Bytes = readText(Out + "/fc1.w.bin");
    std::vector<float> W(Bytes.size() / 4);
    std::memcpy(W.data(), Bytes.data(), W.size() * 4);
    return W;
  };
  std::vector<float> Train = Step("train", "jit"), Eval = Step("eval", "jit"),
                     EvalInterp = Step("eval", "interp");
  ASSERT_EQ(Eval.size(), EvalInterp.size());
  ASSERT_EQ(Train.size(), Eval.size());
  double Apart = 0, Agree = 0;
  for (size_t I = 0; I < Eval.size(); ++I) {
    Apart = std::max(Apart, double(std::fabs(Train[I] - Eval[I])));
    Agree = std::max(Agree, double(std::fabs(Eval[I] - EvalInterp[I])));
  }
  EXPECT_GT(Apart, 1e-4); // running statistics are not the batch's
  EXPECT_LT(Agree, 1e-5);
}

TEST(NncTool, NothingNonFiniteIsSavedOrEvaluated) {
  TempDir D;
  std::string M = example("lenet5.json");
  // One step at an absurd learning rate: the loss was finite, the weights
  // after it are not; the checkpoint is refused and not written.
  expectOneLineError(runNnc("train " + M +
                            " --data fashion-mnist --limit-train 64 "
                            "--max-steps 1 --lr 1e300 --save " +
                            D.file("ck.nnc")),
                     "not saved: after step 1, tensor '");
  EXPECT_FALSE(std::filesystem::exists(D.file("ck.nnc")));
  // A model holding NaN is not evaluated.
  Expected<ir::Graph> G = frontend::loadModel(M);
  ASSERT_TRUE(G.ok()) << G.message();
  ir::Value *W = G->findValue("fc1.w");
  ASSERT_NE(W, nullptr);
  std::vector<double> Nan(size_t(W->Type.numElements()), std::nan(""));
  W->Data = ir::encode(Nan, W->Type.Elt);
  ASSERT_TRUE(frontend::saveModel(*G, D.file("nan.json")).ok());
  expectOneLineError(
      runNnc("eval " + D.file("nan.json") + " --data fashion-mnist --limit 10"),
      "tensor 'fc1.w' holds NaN or infinity");
}

TEST(NncTool, OptionsACommandDoesNotUseAreErrors) {
  std::string M = example("lenet5.json");
  // compile always uses LLVM; bench always compares fused with unfused.
  expectOneLineError(runNnc("compile " + M + " --engine interp"),
                     "unknown option '--engine'", 2);
  expectOneLineError(runNnc("bench " + M + " --no-fuse"),
                     "unknown option '--no-fuse'", 2);
  expectOneLineError(runNnc("dump " + M + " --threads 2"),
                     "unknown option '--threads'", 2);
  for (const char *Compiled : {"--threads 2", "--target-cpu x86-64-v3",
                               "--no-fuse", "--fuse elementwise", "--no-cache"})
    expectOneLineError(runNnc("run " + M +
                              " --output-dir /tmp --engine "
                              "interp " +
                              Compiled),
                       "applies to compiled code; --engine interp", 2);
}

TEST(NncTool, CheckNumericsNamesTheFirstKernelOrNodeAndTensor) {
  TempDir D;
  std::string M = example("xor_mlp.json");
  writeText(D.file("x.bin"), std::string(8, '\0'));
  float Nan[2] = {0.5f, std::nanf("")};
  writeText(D.file("nan.bin"),
            std::string(reinterpret_cast<const char *>(Nan), sizeof Nan));
  for (const char *Engine : {"jit", "interp"}) {
    SCOPED_TRACE(Engine);
    std::string Run = "run " + M + " --output-dir " + D.file("out") +
                      " --engine " + Engine + " --check-numerics --input x=";
    EXPECT_EQ(runNnc(Run + D.file("x.bin")).Exit, 0);
    expectOneLineError(runNnc(Run + D.file("nan.bin")),
                       "--check-numerics: input 'x' holding NaN at element 1");
    // Without it, the input is still reported when it is read.
    std::string Plain = "run " + M + " --output-dir " + D.file("out") +
                        " --engine " + Engine + " --input x=";
    Result Warned = runNnc(Plain + D.file("nan.bin"));
    EXPECT_EQ(Warned.Exit, 0);
    EXPECT_EQ(Warned.Err, "warning: " + D.file("nan.bin") +
                              ": input 'x' holds NaN at element 1 (1 "
                              "non-finite values in all)\n");
    EXPECT_EQ(runNnc(Plain + D.file("x.bin")).Err, "");
    // Training diverges: the first non-finite value is named with the step.
    Result R = runNnc("train " + example("lenet5.json") +
                      " --data fashion-mnist --limit-train 128 --max-steps 2 "
                      "--lr 1e300 --progress none --check-numerics --engine " +
                      Engine);
    expectOneLineError(R, "--check-numerics: ");
    EXPECT_NE(R.Err.find("error: step "), std::string::npos) << R.Err;
    EXPECT_NE(R.Err.find(" holding "), std::string::npos) << R.Err;
  }
  // The JIT names the kernel, its ops and the tensor it wrote.
  Result R = runNnc("train " + example("lenet5.json") +
                    " --data fashion-mnist --limit-train 128 --max-steps 2 "
                    "--lr 1e30 --optimizer sgd --progress none "
                    "--check-numerics");
  expectOneLineError(R, "wrote tensor '");
  EXPECT_NE(R.Err.find("kernel "), std::string::npos) << R.Err;
}

TEST(NncTool, ADivergingLossIsReportedBeforeItOverflows) {
  Result R = runNnc("train " + example("lenet5.json") +
                    " --data fashion-mnist --limit-train 256 --max-steps 4 "
                    "--lr 1e3 --optimizer sgd --progress lines");
  EXPECT_EQ(R.Exit, 1);
  size_t Warning = R.Err.find("warning: step ");
  ASSERT_NE(Warning, std::string::npos) << R.Err;
  EXPECT_NE(R.Err.find("training is probably diverging"), std::string::npos);
  EXPECT_EQ(R.Err.find("warning:", Warning + 1), std::string::npos) << R.Err;
  EXPECT_NE(R.Err.find("the loss is NaN"), std::string::npos) << R.Err;
  EXPECT_NE(R.Out.find("e+"), std::string::npos) << R.Out; // not 30 digits
}
