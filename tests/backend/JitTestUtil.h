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

/// Random inputs of entry E at batch Batch: images in [0, 1), class labels
/// in [0, 10); the train step's scalars set.
inline interp::TensorMap inputsFor(const EntryPoint &E, int64_t Batch, uint64_t Seed) {
  interp::TensorMap In;
  SplitMix64 Rng(Seed);
  for (const Value *V : E.Inputs) {
    Shape Dims = V->DeclaredDims;
    if (!Dims.empty() && Dims[0] == -1)
      Dims[0] = Batch;
    Tensor T(V->Type.Elt, Dims);
    for (double &X : T.Data)
      X = isInteger(V->Type.Elt)   ? double(Rng.next() % 10)
          : V->Kind == Role::Label ? double(Rng.next() % 2)
                                   : Rng.uniform() + 1e-3;
    In[V->Name] = std::move(T);
  }
  if (In.count("train.lr")) {
    In["train.lr"] = tensor({}, {0.01});
    In["train.weight_decay"] = tensor({}, {0.0});
  }
  return In;
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
