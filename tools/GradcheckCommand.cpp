//===- tools/GradcheckCommand.cpp - nnc gradcheck -------------------------===//
//
// Derives d loss / d parameter for every trainable parameter and compares it
// with central differences in double precision on random inputs, as the
// training step sees them (dropout masks fixed by the seed, BatchNorm on
// batch statistics).
//
//===----------------------------------------------------------------------===//
#include "backend/interp/Interpreter.h"
#include "frontend/ModelIO.h"
#include "ir/Initializers.h"
#include "ir/Verifier.h"
#include "passes/Autodiff.h"
#include "passes/TrainStep.h"
#include "tools/Commands.h"
#include "tools/DataFeed.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nnc::tools {

using namespace nnc::ir;
using backend::Tensor;

const CommandSpec GradcheckSpec = {
    "gradcheck",
    "MODEL [--batch B] [--samples K] [--seed S] [--eval-mode]",
    "Compares the derived gradient of every trainable parameter with central\n"
    "finite differences (double precision, random inputs) and prints the\n"
    "worst relative error per tensor: max |derived - numeric| over\n"
    "max |numeric|. Exits 1 if any exceeds --tolerance.",
    {{"--batch", "B", "examples in the random batch (default 2)"},
     {"--samples", "K", "elements checked per tensor, 0 for all (default 24)"},
     {"--seed", "S", "seed of the inputs and dropout masks (default 0)"},
     {"--step", "H", "finite-difference step (default 1e-6)"},
     {"--tolerance", "X", "largest accepted relative error (default 1e-6)"},
     {"--eval-mode", "", "differentiate inference semantics instead"}},
    1,
    1};

namespace {

/// Random inputs in [0, 1); class labels below the logits' width.
backend::TensorMap randomFeed(const std::vector<Value *> &Fed,
                              const Value *Loss, int64_t Batch,
                              SplitMix64 &Rng) {
  backend::TensorMap Feed;
  for (const Value *V : Fed) {
    Shape Dims = V->DeclaredDims;
    Dims[0] = Batch;
    Tensor T(V->Type.Elt, Dims);
    int64_t Classes = V->Kind == Role::Label && isInteger(V->Type.Elt)
                          ? Loss->Producer->Inputs[0]->Type.Dims.back()
                          : 0;
    for (double &X : T.Data)
      X = Classes                  ? double(Rng.next() % uint64_t(Classes))
          : V->Kind == Role::Label ? double(Rng.next() % 2)
                                   : Rng.uniform();
    Feed[V->Name] = std::move(T);
  }
  return Feed;
}

/// What a central difference needs: the loss entry, its feed, the step.
struct Probe {
  interp::Interpreter &I;
  const backend::TensorMap &Feed;
  const backend::RunOptions &Opts;
  std::string LossName;
  double H;
};

/// Compares Grad, the derived gradient of P, with central differences on
/// Samples elements (all if <= 0), prints the parameter's row and returns
/// the worst relative error, or -1 for a gradient that vanishes.
Expected<double> worstRelativeError(Probe &C, const Value &P,
                                    const Tensor &Grad, int64_t Samples,
                                    SplitMix64 &Rng) {
  std::vector<double> &W = C.I.stored(&P).Data;
  int64_t N = int64_t(W.size());
  int64_t Count = Samples <= 0 ? N : std::min(N, Samples);
  double Worst = 0, Scale = 0, Largest = 0, LossValue = 0;
  std::vector<std::pair<double, double>> Pairs;
  for (int64_t K = 0; K < Count; ++K) {
    int64_t E = Count == N ? K : int64_t(Rng.next() % uint64_t(N));
    double Saved = W[size_t(E)], L[2];
    for (int S = 0; S < 2; ++S) {
      W[size_t(E)] = Saved + (S ? -C.H : C.H);
      Expected<backend::TensorMap> Out =
          C.I.run("gradcheck.loss", C.Feed, C.Opts);
      if (!Out.ok())
        return Out.status();
      L[S] = Out->at(C.LossName).Data[0];
    }
    W[size_t(E)] = Saved;
    LossValue = std::max(LossValue, std::fabs(L[0]));
    double Numeric = (L[0] - L[1]) / (2 * C.H);
    Pairs.push_back({Grad.Data[size_t(E)], Numeric});
    Scale = std::max(Scale, std::fabs(Numeric));
    Largest = std::max(
        {Largest, std::fabs(Numeric), std::fabs(Grad.Data[size_t(E)])});
  }
  std::printf("%-24s %-16s %8lld", P.Name.c_str(),
              shapeString(P.Type.Dims).c_str(), (long long)Count);
  // Rounding in the loss makes central differences noisy at about
  // eps * |loss| / h; a gradient below that (a conv bias feeding a
  // training-mode BatchNorm is exactly 0) has no meaningful relative error.
  double Noise = 64 * 2.2e-16 * std::max(LossValue, 1.0) / C.H;
  if (Largest < Noise) {
    std::printf(" %14s\n", "0 (vanishes)");
    return -1.0;
  }
  for (auto [Got, Want] : Pairs)
    Worst = std::max(Worst, std::fabs(Got - Want) / std::max(Scale, Noise));
  return Worst;
}

} // namespace

Status runGradcheck(const Args &A) {
  Expected<int64_t> Batch = A.getInt("--batch", 2),
                    Samples = A.getInt("--samples", 24),
                    Seed = A.getInt("--seed", 0);
  for (auto *E : {&Batch, &Samples, &Seed})
    if (!E->ok())
      return E->status();
  double H = A.has("--step") ? std::atof(A.get("--step").c_str()) : 1e-6;
  double Tol =
      A.has("--tolerance") ? std::atof(A.get("--tolerance").c_str()) : 1e-6;
  if (*Batch < 1 || !(H > 0))
    return usageError("nnc gradcheck: --batch must be >= 1 and --step > 0");
  const std::string &Path = A.positional()[0];
  Expected<Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();
  if (!G->Training)
    return error(Path, ": the model has no training table naming its loss");
  bool Training = !A.has("--eval-mode");
  std::vector<Update> Ignored;
  if (Training)
    NNC_TRY(passes::lowerForTraining(*G, Ignored));
  Value *Loss = G->Training->Loss;
  Expected<DataBinding> B = bindData(*G, Loss);
  if (!B.ok())
    return B.status().withPrefix(Path);
  std::vector<Value *> Params;
  for (Value *P : G->valuesWithRole(Role::Parameter))
    if (P->Trainable)
      Params.push_back(P);
  Expected<passes::AutodiffResult> D = passes::differentiate(*G, Loss, Params);
  if (!D.ok())
    return D.status().withPrefix(Path);
  std::vector<Value *> Fed = {G->values()[size_t(B->Features->Id)].get(),
                              G->values()[size_t(B->Target->Id)].get()};
  std::vector<Value *> GradOuts;
  for (Value *P : Params)
    if (D->Grads.count(P))
      GradOuts.push_back(D->Grads.at(P));
  G->EntryPoints.push_back({"gradcheck.loss", Fed, {Loss}, {}});
  G->EntryPoints.push_back({"gradcheck.grads", Fed, GradOuts, {}});
  NNC_TRY(verify(*G).withPrefix(Path));
  Expected<interp::Interpreter> I = interp::Interpreter::create(*G);
  if (!I.ok())
    return I.status();

  SplitMix64 Rng{uint64_t(*Seed)};
  backend::TensorMap Feed = randomFeed(Fed, Loss, *Batch, Rng);
  backend::RunOptions Opts;
  Opts.Training = Training;
  Opts.Seed = uint64_t(*Seed);
  Expected<backend::TensorMap> Derived = I->run("gradcheck.grads", Feed, Opts);
  if (!Derived.ok())
    return Derived.status();

  std::printf("%-24s %-16s %8s %14s\n", "parameter", "shape", "checked",
              "worst rel err");
  bool Ok = true;
  for (Value *P : Params) {
    if (!D->Grads.count(P)) {
      std::printf("%-24s %-16s %8s %14s\n", P->Name.c_str(),
                  shapeString(P->Type.Dims).c_str(), "-", "(unused)");
      continue;
    }
    Probe Check{*I, Feed, Opts, Loss->Name, H};
    Expected<double> Worst = worstRelativeError(
        Check, *P, Derived->at(D->Grads.at(P)->Name), *Samples, Rng);
    if (!Worst.ok())
      return Worst.status();
    if (*Worst < 0)
      continue;
    Ok &= *Worst <= Tol;
    std::printf(" %14.3e%s\n", *Worst, *Worst <= Tol ? "" : "  MISMATCH");
  }
  if (!Ok)
    return error(Path,
                 ": a gradient differs from finite differences by more "
                 "than ",
                 Tol);
  std::printf("all gradients match finite differences (tolerance %g)\n", Tol);
  return Status::success();
}

} // namespace nnc::tools
