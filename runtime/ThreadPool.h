//===- runtime/ThreadPool.h - Workers behind the parallel_for hook -*- C++
//-*-===//
//
// A fixed set of worker threads that run one parallel_for at a time; the
// calling thread takes part. Idle workers spin briefly before they sleep,
// since a training step hands out many small jobs in quick succession.
// nnc_exec::parallel_for points at ThreadPool::parallelFor with the pool as its
// context.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/nnc_runtime.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace nnc::runtime {

class ThreadPool {
public:
  /// Threads in all, counting the caller's; 0 means one per core.
  explicit ThreadPool(int64_t Threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int64_t threads() const { return int64_t(Workers.size()) + 1; }
  /// An nnc_exec that runs kernels on this pool.
  nnc_exec exec(uint64_t Seed);
  static void parallelFor(void *Pool, int64_t N, nnc_task_fn Body, void *Arg);

private:
  void work();
  void runTasks();

  std::vector<std::thread> Workers;
  std::mutex M;
  std::condition_variable Start;
  std::atomic<uint64_t> Generation{0}; // one per job
  bool Stop = false;
  // The current job.
  nnc_task_fn Body = nullptr;
  void *Arg = nullptr;
  int64_t Count = 0;
  std::atomic<int64_t> Next{0};
  std::atomic<int64_t> Busy{0}; // workers still inside the current job
};

} // namespace nnc::runtime
