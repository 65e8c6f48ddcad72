#include "runtime/ThreadPool.h"
#include "../TempDir.h"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <vector>

using namespace nnc;
using namespace nnc::test;

namespace {

/// Runs Jobs jobs of 1 to 40 tasks each on Pool; every task counts itself.
/// Returns how many tasks ran other than exactly once, or were still
/// unfinished when parallelFor returned.
int64_t runJobs(runtime::ThreadPool &Pool, int Jobs) {
  struct Job {
    std::vector<std::atomic<int>> Runs;
    explicit Job(size_t N) : Runs(N) {}
  };
  int64_t Wrong = 0;
  nnc_exec X = Pool.exec(0);
  for (int J = 0; J < Jobs; ++J) {
    size_t N = size_t(1 + (J * 7) % 40);
    Job Work(N);
    auto Body = [](void *Arg, int64_t I) {
      auto *W = static_cast<Job *>(Arg);
      // A little work, so that workers overlap with the caller.
      volatile double S = 0;
      for (int K = 0; K < 200; ++K)
        S = S + std::sqrt(double(K + I));
      W->Runs[size_t(I)].fetch_add(1);
    };
    if (X.parallel_for)
      X.parallel_for(X.pool, int64_t(N), Body, &Work);
    else
      for (size_t I = 0; I < N; ++I)
        Body(&Work, int64_t(I));
    for (const std::atomic<int> &R : Work.Runs)
      Wrong += R.load() != 1;
  }
  return Wrong;
}

/// Runs F on a thread allowed on CPU 0 only; threads it starts inherit that.
template <typename Fn> void onOneCpu(Fn F) {
  std::thread T([&] {
    cpu_set_t One;
    CPU_ZERO(&One);
    CPU_SET(0, &One);
    ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof(One), &One), 0);
    F();
  });
  T.join();
}

} // namespace

TEST(ThreadPool, EveryTaskRunsExactlyOnceBeforeTheJobReturns) {
  for (int64_t Threads : {1, 2, 4}) {
    runtime::ThreadPool Pool(Threads);
    EXPECT_EQ(Pool.threads(), Threads);
    EXPECT_EQ(runJobs(Pool, 3000), 0) << Threads << " threads";
  }
}

TEST(ThreadPool, MoreThreadsThanCpusStillRunEveryTask) {
  // Eight threads on one CPU: most workers are not running when a job
  // starts; the caller must take their tasks rather than wait for them.
  onOneCpu([] {
    runtime::ThreadPool Pool(8);
    EXPECT_EQ(runJobs(Pool, 2000), 0);
  });
}

TEST(ThreadPool, JobsAfterTheWorkersFellAsleep) {
  runtime::ThreadPool Pool(3);
  for (int Round = 0; Round < 5; ++Round) {
    EXPECT_EQ(runJobs(Pool, 20), 0);
    // Longer than the workers' spin: they sleep, and the next job wakes them.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

TEST(ThreadPool, DefaultThreadsFollowTheAffinityMask) {
  onOneCpu([] {
    EXPECT_EQ(runtime::availableCpus(), 1);
    runtime::ThreadPool Pool(0);
    EXPECT_EQ(Pool.threads(), 1);
  });
  cpu_set_t Set;
  ASSERT_EQ(sched_getaffinity(0, sizeof(Set), &Set), 0);
  EXPECT_LE(runtime::availableCpus(), CPU_COUNT(&Set));
}

TEST(ThreadPool, CgroupQuotaIsTheSmallestOnThePath) {
  TempDir T;
  std::filesystem::create_directories(T.Path + "/a/b");
  EXPECT_TRUE(std::isinf(runtime::cgroupV2Quota(T.Path, "/a/b")));
  writeText(T.Path + "/a/b/cpu.max", "max 100000\n");
  EXPECT_TRUE(std::isinf(runtime::cgroupV2Quota(T.Path, "/a/b")));
  writeText(T.Path + "/a/cpu.max", "150000 100000\n");
  EXPECT_DOUBLE_EQ(runtime::cgroupV2Quota(T.Path, "/a/b"), 1.5);
  writeText(T.Path + "/a/b/cpu.max", "50000 100000\n");
  EXPECT_DOUBLE_EQ(runtime::cgroupV2Quota(T.Path, "/a/b"), 0.5);
  EXPECT_DOUBLE_EQ(runtime::cgroupV2Quota(T.Path, "/a"), 1.5);
}
