//===- tools/PlotCommand.cpp - nnc plot -----------------------------------===//
//
// Draws an nnc train --log file with Debian's matplotlib: Python's plotting
// is what users of PyTorch and Keras read curves with, and nnc need not
// carry a renderer of its own.
//
//===----------------------------------------------------------------------===//
#include "tools/Commands.h"

#include <cstdio>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

namespace nnc::tools {

extern const char *const PlotScript;

const CommandSpec PlotSpec = {
    "plot",
    "LOG -o OUT.png|OUT.svg",
    "Draws the loss and accuracy curves of an nnc train --log file (CSV or\n"
    "JSON Lines) against the step: training, validation and test. Needs\n"
    "Debian's python3-matplotlib (scripts/setup.sh installs it).",
    {{"-o", "OUT", "the picture to write, .png or .svg"}},
    1,
    1};

namespace {

/// Debian's interpreter, which its python3-matplotlib is installed for.
constexpr const char *Python = "/usr/bin/python3";

/// Runs Python with Args; its exit status, or -1 when it could not start.
int runPython(std::vector<std::string> Args) {
  Args.insert(Args.begin(), Python);
  std::vector<char *> Argv;
  for (std::string &A : Args)
    Argv.push_back(A.data());
  Argv.push_back(nullptr);
  pid_t Pid;
  if (posix_spawn(&Pid, Python, nullptr, nullptr, Argv.data(), environ) != 0)
    return -1;
  int Status = 0;
  if (waitpid(Pid, &Status, 0) < 0 || !WIFEXITED(Status))
    return -1;
  return WEXITSTATUS(Status);
}

} // namespace

Status runPlot(const Args &A) {
  const std::string &Log = A.positional()[0];
  if (!A.has("-o"))
    return usageError("nnc plot: -o OUT.png or OUT.svg is required");
  std::string Out = A.get("-o");
  std::string Format = std::filesystem::path(Out).extension().string();
  if (Format != ".png" && Format != ".svg")
    return usageError("nnc plot: -o ", Out,
                      ": the extension says the format, .png or .svg");
  if (!Log.ends_with(".csv") && !Log.ends_with(".jsonl"))
    return usageError("nnc plot: ", Log,
                      " is not a log of nnc train --log (.csv or .jsonl)");
  if (!std::filesystem::is_regular_file(Log))
    return error(Log, ": cannot open");
  if (runPython({"-c", "import matplotlib"}) != 0)
    return error("nnc plot draws with Debian's python3-matplotlib, which ",
                 Python,
                 " cannot import: install it (apt-get install "
                 "python3-matplotlib, or bash scripts/setup.sh)");
  if (runPython({"-c", PlotScript, Log, Out, Format.substr(1)}) != 0)
    return error(Log, ": drawing it failed (the lines above say why); ", Out,
                 " is not written");
  std::printf("wrote %s\n", Out.c_str());
  return Status::success();
}

} // namespace nnc::tools
