/*===- runtime/nnc_runtime.h - The C ABI of compiled entry points -*- C -*-===*
 *
 * Every compiled entry point (JIT or AOT) has the signature nnc_entry_fn. It
 * reads its inputs and writes its outputs through caller-owned pointers,
 * keeps parameters and optimizer state in the persistent region, uses the
 * activation arena as scratch and never allocates. Threads come from the
 * caller through an optional parallel_for hook; without one, everything runs
 * on the calling thread. A training entry compiled for data-parallel runs
 * sums its gradients over the ranks through the collective hook.
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNC_RUNTIME_H
#define NNC_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Guarded: generated headers and nnc_pool.h carry the same definitions. */
#ifndef NNC_EXEC_DEFINED
#define NNC_EXEC_DEFINED
/* Runs body(arg, i) for every i in [0, n), possibly on several threads, and
 * returns when all are done. */
typedef void (*nnc_task_fn)(void *arg, int64_t i);
typedef void (*nnc_parallel_for_fn)(void *pool, int64_t n, nnc_task_fn body,
                                    void *arg);

/* Sums buffers of floats over the ranks of a data-parallel run, in place.
 * allreduce_start begins the sum of the n floats at data and returns at
 * once; allreduce_wait(comm, data) returns when data holds the sum over all
 * ranks. Both return 0, or non-zero when the communication failed. A
 * training entry compiled for several ranks calls them from the thread that
 * runs it, in the same order on every rank. */
typedef struct nnc_collective {
  int (*allreduce_start)(void *comm, float *data, int64_t n);
  int (*allreduce_wait)(void *comm, float *data);
  void *comm;    /* passed back to both */
  int64_t ranks; /* how many processes take part (>= 1) */
} nnc_collective;

typedef struct nnc_exec {
  nnc_parallel_for_fn parallel_for; /* null: single-threaded */
  void *pool;                       /* passed back to parallel_for */
  int64_t threads;                  /* how many tasks run at once (>= 1) */
  uint64_t seed;                    /* mixed into every random op */
  /* null: one process. Read only by entries compiled for several ranks. */
  const nnc_collective *collective;
} nnc_exec;
#endif

/* io: the entry's inputs, then its outputs, in declaration order. Outputs
 * are written while inputs are still read: they must not overlap.
 * persistent: parameters, optimizer state and constants.
 * arena: the activation arena, aligned to 64 bytes.
 * Returns NNC_OK, or an error code below. */
#ifndef NNC_STATUS_CODES_DEFINED
#define NNC_STATUS_CODES_DEFINED
#define NNC_OK 0
#define NNC_ERR_LABEL 1 /* a class label outside [0, classes) */
#define NNC_ERR_CPU 2   /* an AOT object on a CPU it has no variant for */
#define NNC_ERR_SEQUENCE_LENGTH 3 /* a sequence length outside [0, steps] */
#define NNC_ERR_COLLECTIVE 4 /* the collective (exec->collective) failed */
#endif

typedef int (*nnc_entry_fn)(void *const *io, char *persistent, char *arena,
                            const nnc_exec *exec);

#ifdef __cplusplus
}
#endif

#endif /* NNC_RUNTIME_H */
