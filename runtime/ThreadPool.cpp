#include "runtime/ThreadPool.h"

namespace nnc::runtime {

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
  for (int64_t I; (I = Next.fetch_add(1)) < Count;) {
    Body(Arg, I);
    Finished.fetch_add(1);
  }
}

void ThreadPool::work() {
  uint64_t Seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> L(M);
      Start.wait(L, [&] { return Stop || Generation != Seen; });
      if (Stop)
        return;
      Seen = Generation;
    }
    runTasks();
    std::lock_guard<std::mutex> L(M);
    if (--Busy == 0)
      Done.notify_all();
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
  {
    std::lock_guard<std::mutex> L(P->M);
    P->Body = Body;
    P->Arg = Arg;
    P->Count = N;
    P->Next = 0;
    P->Finished = 0;
    P->Busy = int64_t(P->Workers.size());
    ++P->Generation;
  }
  P->Start.notify_all();
  P->runTasks();
  std::unique_lock<std::mutex> L(P->M);
  P->Done.wait(L, [&] { return P->Busy == 0; });
}

} // namespace nnc::runtime
