/*===- runtime/nnc_runtime.h - The C ABI of compiled entry points -*- C -*-===*
 *
 * Every compiled entry point (JIT or AOT) has the signature nnc_entry_fn. It
 * reads its inputs and writes its outputs through caller-owned pointers,
 * keeps parameters and optimizer state in the persistent region, uses the
 * activation arena as scratch and never allocates. Threads come from the
 * caller through an optional parallel_for hook; without one, everything runs
 * on the calling thread.
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

typedef struct nnc_exec {
  nnc_parallel_for_fn parallel_for; /* null: single-threaded */
  void *pool;                       /* passed back to parallel_for */
  int64_t threads;                  /* how many tasks run at once (>= 1) */
  uint64_t seed;                    /* mixed into every random op */
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
#endif

typedef int (*nnc_entry_fn)(void *const *io, char *persistent, char *arena,
                            const nnc_exec *exec);

#ifdef __cplusplus
}
#endif

#endif /* NNC_RUNTIME_H */
