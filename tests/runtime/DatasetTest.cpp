#include "runtime/Dataset.h"
#include "../TempDir.h"
#include "runtime/Idx.h"

#include <algorithm>
#include <cstring>
#include <gtest/gtest.h>
#include <zlib.h>

using namespace nnc;
using namespace nnc::test;

namespace {

runtime::Dataset ramp(int64_t N, int64_t H = 3, int64_t W = 4) {
  runtime::Dataset D;
  D.Count = N;
  D.ExampleDims = {1, H, W};
  for (int64_t I = 0; I < N * H * W; ++I)
    D.Features.push_back(float(I % (H * W)) / float(H * W));
  for (int64_t I = 0; I < N; ++I)
    D.Targets.push_back(double(I % 3));
  D.NumClasses = 3;
  return D;
}

} // namespace

TEST(Dataset, EpochOrderIsADeterministicPermutation) {
  std::vector<int64_t> A = runtime::epochOrder(1000, 5, 2);
  EXPECT_EQ(A, runtime::epochOrder(1000, 5, 2));
  EXPECT_NE(A, runtime::epochOrder(1000, 5, 3));
  EXPECT_NE(A, runtime::epochOrder(1000, 6, 2));
  std::vector<int64_t> Sorted = A;
  std::sort(Sorted.begin(), Sorted.end());
  for (int64_t I = 0; I < 1000; ++I)
    EXPECT_EQ(Sorted[size_t(I)], I);
  EXPECT_EQ(runtime::epochOrder(4, 5, 2, false),
            (std::vector<int64_t>{0, 1, 2, 3}));
}

// A validation split: its share of the examples, disjoint from what is
// left, both in the data's order, and which ones is the seed's choice.
TEST(Dataset, SplitOffIsFixedByTheSeedAndKeepsTheOrder) {
  auto Split = [](uint64_t Seed) {
    runtime::Dataset D = ramp(100);
    for (int64_t I = 0; I < 100; ++I)
      D.Targets[size_t(I)] = double(I); // which example it was
    runtime::Dataset Held = runtime::splitOff(D, 0.1, Seed);
    EXPECT_EQ(Held.Count, 10);
    EXPECT_EQ(D.Count, 90);
    EXPECT_EQ(Held.Features.size(), 10u * 12);
    EXPECT_EQ(D.Features.size(), 90u * 12);
    EXPECT_TRUE(std::is_sorted(Held.Targets.begin(), Held.Targets.end()));
    EXPECT_TRUE(std::is_sorted(D.Targets.begin(), D.Targets.end()));
    std::vector<double> All = D.Targets;
    All.insert(All.end(), Held.Targets.begin(), Held.Targets.end());
    std::sort(All.begin(), All.end());
    for (int64_t I = 0; I < 100; ++I)
      EXPECT_EQ(All[size_t(I)], double(I));
    return Held.Targets;
  };
  EXPECT_EQ(Split(3), Split(3));
  EXPECT_NE(Split(3), Split(4));
}

TEST(Dataset, BatchesCopyExamplesInOrder) {
  runtime::Dataset D = ramp(5);
  std::vector<double> X, Y;
  runtime::fillBatch(D, {4, 2, 0, 1, 3}, 1, 3, {}, 0, X, Y);
  EXPECT_EQ(Y, (std::vector<double>{2, 0, 1}));
  ASSERT_EQ(X.size(), 36u);
  for (int I = 0; I < 12; ++I)
    EXPECT_EQ(X[size_t(I)], D.Features[size_t(2 * 12 + I)]);
}

TEST(Dataset, HorizontalFlipMirrorsRowsAndIsSeeded) {
  runtime::Dataset D = ramp(64);
  runtime::Augmentation Aug;
  Aug.HorizontalFlip = true;
  std::vector<double> X, Y, X2, Y2;
  std::vector<int64_t> Order = runtime::epochOrder(64, 0, 0, false);
  runtime::fillBatch(D, Order, 0, 64, Aug, 11, X, Y);
  runtime::fillBatch(D, Order, 0, 64, Aug, 11, X2, Y2);
  EXPECT_EQ(X, X2);
  int Flipped = 0;
  for (int B = 0; B < 64; ++B) {
    bool Same = true, Mirror = true;
    for (int R = 0; R < 3; ++R)
      for (int C = 0; C < 4; ++C) {
        double V = X[size_t(B * 12 + R * 4 + C)];
        Same &= V == double(D.Features[size_t(R * 4 + C)]);
        Mirror &= V == double(D.Features[size_t(R * 4 + 3 - C)]);
      }
    EXPECT_TRUE(Same || Mirror) << B;
    Flipped += Mirror;
  }
  EXPECT_GT(Flipped, 16);
  EXPECT_LT(Flipped, 48);
}

TEST(Dataset, TranslateShiftsWithZerosAndNoiseStaysInRange) {
  runtime::Dataset D = ramp(32, 5, 5);
  runtime::Augmentation Aug;
  Aug.Translate = 1;
  Aug.Noise = 0.5;
  Aug.Brightness = 0.3;
  std::vector<double> X, Y;
  runtime::fillBatch(D, runtime::epochOrder(32, 0, 0), 0, 32, Aug, 3, X, Y);
  for (double V : X) {
    EXPECT_GE(V, 0.0);
    EXPECT_LE(V, 1.0);
  }
  // Translation alone: each image is the original moved by at most 1 pixel.
  Aug = {};
  Aug.Translate = 1;
  runtime::fillBatch(D, runtime::epochOrder(32, 0, 0, false), 0, 32, Aug, 3, X,
                     Y);
  for (int B = 0; B < 32; ++B) {
    bool Found = false;
    for (int Dy = -1; Dy <= 1 && !Found; ++Dy)
      for (int Dx = -1; Dx <= 1 && !Found; ++Dx) {
        bool Match = true;
        for (int R = 0; R < 5; ++R)
          for (int C = 0; C < 5; ++C) {
            int SR = R - Dy, SC = C - Dx;
            double Want = SR >= 0 && SR < 5 && SC >= 0 && SC < 5
                              ? D.Features[size_t(SR * 5 + SC)]
                              : 0.0;
            Match &= X[size_t(B * 25 + R * 5 + C)] == Want;
          }
        Found = Match;
      }
    EXPECT_TRUE(Found) << B;
  }
}

TEST(Dataset, CsvWithHeader) {
  TempDir T;
  writeText(T.file("xor.csv"), "a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n");
  runtime::Dataset D;
  std::string Err;
  ASSERT_TRUE(runtime::loadCsv(T.file("xor.csv"), D, Err)) << Err;
  EXPECT_EQ(D.Count, 4);
  EXPECT_EQ(D.ExampleDims, (std::vector<int64_t>{2}));
  EXPECT_EQ(D.Targets, (std::vector<double>{0, 1, 1, 0}));
  EXPECT_EQ(D.NumClasses, 2);
  EXPECT_EQ(D.Features[3], 1.0f);
}

TEST(Dataset, CsvErrorsNameTheLine) {
  TempDir T;
  writeText(T.file("bad.csv"), "1,2,0\n3,x,1\n");
  runtime::Dataset D;
  std::string Err;
  EXPECT_FALSE(runtime::loadCsv(T.file("bad.csv"), D, Err));
  EXPECT_NE(Err.find("bad.csv:2: 'x' is not a number"), std::string::npos)
      << Err;
  // The whole cell is the number; spaces and a CR around it are fine.
  writeText(T.file("suffix.csv"), "1, 2 ,0\r\n1abc,2,1\n");
  EXPECT_FALSE(runtime::loadCsv(T.file("suffix.csv"), D, Err));
  EXPECT_NE(Err.find("suffix.csv:2: '1abc' is not a number"), std::string::npos)
      << Err;
  writeText(T.file("nan.csv"), "1,2,0\n3,nan,1\n");
  EXPECT_FALSE(runtime::loadCsv(T.file("nan.csv"), D, Err));
  EXPECT_NE(Err.find("nan.csv:2: 'nan' is not a finite number"),
            std::string::npos)
      << Err;
  writeText(T.file("ragged.csv"), "1,2,0\n3,1\n");
  EXPECT_FALSE(runtime::loadCsv(T.file("ragged.csv"), D, Err));
  EXPECT_NE(Err.find("ragged.csv:2: expected 3 columns, found 2"),
            std::string::npos)
      << Err;
}

TEST(Idx, LabelsMustBeOneClassIndexPerImage) {
  TempDir T;
  std::vector<uint8_t> Images = {0, 0, 8, 3, 0, 0, 0, 2, 0,
                                 0, 0, 1, 0, 0, 0, 1, 7, 9};
  writeBytes(T.file("train-images-idx3-ubyte"), Images);
  runtime::Dataset D;
  std::string Err;
  // A rank-0 label file once crashed the error message.
  writeBytes(T.file("train-labels-idx1-ubyte"), {0, 0, 8, 0, 3});
  EXPECT_FALSE(runtime::loadIdxDataset(T.Path, true, D, Err));
  EXPECT_NE(Err.find("found images [2, 1, 1] and labels []"), std::string::npos)
      << Err;
  // Float labels: 2.5 is no class (it used to become 2).
  std::vector<uint8_t> Floats = {0, 0, 0x0D, 1, 0, 0, 0, 2};
  for (float L : {1.0f, 2.5f}) {
    uint32_t U;
    std::memcpy(&U, &L, 4);
    for (int B = 3; B >= 0; --B)
      Floats.push_back(uint8_t(U >> (8 * B)));
  }
  writeBytes(T.file("train-labels-idx1-ubyte"), Floats);
  EXPECT_FALSE(runtime::loadIdxDataset(T.Path, true, D, Err));
  EXPECT_NE(Err.find("label 1 is 2.5"), std::string::npos) << Err;
}

TEST(Idx, ReadsGzippedAndRejectsTruncated) {
  TempDir T;
  // A 2 x 2 x 3 u8 image file.
  std::vector<uint8_t> Bytes = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
  for (uint8_t I = 0; I < 12; ++I)
    Bytes.push_back(uint8_t(I * 20));
  gzFile F = gzopen(T.file("x-ubyte.gz").c_str(), "wb");
  gzwrite(F, Bytes.data(), unsigned(Bytes.size()));
  gzclose(F);
  runtime::IdxArray A;
  std::string Err;
  ASSERT_TRUE(runtime::readIdx(T.file("x-ubyte.gz"), A, Err)) << Err;
  EXPECT_EQ(A.Dims, (std::vector<int64_t>{2, 2, 3}));
  EXPECT_EQ(A.Values[11], 220);
  Bytes.pop_back();
  writeBytes(T.file("short-ubyte"), Bytes);
  EXPECT_FALSE(runtime::readIdx(T.file("short-ubyte"), A, Err));
  EXPECT_NE(Err.find("IDX data has 11 bytes, the header promises 12"),
            std::string::npos)
      << Err;
}

TEST(Idx, FashionMnistFromDebian) {
  runtime::Dataset Train, Test;
  std::string Err;
  ASSERT_TRUE(runtime::loadIdxDataset("/usr/share/datasets/fashion-mnist",
                                      false, Test, Err))
      << Err << " (scripts/setup.sh installs dataset-fashion-mnist)";
  EXPECT_EQ(Test.Count, 10000);
  EXPECT_EQ(Test.ExampleDims, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(Test.NumClasses, 10);
  EXPECT_EQ(Test.Targets[0], 9); // the first test image is an ankle boot
}
