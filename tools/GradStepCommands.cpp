//===- tools/GradStepCommands.cpp - nnc grad, nnc step --------------------===//
//
// Op-by-op checks against another framework: the gradients of a model whose
// loss is one of its values (as ONNX exports carry it), and the parameters
// after K optimizer steps on one batch. Dropout is off; BatchNorm uses the
// batch's statistics (--bn-mode train, the default) or the running ones.
// Files are raw little-endian float32 (int64 for class labels).
//
//===----------------------------------------------------------------------===//
#include "backend/Compile.h"
#include "frontend/ModelIO.h"
#include "ir/Verifier.h"
#include "passes/Autodiff.h"
#include "passes/TrainStep.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"
#include "tools/ModelChecks.h"
#include "tools/OptimizerArgs.h"
#include "tools/StepSession.h"
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
    "DIR/<param>.bin (raw float32). --hparams takes torch.optim's arguments\n"
    "by name (lr, momentum, dampening, nesterov, weight_decay, betas, eps,\n"
    "alpha, rho, lr_decay, initial_accumulator_value, amsgrad, centered,\n"
    "maximize; foreach, capturable, differentiable and fused are accepted\n"
    "and ignored). Dropout is off; BatchNorm uses the batch's statistics\n"
    "and moves its running ones, as in PyTorch's train() (--bn-mode eval:\n"
    "the running ones, unmoved, as in eval()).",
    withEngineOptions(
        {{"--loss", "NAME", "the value minimized (a scalar)"},
         {"--optimizer", "KIND",
          "sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam or "
          "adamw"},
         {"--hparams", "JSON", "hyper-parameters, e.g. {\"lr\":0.001}"},
         {"--steps", "K", "optimizer steps (default 1)"},
         {"--bn-mode", "train|eval",
          "BatchNorm on the batch's statistics, moving the running ones "
          "(default, PyTorch's train()), or on the running ones (eval())"},
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
    return usageError("nnc ", Cmd,
                      ": --loss NAME and --output-dir DIR are required");
  std::string Mode = A.get("--bn-mode", "train");
  if (Mode != "train" && Mode != "eval")
    return usageError("nnc ", Cmd, ": --bn-mode must be train or eval, found '",
                      Mode, "'");
  const std::string &Path = A.positional()[0];
  Expected<Graph> G = frontend::loadModel(Path);
  if (!G.ok())
    return G.status();
  Setup S{std::move(*G)};
  Expected<Value *> Loss =
      prepareLoss(S.G, A.get("--loss"), /*BatchStatistics=*/Mode == "train");
  if (!Loss.ok())
    return Loss.status().withPrefix(Path);
  S.Loss = *Loss;
  return S;
}

/// --input NAME=FILE for inputs of G.
Expected<backend::TensorMap> readInputs(const Args &A, const Graph &G) {
  backend::TensorMap In;
  for (const std::string &Spec : A.getAll("--input")) {
    size_t Eq = Spec.find('=');
    if (Eq == std::string::npos || Eq == 0)
      return usageError("--input needs NAME=FILE, found '", Spec, "'");
    std::string Name = Spec.substr(0, Eq);
    const Value *V = G.findValue(Name);
    if (!V || isComputed(V->Kind) || isStored(V->Kind))
      return error("the model has no input '", Name, "'");
    Expected<backend::Tensor> T =
        readTensorFile(Spec.substr(Eq + 1), *V, std::nullopt);
    if (!T.ok())
      return T.status();
    warnIfNonFinite(Spec.substr(Eq + 1), Name, *T);
    In[Name] = std::move(*T);
  }
  return In;
}

Status writeAll(const std::string &Dir, const backend::TensorMap &Out,
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
  Expected<backend::TensorMap> In = readInputs(A, G);
  if (!In.ok())
    return In.status();
  Expected<std::unique_ptr<backend::Engine>> Eng = createEngine(A, G);
  if (!Eng.ok())
    return Eng.status();
  backend::RunOptions O;
  O.Training = A.get("--bn-mode", "train") == "train";
  Expected<backend::TensorMap> Out = (*Eng)->run("grad", *In, O);
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
  warnIfBatchNormFolded(S->G, A.positional()[0]);
  Expected<int64_t> Steps = A.getInt("--steps", 1);
  if (!Steps.ok())
    return Steps.status();
  if (*Steps < 1)
    return usageError("nnc step: --steps must be >= 1");
  OptimizerConfig OC;
  NNC_TRY(setOptimizer(A.get("--optimizer", "sgd"), OC).withPrefix("nnc step"));
  NNC_TRY(applyHparams(A.get("--hparams", "{}"), OC));
  Expected<backend::EngineOptions> EO = engineOptions(A);
  if (!EO.ok())
    return EO.status();
  std::string Loss = S->Loss->Name;
  Expected<std::unique_ptr<StepSession>> Session = StepSession::create(
      std::move(S->G), Loss, OC, A.get("--bn-mode", "train") == "train", *EO);
  if (!Session.ok())
    return Session.status();
  Expected<backend::TensorMap> In = readInputs(A, (*Session)->graph());
  if (!In.ok())
    return In.status();
  for (int64_t K = 1; K <= *Steps; ++K)
    NNC_TRY((*Session)->step(*In).status());
  backend::TensorMap Params = (*Session)->parameters();
  std::vector<std::pair<std::string, std::string>> Files;
  for (const auto &[Name, T] : Params)
    Files.push_back({Name, Name});
  NNC_TRY(writeAll(A.get("--output-dir"), Params, Files));
  std::printf("%lld %s steps; wrote %zu parameters to %s\n", (long long)*Steps,
              optimizerName(OC.Kind).data(), Files.size(),
              A.get("--output-dir").c_str());
  return Status::success();
}

} // namespace nnc::tools
