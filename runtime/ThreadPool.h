//===- runtime/ThreadPool.h - Workers behind the parallel_for hook -*- C++
//-*-=//
//
// A fixed set of worker threads that run one parallel_for at a time; the
// calling thread takes part. It degrades gracefully when the machine cannot
// run all its threads at once (shared vCPUs, another busy process):
//  - tasks are claimed one at a time, and the caller claims them too, so a
//    worker that has not been scheduled yet simply gets none;
//  - the caller waits only for tasks a worker has started, spinning briefly,
//    then sleeping until the last one finishes;
//  - idle workers spin for a bounded time (yielding the CPU as they do),
//    then sleep until the next job.
// nnc_exec::parallel_for points at ThreadPool::parallelFor with the pool as
// its context.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/nnc_runtime.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace nnc::runtime {

/// CPUs this process may run on: its affinity mask, capped by its cgroup's
/// CPU quota (rounded up), at least 1.
int64_t availableCpus();

/// The CPU quota (cpu.max) of cgroup v2 folder Dir and its ancestors, below
/// the hierarchy's mount point Root, in CPUs; infinity when none is set.
double cgroupV2Quota(const std::string &Root, std::string Dir);

class ThreadPool {
public:
  /// Threads in all, counting the caller's; 0 means availableCpus().
  explicit ThreadPool(int64_t Threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int64_t threads() const { return int64_t(Workers.size()) + 1; }
  /// An nnc_exec that runs kernels on this pool.
  nnc_exec exec(uint64_t Seed);
  /// Runs Body(Arg, i) for i in [0, N); one caller at a time.
  static void parallelFor(void *Pool, int64_t N, nnc_task_fn Body, void *Arg);

private:
  void run(int64_t N, nnc_task_fn Body, void *Arg);
  void work();
  /// Claims and runs tasks of job Gen until none is left or the job is over.
  void runTasks(uint32_t Gen);
  void waitForTasksInProgress(int32_t N);

  std::vector<std::thread> Workers;
  // The job being run. State is (generation << 32) | next task: a task is
  // claimed by a compare-and-swap on both, so a late worker can never take
  // (or miscount) a task of a job that is not the current one.
  std::atomic<uint64_t> State{0};
  std::atomic<nnc_task_fn> Body{nullptr};
  std::atomic<void *> Arg{nullptr};
  std::atomic<int32_t> Count{0};
  std::atomic<int32_t> Done{0}; // tasks of the current job finished
  // Sleeping workers wait on Generation (a futex word) and are woken only
  // when Sleepers says someone sleeps.
  std::atomic<uint32_t> Generation{0};
  std::atomic<int32_t> Sleepers{0};
  std::atomic<bool> Stop{false};
};

} // namespace nnc::runtime
