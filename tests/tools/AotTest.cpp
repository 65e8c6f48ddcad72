// Ahead-of-time objects used as an app would: built with the system C
// compiler, linked with nothing but libc and libm, and compared with the
// JIT on the same model.
#include "../TempDir.h"
#include "../TestUtil.h"
#include "../backend/JitTestUtil.h"
#include "RunNnc.h"
#include "backend/llvm/CodeGen.h"
#include "frontend/ModelIO.h"
#include "ir/Initializers.h"
#include "passes/TrainStep.h"

#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <sys/wait.h>

using namespace nnc;
using namespace nnc::test;

namespace {

/// Runs a shell command; returns its exit code and stdout.
int shell(const std::string &Cmd, std::string *Out = nullptr) {
  TempDir D;
  int Status = std::system(
      ("(" + Cmd + ") >" + D.file("out") + " 2>" + D.file("err")).c_str());
  if (Out)
    *Out = readText(D.file("out"));
  int Code = WIFEXITED(Status) ? WEXITSTATUS(Status) : -1;
  if (Code != 0)
    ADD_FAILURE() << Cmd << "\n" << readText(D.file("err"));
  return Code;
}

std::string tool() { return NNC_TOOL; }
std::string source(const std::string &Rel) {
  return std::string(NNC_SOURCE_DIR) + "/" + Rel;
}
std::string model(const std::string &Name) {
  return source("examples/models/" + Name + ".json");
}

std::vector<double> numbers(const std::string &Text) {
  std::vector<double> V;
  std::istringstream In(Text);
  for (double X; In >> X;)
    V.push_back(X);
  return V;
}

/// The JIT's infer outputs for the pattern infer_pattern.c feeds.
std::vector<double> jitPattern(const std::string &Name) {
  Expected<Graph> G = frontend::loadModel(model(Name));
  EXPECT_TRUE(G.ok());
  const EntryPoint *E = G->findEntry("infer");
  interp::TensorMap In;
  const Value *X = E->Inputs[0];
  Shape Dims = X->DeclaredDims;
  Dims[0] = 1;
  Tensor T(DType::F32, Dims);
  for (size_t I = 0; I < T.Data.size(); ++I)
    T.Data[I] = double(float(double((I * 37) % 101)) / 101.0f);
  In[X->Name] = T;
  auto J = makeEngine(*G, backend::EngineKind::Jit);
  auto Out = J->run("infer", In);
  EXPECT_TRUE(Out.ok()) << Out.status().message();
  return Out.ok() ? Out->at(E->Outputs[0]->Name).Data : std::vector<double>{};
}

void expectClose(const std::vector<double> &Got,
                 const std::vector<double> &Want, double Tol = 1e-5) {
  ASSERT_EQ(Got.size(), Want.size());
  double Scale = 1e-30, Diff = 0;
  for (size_t I = 0; I < Want.size(); ++I) {
    Scale = std::max(Scale, std::fabs(Want[I]));
    Diff = std::max(Diff, std::fabs(Got[I] - Want[I]));
  }
  EXPECT_LT(Diff / Scale, Tol);
}

/// Global symbols libc and libm define.
std::set<std::string> libcAndLibm() {
  std::set<std::string> S;
  for (const char *Lib : {"libc.so.6", "libm.so.6"}) {
    std::string Out;
    shell("nm -D --defined-only $(cc -print-file-name=" + std::string(Lib) +
              ")",
          &Out);
    std::istringstream In(Out);
    for (std::string Line; std::getline(In, Line);) {
      std::string Name = Line.substr(Line.rfind(' ') + 1);
      S.insert(Name.substr(0, Name.find('@')));
    }
  }
  return S;
}

void expectEmbeddedAppMatchesTheJit(const std::string &Name) {
  TempDir D;
  // A checkpoint trained briefly, then the example app built from it.
  ASSERT_EQ(shell(tool() + " train " + model(Name) +
                  " --data fashion-mnist --max-steps 40 --limit-train 2560"
                  " --limit-test 1 --progress none --save " +
                  D.file("ckpt.nnc")),
            0);
  ASSERT_EQ(shell(tool() + " compile " + D.file("ckpt.nnc") + " --aot -o " +
                  D.file("lenet5")),
            0);
  ASSERT_EQ(shell("cc -O2 -I" + D.Path + " " +
                  source("examples/embed/classify.c") + " " +
                  D.file("lenet5.o") + " -lm -o " + D.file("classify")),
            0);
  std::string Data = "/usr/share/datasets/fashion-mnist/";
  ASSERT_EQ(shell("gunzip -c " + Data + "t10k-images-idx3-ubyte.gz > " +
                  D.file("images")),
            0);
  ASSERT_EQ(shell("gunzip -c " + Data + "t10k-labels-idx1-ubyte.gz > " +
                  D.file("labels")),
            0);
  std::string AppOut;
  ASSERT_EQ(shell(D.file("classify") + " " + D.file("images") + " " +
                      D.file("labels") + " " + D.file("aot.txt"),
                  &AppOut),
            0);
  EXPECT_NE(AppOut.find("accuracy"), std::string::npos) << AppOut;
  // The JIT at batch 1 runs the same kernels: the same predictions.
  ASSERT_EQ(shell(tool() + " eval " + D.file("ckpt.nnc") +
                  " --data fashion-mnist --batch 1 --predictions " +
                  D.file("jit.txt")),
            0);
  std::string Aot = readText(D.file("aot.txt")),
              Jit = readText(D.file("jit.txt"));
  EXPECT_EQ(std::count(Aot.begin(), Aot.end(), '\n'), 10000);
  EXPECT_TRUE(Aot == Jit) << "predictions differ";
}

} // namespace

// LeNet-5, and the LSTM classifier compiled under the prefix the app
// includes (lenet5.h): any image classifier with 'image' and 'logits'.
TEST(Aot, EmbeddedAppGivesTheJitsPredictions) {
  for (const char *Name : {"lenet5", "lstm_fmnist"}) {
    SCOPED_TRACE(Name);
    expectEmbeddedAppMatchesTheJit(Name);
  }
}

TEST(Aot, ObjectsNeedOnlyLibcAndLibmAndExportOnlyPrefixedSymbols) {
  TempDir D;
  std::set<std::string> System = libcAndLibm();
  ASSERT_GT(System.size(), 1000u);
  for (const char *Name :
       {"lenet5", "convbn", "alexnet_tiny", "rbf", "lstm_fmnist"}) {
    SCOPED_TRACE(Name);
    std::string Out = D.file(Name);
    ASSERT_EQ(shell(tool() + " compile " + model(Name) + " --aot -o " + Out +
                    " --entry infer,train_step --batch 4"),
              0);
    std::string Undefined, Defined;
    ASSERT_EQ(shell("nm -u " + Out + ".o", &Undefined), 0);
    std::istringstream In(Undefined);
    for (std::string Line; std::getline(In, Line);) {
      std::string Sym = Line.substr(Line.rfind(' ') + 1);
      if (Sym == "_GLOBAL_OFFSET_TABLE_") // resolved by the static linker
        continue;
      EXPECT_TRUE(System.count(Sym)) << "undefined symbol " << Sym;
    }
    ASSERT_EQ(shell("nm -g --defined-only " + Out + ".o", &Defined), 0);
    std::istringstream Def(Defined);
    for (std::string Line; std::getline(Def, Line);) {
      std::string Sym = Line.substr(Line.rfind(' ') + 1);
      EXPECT_EQ(Sym.rfind(std::string(Name) + "_", 0), 0u) << Sym;
    }
  }
}

TEST(Aot, TwoModelsLinkIntoOneExecutable) {
  TempDir D;
  ASSERT_EQ(shell(tool() + " compile " + model("lenet5") + " --aot -o " +
                  D.file("lenet5")),
            0);
  ASSERT_EQ(shell(tool() + " compile " + model("xor_mlp") + " --aot -o " +
                  D.file("xor") + " --batch 4"),
            0);
  ASSERT_EQ(shell("cc -O2 -I" + D.Path + " " +
                  source("tests/tools/aot/two_models.c") + " " +
                  D.file("lenet5.o") + " " + D.file("xor.o") + " -lm -o " +
                  D.file("app")),
            0);
  std::string Out;
  ASSERT_EQ(shell(D.file("app"), &Out), 0);
  std::vector<double> Got = numbers(Out);
  ASSERT_EQ(Got.size(), 14u) << Out;
  expectClose({Got.begin(), Got.begin() + 10}, jitPattern("lenet5"));
  for (size_t I = 10; I < 14; ++I)
    EXPECT_TRUE(Got[I] > 0 && Got[I] < 1) << Got[I]; // sigmoid outputs
}

TEST(Aot, MachineIndependentTargetsRun) {
  for (const char *Cpu : {"x86-64-v2", "x86-64-v3"}) {
    SCOPED_TRACE(Cpu);
    TempDir D;
    ASSERT_EQ(shell(tool() + " compile " + model("lenet5") +
                    " --aot --prefix net -o " + D.file("net") +
                    " --target-cpu " + Cpu),
              0);
    ASSERT_EQ(shell("cc -O2 -I" + D.Path +
                    " -DMODEL_HEADER='\"net.h\"' -DP=net"
                    " -DIN_ELEMENTS=NET_INFER_IN_IMAGE_ELEMENTS"
                    " -DOUT_ELEMENTS=NET_INFER_OUT_LOGITS_ELEMENTS " +
                    source("tests/tools/aot/infer_pattern.c") + " " +
                    D.file("net.o") + " -lm -o " + D.file("app")),
              0);
    std::string Out;
    ASSERT_EQ(shell(D.file("app"), &Out), 0);
    expectClose(numbers(Out), jitPattern("lenet5"));
  }
}

namespace {

/// Builds tests/tools/aot/variant.c against the lenet5 object D/net.o and
/// runs it: "CPU STATUS" on the first line, then the outputs.
std::string runVariantApp(const TempDir &D) {
  EXPECT_EQ(shell("cc -O2 -I" + D.Path +
                  " -DMODEL_HEADER='\"net.h\"' -DP=net"
                  " -DIN_ELEMENTS=NET_INFER_IN_IMAGE_ELEMENTS"
                  " -DOUT_ELEMENTS=NET_INFER_OUT_LOGITS_ELEMENTS " +
                  source("tests/tools/aot/variant.c") + " " + D.file("net.o") +
                  " -lm -o " + D.file("app")),
            0);
  std::string Out;
  EXPECT_EQ(shell(D.file("app"), &Out), 0);
  return Out;
}

} // namespace

TEST(Aot, OneObjectRunsTheBestVariantThisCpuSupports) {
  TempDir D;
  ASSERT_EQ(shell(tool() + " compile " + model("lenet5") +
                  " --aot --prefix net -o " + D.file("net") +
                  " --target-cpu x86-64-v3,x86-64-v2,x86-64-v4"),
            0);
  std::string Best = __builtin_cpu_supports("x86-64-v4")   ? "x86-64-v4"
                     : __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3"
                                                           : "x86-64-v2";
  std::istringstream Out(runVariantApp(D));
  std::string Cpu;
  int Status = -1;
  Out >> Cpu >> Status;
  EXPECT_EQ(Cpu, Best);
  EXPECT_EQ(Status, 0);
  std::ostringstream Rest;
  Rest << Out.rdbuf();
  expectClose(numbers(Rest.str()), jitPattern("lenet5"));
  // The header lists the variants as they are preferred.
  std::string H = readText(D.file("net.h"));
  EXPECT_LT(H.find(" x86-64-v4 ("), H.find(" x86-64-v3 ("));
  EXPECT_LT(H.find(" x86-64-v3 ("), H.find(" x86-64-v2 ("));
  EXPECT_NE(H.find("avx512f"), std::string::npos);
}

TEST(Aot, ACpuNoVariantSupportsGetsAnErrorCodeNotAnIllegalInstruction) {
  // Excavator (bdver4) has XOP and FMA4, which no Intel CPU and no Zen has.
  TempDir D;
  ASSERT_EQ(shell(tool() + " compile " + model("lenet5") +
                  " --aot --prefix net -o " + D.file("net") +
                  " --target-cpu bdver4"),
            0);
  bool Runs = __builtin_cpu_supports("xop") && __builtin_cpu_supports("fma4") &&
              __builtin_cpu_supports("avx2");
  std::string Out = runVariantApp(D);
  EXPECT_EQ(Out.substr(0, Out.find('\n')), Runs ? "bdver4 0" : "none 2");
}

TEST(Aot, EntryNamesThatWouldClashWithTheObjectsFunctionsAreRefused) {
  TempDir D;
  for (const char *Name : {"weights", "target_cpu", "arena_new", "in-fer"}) {
    SCOPED_TRACE(Name);
    ASSERT_EQ(shell("sed 's/\"name\": \"infer\"/\"name\": \"" +
                    std::string(Name) + "\"/' " + model("xor_mlp") + " > " +
                    D.file("m.json")),
              0);
    std::string Cmd = tool() + " compile " + D.file("m.json") +
                      " --aot --batch 4 --entry " + Name + " -o " +
                      D.file("m") + " 2>" + D.file("err");
    int Status = std::system(Cmd.c_str());
    EXPECT_EQ(WIFEXITED(Status) ? WEXITSTATUS(Status) : -1, 1);
    EXPECT_NE(readText(D.file("err"))
                  .find("entry point '" + std::string(Name) +
                        "' cannot name a C function of the object"),
              std::string::npos)
        << readText(D.file("err"));
  }
}

TEST(Aot, TargetCpuListsAreForAotObjectsOnly) {
  TempDir D;
  std::string M = model("xor_mlp");
  expectOneLineError(runNnc("run " + M +
                            " --output-dir /tmp --target-cpu x86-64-v3,"
                            "x86-64-v4"),
                     "lists are for nnc compile --aot", 2);
  expectOneLineError(runNnc("compile " + M + " --target-cpu x86-64,x86-64-v3"),
                     "lists are for nnc compile --aot", 2);
  std::string Aot =
      "compile " + M + " --aot -o " + D.file("m") + " --batch 4 --target-cpu ";
  expectOneLineError(runNnc(Aot + "x86-64-v3,x86-64-v3"),
                     "'x86-64-v3' and 'x86-64-v3' need the same instruction "
                     "sets",
                     1);
  expectOneLineError(runNnc(Aot + "x86-64-v3,pentium-9000"),
                     "unknown target CPU 'pentium-9000'", 1);
  expectOneLineError(runNnc(Aot + "x86-64-v3,"),
                     "an empty name in the list 'x86-64-v3,'", 1);
  EXPECT_FALSE(std::filesystem::exists(D.file("m.o")));
}

TEST(Aot, PrefixesDifferingOnlyInCaseRefuseToShareOneProgram) {
  TempDir D;
  // Two different models (batch 4 and 8): their NET_* macros differ.
  for (const char *Prefix : {"Net", "net"})
    ASSERT_EQ(shell(tool() + " compile " + model("xor_mlp") + " --aot -o " +
                    D.file(Prefix) + " --batch " +
                    (Prefix[0] == 'N' ? "4" : "8")),
              0);
  writeText(D.file("both.c"), "#include \"Net.h\"\n#include \"net.h\"\n"
                              "int main(void) { return 0; }\n");
  std::string Cmd = "cc -c -I" + D.Path + " " + D.file("both.c") + " -o " +
                    D.file("both.o") + " 2>" + D.file("err");
  EXPECT_NE(std::system(Cmd.c_str()), 0);
  EXPECT_NE(readText(D.file("err"))
                .find("NET_* macros are defined already, differently, by the "
                      "header of another nnc model whose prefix differs from "
                      "'net' only in case"),
            std::string::npos)
      << readText(D.file("err"));
}

TEST(Aot, WeightsInASideFile) {
  TempDir D;
  ASSERT_EQ(shell(tool() + " compile " + model("lenet5") +
                  " --aot --prefix net -o " + D.file("net") +
                  " --weights-file"),
            0);
  std::string Defined;
  ASSERT_EQ(shell("nm -g --defined-only " + D.file("net.o"), &Defined), 0);
  EXPECT_EQ(Defined.find("net_weights"), std::string::npos) << Defined;
  EXPECT_GT(readText(D.file("net.weights")).size(), 240000u); // 61,706 floats
  ASSERT_EQ(shell("cc -O2 -I" + D.Path + " " +
                  source("tests/tools/aot/weights_file.c") + " " +
                  D.file("net.o") + " -lm -o " + D.file("app")),
            0);
  std::string Out;
  ASSERT_EQ(shell(D.file("app") + " " + D.file("net.weights"), &Out), 0);
  expectClose(numbers(Out), jitPattern("lenet5"));
}

TEST(Aot, InferNextToTrainStepKeepsInferenceSemantics) {
  // convbn has BatchNorm and dropout: compiled with train_step, infer must
  // still use the running statistics and keep every activation.
  TempDir D;
  ASSERT_EQ(shell(tool() + " compile " + model("convbn") +
                  " --aot --prefix cb -o " + D.file("cb") +
                  " --entry infer,train_step"),
            0);
  ASSERT_EQ(shell("cc -O2 -I" + D.Path +
                  " -DMODEL_HEADER='\"cb.h\"' -DP=cb"
                  " -DIN_ELEMENTS=CB_INFER_IN_IMAGE_ELEMENTS"
                  " -DOUT_ELEMENTS=CB_INFER_OUT_LOGITS_ELEMENTS " +
                  source("tests/tools/aot/infer_pattern.c") + " " +
                  D.file("cb.o") + " -lm -o " + D.file("app")),
            0);
  std::string Out;
  ASSERT_EQ(shell(D.file("app"), &Out), 0);
  expectClose(numbers(Out), jitPattern("convbn"));
}

TEST(Aot, TrainStepObjectMatchesTheJitAfter100Steps) {
  TempDir D;
  ASSERT_EQ(shell(tool() + " compile " + model("lenet5") +
                  " --aot --prefix lenet5t -o " + D.file("lenet5t") +
                  " --entry infer,train_step --batch 8 --threads 2"),
            0);
  ASSERT_EQ(shell("cc -O2 -I" + D.Path + " " +
                  source("tests/tools/aot/train_steps.c") + " " +
                  D.file("lenet5t.o") + " -lm -lpthread -o " + D.file("app")),
            0);
  ASSERT_EQ(shell(D.file("app") + " " + D.file("state.bin")), 0);
  std::string State = readText(D.file("state.bin"));

  // The same 100 steps through the JIT.
  Expected<Graph> G = frontend::loadModel(model("lenet5"));
  ASSERT_OK(G);
  ASSERT_OK(passes::buildTrainStep(*G));
  backend::PersistentLayout L = backend::layoutPersistent(*G);
  ASSERT_EQ(State.size(), L.Bytes);
  auto J = makeEngine(*G, backend::EngineKind::Jit, 2);
  const int N = 8, Pix = 784;
  for (int Step = 1; Step <= 100; ++Step) {
    Tensor Image(DType::F32, {N, 1, 28, 28}), Label(DType::I64, {N});
    for (int I = 0; I < N * Pix; ++I)
      Image.Data[size_t(I)] = double(float((I * 7 + Step * 13) % 97) / 97.0f);
    for (int I = 0; I < N; ++I)
      Label.Data[size_t(I)] = double((I * 3 + Step) % 10);
    interp::Options O;
    O.Training = true;
    O.Seed = uint64_t(Step);
    auto Out = J->run("train_step",
                      {{"image", Image},
                       {"label", Label},
                       {"train.lr", tensor({}, {double(1e-3f)})},
                       {"train.weight_decay", tensor({}, {0.0})},
                       {"train.step", tensor({}, {double(Step)})}},
                      O);
    ASSERT_OK(Out);
  }
  for (const auto &[V, Offset] : L.Offset) {
    std::vector<double> Want = J->read(V);
    std::vector<double> Got(Want.size());
    for (size_t I = 0; I < Got.size(); ++I) {
      float F;
      std::memcpy(&F, State.data() + Offset + 4 * I, 4);
      Got[I] = F;
    }
    SCOPED_TRACE(V->Name);
    expectClose(Got, Want, 1e-4);
  }
}

TEST(Aot, DataParallelTrainStepTakesTheAppsCollective) {
  // --ranks 2: the object averages its gradients through the collective
  // the app passes in nnc_exec; an app standing in for two ranks with the
  // same batches ends with the single-process object's state, bit for bit.
  // The object still links with libm and libpthread alone: no MPI.
  TempDir D;
  std::string States[2];
  for (int Ranks : {1, 2}) {
    std::string Dir = D.file("ranks" + std::to_string(Ranks));
    ASSERT_EQ(shell("mkdir -p " + Dir), 0);
    ASSERT_EQ(shell(tool() + " compile " + model("lenet5") +
                    " --aot --prefix lenet5t -o " + Dir +
                    "/lenet5t --entry train_step --batch 8 --threads 2"
                    " --ranks " +
                    std::to_string(Ranks)),
              0);
    ASSERT_EQ(shell("cc -O2 -I" + Dir + (Ranks == 2 ? " -DTWIN_RANKS " : " ") +
                    source("tests/tools/aot/train_steps.c") + " " + Dir +
                    "/lenet5t.o -lm -lpthread -o " + Dir + "/app"),
              0);
    ASSERT_EQ(shell(Dir + "/app " + Dir + "/state.bin"), 0);
    States[Ranks - 1] = readText(Dir + "/state.bin");
  }
  ASSERT_FALSE(States[0].empty());
  EXPECT_TRUE(States[0] == States[1]);
}

TEST(Aot, HeadersCompileStrictlyWhateverTheTensorNames) {
  // Names that sanitize alike (fc1.w, fc1_w), a keyword and the header's
  // own parameter names, and two prefixes that differ only in case.
  Expected<Graph> G = frontend::loadModel(model("xor_mlp"));
  ASSERT_OK(G);
  G->findValue("x")->Name = "arena";
  G->findValue("prob")->Name = "int";
  G->findValue("fc1.b")->Name = "fc1_w";
  G->findValue("fc2.w")->Name = "state";
  TempDir D;
  ASSERT_OK(frontend::saveModel(*G, D.file("odd.json")));
  for (const char *Prefix : {"Odd", "odd"})
    ASSERT_EQ(shell(tool() + " compile " + D.file("odd.json") +
                    " --aot --entry infer,train_step --batch 4 -o " +
                    D.file(Prefix)),
              0);
  std::string Header = readText(D.file("odd.h"));
  EXPECT_NE(Header.find("ODD_STATE_FC1_W_OFFSET"), std::string::npos);
  EXPECT_NE(Header.find("ODD_STATE_FC1_W_2_OFFSET"), std::string::npos);
  writeText(D.file("both.c"), "#include \"Odd.h\"\n#include \"odd.h\"\n"
                              "int main(void) { return ODD_BATCH - 4; }\n");
  writeText(D.file("both.cpp"), readText(D.file("both.c")));
  ASSERT_EQ(shell("cc -std=c99 -pedantic -Wall -Wextra -Werror -I" + D.Path +
                  " -c " + D.file("both.c") + " -o " + D.file("c.o")),
            0);
  ASSERT_EQ(shell("c++ -std=c++11 -pedantic -Wall -Wextra -Werror -I" + D.Path +
                  " -c " + D.file("both.cpp") + " -o " + D.file("cpp.o")),
            0);
}

TEST(Aot, InferenceObjectsFromACheckpointCarryNoOptimizerState) {
  TempDir D;
  Expected<Graph> G = frontend::loadModel(model("xor_mlp"));
  ASSERT_OK(G);
  ASSERT_OK(frontend::saveModel(*G, D.file("plain.json")));
  // As a checkpoint carries it: Adam's slots next to the parameters.
  for (const char *Param : {"fc1.w", "fc2.w"}) {
    Value *P = G->findValue(Param);
    Value *S =
        G->addValue(std::string(Param) + ".exp_avg", Role::State, P->Type);
    S->DeclaredDims = P->DeclaredDims;
    S->Data = encode(std::vector<double>(size_t(P->Type.numElements()), 0.5),
                     P->Type.Elt);
  }
  ASSERT_OK(frontend::saveModel(*G, D.file("ckpt.json")));
  for (const char *Name : {"plain", "ckpt"})
    ASSERT_EQ(shell(tool() + " compile " + D.file(std::string(Name) + ".json") +
                    " --aot --batch 4 -o " + D.file(Name)),
              0);
  std::string Plain = readText(D.file("plain.h")),
              Ckpt = readText(D.file("ckpt.h"));
  EXPECT_EQ(Ckpt.find("EXP_AVG"), std::string::npos);
  auto StateBytes = [](const std::string &H, const std::string &P) {
    std::string Key = "#define " + P + "_STATE_BYTES ";
    size_t At = H.find(Key);
    if (At == std::string::npos)
      return std::string("none");
    At += Key.size();
    return H.substr(At, H.find('\n', At) - At);
  };
  EXPECT_EQ(StateBytes(Ckpt, "CKPT"), StateBytes(Plain, "PLAIN"));
  EXPECT_NE(StateBytes(Plain, "PLAIN"), "none");
}
