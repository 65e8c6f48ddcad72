//===- tests/backend/JitTestUtil.h - JIT against the interpreter -*- C++
//-*-===//
#pragma once

#include "../TestUtil.h"
#include "backend/Engine.h"

namespace nnc::test {

/// max |got - want| / max(max |want|, Floor) over a tensor.
inline double relativeError(const Tensor &Got, const Tensor &Want,
                            double Floor = 1e-30) {
  if (Got.Data.size() != Want.Data.size())
    return INFINITY;
  double Diff = 0, Scale = Floor;
  for (size_t I = 0; I < Want.Data.size(); ++I) {
    if (std::isnan(Got.Data[I]) != std::isnan(Want.Data[I]))
      return INFINITY; // an unwritten (poisoned) element, or a wrong NaN
    Diff = std::max(Diff, std::fabs(Got.Data[I] - Want.Data[I]));
    Scale = std::max(Scale, std::fabs(Want.Data[I]));
  }
  return Diff / Scale;
}

inline std::unique_ptr<backend::Engine>
makeEngine(Graph &G, backend::EngineKind K, int64_t Threads = 2,
           const std::string &Cpu = "", bool Fuse = true) {
  backend::EngineOptions O;
  O.Kind = K;
  O.Threads = Threads;
  O.TargetCpu = Cpu;
  O.setFuse(Fuse);
  Expected<std::unique_ptr<backend::Engine>> E = backend::createEngine(G, O);
  EXPECT_TRUE(E.ok()) << E.status().message();
  return E.ok() ? std::move(*E) : nullptr;
}

/// Runs Entry on both engines and expects every output to agree within Tol.
inline void expectEnginesAgree(backend::Engine &Jit, backend::Engine &Ref,
                               const std::string &Entry,
                               const interp::TensorMap &Feed, double Tol,
                               const interp::Options &Opts = {}) {
  Expected<interp::TensorMap> Want = Ref.run(Entry, Feed, Opts);
  ASSERT_TRUE(Want.ok()) << Want.status().message();
  Expected<interp::TensorMap> Got = Jit.run(Entry, Feed, Opts);
  ASSERT_TRUE(Got.ok()) << Got.status().message();
  for (const auto &[Name, W] : *Want) {
    ASSERT_TRUE(Got->count(Name)) << Name;
    double Err = relativeError(Got->at(Name), W);
    EXPECT_LT(Err, Tol) << Entry << ": " << Name << " got "
                        << Got->at(Name).Data[0] << ", "
                        << Got->at(Name).Data[1] << " want " << W.Data[0]
                        << ", " << W.Data[1];
  }
}

} // namespace nnc::test
