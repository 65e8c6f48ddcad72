//===- tools/Commands.h - The nnc subcommands -------------------*- C++ -*-===//
#pragma once

#include "tools/Args.h"

namespace nnc::tools {

struct Command {
  const CommandSpec &Spec;
  /// Returns the process exit code; errors come back as a Status.
  Status (*Run)(const Args &A);
};

extern const CommandSpec InfoSpec, DumpSpec, ConvertSpec, RunSpec, TrainSpec,
    EvalSpec, GradcheckSpec, ImportSpec, OnnxTestSpec, CompileSpec, BenchSpec,
    GradSpec, StepSpec, PlotSpec, ExportSpec;
Status runInfo(const Args &A);
Status runDump(const Args &A);
Status runConvert(const Args &A);
Status runRun(const Args &A);
Status runTrain(const Args &A);
Status runEval(const Args &A);
Status runGradcheck(const Args &A);
Status runImport(const Args &A);
Status runCompile(const Args &A);
Status runBench(const Args &A);
Status runGrad(const Args &A);
Status runStep(const Args &A);
Status runOnnxTest(const Args &A);
Status runPlot(const Args &A);
Status runExport(const Args &A);

/// The nnc command line (Argv[0] is the program): runs the subcommand
/// Argv[1] names and returns the exit status (2: a usage mistake).
int runCli(int Argc, char **Argv);

} // namespace nnc::tools
