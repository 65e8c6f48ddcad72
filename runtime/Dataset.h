//===- runtime/Dataset.h - Examples, shuffling, minibatches -----*- C++ -*-===//
//
// A dataset is N examples of F float features (images: C x H x W, scaled to
// [0, 1]) with one target each (a class index, or a float). Everything random
// here (shuffling, augmentation) is a pure function of (seed, epoch) or
// (seed, step), so an interrupted run resumes exactly; std::mt19937_64 is
// used because the standard fixes its output, unlike the distributions'.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

struct Dataset {
  int64_t Count = 0;
  /// Shape of one example: {C, H, W} for images, {F} for tabular data.
  std::vector<int64_t> ExampleDims;
  std::vector<float> Features; // Count x numel(ExampleDims)
  /// Images read from bytes keep them (a quarter of the memory); a feature
  /// is then Pixels[i] * PixelScale and Features is empty.
  std::vector<uint8_t> Pixels;
  float PixelScale = 1;
  std::vector<double> Targets; // Count
  int64_t NumClasses = 0;      // 0 when targets are not class indices

  int64_t exampleSize() const;
  /// Copies example I's features into Dst (exampleSize() values).
  void example(int64_t I, float *Dst) const;
  /// Keeps the first N examples.
  void truncate(int64_t N);
  /// Names of the classes, when the data set has them (Fashion-MNIST's).
  std::vector<std::string> ClassNames;
};

/// Moves Fraction of D's examples (rounded; at least one, and one is left)
/// into the returned set: which ones is fixed by Seed alone, and both keep
/// the data's order.
Dataset splitOff(Dataset &D, double Fraction, uint64_t Seed);

/// Reads an MNIST-format directory: {train,t10k}-{images-idx3,labels-idx1}
/// -ubyte, gzipped or not. Pixels are scaled to [0, 1].
bool loadIdxDataset(const std::string &Dir, bool Train, Dataset &Out,
                    std::string &Error);

/// Reads a CSV file of numbers: every column but the last is a feature, the
/// last is the target. A first line that does not parse is taken as a header.
bool loadCsv(const std::string &Path, Dataset &Out, std::string &Error);

/// Derives a generator seed from a run's seed and a counter (epoch, step).
uint64_t mixSeed(uint64_t Seed, uint64_t Counter);

/// The example order of one epoch: a shuffle determined by (Seed, Epoch).
std::vector<int64_t> epochOrder(int64_t Count, uint64_t Seed, int64_t Epoch,
                                bool Shuffle = true);

/// Data augmentation of images, each off by default.
struct Augmentation {
  bool HorizontalFlip = false; // with probability 1/2
  int64_t Translate = 0;       // shift by up to this many pixels, zero-filled
  double Noise = 0;            // Gaussian noise with this standard deviation
  double Brightness = 0;       // add U(-b, b) to every pixel
  bool any() const {
    return HorizontalFlip || Translate || Noise != 0 || Brightness != 0;
  }
};

/// Copies examples Order[Begin, Begin + Count) into Features (Count x F) and
/// Targets, augmenting with randomness determined by Seed.
void fillBatch(const Dataset &D, const std::vector<int64_t> &Order,
               int64_t Begin, int64_t Count, const Augmentation &Aug,
               uint64_t Seed, std::vector<double> &Features,
               std::vector<double> &Targets);

} // namespace nnc::runtime
