/* LeNet-5 compiled with --weights-file: the app loads NET_STATE_BYTES of
 * weights from argv[1] into 64-byte aligned memory, runs infer on the
 * pattern of infer_pattern.c and prints the logits. */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>

int main(int Argc, char **Argv) {
  if (Argc < 2)
    return 2;
  void *Weights = aligned_alloc(64, (NET_STATE_BYTES + 63) / 64 * 64);
  FILE *F = fopen(Argv[1], "rb");
  if (!F || fread(Weights, 1, NET_STATE_BYTES, F) != NET_STATE_BYTES)
    return 1;
  fclose(F);
  static float In[NET_INFER_IN_IMAGE_ELEMENTS];
  float Out[NET_INFER_OUT_LOGITS_ELEMENTS];
  for (int I = 0; I < NET_INFER_IN_IMAGE_ELEMENTS; ++I)
    In[I] = (float)((I * 37) % 101) / 101.0f;
  void *Arena = net_arena_new();
  if (net_infer(Weights, In, Out, Arena, NULL) != 0)
    return 1;
  for (int I = 0; I < NET_INFER_OUT_LOGITS_ELEMENTS; ++I)
    printf("%.9g\n", Out[I]);
  free(Arena);
  free(Weights);
  return 0;
}
