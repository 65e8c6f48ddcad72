#include "tools/OptimizerArgs.h"

#include <cctype>
#include <cstdlib>

namespace nnc::tools {

using namespace nnc::ir;

Status setOptimizer(const std::string &Name, OptimizerConfig &C) {
  C = OptimizerConfig();
  if (Name == "adamw") {
    C.Kind = OptimizerKind::Adam;
    C.DecoupledWeightDecay = true;
    C.WeightDecay = 1e-2;
    return Status::success();
  }
  for (OptimizerKind K :
       {OptimizerKind::SGD, OptimizerKind::Momentum, OptimizerKind::Nesterov,
        OptimizerKind::Adagrad, OptimizerKind::Adadelta, OptimizerKind::RMSprop,
        OptimizerKind::Adam})
    if (optimizerName(K) == Name) {
      C.Kind = K;
      return Status::success();
    }
  return usageError(
      "unknown optimizer '", Name,
      "' (sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam, "
      "adamw)");
}

namespace {

/// torch.optim's arguments that select an implementation, not the math.
bool implementationChoice(const std::string &K) {
  return K == "foreach" || K == "capturable" || K == "differentiable" ||
         K == "fused";
}

Status applyFlag(const std::string &K, const std::vector<double> &V,
                 OptimizerConfig &C) {
  if (V.size() > 1)
    return usageError("--hparams: '", K, "' takes true or false");
  bool On = !V.empty() && V[0] != 0;
  if (K == "nesterov") {
    if (On && C.Kind != OptimizerKind::SGD &&
        C.Kind != OptimizerKind::Momentum && C.Kind != OptimizerKind::Nesterov)
      return usageError("--hparams: 'nesterov' applies to SGD, not ",
                        optimizerName(C.Kind));
    if (On)
      C.Kind = OptimizerKind::Nesterov;
  } else if (K == "amsgrad") {
    C.Amsgrad = On;
  } else if (K == "centered") {
    C.Centered = On;
  } else {
    C.Maximize = On;
  }
  return Status::success();
}

} // namespace

Status applyHparams(const std::string &Json, OptimizerConfig &C) {
  Expected<std::map<std::string, std::vector<double>>> H = parseHparams(Json);
  if (!H.ok())
    return H.status();
  for (const auto &[K, V] : *H) {
    const std::pair<const char *, std::optional<double> *> Numbers[] = {
        {"lr", &C.Lr},
        {"momentum", &C.Momentum},
        {"dampening", &C.Dampening},
        {"weight_decay", &C.WeightDecay},
        {"eps", &C.Eps},
        {"alpha", &C.Alpha},
        {"rho", &C.Rho},
        {"lr_decay", &C.LrDecay},
        {"initial_accumulator_value", &C.InitialAccumulatorValue}};
    std::optional<double> *Slot = nullptr;
    for (const auto &[Name, Where] : Numbers)
      if (K == Name)
        Slot = Where;
    if (Slot) {
      if (V.size() != 1)
        return usageError("--hparams: '", K, "' takes one number");
      *Slot = V[0];
    } else if (K == "betas") {
      if (V.size() != 2)
        return usageError("--hparams: 'betas' takes two numbers");
      C.Beta1 = V[0], C.Beta2 = V[1];
    } else if (K == "nesterov" || K == "amsgrad" || K == "centered" ||
               K == "maximize") {
      NNC_TRY(applyFlag(K, V, C));
    } else if (!implementationChoice(K)) {
      return usageError(
          "--hparams: unknown hyper-parameter '", K,
          "' (lr, momentum, dampening, nesterov, weight_decay, "
          "betas, eps, alpha, rho, lr_decay, "
          "initial_accumulator_value, amsgrad, centered, maximize, "
          "foreach, capturable, differentiable, fused)");
    }
  }
  return Status::success();
}

/// A flat JSON object of numbers, booleans, null and number arrays.
Expected<std::map<std::string, std::vector<double>>>
parseHparams(const std::string &S) {
  std::map<std::string, std::vector<double>> Out;
  size_t I = 0;
  auto Skip = [&] {
    while (I < S.size() && std::isspace(static_cast<unsigned char>(S[I])))
      ++I;
  };
  auto Fail = [&](const char *What) {
    return usageError("--hparams: ", What, " at offset ", I, " of '", S, "'");
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
      if (S.compare(I, 4, "null") == 0) // PyTorch's None: the default
        return I += 4, true;
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

} // namespace nnc::tools
