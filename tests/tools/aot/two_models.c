/* Two models compiled ahead of time, linked into one executable: LeNet-5
 * and the XOR MLP, each run once. Prints LeNet-5's logits for a fixed
 * pattern and the XOR MLP's outputs for the four XOR inputs. */
#include "lenet5.h"
#include "xor.h"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  static float Image[LENET5_INFER_IN_IMAGE_ELEMENTS];
  float Logits[LENET5_INFER_OUT_LOGITS_ELEMENTS];
  for (int I = 0; I < LENET5_INFER_IN_IMAGE_ELEMENTS; ++I)
    Image[I] = (float)((I * 37) % 101) / 101.0f;
  void *A = lenet5_arena_new(), *B = xor_arena_new();
  if (lenet5_infer(lenet5_weights(), Image, Logits, A, NULL) != 0)
    return 1;
  for (int I = 0; I < LENET5_INFER_OUT_LOGITS_ELEMENTS; ++I)
    printf("%.9g\n", Logits[I]);
  float X[XOR_INFER_IN_X_ELEMENTS] = {0, 0, 0, 1, 1, 0, 1, 1};
  float Y[XOR_INFER_OUT_PROB_ELEMENTS];
  if (xor_infer(xor_weights(), X, Y, B, NULL) != 0)
    return 1;
  for (int I = 0; I < XOR_INFER_OUT_PROB_ELEMENTS; ++I)
    printf("%.9g\n", Y[I]);
  free(A);
  free(B);
  return 0;
}
