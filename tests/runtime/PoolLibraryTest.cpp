// libnnc_pool through its C interface, as an app uses it: only nnc_pool.h.
#include "runtime/nnc_pool.h"

#include <atomic>
#include <gtest/gtest.h>
#include <vector>

namespace {

struct Counts {
  std::vector<std::atomic<int>> Runs;
  explicit Counts(size_t N) : Runs(N) {}
};

void countTask(void *Arg, int64_t I) {
  static_cast<Counts *>(Arg)->Runs[size_t(I)].fetch_add(1);
}

} // namespace

TEST(PoolLibrary, RunsEveryTaskOnceThroughTheExecItHandsOut) {
  nnc_pool *Pool = nnc_pool_create(3);
  ASSERT_NE(Pool, nullptr);
  EXPECT_GE(nnc_pool_threads(Pool), 1);
  EXPECT_LE(nnc_pool_threads(Pool), 3);
  nnc_exec Exec = nnc_pool_exec(Pool, 42);
  EXPECT_EQ(Exec.seed, 42u);
  EXPECT_EQ(Exec.threads, nnc_pool_threads(Pool));
  ASSERT_NE(Exec.parallel_for, nullptr);
  for (int64_t N : {1, 2, 7, 64, 1000}) {
    Counts C{size_t(N)};
    Exec.parallel_for(Exec.pool, N, countTask, &C);
    for (int64_t I = 0; I < N; ++I)
      ASSERT_EQ(C.Runs[size_t(I)].load(), 1) << "task " << I << " of " << N;
  }
  nnc_pool_destroy(Pool);
}

TEST(PoolLibrary, OneThreadMeansTheCallerAloneAndBadCountsAreRefused) {
  nnc_pool *Pool = nnc_pool_create(1);
  ASSERT_NE(Pool, nullptr);
  EXPECT_EQ(nnc_pool_threads(Pool), 1);
  // Generated code runs on the calling thread when parallel_for is null.
  EXPECT_EQ(nnc_pool_exec(Pool, 0).parallel_for, nullptr);
  Counts C(5);
  nnc_pool_parallel_for(Pool, 5, countTask, &C);
  for (auto &R : C.Runs)
    EXPECT_EQ(R.load(), 1);
  nnc_pool_destroy(Pool);
  nnc_pool_destroy(nullptr);
  EXPECT_EQ(nnc_pool_create(-1), nullptr);
  EXPECT_GE(nnc_available_cpus(), 1);
  nnc_pool *Default = nnc_pool_create(0);
  ASSERT_NE(Default, nullptr);
  EXPECT_EQ(nnc_pool_threads(Default), nnc_available_cpus());
  nnc_pool_destroy(Default);
}
