#include "passes/MemoryPlanner.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace nnc::passes {
namespace {

size_t alignUp(size_t N, size_t A) { return (N + A - 1) / A * A; }

bool liveTogether(const LiveBuffer &A, const LiveBuffer &B) {
  return A.First <= B.Last && B.First <= A.Last;
}

/// Places buffers in the given order; each goes into the smallest gap (best
/// fit) between the already placed buffers that share its lifetime, or on
/// top of them.
std::vector<size_t> place(const std::vector<LiveBuffer> &Bufs,
                          const std::vector<size_t> &Order, size_t Align,
                          size_t &Arena) {
  std::vector<size_t> Offsets(Bufs.size(), 0);
  std::vector<size_t> Placed;
  Arena = 0;
  std::vector<std::pair<size_t, size_t>> Busy; // [begin, end) in memory
  for (size_t I : Order) {
    size_t Size = alignUp(Bufs[I].Bytes, Align);
    Busy.clear();
    for (size_t J : Placed)
      if (liveTogether(Bufs[I], Bufs[J]))
        Busy.push_back(
            {Offsets[J], Offsets[J] + alignUp(Bufs[J].Bytes, Align)});
    std::sort(Busy.begin(), Busy.end());
    size_t Best = SIZE_MAX, BestGap = SIZE_MAX, Cursor = 0;
    for (auto [Begin, End] : Busy) {
      if (Begin >= Cursor + Size && Begin - Cursor < BestGap) {
        BestGap = Begin - Cursor;
        Best = Cursor;
      }
      Cursor = std::max(Cursor, End);
    }
    Offsets[I] = Best != SIZE_MAX ? Best : Cursor;
    Arena = std::max(Arena, Offsets[I] + Size);
    Placed.push_back(I);
  }
  return Offsets;
}

} // namespace

MemoryPlan planMemory(const std::vector<LiveBuffer> &Bufs, size_t Align) {
  MemoryPlan Plan;
  if (Bufs.empty())
    return Plan;
  // Lower bound: the most bytes live at one position (positions where some
  // interval starts are the only candidates).
  for (const LiveBuffer &B : Bufs) {
    size_t Live = 0;
    for (const LiveBuffer &C : Bufs)
      if (C.First <= B.First && B.First <= C.Last)
        Live += alignUp(C.Bytes, Align);
    Plan.LowerBound = std::max(Plan.LowerBound, Live);
  }
  using Less = std::function<bool(size_t, size_t)>;
  auto Size = [&](size_t I) { return alignUp(Bufs[I].Bytes, Align); };
  auto Span = [&](size_t I) { return Bufs[I].Last - Bufs[I].First + 1; };
  const std::pair<const char *, Less> Orderings[] = {
      {"size",
       [&](size_t A, size_t B) {
         return Size(A) != Size(B) ? Size(A) > Size(B)
                                   : Bufs[A].First < Bufs[B].First;
       }},
      {"size x lifetime",
       [&](size_t A, size_t B) {
         return double(Size(A)) * double(Span(A)) >
                double(Size(B)) * double(Span(B));
       }},
      {"lifetime",
       [&](size_t A, size_t B) {
         return Span(A) != Span(B) ? Span(A) > Span(B) : Size(A) > Size(B);
       }},
      {"start",
       [&](size_t A, size_t B) {
         return Bufs[A].First != Bufs[B].First ? Bufs[A].First < Bufs[B].First
                                               : Size(A) > Size(B);
       }},
  };
  std::vector<size_t> BestOrder;
  for (const auto &[Name, Cmp] : Orderings) {
    std::vector<size_t> Order(Bufs.size());
    std::iota(Order.begin(), Order.end(), 0);
    std::stable_sort(Order.begin(), Order.end(), Cmp);
    size_t Arena = 0;
    std::vector<size_t> Offsets = place(Bufs, Order, Align, Arena);
    if (Plan.Offsets.empty() || Arena < Plan.ArenaBytes) {
      Plan.Offsets = std::move(Offsets);
      Plan.ArenaBytes = Arena;
      Plan.Ordering = Name;
      BestOrder = Order;
    }
  }
  // Local search from the best ordering: swap two buffers' places in the
  // order, keep the swap unless the arena grows (a fixed generator, so
  // plans are the same every run). Stops at the lower bound.
  uint64_t State = 0x2545f4914f6cdd1dULL;
  size_t Tries = std::min<size_t>(400, 20 * Bufs.size());
  bool Improved = false;
  for (size_t T = 0;
       T < Tries && Bufs.size() > 1 && Plan.ArenaBytes > Plan.LowerBound; ++T) {
    State ^= State << 13, State ^= State >> 7, State ^= State << 17;
    size_t A = State % Bufs.size(), B = (State >> 32) % Bufs.size();
    if (A == B)
      continue;
    std::swap(BestOrder[A], BestOrder[B]);
    size_t Arena = 0;
    std::vector<size_t> Offsets = place(Bufs, BestOrder, Align, Arena);
    if (Arena <= Plan.ArenaBytes) {
      Improved |= Arena < Plan.ArenaBytes;
      Plan.Offsets = std::move(Offsets);
      Plan.ArenaBytes = Arena;
    } else {
      std::swap(BestOrder[A], BestOrder[B]);
    }
  }
  if (Improved)
    Plan.Ordering += " + local search";
  return Plan;
}

std::pair<int64_t, int64_t> findConflict(const std::vector<LiveBuffer> &Bufs,
                                         const MemoryPlan &Plan) {
  for (size_t I = 0; I < Bufs.size(); ++I)
    for (size_t J = I + 1; J < Bufs.size(); ++J) {
      if (!liveTogether(Bufs[I], Bufs[J]) || !Bufs[I].Bytes || !Bufs[J].Bytes)
        continue;
      size_t AI = Plan.Offsets[I], AJ = Plan.Offsets[J];
      if (AI < AJ + Bufs[J].Bytes && AJ < AI + Bufs[I].Bytes)
        return {int64_t(I), int64_t(J)};
    }
  return {-1, -1};
}

} // namespace nnc::passes
