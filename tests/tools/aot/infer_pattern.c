/* Runs MODEL_infer (the header named by -DMODEL_HEADER, prefix by -DP) on
 * a fixed input pattern and prints every output value, one per line. */
#include MODEL_HEADER

#include <stdio.h>
#include <stdlib.h>

#define CAT2(A, B) A##B
#define CAT(A, B) CAT2(A, B)
#define FN(Name) CAT(P, Name)

int main(void) {
  static float In[IN_ELEMENTS], Out[OUT_ELEMENTS];
  for (int I = 0; I < IN_ELEMENTS; ++I)
    In[I] = (float)((I * 37) % 101) / 101.0f;
  void *Arena = FN(_arena_new)();
  if (FN(_infer)(FN(_weights)(), In, Out, Arena, NULL) != 0)
    return 1;
  for (int I = 0; I < OUT_ELEMENTS; ++I)
    printf("%.9g\n", Out[I]);
  free(Arena);
  return 0;
}
