/*===- nnc_pool.h - A thread pool for compiled models -------------*- C -*-===*
 *
 * libnnc_pool is the thread pool the nnc tool runs compiled code on, for
 * apps that embed models compiled ahead of time. It depends on nothing but
 * libc: link -lnnc_pool (CMake: nnc::pool) and pass nnc_pool_exec() to any
 * generated function.
 *
 *   nnc_pool *Pool = nnc_pool_create(0);
 *   nnc_exec Exec = nnc_pool_exec(Pool, Seed);
 *   lenet5_infer(lenet5_weights(), Image, Logits, Arena, &Exec);
 *   nnc_pool_destroy(Pool);
 *
 * The calling thread works too, so a pool of N threads starts N - 1. It
 * degrades gracefully when the machine cannot run them all at once: the
 * caller never waits for a task nobody has started, and idle workers spin
 * only briefly before they sleep. One parallel_for runs at a time: use one
 * pool per thread that calls generated functions concurrently.
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNC_POOL_H
#define NNC_POOL_H

#include <stdint.h>

/* The same definitions as in every generated header. */
#ifndef NNC_EXEC_DEFINED
#define NNC_EXEC_DEFINED
#ifdef __cplusplus
extern "C" {
#endif
typedef void (*nnc_task_fn)(void *arg, int64_t i);
typedef void (*nnc_parallel_for_fn)(void *pool, int64_t n, nnc_task_fn body,
                                    void *arg);
typedef struct nnc_collective {
  int (*allreduce_start)(void *comm, float *data, int64_t n);
  int (*allreduce_wait)(void *comm, float *data);
  void *comm;
  int64_t ranks;
} nnc_collective;
typedef struct nnc_exec {
  nnc_parallel_for_fn parallel_for;
  void *pool;
  int64_t threads;
  uint64_t seed;
  const nnc_collective *collective;
} nnc_exec;
#ifdef __cplusplus
}
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nnc_pool nnc_pool;

/* The CPUs this process may use: its affinity mask, capped by its cgroup's
 * CPU quota. At least 1. */
int64_t nnc_available_cpus(void);

/* A pool of `threads` threads in all, counting the caller's; 0 means
 * nnc_available_cpus(). When the system refuses threads, the pool is
 * smaller (see nnc_pool_threads). Returns NULL only when out of memory or
 * when threads is negative. */
nnc_pool *nnc_pool_create(int64_t threads);

/* Stops and joins the workers. NULL is ignored. */
void nnc_pool_destroy(nnc_pool *pool);

/* Threads in all, counting the caller's. */
int64_t nnc_pool_threads(const nnc_pool *pool);

/* Runs body(arg, i) for every i in [0, n) and returns when all are done. */
void nnc_pool_parallel_for(void *pool, int64_t n, nnc_task_fn body, void *arg);

/* What generated functions take as exec: this pool, and the seed that drives
 * their random ops (dropout; vary it per training step). */
nnc_exec nnc_pool_exec(nnc_pool *pool, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif /* NNC_POOL_H */
