// examples/embed/classify.cpp: the C++ side of the generated header, and
// nnc's thread pool (libnnc_pool, which needs only libc). One image through
// lenet5::Model, which owns its arena, on one thread and on the pool; prints
// the logits, which are the same either way.
//   classify_cpp IMAGES
#include "lenet5.h"
#include "nnc_pool.h"

#include <cstdio>
#include <cstring>
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
  // As many threads as this process may use; the seed drives random ops
  // (dropout), which inference does not have.
  nnc_pool *Pool = nnc_pool_create(0);
  if (!Pool)
    return 1;
  nnc_exec Exec = nnc_pool_exec(Pool, 0);
  float PoolLogits[LENET5_INFER_OUT_LOGITS_ELEMENTS];
  int Status = M.infer(lenet5_weights(), Image, PoolLogits, &Exec);
  long long Threads = nnc_pool_threads(Pool);
  nnc_pool_destroy(Pool);
  // Tasks split the same way whatever runs them: the results are identical.
  if (Status != 0 || std::memcmp(Logits, PoolLogits, sizeof(Logits)) != 0) {
    std::fprintf(stderr, "error: the pool's logits differ\n");
    return 1;
  }
  std::printf("logits of the first image (1 and %lld threads):", Threads);
  for (float L : Logits)
    std::printf(" %.4f", L);
  std::printf("\n");
  return 0;
}
