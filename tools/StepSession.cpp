#include "tools/StepSession.h"

#include "passes/TrainStep.h"

namespace nnc::tools {

using namespace nnc::ir;

Expected<std::unique_ptr<StepSession>>
StepSession::create(Graph Model, const std::string &Loss,
                    const OptimizerConfig &Optimizer, bool BatchStatistics,
                    const backend::EngineOptions &Engine) {
  if (!BatchStatistics) // a training-mode export's BatchNorm too
    NNC_TRY(passes::useRunningStatistics(Model));
  Value *L = Model.findValue(Loss);
  if (!L)
    return error("no value named '", Loss, "'");
  if (L->Type.numElements() != 1 || L->Type.Elt != DType::F32)
    return error("loss '", Loss, "' must be an f32 scalar, is ", L->Type.str());
  for (const auto &N : Model.nodes())
    if (N->Op == OpKind::Dropout)
      N->Attrs.set("ratio", 0.0);
  Model.Training = TrainingConfig();
  Model.Training->Loss = L;
  Model.Training->Optimizer = Optimizer;
  Expected<backend::TrainingGraph> T =
      backend::buildTrainingGraph(Model, BatchStatistics);
  if (!T.ok())
    return T.status();
  std::unique_ptr<StepSession> S(new StepSession());
  S->Training = std::move(*T);
  Expected<std::unique_ptr<backend::Engine>> E =
      backend::createEngine(S->Training.Graph, Engine);
  if (!E.ok())
    return E.status();
  S->Engine = std::move(*E);
  return S;
}

Expected<backend::TensorMap> StepSession::step(backend::TensorMap Batch) {
  const passes::TrainStep &TS = Training.Step;
  Batch[TS.Lr->Name] = backend::Tensor(DType::F32, {}, {TS.Optimizer.Lr});
  Batch[TS.WeightDecay->Name] =
      backend::Tensor(DType::F32, {}, {TS.Optimizer.WeightDecay});
  Batch[TS.Step->Name] = backend::Tensor(DType::F32, {}, {double(Steps + 1)});
  backend::RunOptions O;
  O.Training = true;
  Expected<backend::TensorMap> Out =
      Engine->run(passes::TrainStepName, Batch, O);
  if (!Out.ok())
    return Out.status().withPrefix("step " + std::to_string(Steps + 1));
  ++Steps;
  return Out;
}

backend::TensorMap StepSession::parameters() {
  backend::TensorMap P;
  for (Value *V : Training.Graph.valuesWithRole(Role::Parameter))
    if (V->Trainable)
      P[V->Name] =
          backend::Tensor(V->Type.Elt, V->DeclaredDims, Engine->read(V));
  return P;
}

} // namespace nnc::tools
