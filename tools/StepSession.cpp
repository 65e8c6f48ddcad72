#include "tools/StepSession.h"

#include "ir/Initializers.h"
#include "passes/TrainStep.h"
#include "tools/ModelChecks.h"

namespace nnc::tools {

using namespace nnc::ir;

Expected<Value *> prepareLoss(Graph &G, const std::string &Loss,
                              bool BatchStatistics) {
  if (!BatchStatistics) // a training-mode export's BatchNorm too
    NNC_TRY(passes::useRunningStatistics(G));
  Value *L = G.findValue(Loss);
  if (!L)
    return error("no value named '", Loss, "'", scalarNames(G));
  if (L->Type.numElements() != 1 || L->Type.Elt != DType::F32)
    return error("loss '", L->Name, "' must be an f32 scalar, is ",
                 L->Type.str());
  for (const auto &N : G.nodes())
    if (N->Op == OpKind::Dropout)
      N->Attrs.set("ratio", 0.0);
  return L;
}

Graph withTrainedValues(const Graph &Base, const Graph &Trained,
                        backend::Engine &Engine) {
  Graph C = Base.clone();
  for (const auto &V : Trained.values()) {
    if (!isStored(V->Kind) || V->Kind == Role::Constant)
      continue;
    Value *Dst = C.findValue(V->Name);
    if (!Dst) { // optimizer state: carried along for --resume
      Dst = C.addValue(V->Name, Role::State, V->Type);
      Dst->DeclaredDims = V->DeclaredDims;
    }
    Dst->Data = encode(Engine.read(V.get()), V->Type.Elt);
  }
  return C;
}

Expected<std::unique_ptr<StepSession>>
StepSession::create(Graph Model, const std::string &Loss,
                    const OptimizerConfig &Optimizer, bool BatchStatistics,
                    const backend::EngineOptions &Engine) {
  Expected<Value *> L = prepareLoss(Model, Loss, BatchStatistics);
  if (!L.ok())
    return L.status();
  Model.Training = TrainingConfig();
  Model.Training->Loss = *L;
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
