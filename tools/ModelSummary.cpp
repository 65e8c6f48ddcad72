#include "tools/ModelSummary.h"

#include "passes/TrainStep.h"

#include <cstdio>
#include <map>
#include <set>

namespace nnc::tools {

using namespace nnc::ir;

std::string grouped(int64_t N) {
  std::string S = std::to_string(N);
  for (int I = int(S.size()) - 3; I > (N < 0 ? 1 : 0); I -= 3)
    S.insert(size_t(I), ",");
  return S;
}

void printLayers(const Graph &G, const EntryPoint &E, std::FILE *To) {
  std::vector<const Value *> Wanted(E.Outputs.begin(), E.Outputs.end());
  std::fprintf(To, "layers of %s (output shapes at batch 1):\n",
               E.Name.c_str());
  std::fprintf(To, "  %-24s %-20s %-18s %12s %14s\n", "layer", "op", "output",
               "params", "FLOPs");
  std::set<const Value *> Counted; // a shared parameter counts once
  int64_t Params = 0, Flops = 0;
  for (const Node *N : G.nodesReaching(Wanted)) {
    int64_t Own = 0;
    for (const Value *In : N->Inputs)
      if (In && In->Kind == Role::Parameter && Counted.insert(In).second)
        Own += In->Type.numElements();
    int64_t F = N->info().Flops(*N);
    Params += Own;
    Flops += F;
    std::string Out = shapeString(N->Outputs[0]->Type.Dims);
    if (N->Outputs.size() > 1)
      Out += " +" + std::to_string(N->Outputs.size() - 1);
    std::string Op(N->opName()), OwnText = Own ? grouped(Own) : "",
                                 FlopText = grouped(F);
    std::fprintf(To, "  %-24s %-20s %-18s %12s %14s\n", N->Name.c_str(),
                 Op.c_str(), Out.c_str(), OwnText.c_str(), FlopText.c_str());
  }
  std::fprintf(To, "  %-24s %-20s %-18s %12s %14s\n", "total", "", "",
               grouped(Params).c_str(), grouped(Flops).c_str());
}

namespace {

/// name=value pairs of the hyper-parameters Kind has, in PyTorch's order.
std::string hyperParameters(const passes::ResolvedOptimizer &R) {
  auto Text = [](double V) {
    char Buf[32];
    std::snprintf(Buf, sizeof(Buf), "%g", V);
    return std::string(Buf);
  };
  auto Num = [&Text](const char *Name, double V) {
    return std::string(" ") + Name + "=" + Text(V);
  };
  auto Flag = [](const char *Name, bool V) {
    return std::string(" ") + Name + (V ? "=true" : "=false");
  };
  std::string S = Num("lr", R.Lr);
  switch (R.Kind) {
  case OptimizerKind::SGD:
  case OptimizerKind::Momentum:
  case OptimizerKind::Nesterov:
    S += Num("momentum", R.Momentum) + Num("dampening", R.Dampening) +
         Num("weight_decay", R.WeightDecay) + Flag("nesterov", R.Nesterov);
    break;
  case OptimizerKind::Adagrad:
    S += Num("lr_decay", R.LrDecay) + Num("weight_decay", R.WeightDecay) +
         Num("initial_accumulator_value", R.InitialAccumulatorValue) +
         Num("eps", R.Eps);
    break;
  case OptimizerKind::Adadelta:
    S += Num("rho", R.Rho) + Num("eps", R.Eps) +
         Num("weight_decay", R.WeightDecay);
    break;
  case OptimizerKind::RMSprop:
    S += Num("alpha", R.Alpha) + Num("eps", R.Eps) +
         Num("weight_decay", R.WeightDecay) + Num("momentum", R.Momentum) +
         Flag("centered", R.Centered);
    break;
  case OptimizerKind::Adam:
    S += " betas=(" + Text(R.Beta1) + ", " + Text(R.Beta2) + ")" +
         Num("eps", R.Eps) + Num("weight_decay", R.WeightDecay) +
         Flag("amsgrad", R.Amsgrad) +
         Flag("decoupled_weight_decay", R.Decoupled);
    break;
  }
  return S + Flag("maximize", R.Maximize);
}

} // namespace

void printTraining(const TrainingConfig &T, std::FILE *To) {
  std::fprintf(To, "training: loss %s, optimizer %s", T.Loss->Name.c_str(),
               std::string(optimizerName(T.Optimizer.Kind)).c_str());
  Expected<passes::ResolvedOptimizer> R = passes::resolveOptimizer(T.Optimizer);
  if (R.ok())
    std::fprintf(To, "%s", hyperParameters(*R).c_str());
  else
    std::fprintf(To, " (%s)", R.status().message().c_str());
  if (T.L1)
    std::fprintf(To, ", l1=%g", T.L1);
  if (T.L2)
    std::fprintf(To, ", l2=%g", T.L2);
  if (T.BatchSize)
    std::fprintf(To, ", batch %lld", (long long)T.BatchSize);
  std::fprintf(To, "\n");
  if (T.Step)
    std::fprintf(To, "checkpoint: %lld optimizer steps taken, seed %llu\n",
                 (long long)T.Step, (unsigned long long)T.Seed);
}

void printState(const Graph &G, std::FILE *To) {
  std::set<const Value *> Statistics; // BatchNorm's running mean and var
  for (const auto &N : G.nodes())
    if (N->Op == OpKind::BatchNorm || N->Op == OpKind::BatchNormTrain)
      for (size_t I = 3; I < 5 && I < N->Inputs.size(); ++I)
        Statistics.insert(N->Inputs[I]);
  // What each state tensor is -> (tensors, values).
  std::map<std::string, std::pair<int64_t, int64_t>> Groups;
  int64_t Total = 0;
  for (const auto &V : G.values()) {
    if (V->Kind != Role::State)
      continue;
    std::string What = "other";
    size_t Dot = V->Name.rfind('.');
    if (Statistics.count(V.get()))
      What = "BatchNorm running statistics";
    else if (Dot != std::string::npos && G.findValue(V->Name.substr(0, Dot)))
      What = "optimizer slot " + V->Name.substr(Dot + 1);
    auto &[Tensors, Values] = Groups[What];
    ++Tensors;
    Values += V->Type.numElements();
    Total += V->Type.numElements();
  }
  if (!Total)
    return;
  std::fprintf(To, "state: %s values\n", grouped(Total).c_str());
  for (const auto &[What, Count] : Groups)
    std::fprintf(To, "  %-36s %12s values in %lld tensors\n", What.c_str(),
                 grouped(Count.second).c_str(), (long long)Count.first);
}

} // namespace nnc::tools
