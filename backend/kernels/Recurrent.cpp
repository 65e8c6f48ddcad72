//===- backend/kernels/Recurrent.cpp - Rnn, Gru, Lstm and gradients -------===//
//
// ir/Recurrence.h's sequence driver and ir/RecurrenceBackward.h's
// backpropagation through time in float on the blocked GEMM: one product
// for the input projection of every step, one per step for the recurrent
// projection of all gates, a loop over time (not T copies); the weight
// gradients are products over the whole sequence.
//
// Forward T: the op's operands (ir/RecurrentOps.h's order, null where
// absent), its outputs (y, y_h[, y_c][, saved]), then the workspace:
// recurrent::workspaceFloats rounded up to 16, recurrentPackedRCopies
// packed copies of R (recurrentPackedRFloats each), then GEMM packing
// space.
// P: recurrent::Params; F: recurrent::Reals.
//
// Gradient T: x, w, r, saved, then the operands BackwardParams says are
// there (null up to 9 operands), dx, dw, dr, db[, dp], dh0[, dc0], then
// the workspace as above with backwardWorkspaceFloats.
// P: recurrent::BackwardParams; F: recurrent::Reals.
//
//===----------------------------------------------------------------------===//
#include "backend/kernels/Kernel.h"
#include "ir/RecurrenceBackward.h"

namespace nnck {
namespace {

namespace rnn = nnc::recurrent;

/// A product's B packed whole, and which operand it was.
struct PackedB {
  const float *B;
  int64_t RsB, CsB, K, N;
  float *Data;
};

/// Two packed operands: a step multiplies by R (GRU without
/// linear_before_reset by two parts of it), which no step changes.
struct PackCache {
  PackedB Slots[2];
  int64_t Victim;
};

/// ir/Recurrence.h's GEMM interface on the shared GEMMs: dot products for
/// a few rows whose operands both run along K (a batch of one sequence
/// times R^T: packing R every step would cost more than the product); R
/// packed once and reused by every step; the blocked GEMM otherwise.
struct Product {
  float *Pack;
  const float *R, *REnd; // the op's R
  PackCache *Cache;
  NNC_METHOD void operator()(int64_t M, int64_t N, int64_t K, const float *A,
                             int64_t RsA, int64_t CsA, const float *B,
                             int64_t RsB, int64_t CsB, float *C, int64_t Ldc,
                             bool Accumulate) const {
    if (M <= DenseDotRows && CsA == 1 && RsB == 1) {
      gemmNT(M, N, K, A, RsA, B, CsB, C, Ldc, Accumulate);
      return;
    }
    if (B < R || B >= REnd) {
      gemm(M, N, K, A, RsA, CsA, B, RsB, CsB, C, Ldc, Accumulate, Pack);
      return;
    }
    PackedB *Slot = nullptr;
    for (PackedB &S : Cache->Slots)
      if (S.B == B && S.RsB == RsB && S.CsB == CsB && S.K == K && S.N == N)
        Slot = &S;
    if (!Slot) {
      Slot = &Cache->Slots[Cache->Victim];
      Cache->Victim ^= 1;
      packGemmB(K, N, B, RsB, CsB, Slot->Data);
      *Slot = {B, RsB, CsB, K, N, Slot->Data};
    }
    gemmPackedB(M, N, K, A, RsA, CsA, Slot->Data, C, Ldc, Accumulate, Pack);
  }
};

/// The product for an op whose scratch starts at Work: the driver's
/// Scratch floats, the packed copies of R (recurrentPackedRCopies), then
/// GEMM packing space (backend/llvm/RecurrentCalls.cpp sizes it).
NNC_INLINE Product productIn(float *Work, int64_t Scratch, bool Backward,
                             const rnn::Params &Q, const float *R,
                             PackCache &Cache) {
  int64_t H = Q.Hidden, GH = rnn::gateCount(rnn::Cell(Q.Kind)) * H;
  int64_t SlotFloats = recurrentPackedRFloats(H, GH);
  float *Slots = Work + roundUp(Scratch, 16);
  Cache.Victim = 0;
  for (int64_t I = 0; I < 2; ++I)
    Cache.Slots[I] = {nullptr, 0, 0, 0, 0, Slots + I * SlotFloats};
  int64_t Copies = recurrentPackedRCopies(Backward, Q.Batch);
  const float *REnd = Copies ? R + rnn::directions(Q) * GH * H : R;
  return Product{Slots + Copies * SlotFloats, R, REnd, &Cache};
}

NNC_INLINE int runRecurrent(void *const *T, const int64_t *P, const double *F,
                            int Operands) {
  const rnn::Params &Q = params<rnn::Params>(P);
  const rnn::Reals &R = reals<rnn::Reals>(F);
  bool Lstm = Q.Kind == int64_t(rnn::Cell::Lstm);
  int Next = 4; // after x, w, r, b
  rnn::Tensors<float> Ts{};
  Ts.X = f32(T, 0);
  Ts.W = f32(T, 1);
  Ts.R = f32(T, 2);
  Ts.B = f32(T, 3);
  Ts.H0 = f32(T, Next++);
  Ts.C0 = Lstm ? f32(T, Next++) : nullptr;
  Ts.P = Lstm ? f32(T, Next++) : nullptr;
  Ts.Lengths = in<int64_t>(T, Next++);
  int Out = Operands;
  Ts.Y = f32(T, Out++);
  Ts.Yh = f32(T, Out++);
  Ts.Yc = Lstm ? f32(T, Out++) : nullptr;
  Ts.Saved = Q.Save ? f32(T, Out++) : nullptr;
  float *Work = f32(T, Out);
  PackCache Cache;
  Product Gemm =
      productIn(Work, rnn::workspaceFloats(Q), false, Q, Ts.R, Cache);
  return rnn::run(Q, R, Ts, Work, Gemm) ? NNC_OK : NNC_ERR_SEQUENCE_LENGTH;
}

NNC_INLINE int runRecurrentGrad(void *const *T, const int64_t *P,
                                const double *F) {
  const rnn::BackwardParams &Q = params<rnn::BackwardParams>(P);
  const rnn::Params &Fw = Q.Forward;
  const rnn::Reals &R = reals<rnn::Reals>(F);
  bool Lstm = Fw.Kind == int64_t(rnn::Cell::Lstm);
  int Next = 4; // after x, w, r, saved
  rnn::Gradients<float> G{};
  G.Dy = Q.HasDy ? f32(T, Next++) : nullptr;
  G.Dyh = Q.HasDyh ? f32(T, Next++) : nullptr;
  G.Dyc = Q.HasDyc ? f32(T, Next++) : nullptr;
  rnn::Tensors<float> Ts{};
  Ts.X = f32(T, 0);
  Ts.W = f32(T, 1);
  Ts.R = f32(T, 2);
  Ts.Saved = f32(T, 3);
  Ts.P = Q.HasPeepholes ? f32(T, Next++) : nullptr;
  Ts.Lengths = Q.HasLengths ? in<int64_t>(T, Next++) : nullptr;
  int Out = 9; // the declared operands
  G.Dx = f32(T, Out++);
  G.Dw = f32(T, Out++);
  G.Dr = f32(T, Out++);
  G.Db = f32(T, Out++);
  G.Dp = Lstm ? f32(T, Out++) : nullptr;
  G.Dh0 = f32(T, Out++);
  G.Dc0 = Lstm ? f32(T, Out++) : nullptr;
  float *Work = f32(T, Out);
  PackCache Cache;
  Product Gemm =
      productIn(Work, rnn::backwardWorkspaceFloats(Fw), true, Fw, Ts.R, Cache);
  return rnn::runBackward(Fw, R, Ts, G, Work, Gemm) ? NNC_OK
                                                    : NNC_ERR_SEQUENCE_LENGTH;
}

} // namespace

NNC_KERNEL(Rnn) { return runRecurrent(T, P, F, 6); }
NNC_KERNEL(Gru) { return runRecurrent(T, P, F, 6); }
NNC_KERNEL(Lstm) { return runRecurrent(T, P, F, 8); }
NNC_KERNEL(RnnGrad) { return runRecurrentGrad(T, P, F); }
NNC_KERNEL(GruGrad) { return runRecurrentGrad(T, P, F); }
NNC_KERNEL(LstmGrad) { return runRecurrentGrad(T, P, F); }

} // namespace nnck
