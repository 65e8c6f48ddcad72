// examples/embed/classify.cpp: the C++ side of the generated header. One
// image through lenet5::Model, which owns its arena; prints the logits.
//   classify_cpp IMAGES
#include "lenet5.h"

#include <cstdio>
#include <fstream>
#include <vector>

int main(int Argc, char **Argv) {
  if (Argc < 2) {
    std::fprintf(stderr, "usage: %s IMAGES\n", Argv[0]);
    return 2;
  }
  std::ifstream In(Argv[1], std::ios::binary);
  std::vector<unsigned char> Pixels(16 + LENET5_INFER_IN_IMAGE_ELEMENTS);
  if (!In.read(reinterpret_cast<char *>(Pixels.data()),
               std::streamsize(Pixels.size()))) {
    std::fprintf(stderr, "error: %s: cannot read one image\n", Argv[1]);
    return 1;
  }
  static_assert(lenet5::Batch == 1, "compiled for one image at a time");
  float Image[LENET5_INFER_IN_IMAGE_ELEMENTS];
  for (int I = 0; I < LENET5_INFER_IN_IMAGE_ELEMENTS; ++I)
    Image[I] = float(Pixels[16 + size_t(I)]) / 255.0f;
  float Logits[LENET5_INFER_OUT_LOGITS_ELEMENTS];
  lenet5::Model M;
  if (M.infer(lenet5_weights(), Image, Logits) != 0)
    return 1;
  std::printf("logits of the first image:");
  for (float L : Logits)
    std::printf(" %.4f", L);
  std::printf("\n");
  return 0;
}
