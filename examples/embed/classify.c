/* examples/embed/classify.c: Fashion-MNIST classification with a LeNet-5
 * compiled ahead of time by nnc. The app links lenet5.o (from
 * `nnc compile out/lenet5.nnc --aot -o DIR/lenet5`) and libm, nothing else.
 *
 *   classify IMAGES LABELS [PREDICTIONS]
 *
 * IMAGES and LABELS are the uncompressed IDX files of the test set. Prints
 * the accuracy and the median and mean latency of one image; writes each
 * predicted class to PREDICTIONS, one per line, when given. */
#include "lenet5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reads a whole IDX file; returns its data after the header. */
static unsigned char *readIdx(const char *Path, int Rank, long *Count,
                              long *Size) {
  FILE *F = fopen(Path, "rb");
  if (!F) {
    fprintf(stderr, "error: %s: cannot open\n", Path);
    return NULL;
  }
  unsigned char Head[16];
  size_t HeadBytes = 4 + 4 * (size_t)Rank;
  if (fread(Head, 1, HeadBytes, F) != HeadBytes || Head[2] != 0x08 ||
      Head[3] != Rank) {
    fprintf(stderr, "error: %s: not an IDX file of %d-D unsigned bytes\n",
            Path, Rank);
    fclose(F);
    return NULL;
  }
  long Dims[3] = {1, 1, 1};
  for (int D = 0; D < Rank; ++D)
    Dims[D] = (long)Head[4 + 4 * D] << 24 | (long)Head[5 + 4 * D] << 16 |
              (long)Head[6 + 4 * D] << 8 | (long)Head[7 + 4 * D];
  *Count = Dims[0];
  *Size = Dims[1] * Dims[2];
  unsigned char *Data = malloc((size_t)(*Count * *Size));
  if (!Data || fread(Data, 1, (size_t)(*Count * *Size), F) !=
                   (size_t)(*Count * *Size)) {
    fprintf(stderr, "error: %s: truncated\n", Path);
    free(Data);
    Data = NULL;
  }
  fclose(F);
  return Data;
}

static double now(void) {
  struct timespec T;
  clock_gettime(CLOCK_MONOTONIC, &T);
  return (double)T.tv_sec + 1e-9 * (double)T.tv_nsec;
}

static int byTime(const void *A, const void *B) {
  double X = *(const double *)A, Y = *(const double *)B;
  return (X > Y) - (X < Y);
}

int main(int Argc, char **Argv) {
  if (Argc < 3) {
    fprintf(stderr, "usage: %s IMAGES LABELS [PREDICTIONS]\n", Argv[0]);
    return 2;
  }
  if (!lenet5_target_cpu()) {
    fprintf(stderr, "error: this CPU lacks the instruction sets lenet5.o was "
                    "compiled for (lenet5.h lists them)\n");
    return 1;
  }
  long N, Pixels, NLabels, One;
  unsigned char *Images = readIdx(Argv[1], 3, &N, &Pixels);
  unsigned char *Labels = readIdx(Argv[2], 1, &NLabels, &One);
  if (!Images || !Labels)
    return 1;
  if (NLabels != N || Pixels != LENET5_INFER_IN_IMAGE_ELEMENTS) {
    fprintf(stderr, "error: expected images of %d pixels and one label each\n",
            LENET5_INFER_IN_IMAGE_ELEMENTS);
    return 1;
  }
  FILE *Out = Argc > 3 ? fopen(Argv[3], "w") : NULL;
  void *Arena = lenet5_arena_new();
  double *Times = malloc(sizeof(double) * (size_t)N);
  float Image[LENET5_INFER_IN_IMAGE_ELEMENTS];
  float Logits[LENET5_INFER_OUT_LOGITS_ELEMENTS];
  long Correct = 0;
  for (long I = 0; I < N; ++I) {
    for (long P = 0; P < Pixels; ++P)
      Image[P] = (float)Images[I * Pixels + P] * (float)(1 / 255.0);
    double Start = now();
    if (lenet5_infer(lenet5_weights(), Image, Logits, Arena, NULL) != 0) {
      fprintf(stderr, "error: lenet5_infer failed on image %ld\n", I);
      return 1;
    }
    Times[I] = now() - Start;
    int Best = 0;
    for (int K = 1; K < LENET5_INFER_OUT_LOGITS_ELEMENTS; ++K)
      if (Logits[K] > Logits[Best])
        Best = K;
    Correct += Best == Labels[I];
    if (Out)
      fprintf(Out, "%d\n", Best);
  }
  double Sum = 0;
  for (long I = 0; I < N; ++I)
    Sum += Times[I];
  qsort(Times, (size_t)N, sizeof(double), byTime);
  printf("accuracy %.2f%% (%ld/%ld); latency per image: median %.1f us, "
         "mean %.1f us\n",
         100.0 * (double)Correct / (double)N, Correct, N, Times[N / 2] * 1e6,
         Sum / (double)N * 1e6);
  if (Out)
    fclose(Out);
  free(Times);
  free(Arena);
  free(Images);
  free(Labels);
  return 0;
}
