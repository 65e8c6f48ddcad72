#include "passes/KernelPrinter.h"

#include <ostream>

namespace nnc::passes {

using namespace nnc::ir;

namespace {

/// " live [3, 7]", " in place of x", " @ arena 1024" or " -> output 0":
/// what the steps so far decided about a stored value.
std::string storage(const KernelProgram &P, const Value *V) {
  std::string S;
  if (auto It = P.Live.find(V); It != P.Live.end())
    S += " live [" + std::to_string(It->second.first) + ", " +
         std::to_string(It->second.second) + "]";
  if (auto It = P.InPlaceOf.find(V); It != P.InPlaceOf.end())
    S += " in place of " + It->second->Name;
  if (auto It = P.OutputSlot.find(V); It != P.OutputSlot.end())
    S += " -> output " + std::to_string(It->second);
  else if (auto It = P.Offset.find(V); It != P.Offset.end())
    S += " @ arena " + std::to_string(It->second);
  return S;
}

} // namespace

void printKernelProgram(const EntryPoint &E, const KernelProgram &P,
                        std::ostream &OS) {
  OS << "kernel program of '" << E.Name << "' (" << P.Kernels.size()
     << " kernels";
  if (!P.Plan.Offsets.empty() || P.Plan.ArenaBytes)
    OS << "; arena " << P.Plan.ArenaBytes << " bytes, planned / lower bound "
       << P.Plan.ratio();
  OS << ")\n";
  for (size_t K = 0; K < P.Kernels.size(); ++K) {
    const Kernel &Kn = P.Kernels[K];
    std::string Ops, Names;
    for (const Node *N : Kn.Nodes) {
      Ops += (Ops.empty() ? "" : "+") + std::string(N->opName());
      Names += (Names.empty() ? "" : ", ") + N->Name;
    }
    const char *Kind = Kn.Fused              ? "fused loop"
                       : Kn.Nodes.size() > 1 ? "fused kernel"
                                             : "kernel";
    // What the kernel leaves in memory (a fused kernel may store more than
    // its last op's result: a BatchNorm's activation before the pooling).
    std::string Stored;
    for (const Value *V : Kn.Fused ? Kn.Writes : Kn.Outputs)
      Stored += (Stored.empty() ? "" : ", ") + V->Name + " " + V->Type.str() +
                storage(P, V);
    OS << "  " << K << ": " << Kind << " " << Ops << " [" << Names << "] -> "
       << Stored;
    if (Kn.WorkspaceBytes)
      OS << "; workspace " << Kn.WorkspaceBytes << " bytes @ arena "
         << Kn.WorkspaceOffset;
    OS << "\n";
  }
}

} // namespace nnc::passes
