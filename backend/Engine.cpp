#include "backend/Engine.h"

#include "backend/llvm/JitEngine.h"

namespace nnc::backend {

Expected<EngineKind> parseEngineKind(const std::string &Name) {
  if (Name == "jit")
    return EngineKind::Jit;
  if (Name == "interp")
    return EngineKind::Interp;
  return error("unknown engine '", Name, "' (expected jit or interp)");
}

namespace {

class InterpEngine : public Engine {
public:
  explicit InterpEngine(interp::Interpreter I) : I(std::move(I)) {}
  Expected<interp::TensorMap> run(const std::string &Entry,
                                  const interp::TensorMap &Inputs,
                                  const interp::Options &Opts) override {
    return I.run(Entry, Inputs, Opts);
  }
  Expected<interp::TensorMap>
  evaluate(const std::vector<const ir::Value *> &Wanted,
           const interp::TensorMap &Inputs,
           const interp::Options &Opts) override {
    return I.evaluate(Wanted, Inputs, Opts);
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
  interp::Interpreter I;
};

} // namespace

Expected<std::unique_ptr<Engine>> createEngine(ir::Graph &G,
                                               const EngineOptions &Opts) {
  if (Opts.Kind == EngineKind::Jit)
    return createJitEngine(G, Opts);
  Expected<interp::Interpreter> I = interp::Interpreter::create(G);
  if (!I.ok())
    return I.status();
  return std::unique_ptr<Engine>(new InterpEngine(std::move(*I)));
}

} // namespace nnc::backend
