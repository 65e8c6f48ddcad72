//===- tools/ImportCommand.cpp - nnc import -------------------------------===//
#include "frontend/ModelIO.h"
#include "tools/Commands.h"

#include <cstdio>

namespace nnc::tools {

const CommandSpec ImportSpec = {
    "import",
    "MODEL.onnx -o OUT.nnc",
    "Imports an ONNX model (opset 6 to 17) as an nnc model (.nnc or .json).\n"
    "Initializers become trainable parameters. Every unsupported op and\n"
    "attribute in the file is listed at once. nnc run, info and dump also\n"
    "read .onnx files directly.",
    {{"-o", "OUT", "the model to write"}},
    1,
    1};

Status runImport(const Args &A) {
  if (!A.has("-o"))
    return error("nnc import: -o OUT is required");
  Expected<ir::Graph> G = frontend::loadModel(A.positional()[0]);
  if (!G.ok())
    return G.status();
  NNC_TRY(frontend::saveModel(*G, A.get("-o")));
  std::printf("wrote %s (%zu nodes)\n", A.get("-o").c_str(), G->nodes().size());
  return Status::success();
}

} // namespace nnc::tools
