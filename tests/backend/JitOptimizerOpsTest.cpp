// The optimizer update ops, PyTorch's and ONNX training's: the JIT against
// the reference interpreter (JitOpCheck.h's checkOp).
#include "JitOpCheck.h"

using namespace nnc;
using namespace nnc::test;

TEST(JitOps, OptimizerUpdates) {
  // (param, grad, lr, weight_decay, step, state...) at step 1 and 3, with
  // coupled and decoupled weight decay.
  auto State = [](uint64_t Seed) { return rnd({5, 7}, Seed, 0.01, 1); };
  struct Opt {
    OpKind K;
    int States;
    Attributes A;
  };
  std::vector<Opt> Opts = {
      {OpKind::SgdUpdate, 0, {}},
      {OpKind::SgdUpdate, 1, attrs({{"momentum", 0.9}, {"dampening", 0.1}})},
      {OpKind::SgdUpdate, 1,
       attrs({{"momentum", 0.9}, {"nesterov", int64_t(1)}})},
      {OpKind::AdagradUpdate, 1, attrs({{"lr_decay", 0.01}})},
      {OpKind::AdadeltaUpdate, 2, {}},
      {OpKind::RmspropUpdate, 1, {}},
      {OpKind::RmspropUpdate, 2, attrs({{"momentum", 0.5}})},
      {OpKind::AdamUpdate, 2, {}},
  };
  for (const Opt &O : Opts)
    for (double Step : {1.0, 3.0})
      for (int64_t Decoupled : {0, 1}) {
        SCOPED_TRACE(std::string(opName(O.K)) + " step " +
                     std::to_string(Step) + " decoupled " +
                     std::to_string(Decoupled));
        Attributes A = O.A;
        A.set("decoupled", Decoupled);
        std::vector<Tensor> In = {rnd({5, 7}, 1), rnd({5, 7}, 2),
                                  tensor({}, {0.05}), tensor({}, {0.01}),
                                  tensor({}, {Step})};
        for (int S = 0; S < O.States; ++S)
          In.push_back(State(uint64_t(10 + S)));
        checkOp({O.K, In, {}, A, size_t(1 + O.States)});
      }
}

TEST(JitOps, OnnxTrainingUpdates) {
  // ai.onnx.preview.training's rules (r, t, x, g, state...), at t = 0 (no
  // bias correction, Momentum's beta replaced by 1) and t = 3.
  for (double Step : {0.0, 3.0}) {
    SCOPED_TRACE(Step);
    auto In = [&](int States) {
      std::vector<Tensor> V = {tensor({}, {0.05}),
                               tensor({}, {Step}, DType::I64), rnd({3, 4}, 1),
                               rnd({3, 4}, 2)};
      for (int S = 0; S < States; ++S)
        V.push_back(rnd({3, 4}, uint64_t(3 + S), 0.01, 1));
      return V;
    };
    checkOp({OpKind::OnnxAdagrad,
             In(1),
             {},
             attrs({{"decay_factor", 0.1},
                    {"epsilon", 1e-5},
                    {"norm_coefficient", 0.001}}),
             2});
    for (int64_t Nesterov : {0, 1})
      checkOp({OpKind::OnnxMomentum,
               In(1),
               {},
               attrs({{"alpha", 0.9},
                      {"beta", 0.5},
                      {"nesterov", Nesterov},
                      {"norm_coefficient", 0.001}}),
               2});
    checkOp({OpKind::OnnxAdam,
             In(2),
             {},
             attrs({{"alpha", 0.9},
                    {"beta", 0.99},
                    {"epsilon", 1e-6},
                    {"norm_coefficient", 0.001},
                    {"norm_coefficient_post", 0.01}}),
             3});
  }
}
