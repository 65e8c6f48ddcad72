/* 100 training steps of LeNet-5 through the AOT train_step on synthetic
 * batches (the same the test feeds the JIT), then the whole state written
 * to the file named by argv[1]. Kernel tasks run on the app's own threads
 * through a parallel_for hook (one pthread per task). With TWIN_RANKS, the
 * object was compiled with --ranks 2 and the app's collective stands in
 * for two ranks holding the same batch: each sum is twice the value, so
 * the mean is the single-process gradient. */
#include "lenet5t.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = LENET5T_BATCH, PIX = LENET5T_TRAIN_STEP_IN_IMAGE_ELEMENTS / N };

struct Task {
  nnc_task_fn Body;
  void *Arg;
  int64_t I;
};

static void *runTask(void *P) {
  struct Task *T = P;
  T->Body(T->Arg, T->I);
  return NULL;
}

static void parallelFor(void *Pool, int64_t Count, nnc_task_fn Body,
                        void *Arg) {
  (void)Pool;
  pthread_t Threads[64];
  struct Task Tasks[64];
  int64_t Spawned = Count < 64 ? Count : 64;
  for (int64_t I = 0; I < Spawned; ++I) {
    Tasks[I] = (struct Task){Body, Arg, I};
    if (pthread_create(&Threads[I], NULL, runTask, &Tasks[I]) != 0)
      abort();
  }
  for (int64_t I = Spawned; I < Count; ++I) // beyond 64: on this thread
    Body(Arg, I);
  for (int64_t I = 0; I < Spawned; ++I)
    pthread_join(Threads[I], NULL);
}

#ifdef TWIN_RANKS
static int Pending;

static int twinStart(void *Comm, float *Data, int64_t Count) {
  (void)Comm;
  for (int64_t I = 0; I < Count; ++I)
    Data[I] *= 2;
  ++Pending;
  return 0;
}

static int twinWait(void *Comm, float *Data) {
  (void)Comm;
  (void)Data;
  return Pending-- > 0 ? 0 : 1;
}

static const nnc_collective Twins = {twinStart, twinWait, NULL, 2};
#endif

int main(int Argc, char **Argv) {
  if (Argc < 2)
    return 2;
  void *State = aligned_alloc(64, (LENET5T_STATE_BYTES + 63) / 64 * 64);
  memcpy(State, lenet5t_weights(), LENET5T_STATE_BYTES);
  void *Arena = lenet5t_arena_new();
  static float Image[N * PIX];
  int64_t Label[N];
  float Loss, Correct;
  for (int Step = 1; Step <= 100; ++Step) {
    for (int I = 0; I < N * PIX; ++I)
      Image[I] = (float)((I * 7 + Step * 13) % 97) / 97.0f;
    for (int I = 0; I < N; ++I)
      Label[I] = (I * 3 + Step) % 10;
    nnc_exec Exec = {parallelFor, NULL, 2, (uint64_t)Step, NULL};
#ifdef TWIN_RANKS
    Exec.collective = &Twins;
#endif
    if (lenet5t_train_step(State, Image, Label, 1e-3f, 0.0f, (float)Step,
                           &Loss, &Correct, Arena, &Exec) != 0)
      return 1;
  }
#ifdef TWIN_RANKS
  if (Pending != 0)
    return 1;
#endif
  FILE *F = fopen(Argv[1], "wb");
  if (!F || fwrite(State, 1, LENET5T_STATE_BYTES, F) != LENET5T_STATE_BYTES)
    return 1;
  fclose(F);
  printf("loss %.6f\n", Loss);
  return 0;
}
