//===- backend/interp/Optimizer.cpp - PyTorch's update rules --------------===//
//
// Each rule follows torch.optim's single-tensor implementation (1.13) line
// by line: where eps sits, how weight decay and dampening enter, when the
// momentum buffer starts.
//
//===----------------------------------------------------------------------===//
#include "backend/interp/Kernels.h"

#include <algorithm>
#include <cmath>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

struct Common {
  double Lr, Wd, Step;
  bool Decoupled;
};

Common common(const Node &N, const Args &In) {
  return {(*In[2])[0], (*In[3])[0], (*In[4])[0],
          N.Attrs.getInt("decoupled") != 0};
}

/// Weight decay: decoupled shrinks the parameter (AdamW); coupled adds
/// wd * p to the gradient. Returns the gradient to use; P is the parameter
/// the update starts from.
double decay(const Common &C, double G, double &P) {
  if (C.Wd == 0)
    return G;
  if (C.Decoupled) {
    P *= 1 - C.Lr * C.Wd;
    return G;
  }
  return G + C.Wd * P;
}

Status evalSgd(const Node &N, EvalContext &, const Args &In, Results &Out) {
  Common C = common(N, In);
  double Mom = N.Attrs.getFloat("momentum"),
         Damp = N.Attrs.getFloat("dampening");
  bool Nesterov = N.Attrs.getInt("nesterov") != 0;
  const Tensor &P = *In[0], &G = *In[1];
  for (int64_t I = 0; I < P.numElements(); ++I) {
    double Param = P[I], D = decay(C, G[I], Param);
    if (Mom != 0) {
      // The buffer starts as the first gradient, undamped.
      double Buf = C.Step <= 1 ? D : Mom * (*In[5])[I] + (1 - Damp) * D;
      Out[1][I] = Buf;
      D = Nesterov ? D + Mom * Buf : Buf;
    }
    Out[0][I] = Param - C.Lr * D;
  }
  return Status::success();
}

Status evalAdagrad(const Node &N, EvalContext &, const Args &In, Results &Out) {
  Common C = common(N, In);
  double Clr = C.Lr / (1 + (C.Step - 1) * N.Attrs.getFloat("lr_decay"));
  double Eps = N.Attrs.getFloat("eps");
  const Tensor &P = *In[0], &G = *In[1], &Sum = *In[5];
  for (int64_t I = 0; I < P.numElements(); ++I) {
    double Param = P[I], D = decay(C, G[I], Param);
    double S = Sum[I] + D * D;
    Out[1][I] = S;
    Out[0][I] = Param - Clr * D / (std::sqrt(S) + Eps);
  }
  return Status::success();
}

Status evalAdadelta(const Node &N, EvalContext &, const Args &In,
                    Results &Out) {
  Common C = common(N, In);
  double Rho = N.Attrs.getFloat("rho"), Eps = N.Attrs.getFloat("eps");
  const Tensor &P = *In[0], &G = *In[1], &Sq = *In[5], &Acc = *In[6];
  for (int64_t I = 0; I < P.numElements(); ++I) {
    double Param = P[I], D = decay(C, G[I], Param);
    double S = Rho * Sq[I] + (1 - Rho) * D * D;
    double Std = std::sqrt(S + Eps);
    double Delta = std::sqrt(Acc[I] + Eps) / Std * D;
    Out[1][I] = S;
    Out[2][I] = Rho * Acc[I] + (1 - Rho) * Delta * Delta;
    Out[0][I] = Param - C.Lr * Delta;
  }
  return Status::success();
}

Status evalRmsprop(const Node &N, EvalContext &, const Args &In, Results &Out) {
  Common C = common(N, In);
  double Alpha = N.Attrs.getFloat("alpha"), Eps = N.Attrs.getFloat("eps"),
         Mom = N.Attrs.getFloat("momentum");
  bool Centered = N.Attrs.getInt("centered") != 0;
  const Tensor &P = *In[0], &G = *In[1], &Sq = *In[5];
  for (int64_t I = 0; I < P.numElements(); ++I) {
    double Param = P[I], D = decay(C, G[I], Param);
    double S = Alpha * Sq[I] + (1 - Alpha) * D * D;
    double Var = S;
    if (Centered) { // the variance about the running mean of the gradient
      double Mean = Alpha * (*In[7])[I] + (1 - Alpha) * D;
      Out[3][I] = Mean;
      Var = S - Mean * Mean;
    }
    double Avg = std::sqrt(Var) + Eps;
    Out[1][I] = S;
    if (Mom > 0) {
      double Buf = Mom * (*In[6])[I] + D / Avg;
      Out[2][I] = Buf;
      Out[0][I] = Param - C.Lr * Buf;
    } else {
      if (Out.size() > 2)
        Out[2][I] = (*In[6])[I];
      Out[0][I] = Param - C.Lr * D / Avg;
    }
  }
  return Status::success();
}

Status evalAdam(const Node &N, EvalContext &, const Args &In, Results &Out) {
  Common C = common(N, In);
  double B1 = N.Attrs.getFloat("beta1"), B2 = N.Attrs.getFloat("beta2"),
         Eps = N.Attrs.getFloat("eps");
  bool Amsgrad = N.Attrs.getInt("amsgrad") != 0;
  double StepSize = C.Lr / (1 - std::pow(B1, C.Step));
  double Bc2Sqrt = std::sqrt(1 - std::pow(B2, C.Step));
  const Tensor &P = *In[0], &G = *In[1], &M = *In[5], &V = *In[6];
  for (int64_t I = 0; I < P.numElements(); ++I) {
    double Param = P[I], D = decay(C, G[I], Param);
    double Mi = B1 * M[I] + (1 - B1) * D;
    double Vi = B2 * V[I] + (1 - B2) * D * D;
    Out[1][I] = Mi;
    Out[2][I] = Vi;
    if (Amsgrad) { // the largest second moment so far
      Vi = std::max((*In[7])[I], Vi);
      Out[3][I] = Vi;
    }
    Out[0][I] = Param - StepSize * Mi / (std::sqrt(Vi) / Bc2Sqrt + Eps);
  }
  return Status::success();
}

// ai.onnx.preview.training: the regularized gradient is
// g + norm_coefficient * x; t counts the steps done before this one.
Status evalOnnxAdagrad(const Node &N, EvalContext &, const Args &In,
                       Results &Out) {
  const Attributes &A = N.Attrs;
  double R = (*In[0])[0], T = (*In[1])[0];
  double Lr = R / (1 + T * A.getFloat("decay_factor"));
  double Norm = A.getFloat("norm_coefficient"), Eps = A.getFloat("epsilon");
  const Tensor &X = *In[2], &G = *In[3], &H = *In[4];
  for (int64_t I = 0; I < X.numElements(); ++I) {
    double Gr = Norm * X[I] + G[I];
    double Hn = H[I] + Gr * Gr;
    Out[1][I] = Hn;
    Out[0][I] = X[I] - Lr * Gr / (std::sqrt(Hn) + Eps);
  }
  return Status::success();
}

Status evalOnnxMomentum(const Node &N, EvalContext &, const Args &In,
                        Results &Out) {
  const Attributes &A = N.Attrs;
  double R = (*In[0])[0], T = (*In[1])[0];
  double Alpha = A.getFloat("alpha"), Beta = T > 0 ? A.getFloat("beta") : 1.0;
  double Norm = A.getFloat("norm_coefficient");
  bool Nesterov = A.getInt("nesterov") != 0;
  const Tensor &X = *In[2], &G = *In[3], &V = *In[4];
  for (int64_t I = 0; I < X.numElements(); ++I) {
    double Gr = Norm * X[I] + G[I];
    double Vn = Alpha * V[I] + Beta * Gr;
    Out[1][I] = Vn;
    Out[0][I] = X[I] - R * (Nesterov ? Gr + Alpha * Vn : Vn);
  }
  return Status::success();
}

Status evalOnnxAdam(const Node &N, EvalContext &, const Args &In,
                    Results &Out) {
  const Attributes &A = N.Attrs;
  double R = (*In[0])[0], T = (*In[1])[0];
  double Alpha = A.getFloat("alpha"), Beta = A.getFloat("beta");
  double Eps = A.getFloat("epsilon"), Norm = A.getFloat("norm_coefficient");
  double Post = A.getFloat("norm_coefficient_post");
  double Ra =
      T > 0 ? R * std::sqrt(1 - std::pow(Beta, T)) / (1 - std::pow(Alpha, T))
            : R;
  const Tensor &X = *In[2], &G = *In[3], &V = *In[4], &H = *In[5];
  for (int64_t I = 0; I < X.numElements(); ++I) {
    double Gr = Norm * X[I] + G[I];
    double Vn = Alpha * V[I] + (1 - Alpha) * Gr;
    double Hn = Beta * H[I] + (1 - Beta) * Gr * Gr;
    Out[1][I] = Vn;
    Out[2][I] = Hn;
    Out[0][I] = (1 - Post) * (X[I] - Ra * Vn / (std::sqrt(Hn) + Eps));
  }
  return Status::success();
}

} // namespace

void kernels::registerOptimizer() {
  define(OpKind::SgdUpdate, evalSgd);
  define(OpKind::AdagradUpdate, evalAdagrad);
  define(OpKind::AdadeltaUpdate, evalAdadelta);
  define(OpKind::RmspropUpdate, evalRmsprop);
  define(OpKind::AdamUpdate, evalAdam);
  define(OpKind::OnnxAdagrad, evalOnnxAdagrad);
  define(OpKind::OnnxMomentum, evalOnnxMomentum);
  define(OpKind::OnnxAdam, evalOnnxAdam);
}

} // namespace nnc::interp
