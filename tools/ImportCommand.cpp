//===- tools/ImportCommand.cpp - nnc import -------------------------------===//
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "frontend/onnx/Onnx.h"
#include "tools/Commands.h"

#include <cstdio>

namespace nnc::tools {

const CommandSpec ImportSpec = {
    "import",
    "MODEL.onnx -o OUT.nnc [--bind NAME=FILE.pb ...]",
    "Imports an ONNX model (opset 1 to 17) as an nnc model (.nnc or .json).\n"
    "Initializers become trainable parameters. Every unsupported op and\n"
    "attribute in the file is listed at once. nnc run, info and dump also\n"
    "read .onnx files directly. An input whose value fixes a shape (a\n"
    "Reshape's target shape, a reduction's axes) must be bound with --bind;\n"
    "it becomes a constant.",
    {{"-o", "OUT", "the model to write"},
     {"--bind", "NAME=FILE.pb",
      "the value of graph input NAME, an ONNX TensorProto file", true}},
    1,
    1};

Status runImport(const Args &A) {
  if (!A.has("-o"))
    return usageError("nnc import: -o OUT is required");
  const std::string &Path = A.positional()[0];
  frontend::OnnxBindings Bind;
  for (const std::string &B : A.getAll("--bind")) {
    size_t Eq = B.find('=');
    if (Eq == std::string::npos || Eq == 0)
      return usageError("nnc import: --bind expects NAME=FILE.pb, found '", B,
                        "'");
    Expected<frontend::OnnxTensor> T =
        frontend::readOnnxTensor(B.substr(Eq + 1));
    if (!T.ok())
      return T.status().withPrefix("nnc import: --bind " + B.substr(0, Eq));
    Bind[B.substr(0, Eq)] = std::move(*T);
  }
  Expected<std::vector<uint8_t>> Bytes =
      Bind.empty() ? std::vector<uint8_t>() : frontend::readFile(Path);
  if (!Bytes.ok())
    return Bytes.status();
  Expected<ir::Graph> G = Bind.empty()
                              ? frontend::loadModel(Path)
                              : frontend::importOnnx(*Bytes, Path, Bind);
  if (!G.ok())
    return G.status();
  NNC_TRY(frontend::saveModel(*G, A.get("-o")));
  std::printf("wrote %s (%zu nodes)\n", A.get("-o").c_str(), G->nodes().size());
  return Status::success();
}

} // namespace nnc::tools
