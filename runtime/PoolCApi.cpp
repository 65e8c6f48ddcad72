//===- runtime/PoolCApi.cpp - libnnc_pool's C interface ----------------===//
//
// The C functions of nnc_pool.h over ThreadPool. The library is linked with
// its C++ runtime inside and exports only these symbols, so a C app needs
// nothing but libc to use it.
//
//===----------------------------------------------------------------------===//
#include "runtime/ThreadPool.h"
#include "runtime/nnc_pool.h"

#include <new>

#define NNC_POOL_API extern "C" __attribute__((visibility("default")))

using nnc::runtime::ThreadPool;

struct nnc_pool {
  explicit nnc_pool(int64_t Threads) : Pool(Threads) {}
  ThreadPool Pool;
};

NNC_POOL_API int64_t nnc_available_cpus(void) {
  return nnc::runtime::availableCpus();
}

NNC_POOL_API nnc_pool *nnc_pool_create(int64_t Threads) {
  if (Threads < 0)
    return nullptr;
  return new (std::nothrow) nnc_pool(Threads);
}

NNC_POOL_API void nnc_pool_destroy(nnc_pool *Pool) { delete Pool; }

NNC_POOL_API int64_t nnc_pool_threads(const nnc_pool *Pool) {
  return Pool->Pool.threads();
}

NNC_POOL_API void nnc_pool_parallel_for(void *Pool, int64_t N, nnc_task_fn Body,
                                        void *Arg) {
  ThreadPool::parallelFor(&static_cast<nnc_pool *>(Pool)->Pool, N, Body, Arg);
}

NNC_POOL_API nnc_exec nnc_pool_exec(nnc_pool *Pool, uint64_t Seed) {
  nnc_exec Exec = Pool->Pool.exec(Seed);
  if (Exec.parallel_for) {
    Exec.parallel_for = &nnc_pool_parallel_for;
    Exec.pool = Pool;
  }
  return Exec;
}
