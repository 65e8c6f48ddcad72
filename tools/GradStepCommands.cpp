//===- tools/GradStepCommands.cpp - nnc grad, nnc step --------------------===//
//
// Op-by-op checks against another framework: the gradients of a model whose
// loss is one of its values (as ONNX exports carry it), and the parameters
// after K optimizer steps on one batch. Dropout is off; BatchNorm uses the
// batch's statistics (--bn-mode train, the default) or the running ones.
// Files are raw little-endian float32 (int64 for class labels).
//
//===----------------------------------------------------------------------===//
#include "frontend/ModelIO.h"
#include "ir/Verifier.h"
#include "passes/Autodiff.h"
#include "passes/TrainStep.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"
#include "tools/TensorFiles.h"

#include <cctype>
#include <cstdio>
#include <filesystem>

namespace nnc::tools {

using namespace nnc::ir;

const CommandSpec GradSpec = {
    "grad",
    "MODEL --loss NAME --input NAME=FILE ... --output-dir DIR",
    "Writes d loss / d parameter of every trainable parameter as\n"
    "DIR/<param>.bin and the loss as DIR/<loss>.bin (raw float32), for the\n"
    "given inputs. Dropout is off; --bn-mode train (default) uses the batch's\n"
    "statistics and, with --bn-stats, writes the updated running statistics.",
    withEngineOptions(
        {{"--loss", "NAME", "the value differentiated (a scalar)"},
         {"--input", "NAME=FILE", "feed input NAME from FILE", true},
         {"--output-dir", "DIR", "where the files go (created if needed)"},
         {"--bn-mode", "train|eval", "BatchNorm statistics (default train)"},
         {"--bn-stats", "", "also write running statistics after the forward"},
         {"--wrt-inputs", "", "also write d loss / d input"}}),
    1,
    1};

const CommandSpec StepSpec = {
    "step",
    "MODEL --loss NAME --optimizer KIND --hparams JSON --steps K --input ... "
    "--output-dir DIR",
    "Runs K optimizer steps on one batch from the initial parameters with\n"
    "fresh optimizer state and writes every trainable parameter as\n"
    "DIR/<param>.bin (raw float32). --hparams takes PyTorch's names: lr,\n"
    "momentum, dampening, nesterov, weight_decay, betas, eps, alpha, rho,\n"
    "lr_decay, initial_accumulator_value. Dropout is off; BatchNorm uses the\n"
    "batch's statistics and moves its running ones, as in PyTorch's train().",
    withEngineOptions(
        {{"--loss", "NAME", "the value minimized (a scalar)"},
         {"--optimizer", "KIND",
          "sgd, momentum, nesterov, adagrad, adadelta, rmsprop or adam"},
         {"--hparams", "JSON", "hyper-parameters, e.g. {\"lr\":0.001}"},
         {"--steps", "K", "optimizer steps (default 1)"},
         {"--input", "NAME=FILE", "feed input NAME from FILE", true},
         {"--output-dir", "DIR", "where the files go (created if needed)"}}),
    1,
    1};

namespace {

/// The model, its loss value, and dropout switched off.
struct Setup {
  Graph G;
  Value *Loss = nullptr;
};

Expected<Setup> load(const Args &A, const char *Cmd) {
  if (!A.has("--loss") || !A.has("--output-dir"))
    return error("nnc ", Cmd,
                 ": --loss NAME and --output-dir DIR are required");
  std::string Mode = A.get("--bn-mode", "train");
  if (Mode != "train" && Mode != "eval")
    return error("nnc ", Cmd, ": --bn-mode must be train or eval, found '",
                 Mode, "'");
  const std::string &Path = A.positional()[0];
  Expected<Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();
  Setup S{std::move(*G)};
  S.Loss = S.G.findValue(A.get("--loss"));
  if (!S.Loss)
    return error(Path, ": no value named '", A.get("--loss"), "'");
  if (S.Loss->Type.numElements() != 1 || S.Loss->Type.Elt != DType::F32)
    return error(Path, ": loss '", S.Loss->Name, "' must be an f32 scalar, is ",
                 S.Loss->Type.str());
  for (const auto &N : S.G.nodes())
    if (N->Op == OpKind::Dropout)
      N->Attrs.set("ratio", 0.0);
  return S;
}

/// --input NAME=FILE for inputs of G.
Expected<interp::TensorMap> readInputs(const Args &A, const Graph &G) {
  interp::TensorMap In;
  for (const std::string &Spec : A.getAll("--input")) {
    size_t Eq = Spec.find('=');
    if (Eq == std::string::npos || Eq == 0)
      return error("--input needs NAME=FILE, found '", Spec, "'");
    std::string Name = Spec.substr(0, Eq);
    const Value *V = G.findValue(Name);
    if (!V || isComputed(V->Kind) || isStored(V->Kind))
      return error("the model has no input '", Name, "'");
    Expected<interp::Tensor> T =
        readTensorFile(Spec.substr(Eq + 1), *V, std::nullopt);
    if (!T.ok())
      return T.status();
    In[Name] = std::move(*T);
  }
  return In;
}

Status writeAll(const std::string &Dir, const interp::TensorMap &Out,
                const std::vector<std::pair<std::string, std::string>> &Files) {
  std::error_code EC;
  std::filesystem::create_directories(Dir, EC);
  if (EC)
    return error(Dir, ": cannot create directory: ", EC.message());
  for (const auto &[Value, File] : Files)
    NNC_TRY(writeTensorFile(Dir + "/" + File + ".bin", Out.at(Value), false));
  return Status::success();
}

std::vector<Value *> trainable(const Graph &G) {
  std::vector<Value *> Ps;
  for (Value *P : G.valuesWithRole(Role::Parameter))
    if (P->Trainable)
      Ps.push_back(P);
  return Ps;
}

/// A flat JSON object of numbers, booleans and number arrays.
Expected<std::map<std::string, std::vector<double>>>
parseHparams(const std::string &S) {
  std::map<std::string, std::vector<double>> Out;
  size_t I = 0;
  auto Skip = [&] {
    while (I < S.size() && std::isspace(static_cast<unsigned char>(S[I])))
      ++I;
  };
  auto Fail = [&](const char *What) {
    return error("--hparams: ", What, " at offset ", I, " of '", S, "'");
  };
  Skip();
  if (I >= S.size() || S[I++] != '{')
    return Fail("expected '{'");
  for (;;) {
    Skip();
    if (I < S.size() && S[I] == '}')
      break;
    if (I >= S.size() || S[I++] != '"')
      return Fail("expected a quoted name");
    size_t End = S.find('"', I);
    if (End == std::string::npos)
      return Fail("unterminated name");
    std::string Key = S.substr(I, End - I);
    I = End + 1;
    Skip();
    if (I >= S.size() || S[I++] != ':')
      return Fail("expected ':'");
    Skip();
    std::vector<double> Vals;
    auto Number = [&]() -> bool {
      Skip();
      if (S.compare(I, 4, "true") == 0)
        return Vals.push_back(1), I += 4, true;
      if (S.compare(I, 5, "false") == 0)
        return Vals.push_back(0), I += 5, true;
      char *EndP = nullptr;
      double V = std::strtod(S.c_str() + I, &EndP);
      if (EndP == S.c_str() + I)
        return false;
      Vals.push_back(V);
      I = size_t(EndP - S.c_str());
      return true;
    };
    if (I < S.size() && S[I] == '[') {
      ++I;
      do {
        if (!Number())
          return Fail("expected a number");
        Skip();
      } while (I < S.size() && S[I] == ',' && ++I);
      if (I >= S.size() || S[I++] != ']')
        return Fail("expected ']'");
    } else if (!Number()) {
      return Fail("expected a number, true or false");
    }
    Out[Key] = Vals;
    Skip();
    if (I < S.size() && S[I] == ',') {
      ++I;
      continue;
    }
    Skip();
    if (I >= S.size() || S[I] != '}')
      return Fail("expected ',' or '}'");
    break;
  }
  return Out;
}

} // namespace

Status runGrad(const Args &A) {
  Expected<Setup> S = load(A, "grad");
  if (!S.ok())
    return S.status();
  Graph &G = S->G;
  std::vector<Update> Updates;
  if (A.get("--bn-mode", "train") == "train")
    NNC_TRY(passes::lowerForTraining(G, Updates, /*LowerDropout=*/false));
  std::vector<Value *> Wrt = trainable(G);
  std::vector<const Value *> Fed;
  G.nodesReaching({S->Loss}, &Fed);
  if (A.has("--wrt-inputs"))
    for (const Value *V : Fed)
      if (isFloat(V->Type.Elt))
        Wrt.push_back(G.values()[size_t(V->Id)].get());
  Expected<passes::AutodiffResult> D = passes::differentiate(G, S->Loss, Wrt);
  if (!D.ok())
    return D.status();
  EntryPoint E{"grad", {}, {S->Loss}, {}};
  for (const Value *V : Fed)
    E.Inputs.push_back(G.values()[size_t(V->Id)].get());
  std::vector<std::pair<std::string, std::string>> Files = {
      {S->Loss->Name, S->Loss->Name}};
  for (Value *V : Wrt)
    if (auto It = D->Grads.find(V); It != D->Grads.end()) {
      E.Outputs.push_back(It->second);
      Files.push_back({It->second->Name, V->Name});
    }
  if (A.has("--bn-stats"))
    for (const Update &U : Updates) {
      E.Outputs.push_back(U.NewValue);
      Files.push_back({U.NewValue->Name, U.Target->Name});
    }
  G.EntryPoints.push_back(E);
  NNC_TRY(verify(G));
  Expected<interp::TensorMap> In = readInputs(A, G);
  if (!In.ok())
    return In.status();
  Expected<std::unique_ptr<backend::Engine>> Eng = createEngine(A, G);
  if (!Eng.ok())
    return Eng.status();
  interp::Options O;
  O.Training = A.get("--bn-mode", "train") == "train";
  Expected<interp::TensorMap> Out = (*Eng)->run("grad", *In, O);
  if (!Out.ok())
    return Out.status();
  NNC_TRY(writeAll(A.get("--output-dir"), *Out, Files));
  std::printf("%s = %.9g; wrote %zu files to %s\n", S->Loss->Name.c_str(),
              Out->at(S->Loss->Name).Data[0], Files.size(),
              A.get("--output-dir").c_str());
  return Status::success();
}

Status runStep(const Args &A) {
  Expected<Setup> S = load(A, "step");
  if (!S.ok())
    return S.status();
  Graph &G = S->G;
  Expected<int64_t> Steps = A.getInt("--steps", 1);
  if (!Steps.ok())
    return Steps.status();
  if (*Steps < 1)
    return error("nnc step: --steps must be >= 1");
  OptimizerConfig OC;
  bool Found = false;
  for (OptimizerKind K :
       {OptimizerKind::SGD, OptimizerKind::Momentum, OptimizerKind::Nesterov,
        OptimizerKind::Adagrad, OptimizerKind::Adadelta, OptimizerKind::RMSprop,
        OptimizerKind::Adam})
    if (optimizerName(K) == A.get("--optimizer", "sgd"))
      OC.Kind = K, Found = true;
  if (!Found)
    return error("nnc step: unknown optimizer '", A.get("--optimizer"), "'");
  Expected<std::map<std::string, std::vector<double>>> H =
      parseHparams(A.get("--hparams", "{}"));
  if (!H.ok())
    return H.status();
  for (const auto &[K, V] : *H) {
    auto One = [&](std::optional<double> &Slot) -> Status {
      if (V.size() != 1)
        return error("--hparams: '", K, "' takes one number");
      Slot = V[0];
      return Status::success();
    };
    // PyTorch's names of the one-number hyper-parameters.
    const std::pair<const char *, std::optional<double> *> Slots[] = {
        {"lr", &OC.Lr},
        {"momentum", &OC.Momentum},
        {"dampening", &OC.Dampening},
        {"weight_decay", &OC.WeightDecay},
        {"eps", &OC.Eps},
        {"alpha", &OC.Alpha},
        {"rho", &OC.Rho},
        {"lr_decay", &OC.LrDecay},
        {"initial_accumulator_value", &OC.InitialAccumulatorValue}};
    std::optional<double> *Slot = nullptr;
    for (const auto &[Name, Where] : Slots)
      if (K == Name)
        Slot = Where;
    if (Slot)
      NNC_TRY(One(*Slot));
    else if (K == "nesterov") {
      if (V.size() == 1 && V[0] != 0)
        OC.Kind = OptimizerKind::Nesterov;
    } else if (K == "betas") {
      if (V.size() != 2)
        return error("--hparams: 'betas' takes two numbers");
      OC.Beta1 = V[0], OC.Beta2 = V[1];
    } else
      return error("--hparams: unknown hyper-parameter '", K, "'");
  }
  G.Training = TrainingConfig();
  G.Training->Loss = S->Loss;
  G.Training->Optimizer = OC;
  Expected<passes::TrainStep> TS = passes::buildTrainStep(G);
  if (!TS.ok())
    return TS.status();
  Expected<interp::TensorMap> In = readInputs(A, G);
  if (!In.ok())
    return In.status();
  Expected<std::unique_ptr<backend::Engine>> Eng = createEngine(A, G);
  if (!Eng.ok())
    return Eng.status();
  interp::Options O;
  O.Training = true;
  for (int64_t K = 1; K <= *Steps; ++K) {
    interp::TensorMap Feed = *In;
    Feed["train.lr"] = interp::Tensor(DType::F32, {}, {TS->Optimizer.Lr});
    Feed["train.weight_decay"] =
        interp::Tensor(DType::F32, {}, {TS->Optimizer.WeightDecay});
    Feed["train.step"] = interp::Tensor(DType::F32, {}, {double(K)});
    Expected<interp::TensorMap> Out = (*Eng)->run("train_step", Feed, O);
    if (!Out.ok())
      return Out.status().withPrefix("step " + std::to_string(K));
  }
  interp::TensorMap Params;
  std::vector<std::pair<std::string, std::string>> Files;
  for (Value *P : trainable(G)) {
    Params[P->Name] =
        interp::Tensor(P->Type.Elt, P->Type.Dims, (*Eng)->read(P));
    Files.push_back({P->Name, P->Name});
  }
  NNC_TRY(writeAll(A.get("--output-dir"), Params, Files));
  std::printf("%lld %s steps; wrote %zu parameters to %s\n", (long long)*Steps,
              optimizerName(OC.Kind).data(), Files.size(),
              A.get("--output-dir").c_str());
  return Status::success();
}

} // namespace nnc::tools
