#include "passes/Autodiff.h"

#include "ir/Builder.h"
#include "passes/grad/GradRules.h"

#include <set>

namespace nnc::passes {

using namespace nnc::ir;

namespace grad {

static std::vector<Rule> *Building = nullptr;

void define(OpKind K, Rule R) { (*Building)[size_t(K)] = R; }

namespace {
Status rejectGradient(Context &C, std::vector<Value *> &) {
  return error(C.N.opName(), " is not differentiable");
}
} // namespace

void notDifferentiable(OpKind K) { define(K, rejectGradient); }
bool isNotDifferentiable(OpKind K) { return ruleFor(K) == rejectGradient; }

Rule ruleFor(OpKind K) {
  static const std::vector<Rule> Table = [] {
    std::vector<Rule> T(NumOpKinds, nullptr);
    Building = &T;
    registerElementwise();
    registerContraction();
    registerPooling();
    registerLayout();
    registerRecurrent();
    registerCollective();
    registerNotDifferentiable();
    Building = nullptr;
    return T;
  }();
  return Table[size_t(K)];
}

Value *Context::op(OpKind K, std::vector<Value *> Ins, Attributes A) {
  return ops(K, std::move(Ins), std::move(A), 1)[0];
}

std::vector<Value *> Context::ops(OpKind K, std::vector<Value *> Ins,
                                  Attributes A, size_t NumOutputs) {
  return B.ops(K, std::move(Ins), std::move(A), NumOutputs,
               "d/" + N.Name + "/" + std::string(opName(K)));
}

Attributes Context::attrsFor(OpKind Target) const {
  Attributes A;
  const OpInfo &Info = opInfo(Target);
  for (const auto &[Name, V] : N.Attrs)
    if (Info.findAttr(Name))
      A.set(Name, V);
  return A;
}

} // namespace grad

namespace {

/// Values on a path from one of Wrt to Loss: those the loss depends on and
/// that depend on one of Wrt.
std::set<const Value *> valuesOnPath(const Graph &G, const Value *Loss,
                                     const std::vector<Value *> &Wrt) {
  std::set<const Value *> FromWrt(Wrt.begin(), Wrt.end());
  for (const auto &N : G.nodes())
    for (const Value *In : N->Inputs)
      if (FromWrt.count(In)) {
        FromWrt.insert(N->Outputs.begin(), N->Outputs.end());
        break;
      }
  std::vector<const Value *> Fed;
  std::set<const Value *> OnPath;
  for (const Node *N : G.nodesReaching({Loss}, &Fed)) {
    for (const Value *V : N->Inputs)
      if (FromWrt.count(V))
        OnPath.insert(V);
    for (const Value *V : N->Outputs)
      if (FromWrt.count(V))
        OnPath.insert(V);
  }
  if (FromWrt.count(Loss))
    OnPath.insert(Loss);
  return OnPath;
}

} // namespace

Expected<AutodiffResult> differentiate(Graph &G, Value *Loss,
                                       const std::vector<Value *> &Wrt) {
  if (!isFloat(Loss->Type.Elt) || Loss->Type.numElements() != 1)
    return error("autodiff: loss '", Loss->Name,
                 "' must be a floating-point scalar, found ", Loss->Type.str());
  std::set<const Value *> OnPath = valuesOnPath(G, Loss, Wrt);
  Builder B(G);
  std::map<const Value *, Value *> Grads;
  Grads[Loss] =
      B.constant("d/" + Loss->Name, Loss->Type.Dims, {1.0}, Loss->Type.Elt);

  // Reverse order over the forward nodes only: those added below are
  // gradients and are not differentiated again.
  std::vector<Node *> Forward;
  for (const auto &N : G.nodes())
    Forward.push_back(N.get());
  for (auto It = Forward.rbegin(); It != Forward.rend(); ++It) {
    const Node &N = **It;
    grad::Context C{B, N, {}, {}};
    bool AnyOut = false, AnyIn = false;
    for (const Value *Out : N.Outputs) {
      auto G = Grads.find(Out);
      C.DOut.push_back(G == Grads.end() ? nullptr : G->second);
      AnyOut |= C.DOut.back() != nullptr;
    }
    for (const Value *In : N.Inputs) {
      C.Needs.push_back(OnPath.count(In) != 0);
      AnyIn |= C.Needs.back();
    }
    if (!AnyOut || !AnyIn)
      continue;
    grad::Rule R = grad::ruleFor(N.Op);
    if (!R)
      return error("autodiff: ", N.describe(),
                   " has no gradient rule, but the loss depends on it");
    std::vector<Value *> DIn(N.Inputs.size(), nullptr);
    NNC_TRY(R(C, DIn).withPrefix("autodiff: " + N.describe()));
    NNC_TRY(B.status().withPrefix("autodiff"));
    for (size_t I = 0; I < DIn.size(); ++I) {
      if (!C.Needs[I] || !DIn[I])
        continue;
      Value *&Acc = Grads[N.Inputs[I]];
      // A value read by several nodes gets the sum of their gradients.
      Acc = Acc ? B.op(OpKind::Add, {Acc, DIn[I]}, {},
                       "d/" + N.Inputs[I]->Name + "/sum")
                : DIn[I];
    }
  }
  NNC_TRY(B.status().withPrefix("autodiff"));
  AutodiffResult R;
  for (Value *V : Wrt)
    if (auto It = Grads.find(V); It != Grads.end())
      R.Grads[V] = It->second;
  return R;
}

} // namespace nnc::passes
