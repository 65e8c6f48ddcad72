//===- tools/ModelChecks.cpp - What the tools check in a model ------------===//
#include "tools/ModelChecks.h"
#include "ir/Initializers.h"

#include <cmath>
#include <cstdio>

namespace nnc::tools {

using namespace nnc::ir;

void warnIfBatchNormFolded(const Graph &G, const std::string &Path) {
  std::string Names;
  int Count = 0;
  for (const Value *V : G.valuesWithRole(Role::Parameter))
    if (V->Name.starts_with("onnx::Conv_") && V->Type.rank() > 1) {
      if (Count++ < 3)
        Names += (Names.empty() ? "'" : ", '") + V->Name + "'";
    }
  if (Count == 0)
    return;
  std::fprintf(stderr,
               "warning: %s: %d conv weight%s (%s%s) computed by "
               "torch.onnx.export, which folds each BatchNorm into the conv "
               "before it in eval mode; training trains the folded convs "
               "without BatchNorm (export with "
               "training=torch.onnx.TrainingMode.TRAINING to keep it)\n",
               Path.c_str(), Count, Count > 1 ? "s" : "", Names.c_str(),
               Count > 3 ? ", ..." : "");
}

const Value *firstNonFiniteTensor(const Graph &G) {
  for (const auto &V : G.values()) {
    if (!isStored(V->Kind) || V->Data.empty() ||
        (V->Type.Elt != DType::F32 && V->Type.Elt != DType::F64))
      continue;
    for (double X : decode(V->Data, V->Type.Elt))
      if (!std::isfinite(X))
        return V.get();
  }
  return nullptr;
}

Status refuseNonFinite(const Graph &G, const std::string &Path,
                       const char *Done) {
  if (const Value *V = firstNonFiniteTensor(G))
    return error(Path, ": tensor '", V->Name, "' holds NaN or infinity; ",
                 "the model is not ", Done);
  return Status::success();
}

namespace {
std::string listed(const char *What, const std::vector<std::string> &Names) {
  std::string Out = std::string(" (") + What + ": ";
  for (size_t I = 0; I < Names.size() && I < 20; ++I)
    Out += (I ? ", " : "") + Names[I];
  if (Names.size() > 20)
    Out += ", ...";
  return Out + (Names.empty() ? "none)" : ")");
}
} // namespace

std::string entryNames(const Graph &G) {
  std::vector<std::string> Names;
  for (const EntryPoint &E : G.EntryPoints)
    Names.push_back(E.Name);
  return listed("the model has", Names);
}

std::string inputNames(const std::vector<Value *> &Inputs) {
  std::vector<std::string> Names;
  for (const Value *V : Inputs)
    Names.push_back(V->Name);
  return listed("its inputs", Names);
}

std::string scalarNames(const Graph &G) {
  std::vector<std::string> Names;
  for (const auto &V : G.values())
    if (isComputed(V->Kind) && V->Type.Elt == DType::F32 &&
        V->Type.numElements() == 1)
      Names.push_back(V->Name);
  return listed("its computed f32 scalars", Names);
}

} // namespace nnc::tools
