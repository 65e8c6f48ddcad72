//===- tools/ExportCommand.cpp - nnc export -------------------------------===//
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "frontend/onnx/OnnxExport.h"
#include "tools/Commands.h"
#include "tools/ModelChecks.h"

#include <cstdio>

namespace nnc::tools {

const CommandSpec ExportSpec = {
    "export",
    "MODEL -o OUT.onnx [--opset N] [--fold-batchnorm] [--entry NAME]",
    "Writes a model's inference entry point, with its current (trained)\n"
    "values, as an ONNX model that any ONNX runtime serves. What ONNX cannot\n"
    "express is named, and nothing is written.",
    {{"-o", "OUT.onnx", "the ONNX file to write"},
     {"--opset", "N", "the ONNX opset, 13 to 17 (default 13)"},
     {"--fold-batchnorm", "",
      "fold each inference BatchNorm into the conv before it"},
     {"--entry", "NAME", "the entry point (default infer)"}},
    1,
    1};

Status runExport(const Args &A) {
  const std::string &Path = A.positional()[0];
  if (!A.has("-o"))
    return usageError("nnc export: -o OUT.onnx is required");
  frontend::OnnxExportOptions O;
  Expected<int64_t> Opset = A.getInt("--opset", 13);
  if (!Opset.ok())
    return Opset.status();
  if (*Opset < 13 || *Opset > 17)
    return usageError("nnc export: --opset must be 13 to 17, found ", *Opset);
  O.Opset = *Opset;
  O.FoldBatchNorm = A.has("--fold-batchnorm");
  O.Entry = A.get("--entry", "infer");
  Expected<ir::Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();
  NNC_TRY(refuseNonFinite(*G, Path, "exported"));
  Expected<std::vector<uint8_t>> Bytes = frontend::exportOnnx(*G, O, Path);
  if (!Bytes.ok())
    return Bytes.status();
  std::string Out = A.get("-o");
  NNC_TRY(frontend::writeFileAtomically(Out, Bytes->data(), Bytes->size()));
  std::printf("wrote %s (opset %lld, %zu bytes)\n", Out.c_str(),
              (long long)O.Opset, Bytes->size());
  return Status::success();
}

} // namespace nnc::tools
