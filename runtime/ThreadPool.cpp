#include "runtime/ThreadPool.h"

namespace nnc::runtime {

namespace {

/// Spins this many rounds before sleeping: kernels come in quick
/// succession, and waking a sleeping thread costs more than a small
/// kernel.
constexpr int SpinRounds = 1 << 14;

inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

} // namespace

ThreadPool::ThreadPool(int64_t Threads) {
  if (Threads <= 0)
    Threads = std::max<int64_t>(1, std::thread::hardware_concurrency());
  for (int64_t I = 1; I < Threads; ++I)
    Workers.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> L(M);
    Stop = true;
    Generation.fetch_add(1);
  }
  Start.notify_all();
  for (std::thread &T : Workers)
    T.join();
}

nnc_exec ThreadPool::exec(uint64_t Seed) {
  return nnc_exec{Workers.empty() ? nullptr : &ThreadPool::parallelFor, this,
                  threads(), Seed};
}

void ThreadPool::runTasks() {
  for (int64_t I; (I = Next.fetch_add(1)) < Count;)
    Body(Arg, I);
}

void ThreadPool::work() {
  uint64_t Seen = 0;
  for (;;) {
    // Spin for the next job, then sleep.
    int Spins = 0;
    while (Generation.load(std::memory_order_acquire) == Seen &&
           ++Spins < SpinRounds)
      pause();
    if (Generation.load(std::memory_order_acquire) == Seen) {
      std::unique_lock<std::mutex> L(M);
      Start.wait(L, [&] { return Generation.load() != Seen; });
    }
    Seen = Generation.load(std::memory_order_acquire);
    if (Stop)
      return;
    runTasks();
    Busy.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallelFor(void *Pool, int64_t N, nnc_task_fn Body,
                             void *Arg) {
  auto *P = static_cast<ThreadPool *>(Pool);
  if (P->Workers.empty() || N <= 1) {
    for (int64_t I = 0; I < N; ++I)
      Body(Arg, I);
    return;
  }
  P->Body = Body;
  P->Arg = Arg;
  P->Count = N;
  P->Next.store(0);
  P->Busy.store(int64_t(P->Workers.size()));
  {
    std::lock_guard<std::mutex> L(P->M); // no worker misses the wake-up
    P->Generation.fetch_add(1, std::memory_order_acq_rel);
  }
  P->Start.notify_all();
  P->runTasks();
  while (P->Busy.load(std::memory_order_acquire) != 0)
    pause();
}

} // namespace nnc::runtime
