//===- tools/nnc.cpp - The nnc command-line tool --------------------------===//
#include "tools/Commands.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>

using namespace nnc::tools;

namespace {

const Command Commands[] = {
    {InfoSpec, runInfo},           {DumpSpec, runDump},
    {ConvertSpec, runConvert},     {RunSpec, runRun},
    {TrainSpec, runTrain},         {EvalSpec, runEval},
    {GradcheckSpec, runGradcheck}, {ImportSpec, runImport},
    {OnnxTestSpec, runOnnxTest},   {CompileSpec, runCompile},
    {BenchSpec, runBench},         {GradSpec, runGrad},
    {StepSpec, runStep},
};

void printUsage(std::FILE *To) {
  std::fprintf(To, "usage: nnc COMMAND [ARGS]\n\n"
                   "A static compiler for neural networks.\n\ncommands:\n");
  for (const Command &C : Commands)
    std::fprintf(To, "  %-10s %s\n", C.Spec.Name.c_str(),
                 C.Spec.Summary.substr(0, C.Spec.Summary.find('\n')).c_str());
  std::fprintf(To, "\n'nnc COMMAND --help' describes a command.\n");
}

} // namespace

int main(int Argc, char **Argv) {
  if (Argc < 2) {
    printUsage(stderr);
    return 2;
  }
  std::string Name = Argv[1];
  if (Name == "--help" || Name == "-h" || Name == "help") {
    printUsage(stdout);
    return 0;
  }
  for (const Command &C : Commands) {
    if (C.Spec.Name != Name)
      continue;
    nnc::Expected<Args> A =
        Args::parse(C.Spec, std::vector<std::string>(Argv + 2, Argv + Argc));
    if (!A.ok()) {
      std::fprintf(stderr, "error: %s\n", A.message().c_str());
      return 2;
    }
    if (A->help()) {
      std::fputs(helpText(C.Spec).c_str(), stdout);
      return 0;
    }
    nnc::Status S;
    try {
      S = C.Run(*A);
    } catch (const std::bad_alloc &) {
      // A valid model can still be too large for this machine's memory.
      S = nnc::Status::failure("out of memory");
    } catch (const std::length_error &) {
      S = nnc::Status::failure("out of memory (a tensor is too large)");
    }
    if (!S.ok()) {
      std::fprintf(stderr, "error: %s\n", S.message().c_str());
      return S.isUsage() ? 2 : 1;
    }
    return 0;
  }
  std::fprintf(stderr, "error: unknown command '%s'\n", Name.c_str());
  printUsage(stderr);
  return 2;
}
