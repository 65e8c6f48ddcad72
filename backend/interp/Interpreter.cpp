#include "backend/interp/Interpreter.h"

#include "backend/interp/Kernels.h"
#include "ir/Initializers.h"
#include "ir/Verifier.h"

#include <cmath>

namespace nnc::interp {

using namespace nnc::ir;

SplitMix64 EvalContext::rngFor(const Node &N) const {
  uint64_t Seed = N.Attrs.has("seed") ? uint64_t(N.Attrs.getInt("seed")) : 0;
  // Mix the node id in so two dropouts with the same seed still differ.
  return SplitMix64(Seed * 0x9e3779b97f4a7c15ULL ^ Opts.Seed ^
                    (uint64_t(N.Id) << 32));
}

/// Set while the family files register their kernels.
static std::vector<EvalFn> *BuildingEvalTable = nullptr;

namespace {

const std::vector<EvalFn> &evalTable() {
  static const std::vector<EvalFn> Table = [] {
    std::vector<EvalFn> T(NumOpKinds, nullptr);
    BuildingEvalTable = &T;
    kernels::registerElementwise();
    kernels::registerActivation();
    kernels::registerContraction();
    kernels::registerPooling();
    kernels::registerNormalization();
    kernels::registerRecurrent();
    kernels::registerLayout();
    kernels::registerLoss();
    kernels::registerTraining();
    kernels::registerGradient();
    kernels::registerOptimizer();
    kernels::registerCollective();
    BuildingEvalTable = nullptr;
    return T;
  }();
  return Table;
}

} // namespace

void kernels::define(OpKind K, EvalFn F) {
  (*BuildingEvalTable)[size_t(K)] = F;
}

EvalFn evalFunction(OpKind K) { return evalTable()[size_t(K)]; }

Expected<Interpreter> Interpreter::create(Graph &G) {
  Interpreter I(G);
  for (const auto &V : G.values()) {
    if (!isStored(V->Kind))
      continue;
    Expected<std::vector<double>> Data = materialize(*V);
    if (!Data.ok())
      return Data.status();
    I.Stored[V.get()] = Tensor(V->Type.Elt, V->DeclaredDims, std::move(*Data));
  }
  return I;
}

Status bindBatch(Graph &G, const TensorMap &Inputs,
                 const std::vector<const Value *> &Fed) {
  Expected<int64_t> Batch =
      backend::feedBatch(backend::feedShapes(Inputs), Fed);
  if (!Batch.ok())
    return Batch.status();
  NNC_TRY(inferShapes(G, *Batch));
  return backend::checkFeedShapes(Inputs, Fed);
}

/// --check-numerics: an error when T holds NaN or infinity.
static Status checkFinite(const Tensor &T, const std::string &What) {
  if (T.Elt != DType::F32 && T.Elt != DType::F64)
    return Status::success();
  for (size_t I = 0; I < T.Data.size(); ++I)
    if (!std::isfinite(T.Data[I]))
      return error("--check-numerics: ", What, " holding ",
                   std::isnan(T.Data[I]) ? "NaN" : "infinity", " at element ",
                   I);
  return Status::success();
}

Expected<TensorMap>
Interpreter::evaluate(const std::vector<const Value *> &Wanted,
                      const TensorMap &Inputs, const Options &Opts) {
  // Only the nodes the wanted values depend on run, and only the fed values
  // they reach must be given (inference needs no labels).
  std::vector<const Value *> Fed;
  std::vector<const Node *> Needed = G->nodesReaching(Wanted, &Fed);
  NNC_TRY(bindBatch(*G, Inputs, Fed));

  std::map<const Value *, Tensor> Live;
  for (const Value *V : Fed) {
    Live[V] = Inputs.at(V->Name);
    if (Opts.CheckNumerics)
      NNC_TRY(checkFinite(Live[V], "input '" + V->Name + "'"));
  }
  EvalContext Ctx{Opts, Stored};
  std::vector<const Tensor *> Args;
  std::vector<Tensor> Results;
  for (const Node *N : Needed) {
    Args.clear();
    for (const Value *In : N->Inputs)
      Args.push_back(isStored(In->Kind) ? &Stored.at(In) : &Live.at(In));
    Results.clear();
    for (const Value *Out : N->Outputs)
      Results.emplace_back(Out->Type.Elt, Out->Type.Dims);
    NNC_TRY(
        evalFunction(N->Op)(*N, Ctx, Args, Results).withPrefix(N->describe()));
    for (size_t I = 0; I < N->Outputs.size() && Opts.CheckNumerics; ++I)
      NNC_TRY(checkFinite(Results[I], N->describe() + " wrote tensor '" +
                                          N->Outputs[I]->Name + "'"));
    for (size_t I = 0; I < N->Outputs.size(); ++I)
      Live[N->Outputs[I]] = std::move(Results[I]);
  }
  TensorMap Out;
  for (const Value *V : Wanted)
    Out[V->Name] = isStored(V->Kind) ? Stored.at(V) : Live.at(V);
  return Out;
}

Expected<TensorMap> Interpreter::run(const std::string &Entry,
                                     const TensorMap &Inputs,
                                     const Options &Opts) {
  Expected<const EntryPoint *> EOr =
      backend::findEntry(*G, Entry, backend::feedShapes(Inputs));
  if (!EOr.ok())
    return EOr.status();
  const EntryPoint *E = *EOr;
  std::vector<const Value *> Wanted(E->Outputs.begin(), E->Outputs.end());
  for (const Update &U : E->Updates)
    Wanted.push_back(U.NewValue);
  Expected<TensorMap> Results = evaluate(Wanted, Inputs, Opts);
  if (!Results.ok())
    return Results.status();
  // Updates land after the whole step, so every node saw the old values.
  // Stored tensors keep their dtype's precision, as compiled code will and as
  // a checkpoint does: a resumed run then continues bit for bit.
  for (const Update &U : E->Updates) {
    std::vector<double> &Dst = Stored.at(U.Target).Data;
    Dst = Results->at(U.NewValue->Name).Data;
    if (U.Target->Type.Elt == DType::F32)
      for (double &X : Dst)
        X = double(float(X));
  }
  TensorMap Out;
  for (const Value *V : E->Outputs) // copies: an output may be listed twice
    Out[V->Name] = Results->at(V->Name);
  return Out;
}

} // namespace nnc::interp
