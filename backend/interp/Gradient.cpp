//===- backend/interp/Gradient.cpp - Backward ops -------------------------===//
#include "backend/interp/KernelUtil.h"
#include "backend/interp/Kernels.h"
#include "ir/Pointwise.h"

#include <cmath>
#include <numeric>

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

// dx = dy * op'(x) by the op's math in double; Dropout's op' is 1.
Status evalUnaryGrad(const Node &N, EvalContext &, const Args &In,
                     Results &Out) {
  const std::string &Op = N.Attrs.getString("op");
  Unary U = Op == "Dropout" ? Unary::Identity : *unaryNamed(Op);
  std::array<double, 2> A = unaryAttrs(U, N.Attrs);
  const Tensor &X = *In[0], &Y = *In[1], &Dy = *In[2];
  for (int64_t I = 0; I < X.numElements(); ++I)
    Out[0][I] = Dy[I] * pointwise::derivative(U, X[I], Y[I], A.data());
  return Status::success();
}

// Sums x over the dimensions along which 'like' was broadcast.
Status evalSumTo(const Node &, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0];
  const Shape &Target = Out[0].Dims;
  size_t Offset = X.Dims.size() - Target.size();
  std::vector<int64_t> TS = stridesOf(Target);
  std::fill(Out[0].Data.begin(), Out[0].Data.end(), 0.0);
  forEachIndex(X.Dims, [&](int64_t I, const std::vector<int64_t> &Idx) {
    int64_t T = 0;
    for (size_t D = 0; D < Target.size(); ++D)
      T += (Target[D] == 1 ? 0 : Idx[Offset + D]) * TS[D];
    Out[0][T] += X[I];
  });
  return Status::success();
}

Status evalReshapeLike(const Node &, EvalContext &, const Args &In,
                       Results &Out) {
  Out[0].Data = In[0]->Data;
  return Status::success();
}

Status evalPReluGrad(const Node &, EvalContext &, const Args &In,
                     Results &Out) {
  const Tensor &X = *In[0], &Slope = *In[1], &Dy = *In[2];
  int64_t C = X.Dims.size() >= 2 ? X.Dims[1] : 1;
  int64_t Inner = 1;
  for (size_t I = 2; I < X.Dims.size(); ++I)
    Inner *= X.Dims[I];
  std::fill(Out[1].Data.begin(), Out[1].Data.end(), 0.0);
  for (int64_t I = 0; I < X.numElements(); ++I) {
    int64_t Ch = Slope.numElements() == 1 ? 0 : (I / Inner) % C;
    Out[0][I] = X[I] > 0 ? Dy[I] : Slope[Ch] * Dy[I];
    if (X[I] <= 0)
      Out[1][Ch] += Dy[I] * X[I];
  }
  return Status::success();
}

Status evalMaxoutGrad(const Node &N, EvalContext &, const Args &In,
                      Results &Out) {
  const Tensor &X = *In[0], &Dy = *In[1];
  int64_t K = N.Attrs.getInt("pieces");
  int64_t Outer, C, Inner;
  splitAt(Dy.Dims, 1, Outer, C, Inner);
  std::fill(Out[0].Data.begin(), Out[0].Data.end(), 0.0);
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t I = 0; I < Inner; ++I) {
        int64_t Best = (O * C * K + Ch * K) * Inner + I;
        for (int64_t P = 1; P < K; ++P) {
          int64_t At = (O * C * K + Ch * K + P) * Inner + I;
          if (X[At] > X[Best])
            Best = At;
        }
        Out[0][Best] = Dy[(O * C + Ch) * Inner + I];
      }
  return Status::success();
}

// Softmax: dx = y * (dy - sum(dy * y)); LogSoftmax: dx = dy - e^y sum(dy).
Status evalSoftmaxGrad(const Node &N, EvalContext &, const Args &In,
                       Results &Out) {
  const Tensor &Y = *In[0], &Dy = *In[1];
  bool Log = N.Attrs.getInt("log") != 0;
  int64_t Axis = N.Attrs.getInt("axis");
  if (Axis < 0)
    Axis += int64_t(Y.Dims.size());
  int64_t Outer, Extent, Inner;
  splitAt(Y.Dims, Axis, Outer, Extent, Inner);
  for (int64_t O = 0; O < Outer; ++O)
    for (int64_t I = 0; I < Inner; ++I) {
      auto At = [&](int64_t K) { return (O * Extent + K) * Inner + I; };
      double Sum = 0;
      for (int64_t K = 0; K < Extent; ++K)
        Sum += Log ? Dy[At(K)] : Dy[At(K)] * Y[At(K)];
      for (int64_t K = 0; K < Extent; ++K)
        Out[0][At(K)] = Log ? Dy[At(K)] - std::exp(Y[At(K)]) * Sum
                            : Y[At(K)] * (Dy[At(K)] - Sum);
    }
  return Status::success();
}

// dW_g += dY_g x im2col(X_g)^T for every image and group.
Status evalConvGradWeights(const Node &N, EvalContext &, const Args &In,
                           Results &Out) {
  const Tensor &X = *In[0], &Dy = *In[1];
  Expected<Window2D> GOr =
      convWindow(N, TensorType{X.Elt, X.Dims}, TensorType{X.Elt, Out[0].Dims});
  if (!GOr.ok())
    return GOr.status();
  const Window2D &G = *GOr;
  int64_t Cg = G.C / G.Groups, Og = G.O / G.Groups;
  int64_t K = Cg * G.KH * G.KW, Pixels = G.OH * G.OW;
  std::fill(Out[0].Data.begin(), Out[0].Data.end(), 0.0);
  Mat Col;
  for (int64_t Img = 0; Img < G.N; ++Img)
    for (int64_t Grp = 0; Grp < G.Groups; ++Grp) {
      im2col(X.Data.data() + (Img * G.C + Grp * Cg) * G.H * G.W, G, Cg, Col);
      Map(Out[0].Data.data() + Grp * Og * K, Og, K) +=
          MapC(Dy.Data.data() + (Img * G.O + Grp * Og) * Pixels, Og, Pixels) *
          Col.transpose();
    }
  return Status::success();
}

// y = exp(-beta_k d2), d2 = |x_n - mu_k|^2; with e = dy * y:
// dx_n = sum_k -2 beta_k e (x_n - mu_k), dmu_k = sum_n 2 beta_k e (x_n - mu_k),
// dbeta_k = -sum_n e d2.
Status evalRbfGrad(const Node &, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0], &Mu = *In[1], &Beta = *In[2], &Y = *In[3],
               &Dy = *In[4];
  int64_t N = X.Dims[0], D = X.Dims[1], K = Mu.Dims[0];
  for (Tensor &T : Out)
    std::fill(T.Data.begin(), T.Data.end(), 0.0);
  for (int64_t I = 0; I < N; ++I)
    for (int64_t J = 0; J < K; ++J) {
      double E = Dy[I * K + J] * Y[I * K + J], D2 = 0;
      for (int64_t C = 0; C < D; ++C) {
        double Diff = X[I * D + C] - Mu[J * D + C];
        D2 += Diff * Diff;
        Out[0][I * D + C] -= 2 * Beta[J] * E * Diff;
        Out[1][J * D + C] += 2 * Beta[J] * E * Diff;
      }
      Out[2][J] -= E * D2;
    }
  return Status::success();
}

/// The first window element equal to the pooled value: where max pooling
/// took it from, and where stochastic pooling sampled it.
int64_t sourceOf(const Tensor &X, double Y, const std::vector<int64_t> &W) {
  for (int64_t I : W)
    if (X[I] == Y)
      return I;
  return W.empty() ? -1 : W.front();
}

Status evalPoolGrad(const Node &N, EvalContext &Ctx, const Args &In,
                    Results &Out) {
  const Tensor &X = *In[0], &Y = *In[1], &Dy = *In[2];
  const std::string &Pool = N.Attrs.getString("pool");
  Tensor &Dx = Out[0];
  std::fill(Dx.Data.begin(), Dx.Data.end(), 0.0);
  if (Pool == "GlobalAvgPool" || Pool == "GlobalMaxPool") {
    int64_t Planes = X.Dims[0] * X.Dims[1], Size = X.numElements() / Planes;
    for (int64_t P = 0; P < Planes; ++P) {
      if (Pool == "GlobalAvgPool") {
        for (int64_t I = 0; I < Size; ++I)
          Dx[P * Size + I] = Dy[P] / double(Size);
        continue;
      }
      for (int64_t I = 0; I < Size; ++I)
        if (X[P * Size + I] == Y[P]) {
          Dx[P * Size + I] = Dy[P];
          break;
        }
    }
    return Status::success();
  }
  Expected<Window2D> GOr = poolWindow(N, TensorType{X.Elt, X.Dims});
  if (!GOr.ok())
    return GOr.status();
  const Window2D &G = *GOr;
  bool IncludePad = N.Attrs.getInt("count_include_pad") != 0;
  // Stochastic pooling outside training is the expectation
  // y = sum(a_i^2) / sum(a_i), so dy/da_i = (2 a_i - y) / sum(a).
  bool Expectation = Pool == "StochasticPool" && !Ctx.Opts.Training;
  forEachWindow(
      G, [&](int64_t O, int64_t Oh, int64_t Ow, const std::vector<int64_t> &W) {
        if (Pool == "AvgPool") {
          double Count = avgPoolCount(G, IncludePad, Oh, Ow, W.size());
          for (int64_t I : W)
            Dx[I] += Dy[O] / Count;
        } else if (Expectation) {
          double Sum = 0;
          for (int64_t I : W)
            Sum += std::max(X[I], 0.0);
          if (Sum > 0)
            for (int64_t I : W)
              if (X[I] > 0)
                Dx[I] += Dy[O] * (2 * X[I] - Y[O]) / Sum;
        } else if (int64_t I = sourceOf(X, Y[O], W); I >= 0) {
          Dx[I] += Dy[O];
        }
      });
  return Status::success();
}

Status evalBatchNormGrad(const Node &N, EvalContext &, const Args &In,
                         Results &Out) {
  const Tensor &X = *In[0], &Scale = *In[1], &Dy = *In[4];
  int64_t C = X.Dims[1], Inner = X.numElements() / (X.Dims[0] * C);
  double M = double(X.Dims[0] * Inner), Eps = N.Attrs.getFloat("epsilon");
  bool Training = N.Attrs.getInt("training") != 0;
  std::vector<double> Mean(In[2]->Data), Var(In[3]->Data);
  if (Training)
    channelMoments(X, Mean, Var);
  std::vector<double> SumDy(size_t(C), 0), SumDyXhat(size_t(C), 0);
  auto Ch = [&](int64_t I) { return size_t((I / Inner) % C); };
  auto Xhat = [&](int64_t I) {
    return (X[I] - Mean[Ch(I)]) / std::sqrt(Var[Ch(I)] + Eps);
  };
  for (int64_t I = 0; I < X.numElements(); ++I) {
    SumDy[Ch(I)] += Dy[I];
    SumDyXhat[Ch(I)] += Dy[I] * Xhat(I);
  }
  for (int64_t I = 0; I < X.numElements(); ++I) {
    size_t K = Ch(I);
    double InvStd = 1 / std::sqrt(Var[K] + Eps);
    Out[0][I] = Training ? Scale[int64_t(K)] * InvStd / M *
                               (M * Dy[I] - SumDy[K] - Xhat(I) * SumDyXhat[K])
                         : Scale[int64_t(K)] * InvStd * Dy[I];
  }
  for (int64_t K = 0; K < C; ++K) {
    Out[1][K] = SumDyXhat[size_t(K)];
    Out[2][K] = SumDy[size_t(K)];
  }
  return Status::success();
}

// y_c = x_c S_c^-beta, S_c = bias + alpha/size sum_{j in W(c)} x_j^2:
// dx_i = dy_i S_i^-beta
//        - 2 alpha beta / size x_i sum_{c: i in W(c)} dy_c x_c S_c^(-beta-1).
Status evalLRNGrad(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &X = *In[0], &Dy = *In[1];
  int64_t Size = N.Attrs.getInt("size");
  double Alpha = N.Attrs.getFloat("alpha"), Beta = N.Attrs.getFloat("beta"),
         Bias = N.Attrs.getFloat("bias");
  int64_t Batch = X.Dims[0], C = X.Dims[1];
  int64_t Inner = X.numElements() / (Batch * C);
  int64_t Before = (Size - 1) / 2, After = Size - 1 - Before;
  auto At = [&](int64_t B, int64_t Ch, int64_t I) {
    return (B * C + Ch) * Inner + I;
  };
  std::vector<double> S = lrnScales(X, Size, Alpha, Bias);
  for (int64_t B = 0; B < Batch; ++B)
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t I = 0; I < Inner; ++I) {
        int64_t Here = At(B, Ch, I);
        double Acc = 0;
        for (int64_t K = std::max<int64_t>(0, Ch - After);
             K <= std::min(C - 1, Ch + Before); ++K) {
          int64_t There = At(B, K, I);
          Acc += Dy[There] * X[There] * std::pow(S[size_t(There)], -Beta - 1);
        }
        Out[0][Here] = Dy[Here] * std::pow(S[size_t(Here)], -Beta) -
                       2 * Alpha * Beta / double(Size) * X[Here] * Acc;
      }
  return Status::success();
}

Status evalReduceGrad(const Node &N, EvalContext &, const Args &In,
                      Results &Out) {
  const Tensor &Dy = *In[0];
  const Shape &XDims = Out[0].Dims;
  int64_t Rank = int64_t(XDims.size());
  std::vector<int64_t> Axes;
  for (int64_t A : N.Attrs.getInts("axes"))
    Axes.push_back(A < 0 ? A + Rank : A);
  if (Axes.empty())
    for (int64_t I = 0; I < Rank; ++I)
      Axes.push_back(I);
  std::vector<int64_t> Map = reductionMap(XDims, Axes);
  double Scale = 1;
  if (N.Attrs.getInt("mean"))
    Scale = double(Dy.numElements()) / double(numElements(XDims));
  for (int64_t I = 0; I < Out[0].numElements(); ++I)
    Out[0][I] = Dy[Map[size_t(I)]] * Scale;
  return Status::success();
}

// Each element of dy goes back to the element of x it was padded from
// (several, for reflect and edge); the constant's take none.
Status evalPadGrad(const Node &N, EvalContext &, const Args &In, Results &Out) {
  const Tensor &Dy = *In[0];
  std::fill(Out[0].Data.begin(), Out[0].Data.end(), 0.0);
  forEachPadded(Out[0].Dims, Dy.Dims, N.Attrs.getInts("pads"),
                padMode(N.Attrs.getString("mode")),
                [&](int64_t I, int64_t Src) {
                  if (Src >= 0)
                    Out[0][Src] += Dy[I];
                });
  return Status::success();
}

Status evalLossGrad(const Node &N, EvalContext &, const Args &In,
                    Results &Out) {
  const Tensor &P = *In[0], &T = *In[1];
  double Dl = (*In[2])[0];
  const std::string &Loss = N.Attrs.getString("loss");
  if (Loss == "SoftmaxCrossEntropy") {
    int64_t Rows = P.Dims[0], C = P.Dims[1];
    for (int64_t R = 0; R < Rows; ++R) {
      const double *Z = P.Data.data() + R * C;
      double M = *std::max_element(Z, Z + C), S = 0;
      for (int64_t K = 0; K < C; ++K)
        S += std::exp(Z[K] - M);
      for (int64_t K = 0; K < C; ++K)
        Out[0][R * C + K] =
            (std::exp(Z[K] - M) / S - (K == int64_t(T[R]) ? 1.0 : 0.0)) * Dl /
            double(Rows);
    }
    return Status::success();
  }
  if (Loss != "MseLoss" && Loss != "BceLoss" && Loss != "BceWithLogitsLoss")
    return error("no reference gradient for loss '", Loss, "'");
  double Count = double(P.numElements());
  for (int64_t I = 0; I < P.numElements(); ++I) {
    double G;
    if (Loss == "MseLoss")
      G = 2 * (P[I] - T[I]);
    else if (Loss == "BceLoss") // PyTorch's clamp of the denominator
      G = (P[I] - T[I]) / std::max((1 - P[I]) * P[I], 1e-12);
    else // BceWithLogitsLoss
      G = pointwise::sigmoid(P[I]) - T[I];
    Out[0][I] = G * Dl / Count;
  }
  return Status::success();
}

// d/dlp[n, t, d] = -w[t] g, where g is dloss (per element for 'none',
// else shared, divided by the summed weights for 'mean').
Status evalNllLossGrad(const Node &N, EvalContext &, const Args &In,
                       Results &Out) {
  std::vector<double> Terms, Weights;
  std::vector<const Tensor *> Fwd = {In[0], In[1]};
  if (In.size() > 3)
    Fwd.push_back(In[3]);
  NNC_TRY(nllTerms(N, Fwd, Terms, Weights));
  const Tensor &Lp = *In[0], &Labels = *In[1], &Dl = *In[2];
  const std::string &R = N.Attrs.getString("reduction");
  double Scale = R == "none" ? 1.0 : Dl[0];
  if (R == "mean")
    Scale /= std::accumulate(Weights.begin(), Weights.end(), 0.0);
  int64_t C = Lp.Dims[1], Inner = Lp.numElements() / (Lp.Dims[0] * C);
  std::fill(Out[0].Data.begin(), Out[0].Data.end(), 0.0);
  for (int64_t E = 0; E < int64_t(Terms.size()); ++E) {
    if (Weights[size_t(E)] == 0)
      continue; // ignored (or weighted 0): no gradient
    int64_t R0 = E / Inner, D = E % Inner, T = int64_t(Labels[E]);
    Out[0][(R0 * C + T) * Inner + D] =
        -Weights[size_t(E)] * (R == "none" ? Dl[E] : 1.0) * Scale;
  }
  return Status::success();
}

} // namespace

void kernels::registerGradient() {
  define(OpKind::UnaryGrad, evalUnaryGrad);
  define(OpKind::SumTo, evalSumTo);
  define(OpKind::ReshapeLike, evalReshapeLike);
  define(OpKind::PReluGrad, evalPReluGrad);
  define(OpKind::MaxoutGrad, evalMaxoutGrad);
  define(OpKind::SoftmaxGrad, evalSoftmaxGrad);
  define(OpKind::ConvGradWeights, evalConvGradWeights);
  define(OpKind::RbfGrad, evalRbfGrad);
  define(OpKind::PoolGrad, evalPoolGrad);
  define(OpKind::BatchNormGrad, evalBatchNormGrad);
  define(OpKind::LRNGrad, evalLRNGrad);
  define(OpKind::ReduceGrad, evalReduceGrad);
  define(OpKind::PadGrad, evalPadGrad);
  define(OpKind::LossGrad, evalLossGrad);
  define(OpKind::NllLossGrad, evalNllLossGrad);
}

} // namespace nnc::interp
