#include "ir/Printer.h"
#include "ir/Pointwise.h"

#include <map>

namespace nnc::ir {
namespace {

std::string ref(const Value *V) { return "%" + V->Name; }

std::string declaredType(const Value &V) {
  return std::string(dtypeName(V.Type.Elt)) + shapeString(V.DeclaredDims);
}

std::string initString(const Value &V) {
  if (!V.Data.empty())
    return "<" + std::to_string(V.Data.size()) + " bytes>";
  const Initializer &I = V.Init;
  std::string S(initSchemeName(I.Kind));
  using K = Initializer::Scheme;
  switch (I.Kind) {
  case K::None:
  case K::Zeros:
    return S;
  case K::Constant:
    return S + "(" + attrValueString(I.Value) + ")";
  case K::Uniform:
    return S + "(" + attrValueString(I.Low) + ", " + attrValueString(I.High) +
           ", seed=" + std::to_string(I.Seed) + ")";
  default:
    return S + "(gain=" + attrValueString(I.Gain) +
           ", seed=" + std::to_string(I.Seed) + ")";
  }
}

std::string dotEscape(const std::string &S) {
  std::string Out;
  for (char C : S) {
    if (C == '"' || C == '\\')
      Out += '\\';
    Out += C;
  }
  return Out;
}

} // namespace

void printGraph(const Graph &G, std::ostream &OS) {
  OS << "graph " << (G.Name.empty() ? "model" : G.Name) << " {\n";
  for (const auto &V : G.values()) {
    if (isComputed(V->Kind))
      continue;
    OS << "  " << roleName(V->Kind) << " " << ref(V.get()) << ": "
       << declaredType(*V);
    if (isStored(V->Kind)) {
      OS << " = " << initString(*V);
      if (V->Kind == Role::Parameter && !V->Trainable)
        OS << " frozen";
    }
    OS << "\n";
  }
  for (const auto &N : G.nodes()) {
    OS << "  ";
    for (size_t I = 0; I < N->Outputs.size(); ++I)
      OS << (I ? ", " : "") << ref(N->Outputs[I]);
    OS << " = " << N->opName() << "(";
    for (size_t I = 0; I < N->Inputs.size(); ++I)
      OS << (I ? ", " : "") << ref(N->Inputs[I]);
    OS << ")";
    if (N->Attrs.size()) {
      OS << " {";
      bool First = true;
      for (const auto &[Name, V] : N->Attrs) {
        if (N->Op == OpKind::UnaryGrad && N->Attrs.has("op") &&
            !unaryGradReads(N->Attrs.getString("op"), Name))
          continue;
        OS << (First ? "" : ", ") << Name << "=" << attrValueString(V);
        First = false;
      }
      OS << "}";
    }
    OS << " : ";
    for (size_t I = 0; I < N->Outputs.size(); ++I)
      OS << (I ? ", " : "") << N->Outputs[I]->Type.str();
    if (N->Name != N->Outputs[0]->Name)
      OS << "  # " << N->Name;
    OS << "\n";
  }
  for (const EntryPoint &E : G.EntryPoints) {
    OS << "  entry " << E.Name << "(";
    for (size_t I = 0; I < E.Inputs.size(); ++I)
      OS << (I ? ", " : "") << ref(E.Inputs[I]);
    OS << ") -> (";
    for (size_t I = 0; I < E.Outputs.size(); ++I)
      OS << (I ? ", " : "") << ref(E.Outputs[I]);
    OS << ")\n";
    for (const Update &U : E.Updates)
      OS << "    update " << ref(U.Target) << " <- " << ref(U.NewValue) << "\n";
  }
  if (G.Training) {
    const TrainingConfig &T = *G.Training;
    OS << "  train loss=" << ref(T.Loss)
       << " optimizer=" << optimizerName(T.Optimizer.Kind);
    if (T.Optimizer.Lr)
      OS << " lr=" << *T.Optimizer.Lr;
    if (T.L1)
      OS << " l1=" << T.L1;
    if (T.L2)
      OS << " l2=" << T.L2;
    OS << "\n";
  }
  OS << "}\n";
}

void printDot(const Graph &G, std::ostream &OS,
              const std::vector<std::vector<const Node *>> *Fused) {
  OS << "digraph \"" << dotEscape(G.Name) << "\" {\n"
     << "  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  if (Fused)
    for (size_t K = 0; K < Fused->size(); ++K) {
      const std::vector<const Node *> &Group = (*Fused)[K];
      if (Group.size() < 2)
        continue;
      OS << "  subgraph cluster_fused" << K
         << " {\n    style=filled; color=lightblue; label=\"fused kernel " << K
         << "\";\n";
      for (const Node *N : Group)
        OS << "    n" << N->Id << ";\n";
      OS << "  }\n";
    }
  for (const auto &V : G.values()) {
    if (isComputed(V->Kind))
      continue;
    const char *Style = isStored(V->Kind) ? "style=dashed" : "style=bold";
    OS << "  v" << V->Id << " [shape=ellipse, " << Style << ", label=\""
       << dotEscape(V->Name) << "\\n"
       << V->Type.str() << "\"];\n";
  }
  for (const auto &N : G.nodes()) {
    OS << "  n" << N->Id << " [shape=box, label=\"" << N->opName() << "\\n"
       << dotEscape(N->Name) << "\"];\n";
    for (const Value *In : N->Inputs) {
      std::string From = In->Producer ? "n" + std::to_string(In->Producer->Id)
                                      : "v" + std::to_string(In->Id);
      OS << "  " << From << " -> n" << N->Id << " [label=\"" << In->Type.str()
         << "\"];\n";
    }
  }
  // By id, not address: the same graph prints the same text every run.
  std::map<int64_t, const Value *> Outs;
  for (const EntryPoint &E : G.EntryPoints)
    for (const Value *V : E.Outputs)
      Outs[V->Id] = V;
  for (const auto &[Id, V] : Outs) {
    OS << "  o" << V->Id << " [shape=ellipse, style=bold, label=\""
       << dotEscape(V->Name) << "\\n"
       << V->Type.str() << "\"];\n";
    OS << "  n" << V->Producer->Id << " -> o" << V->Id << ";\n";
  }
  OS << "}\n";
}

} // namespace nnc::ir
