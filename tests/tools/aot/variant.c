/* Prints which variant of an AOT object this CPU runs ("none" if none) and
 * what MODEL_infer returns on a fixed input pattern, then, if it ran, every
 * output value, one per line. The header is named by -DMODEL_HEADER, the
 * prefix by -DP. */
#include MODEL_HEADER

#include <stdio.h>
#include <stdlib.h>

#define CAT2(A, B) A##B
#define CAT(A, B) CAT2(A, B)
#define FN(Name) CAT(P, Name)

int main(void) {
  static float In[IN_ELEMENTS], Out[OUT_ELEMENTS];
  const char *Cpu = FN(_target_cpu)();
  void *Arena = FN(_arena_new)();
  int Status, I;
  for (I = 0; I < IN_ELEMENTS; ++I)
    In[I] = (float)((I * 37) % 101) / 101.0f;
  Status = FN(_infer)(FN(_weights)(), In, Out, Arena, NULL);
  printf("%s %d\n", Cpu ? Cpu : "none", Status);
  if (Status == NNC_OK)
    for (I = 0; I < OUT_ELEMENTS; ++I)
      printf("%.9g\n", Out[I]);
  free(Arena);
  return 0;
}
