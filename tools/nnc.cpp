//===- tools/nnc.cpp - The nnc command-line tool --------------------------===//
#include "tools/Commands.h"

int main(int Argc, char **Argv) { return nnc::tools::runCli(Argc, Argv); }
