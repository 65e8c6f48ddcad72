#include "runtime/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <system_error>

#if defined(__linux__)
#include <sched.h>
#endif

namespace nnc::runtime {

namespace {

using Clock = std::chrono::steady_clock;

/// How long an idle worker looks for the next job before it sleeps, and how
/// long the caller looks for the last task to finish before it sleeps: a
/// training step hands out jobs a few microseconds apart, and waking a
/// sleeping thread costs tens of microseconds, but spinning for longer only
/// takes the CPU from a thread that could use it.
constexpr auto WorkerSpin = std::chrono::microseconds(200);
constexpr auto CallerSpin = std::chrono::microseconds(50);

inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// Spins until Ready() or Budget has passed; true if Ready(). Every 64
/// rounds (a few microseconds) it yields, so that a thread waiting for this
/// CPU (the caller, when the machine runs fewer threads than the pool has)
/// gets it; with nothing else to run, a yield returns at once.
template <typename Pred> bool spinUntil(Pred Ready, Clock::duration Budget) {
  Clock::time_point End = Clock::now() + Budget;
  for (int Round = 1;; ++Round) {
    if (Ready())
      return true;
    if (Round % 64 == 0) {
      if (Clock::now() >= End)
        return false;
      std::this_thread::yield();
    }
    pause();
  }
}

} // namespace

double cgroupV2Quota(const std::string &Root, std::string Dir) {
  double Cpus = std::numeric_limits<double>::infinity();
  for (;;) {
    std::ifstream F(Root + Dir + "/cpu.max");
    std::string Quota;
    double Period = 0;
    if (F >> Quota >> Period && Quota != "max" && Period > 0)
      Cpus = std::min(Cpus, std::stod(Quota) / Period);
    if (Dir.empty() || Dir == "/")
      return Cpus;
    Dir = Dir.substr(0, Dir.find_last_of('/'));
  }
}

namespace {

/// The CPU quota of this process's cgroup (v2, else v1), in CPUs.
double cgroupQuota() {
  std::ifstream Self("/proc/self/cgroup");
  std::string Line;
  double Cpus = std::numeric_limits<double>::infinity();
  while (std::getline(Self, Line)) {
    size_t A = Line.find(':'), B = Line.find(':', A + 1);
    if (A == std::string::npos || B == std::string::npos)
      continue;
    std::string Controllers = Line.substr(A + 1, B - A - 1);
    std::string Path = Line.substr(B + 1);
    if (Controllers.empty()) { // v2
      Cpus = std::min(Cpus, cgroupV2Quota("/sys/fs/cgroup", Path));
      continue;
    }
    std::stringstream List(Controllers);
    for (std::string C; std::getline(List, C, ',');)
      if (C == "cpu")
        for (const std::string &Dir : {"/sys/fs/cgroup/cpu,cpuacct" + Path,
                                       "/sys/fs/cgroup/cpu" + Path}) {
          std::ifstream Q(Dir + "/cpu.cfs_quota_us"),
              P(Dir + "/cpu.cfs_period_us");
          double Quota = 0, Period = 0;
          if (Q >> Quota && P >> Period && Quota > 0 && Period > 0) {
            Cpus = std::min(Cpus, Quota / Period);
            break;
          }
        }
  }
  return Cpus;
}

} // namespace

int64_t availableCpus() {
  int64_t Cpus = std::max<int64_t>(1, std::thread::hardware_concurrency());
#if defined(__linux__)
  cpu_set_t Set;
  if (sched_getaffinity(0, sizeof(Set), &Set) == 0)
    Cpus = std::max(1, CPU_COUNT(&Set));
#endif
  double Quota = cgroupQuota();
  if (std::isfinite(Quota))
    Cpus = std::min(Cpus, std::max<int64_t>(1, int64_t(std::ceil(Quota))));
  return Cpus;
}

ThreadPool::ThreadPool(int64_t Threads) {
  if (Threads <= 0)
    Threads = availableCpus();
  // A system that refuses more threads gets a smaller pool, not an abort.
  try {
    for (int64_t I = 1; I < Threads; ++I)
      Workers.emplace_back([this] { work(); });
  } catch (const std::system_error &) {
  }
}

ThreadPool::~ThreadPool() {
  Stop.store(true);
  Generation.fetch_add(1);
  Generation.notify_all();
  for (std::thread &T : Workers)
    T.join();
}

nnc_exec ThreadPool::exec(uint64_t Seed) {
  return nnc_exec{Workers.empty() ? nullptr : &ThreadPool::parallelFor, this,
                  threads(), Seed, nullptr};
}

void ThreadPool::runTasks(uint32_t Gen) {
  for (;;) {
    uint64_t S = State.load(std::memory_order_acquire);
    if (uint32_t(S >> 32) != Gen)
      return;
    // Read before the claim; a successful claim proves they were this job's.
    nnc_task_fn F = Body.load(std::memory_order_relaxed);
    void *A = Arg.load(std::memory_order_relaxed);
    int32_t N = Count.load(std::memory_order_relaxed);
    auto Task = int32_t(uint32_t(S));
    if (Task >= N)
      return;
    if (!State.compare_exchange_weak(S, S + 1, std::memory_order_acq_rel))
      continue;
    F(A, Task);
    if (Done.fetch_add(1, std::memory_order_acq_rel) + 1 == N)
      Done.notify_one();
  }
}

void ThreadPool::work() {
  uint32_t Seen = 0;
  for (;;) {
    // Sequentially consistent, for the handshake with the caller below.
    auto NewJob = [&] { return Generation.load() != Seen; };
    if (!spinUntil(NewJob, WorkerSpin)) {
      Sleepers.fetch_add(1);
      // Sleepers is raised before Generation is read again, and the caller
      // bumps Generation before it reads Sleepers: one of them sees the other.
      while (!NewJob())
        Generation.wait(Seen);
      Sleepers.fetch_sub(1);
    }
    Seen = Generation.load(std::memory_order_acquire);
    if (Stop.load())
      return;
    runTasks(Seen);
  }
}

void ThreadPool::waitForTasksInProgress(int32_t N) {
  auto Finished = [&] { return Done.load(std::memory_order_acquire) == N; };
  if (spinUntil(Finished, CallerSpin))
    return;
  for (int32_t D; (D = Done.load(std::memory_order_acquire)) != N;)
    Done.wait(D);
}

void ThreadPool::run(int64_t N, nnc_task_fn F, void *A) {
  Body.store(F, std::memory_order_relaxed);
  Arg.store(A, std::memory_order_relaxed);
  Count.store(int32_t(N), std::memory_order_relaxed);
  Done.store(0, std::memory_order_relaxed);
  uint32_t Gen = Generation.load(std::memory_order_relaxed) + 1;
  State.store(uint64_t(Gen) << 32, std::memory_order_release);
  Generation.store(Gen);
  if (Sleepers.load() > 0)
    Generation.notify_all();
  runTasks(Gen);
  waitForTasksInProgress(int32_t(N));
}

void ThreadPool::parallelFor(void *Pool, int64_t N, nnc_task_fn Body,
                             void *Arg) {
  auto *P = static_cast<ThreadPool *>(Pool);
  // Task indices are claimed 32 bits at a time (State); kernels split their
  // work into a few tasks per thread, far fewer.
  if (P->Workers.empty() || N <= 1 || N > std::numeric_limits<int32_t>::max()) {
    for (int64_t I = 0; I < N; ++I)
      Body(Arg, I);
    return;
  }
  P->run(N, Body, Arg);
}

} // namespace nnc::runtime
