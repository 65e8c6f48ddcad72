// Two steps of every optimizer on a fixed problem, against the update rules
// as torch.optim's documentation writes them (pseudo-code transcribed here,
// independently of backend/interp/Optimizer.cpp).
#include "../TestUtil.h"
#include "passes/TrainStep.h"

using namespace nnc;
using namespace nnc::test;

namespace {

using Vec = std::vector<double>;
const Vec X = {0.5, -1.2, 2.0, 1.5, 0.3, -0.7}; // [2, 3]
const Vec T = {1.0, 0.2, -0.5, 0.4, -1.1, 0.9};
const Vec W0 = {0.5, -0.3, 0.8};

/// d/dw of mean((x * w - t)^2) over the 2 x 3 elements.
Vec gradient(const Vec &W) {
  Vec G(3, 0);
  for (int N = 0; N < 2; ++N)
    for (int J = 0; J < 3; ++J) {
      double Xv = X[size_t(N * 3 + J)];
      G[size_t(J)] += 2.0 / 6 * Xv * (Xv * W[size_t(J)] - T[size_t(N * 3 + J)]);
    }
  return G;
}

struct Hyper {
  double Lr = 0.1, Wd = 0, Momentum = 0, Dampening = 0, Alpha = 0.99,
         Eps = 1e-8, Rho = 0.9, B1 = 0.9, B2 = 0.999, LrDecay = 0, Init = 0;
  bool Nesterov = false, Decoupled = false;
};

/// The documented algorithms, for one parameter vector, steps t = 1, 2.
Vec reference(OptimizerKind K, const Hyper &H, int Steps) {
  Vec W = W0, B(3, 0), S(3, H.Init), V(3, 0), U(3, 0), M(3, 0);
  for (double &Wj : W) // the f32 parameter holds W0 rounded
    Wj = double(float(Wj));
  for (int Step = 1; Step <= Steps; ++Step) {
    Vec Grad = gradient(W);
    for (size_t J = 0; J < 3; ++J) {
      double G = Grad[J];
      if (H.Decoupled)
        W[J] -= H.Lr * H.Wd * W[J];
      else
        G += H.Wd * W[J];
      switch (K) {
      case OptimizerKind::SGD:
      case OptimizerKind::Momentum:
      case OptimizerKind::Nesterov:
        if (H.Momentum != 0) {
          B[J] = Step > 1 ? H.Momentum * B[J] + (1 - H.Dampening) * G : G;
          G = H.Nesterov ? G + H.Momentum * B[J] : B[J];
        }
        W[J] -= H.Lr * G;
        break;
      case OptimizerKind::Adagrad: {
        double Lr = H.Lr / (1 + (Step - 1) * H.LrDecay);
        S[J] += G * G;
        W[J] -= Lr * G / (std::sqrt(S[J]) + H.Eps);
        break;
      }
      case OptimizerKind::Adadelta: {
        V[J] = H.Rho * V[J] + G * G * (1 - H.Rho);
        double Dx = std::sqrt(U[J] + H.Eps) / std::sqrt(V[J] + H.Eps) * G;
        U[J] = H.Rho * U[J] + Dx * Dx * (1 - H.Rho);
        W[J] -= H.Lr * Dx;
        break;
      }
      case OptimizerKind::RMSprop:
        V[J] = H.Alpha * V[J] + (1 - H.Alpha) * G * G;
        if (H.Momentum > 0) {
          B[J] = H.Momentum * B[J] + G / (std::sqrt(V[J]) + H.Eps);
          W[J] -= H.Lr * B[J];
        } else {
          W[J] -= H.Lr * G / (std::sqrt(V[J]) + H.Eps);
        }
        break;
      case OptimizerKind::Adam: {
        M[J] = H.B1 * M[J] + (1 - H.B1) * G;
        V[J] = H.B2 * V[J] + (1 - H.B2) * G * G;
        double MHat = M[J] / (1 - std::pow(H.B1, Step));
        double VHat = V[J] / (1 - std::pow(H.B2, Step));
        W[J] -= H.Lr * MHat / (std::sqrt(VHat) + H.Eps);
        break;
      }
      }
    }
    // Parameters and optimizer state are f32 tensors between steps.
    for (Vec *State : {&W, &B, &S, &V, &U, &M})
      for (double &X : *State)
        X = double(float(X));
  }
  return W;
}

/// The same two steps through buildTrainStep and the interpreter.
Expected<Vec> compiled(OptimizerKind K, const Hyper &H, int Steps) {
  Graph G;
  Builder B(G);
  Value *Xv = B.input("x", {-1, 3});
  Value *Tv = B.label("t", {-1, 3}, DType::F32);
  Value *W = B.parameter("w", {3}, {});
  W->Data = encode(W0, DType::F32);
  Value *Loss =
      B.op(OpKind::MseLoss, {B.op(OpKind::Mul, {Xv, W}), Tv}, {}, "loss");
  NNC_TRY(B.status());
  OptimizerConfig C;
  C.Kind = K;
  C.Momentum = H.Momentum;
  C.Dampening = H.Dampening;
  C.Alpha = H.Alpha;
  C.Eps = H.Eps;
  C.Rho = H.Rho;
  C.Beta1 = H.B1;
  C.Beta2 = H.B2;
  C.LrDecay = H.LrDecay;
  C.InitialAccumulatorValue = H.Init;
  C.DecoupledWeightDecay = H.Decoupled;
  G.Training = TrainingConfig{};
  G.Training->Loss = Loss;
  G.Training->Optimizer = C;
  B.entry("infer", {Xv}, {Loss->Producer->Inputs[0]});
  NNC_TRY(verify(G));
  Expected<passes::TrainStep> S = passes::buildTrainStep(G);
  if (!S.ok())
    return S.status();
  Expected<interp::Interpreter> I = interp::Interpreter::create(G);
  if (!I.ok())
    return I.status();
  for (int Step = 1; Step <= Steps; ++Step) {
    interp::TensorMap Feed = {{"x", tensor({2, 3}, X)},
                              {"t", tensor({2, 3}, T)},
                              {"train.lr", tensor({}, {H.Lr})},
                              {"train.weight_decay", tensor({}, {H.Wd})},
                              {"train.step", tensor({}, {double(Step)})}};
    Expected<interp::TensorMap> R = I->run("train_step", Feed);
    if (!R.ok())
      return R.status();
  }
  return I->stored(W).Data;
}

void check(OptimizerKind K, const Hyper &H) {
  Expected<Vec> Got = compiled(K, H, 2);
  ASSERT_OK(Got);
  Vec Want = reference(K, H, 2);
  for (size_t J = 0; J < 3; ++J)
    EXPECT_NEAR((*Got)[J], Want[J], 1e-12)
        << optimizerName(K) << " element " << J;
  // And the parameters really moved.
  EXPECT_GT(std::fabs((*Got)[0] - W0[0]), 1e-4);
}

} // namespace

TEST(Optimizers, SGD) {
  check(OptimizerKind::SGD, {});
  Hyper H;
  H.Wd = 0.05;
  check(OptimizerKind::SGD, H);
}

TEST(Optimizers, MomentumWithDampening) {
  Hyper H;
  H.Momentum = 0.9;
  H.Dampening = 0.3;
  H.Wd = 0.01;
  check(OptimizerKind::Momentum, H);
}

TEST(Optimizers, Nesterov) {
  Hyper H;
  H.Momentum = 0.8;
  H.Nesterov = true;
  check(OptimizerKind::Nesterov, H);
}

TEST(Optimizers, Adagrad) {
  Hyper H;
  H.Eps = 1e-10;
  H.LrDecay = 0.1;
  H.Init = 0.2;
  H.Wd = 0.02;
  check(OptimizerKind::Adagrad, H);
}

TEST(Optimizers, Adadelta) {
  Hyper H;
  H.Lr = 1.0;
  H.Eps = 1e-6;
  H.Rho = 0.85;
  H.Wd = 0.01;
  check(OptimizerKind::Adadelta, H);
}

TEST(Optimizers, RMSprop) {
  Hyper H;
  H.Lr = 0.01;
  H.Alpha = 0.95;
  check(OptimizerKind::RMSprop, H);
  H.Momentum = 0.5;
  H.Wd = 0.03;
  check(OptimizerKind::RMSprop, H);
}

TEST(Optimizers, Adam) {
  Hyper H;
  H.Lr = 0.01;
  H.B1 = 0.8;
  H.B2 = 0.95;
  H.Wd = 0.02;
  check(OptimizerKind::Adam, H);
}

TEST(Optimizers, AdamWDecouplesWeightDecay) {
  Hyper H;
  H.Lr = 0.01;
  H.Wd = 0.1;
  H.Decoupled = true;
  check(OptimizerKind::Adam, H);
}

// loss + l1 * sum|w| + l2 * sum w^2 over weights (rank >= 2): one SGD step
// moves w by -lr * (dloss/dw + l1 sign(w) + 2 l2 w); the rank-1 bias is not
// penalized.
TEST(Regularization, L1AndL2EnterTheGradientOfWeightsOnly) {
  Graph G;
  Builder B(G);
  Value *Xv = B.input("x", {-1, 2});
  Value *Tv = B.label("t", {-1, 1}, DType::F32);
  Value *W = B.parameter("w", {1, 2}, {});
  Value *Bias = B.parameter("b", {1}, {});
  W->Data = encode({0.5, -0.25}, DType::F32);
  Bias->Data = encode({0.75}, DType::F32);
  Value *Loss = B.op(OpKind::MseLoss, {B.op(OpKind::Dense, {Xv, W, Bias}), Tv},
                     {}, "loss");
  ASSERT_OK(B.status());
  G.Training = TrainingConfig{};
  G.Training->Loss = Loss;
  G.Training->L1 = 0.1;
  G.Training->L2 = 0.2;
  ASSERT_OK(verify(G));
  ASSERT_OK(passes::buildTrainStep(G));
  auto I = interp::Interpreter::create(G);
  ASSERT_OK(I);
  // One example x = (1, 2), t = 0: y = 0.5 - 0.5 + 0.75 = 0.75,
  // dloss/dy = 2 * 0.75 = 1.5, so dloss/dw = (1.5, 3), dloss/db = 1.5.
  auto Out = I->run("train_step", {{"x", tensor({1, 2}, {1, 2})},
                                   {"t", tensor({1, 1}, {0})},
                                   {"train.lr", tensor({}, {0.1})},
                                   {"train.weight_decay", tensor({}, {0})},
                                   {"train.step", tensor({}, {1})}});
  ASSERT_OK(Out);
  EXPECT_DOUBLE_EQ(Out->at("loss").Data[0], 0.5625); // data loss only
  double W0 = 0.5 - 0.1 * (1.5 + 0.1 * 1 + 2 * 0.2 * 0.5);
  double W1 = -0.25 - 0.1 * (3 + 0.1 * -1 + 2 * 0.2 * -0.25);
  EXPECT_EQ(I->stored(W).Data, (std::vector<double>{float(W0), float(W1)}));
  EXPECT_EQ(I->stored(Bias).Data[0], double(float(0.75 - 0.1 * 1.5)));
}
