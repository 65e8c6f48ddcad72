#include "backend/Engine.h"

#include "backend/interp/Interpreter.h"
#include "backend/llvm/JitEngine.h"

#include <cstdio>
#include <unistd.h>

namespace nnc::backend {

Expected<EngineKind> parseEngineKind(const std::string &Name) {
  if (Name == "jit")
    return EngineKind::Jit;
  if (Name == "interp")
    return EngineKind::Interp;
  return usageError("unknown engine '", Name, "' (expected jit or interp)");
}

uint64_t memoryLimit(const EngineOptions &O) {
  if (O.MaxMemory)
    return O.MaxMemory;
  long Pages = sysconf(_SC_PHYS_PAGES), Page = sysconf(_SC_PAGE_SIZE);
  return Pages > 0 && Page > 0 ? uint64_t(Pages) * uint64_t(Page)
                               : ~uint64_t(0);
}

std::string byteSize(double Bytes) {
  const char *Units[] = {"bytes", "KB", "MB", "GB", "TB", "PB", "EB"};
  int U = 0;
  for (; Bytes >= 1024 && U < 6; ++U)
    Bytes /= 1024;
  char Text[32];
  std::snprintf(Text, sizeof Text, U ? "%.1f %s" : "%.0f %s", Bytes, Units[U]);
  return Text;
}

Status checkMemory(uint64_t Bytes, const EngineOptions &O,
                   const std::string &What) {
  uint64_t Limit = memoryLimit(O);
  if (Bytes <= Limit)
    return Status::success();
  return error(What, " needs ", byteSize(double(Bytes)),
               ", more than the memory limit of ", byteSize(double(Limit)),
               O.MaxMemory ? " (--max-memory)"
                           : " (this machine's memory; --max-memory sets it)");
}

namespace {

Tensor fromView(const TensorView &V) {
  Tensor T(V.Elt, V.Dims);
  for (int64_t I = 0; I < T.numElements(); ++I)
    T[I] = V.Elt == ir::DType::I64
               ? double(static_cast<const int64_t *>(V.Data)[I])
               : double(static_cast<const float *>(V.Data)[I]);
  return T;
}

void toBuffer(const Tensor &T, void *Dst) {
  for (int64_t I = 0; I < T.numElements(); ++I)
    if (T.Elt == ir::DType::I64)
      static_cast<int64_t *>(Dst)[I] = int64_t(T[I]);
    else
      static_cast<float *>(Dst)[I] = float(T[I]);
}

} // namespace

Expected<std::map<std::string, const void *>>
Engine::runInPlace(const std::string &Entry, const TensorViewMap &Inputs,
                   const OutputBuffer &Out, const RunOptions &Opts) {
  TensorMap In;
  std::map<std::string, const void *> ReadFrom;
  for (const auto &[Name, V] : Inputs) {
    In[Name] = fromView(V);
    ReadFrom[Name] = In[Name].Data.data();
  }
  Expected<TensorMap> Results = run(Entry, In, Opts);
  if (!Results.ok())
    return Results.status();
  for (const auto &[Name, T] : *Results)
    toBuffer(T, Out(Name, T.Elt, T.Dims));
  return ReadFrom;
}

namespace {

class InterpEngine : public Engine {
public:
  InterpEngine(interp::Interpreter I, bool CheckNumerics)
      : I(std::move(I)), CheckNumerics(CheckNumerics) {}
  Expected<interp::TensorMap> run(const std::string &Entry,
                                  const interp::TensorMap &Inputs,
                                  const interp::Options &Opts) override {
    return I.run(Entry, Inputs, withChecks(Opts));
  }
  Expected<interp::TensorMap>
  evaluate(const std::vector<const ir::Value *> &Wanted,
           const interp::TensorMap &Inputs,
           const interp::Options &Opts) override {
    return I.evaluate(Wanted, Inputs, withChecks(Opts));
  }
  std::vector<double> read(const ir::Value *V) override {
    return I.stored(V).Data;
  }
  void write(const ir::Value *V, const std::vector<double> &Data) override {
    I.stored(V).Data = Data;
  }
  EngineKind kind() const override { return EngineKind::Interp; }
  // The interpreter has no compiled form: a prepared run is a run.
  Expected<std::unique_ptr<PreparedRun>>
  prepare(const std::string &Entry, const interp::TensorMap &Inputs,
          const interp::Options &Opts) override {
    struct Run : PreparedRun {
      InterpEngine &E;
      std::string Entry;
      interp::TensorMap Inputs;
      interp::Options Opts;
      Run(InterpEngine &E, std::string Entry, interp::TensorMap Inputs,
          interp::Options Opts)
          : E(E), Entry(std::move(Entry)), Inputs(std::move(Inputs)),
            Opts(Opts) {}
      Status run() override { return E.run(Entry, Inputs, Opts).status(); }
    };
    return std::unique_ptr<PreparedRun>(
        std::make_unique<Run>(*this, Entry, Inputs, Opts));
  }

private:
  interp::Options withChecks(interp::Options O) const {
    O.CheckNumerics |= CheckNumerics;
    return O;
  }
  interp::Interpreter I;
  bool CheckNumerics;
};

} // namespace

Expected<std::unique_ptr<Engine>> createEngine(ir::Graph &G,
                                               const EngineOptions &Opts) {
  if (Opts.Kind == EngineKind::Jit)
    return createJitEngine(G, Opts);
  Expected<interp::Interpreter> I = interp::Interpreter::create(G);
  if (!I.ok())
    return I.status();
  return std::unique_ptr<Engine>(
      new InterpEngine(std::move(*I), Opts.CheckNumerics));
}

} // namespace nnc::backend
