#include "ir/Verifier.h"

#include "ir/Initializers.h"

#include <algorithm>
#include <map>
#include <set>

namespace nnc::ir {
namespace {

std::string tensorRef(const Value *V) { return "tensor '" + V->Name + "'"; }

/// Checks one attribute against its spec, widening int to float (and ints to
/// floats) since model files often write 1 for 1.0.
Status checkAttr(const Node &N, const AttrSpec &Spec, AttrValue &V) {
  AttrKind Want = attrKind(Spec.Default), Have = attrKind(V);
  if (Want == Have)
    return Status::success();
  if (Want == AttrKind::Float && Have == AttrKind::Int) {
    V = double(std::get<int64_t>(V));
    return Status::success();
  }
  if (Want == AttrKind::Floats && Have == AttrKind::Ints) {
    const auto &Is = std::get<std::vector<int64_t>>(V);
    V = std::vector<double>(Is.begin(), Is.end());
    return Status::success();
  }
  return error(N.describe(), ": attribute '", Spec.Name, "' must be ",
               attrKindName(Want), ", found ", attrKindName(Have), " ",
               attrValueString(V));
}

} // namespace

Status checkNode(Node &N) {
  const OpInfo &Info = N.info();
  int NumIn = int(N.Inputs.size());
  if (NumIn < Info.MinInputs || NumIn > Info.maxInputs()) {
    std::string Expected = Info.Variadic
                               ? "at least " + std::to_string(Info.MinInputs)
                           : Info.MinInputs == Info.maxInputs()
                               ? std::to_string(Info.MinInputs)
                               : std::to_string(Info.MinInputs) + " to " +
                                     std::to_string(Info.maxInputs());
    return error(N.describe(), ": expected ", Expected, " inputs, found ",
                 NumIn);
  }
  if (Info.NumOutputs >= 0 && int(N.Outputs.size()) != Info.NumOutputs)
    return error(N.describe(), ": expected ", Info.NumOutputs,
                 " outputs, found ", N.Outputs.size());
  for (size_t I = 0; I < N.Inputs.size(); ++I)
    if (!N.Inputs[I])
      return error(N.describe(), ": input ", I, " refers to no tensor");
  for (size_t I = 0; I < N.Outputs.size(); ++I)
    if (!N.Outputs[I])
      return error(N.describe(), ": output ", I, " refers to no tensor");

  Attributes Filled;
  for (const auto &[Name, V] : N.Attrs) {
    const AttrSpec *Spec = Info.findAttr(Name);
    if (!Spec) {
      std::string Known;
      for (const AttrSpec &A : Info.Attrs)
        Known += (Known.empty() ? "" : ", ") + A.Name;
      return error(N.describe(), ": unknown attribute '", Name, "' (",
                   Info.Name, " takes ", Known.empty() ? "none" : Known, ")");
    }
    AttrValue Copy = V;
    NNC_TRY(checkAttr(N, *Spec, Copy));
    Filled.set(Name, std::move(Copy));
  }
  for (const AttrSpec &Spec : Info.Attrs) {
    if (Filled.has(Spec.Name))
      continue;
    if (Spec.Required)
      return error(N.describe(), ": missing required attribute '", Spec.Name,
                   "'");
    Filled.set(Spec.Name, Spec.Default);
  }
  N.Attrs = std::move(Filled);
  return Status::success();
}

namespace {

Status checkValue(const Value &V) {
  if (isComputed(V.Kind)) {
    if (!V.Producer)
      return error(tensorRef(&V), " is an ", roleName(V.Kind),
                   " but no node produces it");
    return Status::success();
  }
  if (V.Producer)
    return error(tensorRef(&V), " has role ", roleName(V.Kind), " but ",
                 V.Producer->describe(), " writes it");
  for (size_t I = 0; I < V.DeclaredDims.size(); ++I) {
    int64_t D = V.DeclaredDims[I];
    bool BatchDim =
        I == 0 && D == -1 && (V.Kind == Role::Input || V.Kind == Role::Label);
    if (D <= 0 && !BatchDim)
      return error(tensorRef(&V), " has invalid dimension ", D, " in shape ",
                   shapeString(V.DeclaredDims),
                   " (only an input's first dimension may be -1)");
  }
  Shape Bound = V.DeclaredDims;
  for (int64_t &D : Bound)
    D = std::max<int64_t>(D, 1);
  if (!checkedNumElements(Bound))
    return error(tensorRef(&V), " has shape ", shapeString(V.DeclaredDims),
                 ": more than ", MaxElements, " elements");
  if (isStored(V.Kind)) {
    if (V.Data.empty() && V.Init.Kind == Initializer::Scheme::None)
      return error(tensorRef(&V), " (", roleName(V.Kind),
                   ") has neither data nor an initializer");
    using K = Initializer::Scheme;
    K Scheme = V.Init.Kind;
    if (V.Data.empty() && Scheme != K::None && Scheme != K::Zeros &&
        Scheme != K::Constant && Scheme != K::Uniform) {
      Expected<Fans> F = computeFans(V.DeclaredDims);
      if (!F.ok())
        return error(tensorRef(&V), ": initializer ", initSchemeName(Scheme),
                     " ", F.message());
    }
    if (Scheme == K::Uniform && !(V.Init.Low <= V.Init.High))
      return error(tensorRef(&V), ": uniform initializer needs low <= high");
    size_t Want = V.Type.bytes();
    if (!V.Data.empty() && V.Data.size() != Want)
      return error(tensorRef(&V), " has ", V.Data.size(),
                   " bytes of data, expected ", Want, " for ", V.Type.str());
  }
  return Status::success();
}

/// The input or label that Out depends on and Entry does not feed, or null.
const Value *unfedInput(const EntryPoint &E, const Value *Out) {
  std::set<const Value *> Fed(E.Inputs.begin(), E.Inputs.end());
  std::set<const Value *> Seen;
  std::vector<const Value *> Work = {Out};
  while (!Work.empty()) {
    const Value *V = Work.back();
    Work.pop_back();
    if (!Seen.insert(V).second)
      continue;
    if (V->Kind == Role::Input || V->Kind == Role::Label) {
      if (!Fed.count(V))
        return V;
      continue;
    }
    if (V->Producer)
      for (const Value *In : V->Producer->Inputs)
        Work.push_back(In);
  }
  return nullptr;
}

/// Every value that an output or update depends on must be fed by the entry
/// or stored.
Status checkReachable(const Graph &G, const EntryPoint &E) {
  std::vector<const Value *> Results(E.Outputs.begin(), E.Outputs.end());
  for (const Update &U : E.Updates)
    Results.push_back(U.NewValue);
  for (const Value *Out : Results) {
    const Value *V = unfedInput(E, Out);
    if (!V)
      continue;
    std::string Through = V == Out ? "" : " (for " + tensorRef(Out) + ")";
    // A loss marked OUTPUT lands in the inputs-to-outputs infer entry.
    std::string Fix =
        V->Kind != Role::Label ? ""
        : G.Training && G.Training->Loss == Out
            ? "; a loss is not a result of inference: give it role "
              "ACTIVATION (training.loss names it), or declare "
              "entry_points"
            : "; add it to the entry point's inputs, or return "
              "values that need no label";
    return error("entry point '", E.Name, "' needs ", tensorRef(V), Through,
                 " but does not take it as an input", Fix);
  }
  return Status::success();
}

Status checkEntryPoints(const Graph &G) {
  std::set<std::string> Names;
  for (const EntryPoint &E : G.EntryPoints) {
    if (!Names.insert(E.Name).second)
      return error("entry point '", E.Name, "' is defined twice");
    if (E.Outputs.empty())
      return error("entry point '", E.Name, "' has no outputs");
    for (const Value *V : E.Inputs)
      if (V->Kind != Role::Input && V->Kind != Role::Label)
        return error("entry point '", E.Name, "' takes ", tensorRef(V),
                     " as an input, but it is a ", roleName(V->Kind));
    for (const Update &U : E.Updates) {
      if (U.Target->Kind != Role::Parameter && U.Target->Kind != Role::State)
        return error("entry point '", E.Name, "' updates ", tensorRef(U.Target),
                     ", which is a ", roleName(U.Target->Kind),
                     ", not a parameter or state");
      if (!isComputed(U.NewValue->Kind) || U.NewValue->Type != U.Target->Type)
        return error("entry point '", E.Name, "' updates ", tensorRef(U.Target),
                     " (", U.Target->Type.str(), ") from ",
                     tensorRef(U.NewValue), " (", U.NewValue->Type.str(), ")");
    }
    NNC_TRY(checkReachable(G, E));
  }
  return Status::success();
}

Status checkTraining(const Graph &G) {
  if (!G.Training)
    return Status::success();
  const Value *Loss = G.Training->Loss;
  if (!Loss)
    return error("training: no loss tensor given");
  if (!isComputed(Loss->Kind) || !isFloat(Loss->Type.Elt) ||
      Loss->Type.numElements() != 1)
    return error("training: loss ", tensorRef(Loss),
                 " must be a computed floating-point scalar, found ",
                 roleName(Loss->Kind), " ", Loss->Type.str());
  if (G.Training->L1 < 0 || G.Training->L2 < 0)
    return error("training: l1 and l2 must be >= 0");
  if (G.Training->Optimizer.Lr && *G.Training->Optimizer.Lr < 0)
    return error("training: optimizer lr must be >= 0");
  return Status::success();
}

} // namespace

Status inferShapes(Graph &G, int64_t Batch) {
  if (Batch < 1)
    return error("batch size must be >= 1, found ", Batch);
  for (const auto &V : G.values()) {
    if (isComputed(V->Kind))
      continue;
    V->Type.Dims = V->DeclaredDims;
    for (int64_t &D : V->Type.Dims)
      if (D == -1)
        D = Batch;
    if (!checkedNumElements(V->Type.Dims))
      return error(tensorRef(V.get()), " at batch size ", Batch, " would have ",
                   "more than ", MaxElements, " elements");
  }
  std::vector<TensorType> In, Out;
  for (const auto &N : G.nodes()) {
    In.clear();
    Out.clear();
    for (const Value *V : N->Inputs)
      In.push_back(V->Type);
    NNC_TRY(N->info().Infer(*N, In, Out).withPrefix(N->describe()));
    if (Out.size() != N->Outputs.size())
      return error(N->describe(), ": expected ", Out.size(), " outputs, found ",
                   N->Outputs.size());
    for (size_t I = 0; I < N->Outputs.size(); ++I) {
      Value *V = N->Outputs[I];
      if (V->ShapeDeclared) {
        Shape Declared = V->DeclaredDims;
        if (!Declared.empty() && Declared[0] == -1)
          Declared[0] = Batch;
        if (Declared != Out[I].Dims)
          return error(N->describe(), ": output ", tensorRef(V),
                       " is declared ", shapeString(V->DeclaredDims),
                       " but the op computes ", shapeString(Out[I].Dims));
      }
      if (!checkedNumElements(Out[I].Dims))
        return error(N->describe(), ": output ", tensorRef(V), " would have ",
                     "shape ", shapeString(Out[I].Dims), ", more than ",
                     MaxElements, " elements");
      V->Type = Out[I];
    }
  }
  return Status::success();
}

namespace {

Expected<TensorType> typeAtBatch(const Value &V, int64_t Batch,
                                 std::map<const Value *, TensorType> &Known) {
  if (auto It = Known.find(&V); It != Known.end())
    return It->second;
  TensorType T = V.Type;
  if (!V.Producer) {
    T.Dims = V.DeclaredDims;
    for (int64_t &D : T.Dims)
      if (D == -1)
        D = Batch;
  } else {
    const Node &N = *V.Producer;
    std::vector<TensorType> In, Out;
    for (const Value *I : N.Inputs) {
      Expected<TensorType> IT = typeAtBatch(*I, Batch, Known);
      if (!IT.ok())
        return IT.status();
      In.push_back(*IT);
    }
    NNC_TRY(N.info().Infer(N, In, Out).withPrefix(N.describe()));
    for (size_t K = 0; K < N.Outputs.size() && K < Out.size(); ++K)
      Known[N.Outputs[K]] = Out[K];
    if (!Known.count(&V))
      return error(N.describe(), ": produces fewer outputs than it has");
    return Known.at(&V);
  }
  Known[&V] = T;
  return T;
}

} // namespace

Expected<Shape> dimsAtBatch(const Value &V, int64_t Batch) {
  std::map<const Value *, TensorType> Known;
  Expected<TensorType> T = typeAtBatch(V, Batch, Known);
  if (!T.ok())
    return T.status();
  return T->Dims;
}

Status verify(Graph &G) {
  std::set<std::string_view> Names;
  for (const auto &V : G.values()) {
    if (V->Name.empty())
      return error("tensor #", V->Id, " has no name");
    if (!Names.insert(V->Name).second)
      return error("two tensors are named '", V->Name, "'");
  }
  Names.clear();
  for (const auto &N : G.nodes()) {
    if (!Names.insert(N->Name).second)
      return error("two nodes are named '", N->Name, "'");
    NNC_TRY(checkNode(*N));
    for (Value *Out : N->Outputs)
      if (Out->Producer != N.get())
        return error(tensorRef(Out), " is written by both ",
                     Out->Producer->describe(), " and ", N->describe());
  }
  for (const auto &V : G.values())
    NNC_TRY(checkValue(*V));
  NNC_TRY(G.sortTopologically());
  NNC_TRY(inferShapes(G, 1));
  NNC_TRY(checkEntryPoints(G));
  return checkTraining(G);
}

} // namespace nnc::ir
