//===- tools/ConvertCommand.cpp - nnc convert -----------------------------===//
#include "frontend/ModelIO.h"
#include "tools/Commands.h"

#include <cstdio>

namespace nnc::tools {

const CommandSpec ConvertSpec = {
    "convert",
    "IN OUT",
    "Converts a model between FlatBuffers JSON (.json) and binary (.nnc).\n"
    "The input is verified first; the output is written atomically and holds\n"
    "the same content (flatc --json reads and writes the same files).",
    {},
    2,
    2};

Status runConvert(const Args &A) {
  const std::string &In = A.positional()[0], &Out = A.positional()[1];
  NNC_TRY(frontend::convertModel(In, Out));
  std::printf("wrote %s\n", Out.c_str());
  return Status::success();
}

} // namespace nnc::tools
