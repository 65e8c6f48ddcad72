//===- tools/DumpCommand.cpp - nnc dump -----------------------------------===//
#include "frontend/ModelIO.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "tools/Commands.h"

#include <iostream>

namespace nnc::tools {

const CommandSpec DumpSpec = {
    "dump",
    "MODEL [--dot] [--batch N]",
    "Prints a model's IR as text, or as a Graphviz graph with --dot.",
    {{"--dot", "", "print Graphviz DOT instead of IR text"},
     {"--batch", "N",
      "bind the batch dimension to N for the shapes shown "
      "(default 1)"}},
    1,
    1};

Status runDump(const Args &A) {
  Expected<ir::Graph> G = frontend::loadModel(A.positional()[0]);
  if (!G.ok())
    return G.status();
  Expected<int64_t> Batch = A.getInt("--batch", 1);
  if (!Batch.ok())
    return Batch.status();
  NNC_TRY(ir::inferShapes(*G, *Batch));
  if (A.has("--dot"))
    ir::printDot(*G, std::cout);
  else
    ir::printGraph(*G, std::cout);
  return Status::success();
}

} // namespace nnc::tools
