//===- backend/interp/Recurrent.cpp - Rnn, Gru, Lstm and gradients --------===//
//
// ir/Recurrence.h's sequence driver and ir/RecurrenceBackward.h's
// backpropagation through time in double, with a plain matrix product.
//
//===----------------------------------------------------------------------===//
#include "backend/interp/Kernels.h"
#include "ir/RecurrenceBackward.h"
#include "ir/RecurrentOps.h"

namespace nnc::interp {
namespace {

using namespace nnc::ir;
using Args = std::vector<const Tensor *>;
using Results = std::vector<Tensor>;

/// C[M, N] (+)= A[M, K] B[K, N], strided as ir/Recurrence.h describes.
void product(int64_t M, int64_t N, int64_t K, const double *A, int64_t RsA,
             int64_t CsA, const double *B, int64_t RsB, int64_t CsB, double *C,
             int64_t Ldc, bool Accumulate) {
  for (int64_t I = 0; I < M; ++I)
    for (int64_t J = 0; J < N; ++J) {
      double Sum = Accumulate ? C[I * Ldc + J] : 0.0;
      for (int64_t L = 0; L < K; ++L)
        Sum += A[I * RsA + L * CsA] * B[L * RsB + J * CsB];
      C[I * Ldc + J] = Sum;
    }
}

const double *dataOf(const Args &In, std::optional<size_t> I) {
  return I && *I < In.size() ? In[*I]->Data.data() : nullptr;
}

std::vector<int64_t> lengthsOf(const Args &In, std::optional<size_t> I) {
  std::vector<int64_t> Lengths;
  if (I)
    for (double L : In[*I]->Data)
      Lengths.push_back(int64_t(L));
  return Lengths;
}

Status badLength(const Node &N, int64_t Steps) {
  return error(N.describe(),
               ": operand 'sequence_lens' holds a length "
               "outside [0, ",
               Steps, "]");
}

Status evalRecurrent(const Node &N, EvalContext &, const Args &In,
                     Results &Out) {
  Expected<std::pair<recurrent::Params, recurrent::Reals>> PR =
      recurrentParams(N);
  if (!PR.ok())
    return PR.status();
  const recurrent::Params &P = PR->first;
  RecurrentOperands O = recurrentOperands(N);
  std::vector<int64_t> Lengths = lengthsOf(In, O.Lengths);
  recurrent::Tensors<double> Ts{};
  Ts.X = In[O.X]->Data.data();
  Ts.W = In[O.W]->Data.data();
  Ts.R = In[O.R]->Data.data();
  Ts.B = dataOf(In, O.B);
  Ts.Lengths = O.Lengths ? Lengths.data() : nullptr;
  Ts.H0 = dataOf(In, O.InitialH);
  Ts.C0 = dataOf(In, O.InitialC);
  Ts.P = dataOf(In, O.Peepholes);
  size_t NumOut = recurrentOutputs(N.Op);
  Ts.Y = Out[0].Data.data();
  Ts.Yh = Out[1].Data.data();
  Ts.Yc = NumOut > 2 ? Out[2].Data.data() : nullptr;
  Ts.Saved = P.Save ? Out[NumOut].Data.data() : nullptr;
  std::vector<double> Work(size_t(recurrent::workspaceFloats(P)));
  if (!recurrent::run(P, PR->second, Ts, Work.data(), product))
    return badLength(N, P.Steps);
  return Status::success();
}

Status evalRecurrentGrad(const Node &N, EvalContext &, const Args &In,
                         Results &Out) {
  Expected<std::pair<recurrent::Params, recurrent::Reals>> PR =
      recurrentParams(N);
  if (!PR.ok())
    return PR.status();
  const recurrent::Params &P = PR->first;
  RecurrentGradOperands O = recurrentGradOperands(N);
  std::vector<int64_t> Lengths = lengthsOf(In, O.Lengths);
  recurrent::Tensors<double> Ts{};
  Ts.X = In[0]->Data.data();
  Ts.W = In[1]->Data.data();
  Ts.R = In[2]->Data.data();
  Ts.Saved = const_cast<double *>(In[3]->Data.data()); // only read
  Ts.P = dataOf(In, O.Peepholes);
  Ts.Lengths = O.Lengths ? Lengths.data() : nullptr;
  bool Lstm = cellOf(N.Op) == recurrent::Cell::Lstm;
  recurrent::Gradients<double> G{};
  G.Dy = dataOf(In, O.Dy[0]);
  G.Dyh = dataOf(In, O.Dy[1]);
  G.Dyc = dataOf(In, O.Dy[2]);
  G.Dx = Out[0].Data.data();
  G.Dw = Out[1].Data.data();
  G.Dr = Out[2].Data.data();
  G.Db = Out[3].Data.data();
  G.Dp = Lstm ? Out[4].Data.data() : nullptr;
  G.Dh0 = Out[Lstm ? 5 : 4].Data.data();
  G.Dc0 = Lstm ? Out[6].Data.data() : nullptr;
  std::vector<double> Work(size_t(recurrent::backwardWorkspaceFloats(P)));
  if (!recurrent::runBackward(P, PR->second, Ts, G, Work.data(), product))
    return badLength(N, P.Steps);
  return Status::success();
}

} // namespace

void kernels::registerRecurrent() {
  for (OpKind K : {OpKind::Rnn, OpKind::Gru, OpKind::Lstm})
    define(K, evalRecurrent);
  for (OpKind K : {OpKind::RnnGrad, OpKind::GruGrad, OpKind::LstmGrad})
    define(K, evalRecurrentGrad);
}

} // namespace nnc::interp
