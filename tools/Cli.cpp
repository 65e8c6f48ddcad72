//===- tools/Cli.cpp - The nnc command line: dispatch to a subcommand ----===//
#include "backend/Engine.h"
#include "tools/Commands.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>

namespace nnc::tools {

namespace {

const Command Commands[] = {
    {InfoSpec, runInfo},           {DumpSpec, runDump},
    {ConvertSpec, runConvert},     {RunSpec, runRun},
    {TrainSpec, runTrain},         {EvalSpec, runEval},
    {GradcheckSpec, runGradcheck}, {ImportSpec, runImport},
    {OnnxTestSpec, runOnnxTest},   {CompileSpec, runCompile},
    {BenchSpec, runBench},         {GradSpec, runGrad},
    {StepSpec, runStep},           {PlotSpec, runPlot},
    {ExportSpec, runExport},
};

/// A command's summary up to its first full stop, on lines of at most 80
/// columns after the command's name.
std::string firstSentence(const std::string &Summary) {
  std::string Text;
  for (char C : Summary)
    Text += C == '\n' ? ' ' : C;
  if (size_t Stop = Text.find(". "); Stop != std::string::npos)
    Text.resize(Stop + 1);
  while (!Text.empty() && Text.back() == ' ')
    Text.pop_back();
  std::string Out, Line;
  for (size_t At = 0; At < Text.size();) {
    size_t Space = Text.find(' ', At);
    std::string Word = Text.substr(At, Space - At);
    if (!Line.empty() && Line.size() + 1 + Word.size() > 66) {
      Out += Line + "\n             ";
      Line.clear();
    }
    Line += (Line.empty() ? "" : " ") + Word;
    At = Space == std::string::npos ? Text.size() : Space + 1;
  }
  return Out + Line;
}

void printUsage(std::FILE *To) {
  std::fprintf(To, "usage: nnc COMMAND [ARGS]\n\n"
                   "A static compiler for neural networks.\n\ncommands:\n");
  for (const Command &C : Commands)
    std::fprintf(To, "  %-10s %s\n", C.Spec.Name.c_str(),
                 firstSentence(C.Spec.Summary).c_str());
  std::fprintf(To, "\n'nnc help COMMAND' or 'nnc COMMAND --help' describes a "
                   "command; 'nnc --version' names this build.\n");
}

const Command *findCommand(const std::string &Name) {
  for (const Command &C : Commands)
    if (C.Spec.Name == Name)
      return &C;
  return nullptr;
}

} // namespace

int runCli(int Argc, char **Argv) {
  if (Argc < 2) {
    printUsage(stderr);
    return 2;
  }
  std::string Name = Argv[1];
  if (Name == "--version") {
    std::printf("nnc %s (%s)\n", NNC_VERSION,
                backend::toolchainDescription().c_str());
    return 0;
  }
  if (Name == "help" && Argc > 2) {
    const Command *C = findCommand(Argv[2]);
    if (!C) {
      std::fprintf(stderr, "error: unknown command '%s'\n", Argv[2]);
      printUsage(stderr);
      return 2;
    }
    std::fputs(helpText(C->Spec).c_str(), stdout);
    return 0;
  }
  if (Name == "--help" || Name == "-h" || Name == "help") {
    printUsage(stdout);
    return 0;
  }
  for (const Command &C : Commands) {
    if (C.Spec.Name != Name)
      continue;
    Expected<Args> A =
        Args::parse(C.Spec, std::vector<std::string>(Argv + 2, Argv + Argc));
    if (!A.ok()) {
      std::fprintf(stderr, "error: %s\n", A.message().c_str());
      return 2;
    }
    if (A->help()) {
      std::fputs(helpText(C.Spec).c_str(), stdout);
      return 0;
    }
    Status S;
    try {
      S = C.Run(*A);
    } catch (const std::bad_alloc &) {
      // A valid model can still be too large for this machine's memory.
      S = Status::failure("out of memory");
    } catch (const std::length_error &) {
      S = Status::failure("out of memory (a tensor is too large)");
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

} // namespace nnc::tools
