//===- tools/FoldedBatchNorm.cpp - Warn before training folded convs ------===//
#include "tools/FoldedBatchNorm.h"

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

} // namespace nnc::tools
