#include "passes/EntryGraphs.h"

#include "ir/Verifier.h"
#include "passes/TrainStep.h"

namespace nnc::passes {

using namespace nnc::ir;

Expected<EntryGraphs> prepareEntries(Graph &G,
                                     const std::vector<std::string> &Names,
                                     int64_t Batch, StepObserver *Obs) {
  EntryGraphs R;
  for (const std::string &Name : Names)
    R.WantsTraining |= Name == TrainStepName;
  R.Inference = G.clone();
  NNC_TRY(inferShapes(R.Inference, Batch));
  if (R.WantsTraining) {
    Expected<TrainStep> TS = buildTrainStep(G, /*BatchStatistics=*/true, Obs);
    if (!TS.ok())
      return TS.status().withPrefix(TrainStepName);
  }
  NNC_TRY(inferShapes(G, Batch));
  for (const std::string &Name : Names) {
    bool Training = Name == TrainStepName;
    const Graph &From = Training ? G : R.Inference;
    const EntryPoint *E = From.findEntry(Name);
    if (!E) {
      std::string Known;
      for (const EntryPoint &X : G.EntryPoints)
        Known += (Known.empty() ? "" : ", ") + X.Name;
      if (!G.Training)
        Known += "; train_step is built from a training table, which this "
                 "model has not";
      return error("no entry point '", Name, "' (the model has: ", Known, ")");
    }
    R.Entries.push_back({E, E->Training});
  }
  return R;
}

} // namespace nnc::passes
