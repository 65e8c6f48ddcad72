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
// space for each slice of a split product.
// P: recurrent::Params, then RecurrentSlices; F: recurrent::Reals.
//
// Gradient T: x, w, r, saved, then the operands BackwardParams says are
// there (null up to 9 operands), dx, dw, dr, db[, dp], dh0[, dc0], then
// the workspace as above with backwardWorkspaceFloats.
// P: recurrent::BackwardParams, then RecurrentSlices; F: recurrent::Reals.
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

/// One product's rows split into slices that run at once, each packing
/// into its own space. Every element of C sums over K in the same order
/// whichever slice computes it, so the split does not change the results.
struct SlicedProduct {
  int64_t M, N, K;
  const float *A;
  int64_t RsA, CsA;
  const float *B; // packed whole (PackedB) or strided
  int64_t RsB, CsB;
  bool PackedB;
  float *C;
  int64_t Ldc;
  bool Accumulate;
  float *Pack;
  int64_t PackFloats, Slices;

  /// Slice I's rows, in whole register blocks.
  NNC_METHOD void run(int64_t I) const {
    int64_t First, End;
    rowsOf(M, I, Slices, First, End);
    if (First >= End)
      return;
    const float *Ai = A + First * RsA;
    float *Ci = C + First * Ldc, *Work = Pack + I * PackFloats;
    if (PackedB)
      gemmPackedB(End - First, N, K, Ai, RsA, CsA, B, Ci, Ldc, Accumulate,
                  Work);
    else
      gemm(End - First, N, K, Ai, RsA, CsA, B, RsB, CsB, Ci, Ldc, Accumulate,
           Work);
  }
};

void runSlice(void *Product, int64_t I) {
  static_cast<const SlicedProduct *>(Product)->run(I);
}

/// Products below this many multiply-adds run as one slice: a split costs
/// a parallel_for (a few microseconds).
constexpr int64_t SliceMinMacs = int64_t(1) << 21;

/// ir/Recurrence.h's GEMM interface on the shared GEMMs: dot products for
/// a few rows whose operands both run along K (a batch of one sequence
/// times R^T: packing R every step would cost more than the product); R
/// packed once and reused by every step; the blocked GEMM otherwise, in
/// slices of rows over the caller's threads where the product is large.
struct Product {
  float *Pack;
  const float *R, *REnd; // the op's R
  PackCache *Cache;
  const nnc_exec *Exec;
  RecurrentSlices Split;
  NNC_METHOD void operator()(int64_t M, int64_t N, int64_t K, const float *A,
                             int64_t RsA, int64_t CsA, const float *B,
                             int64_t RsB, int64_t CsB, float *C, int64_t Ldc,
                             bool Accumulate) const {
    if (M <= DenseDotRows && CsA == 1 && RsB == 1) {
      gemmNT(M, N, K, A, RsA, B, CsB, C, Ldc, Accumulate);
      return;
    }
    SlicedProduct S{};
    S.M = M, S.N = N, S.K = K, S.A = A, S.RsA = RsA, S.CsA = CsA;
    S.B = B, S.RsB = RsB, S.CsB = CsB, S.C = C, S.Ldc = Ldc;
    S.Accumulate = Accumulate, S.Pack = Pack;
    S.PackFloats = Split.PackFloats, S.Slices = 1;
    if (B >= R && B < REnd) {
      PackedB *Slot = nullptr;
      for (PackedB &Q : Cache->Slots)
        if (Q.B == B && Q.RsB == RsB && Q.CsB == CsB && Q.K == K && Q.N == N)
          Slot = &Q;
      if (!Slot) {
        Slot = &Cache->Slots[Cache->Victim];
        Cache->Victim ^= 1;
        packGemmB(K, N, B, RsB, CsB, Slot->Data);
        *Slot = {B, RsB, CsB, K, N, Slot->Data};
      }
      S.B = Slot->Data;
      S.PackedB = true;
    }
    if (Exec && Exec->parallel_for && M >= 2 * GemmMR &&
        M * N * K >= SliceMinMacs)
      S.Slices = minOf(Split.Slices, Exec->threads);
    if (S.Slices > 1) {
      Exec->parallel_for(Exec->pool, S.Slices, runSlice, &S);
      return;
    }
    S.run(0);
  }
};

/// The product for an op whose scratch starts at Work: the driver's
/// Scratch floats, the packed copies of R (recurrentPackedRCopies), then
/// GEMM packing space for each slice (backend/llvm/RecurrentCalls.cpp
/// sizes it).
NNC_INLINE Product productIn(float *Work, int64_t Scratch, bool Backward,
                             const rnn::Params &Q, const float *R,
                             PackCache &Cache, const nnc_exec *Exec,
                             const int64_t *SplitP) {
  int64_t H = Q.Hidden, GH = rnn::gateCount(rnn::Cell(Q.Kind)) * H;
  int64_t SlotFloats = recurrentPackedRFloats(H, GH);
  float *Slots = Work + roundUp(Scratch, 16);
  Cache.Victim = 0;
  for (int64_t I = 0; I < 2; ++I)
    Cache.Slots[I] = {nullptr, 0, 0, 0, 0, Slots + I * SlotFloats};
  int64_t Copies = recurrentPackedRCopies(Backward, Q.Batch);
  const float *REnd = Copies ? R + rnn::directions(Q) * GH * H : R;
  RecurrentSlices Split{SplitP[0], SplitP[1]};
  return Product{Slots + Copies * SlotFloats, R, REnd, &Cache, Exec, Split};
}

NNC_INLINE int runRecurrent(void *const *T, const int64_t *P, const double *F,
                            const nnc_exec *Exec, int Operands) {
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
  Product Gemm = productIn(Work, rnn::workspaceFloats(Q), false, Q, Ts.R, Cache,
                           Exec, P + sizeof(rnn::Params) / sizeof(int64_t));
  return rnn::run(Q, R, Ts, Work, Gemm) ? NNC_OK : NNC_ERR_SEQUENCE_LENGTH;
}

NNC_INLINE int runRecurrentGrad(void *const *T, const int64_t *P,
                                const double *F, const nnc_exec *Exec) {
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
      productIn(Work, rnn::backwardWorkspaceFloats(Fw), true, Fw, Ts.R, Cache,
                Exec, P + sizeof(rnn::BackwardParams) / sizeof(int64_t));
  return rnn::runBackward(Fw, R, Ts, G, Work, Gemm) ? NNC_OK
                                                    : NNC_ERR_SEQUENCE_LENGTH;
}

} // namespace

NNC_KERNEL(Rnn) { return runRecurrent(T, P, F, Exec, 6); }
NNC_KERNEL(Gru) { return runRecurrent(T, P, F, Exec, 6); }
NNC_KERNEL(Lstm) { return runRecurrent(T, P, F, Exec, 8); }
NNC_KERNEL(RnnGrad) { return runRecurrentGrad(T, P, F, Exec); }
NNC_KERNEL(GruGrad) { return runRecurrentGrad(T, P, F, Exec); }
NNC_KERNEL(LstmGrad) { return runRecurrentGrad(T, P, F, Exec); }

} // namespace nnck
