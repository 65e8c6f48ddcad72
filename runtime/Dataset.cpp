#include "runtime/Dataset.h"

#include <algorithm>

#include "runtime/Idx.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>

namespace nnc::runtime {

int64_t Dataset::exampleSize() const {
  int64_t N = 1;
  for (int64_t D : ExampleDims)
    N *= D;
  return N;
}

namespace {

bool exists(const std::string &Path) {
  struct stat St;
  return ::stat(Path.c_str(), &St) == 0;
}

/// "dir/train-images-idx3-ubyte" or its .gz twin, whichever is there.
std::string findIdx(const std::string &Dir, const std::string &Stem) {
  std::string Plain = Dir + "/" + Stem;
  return exists(Plain) ? Plain : Plain + ".gz";
}

double uniform01(std::mt19937_64 &Rng) {
  return double(Rng() >> 11) * 0x1.0p-53;
}

double gaussian(std::mt19937_64 &Rng) {
  double U1 = uniform01(Rng), U2 = uniform01(Rng);
  while (U1 <= 0)
    U1 = uniform01(Rng);
  return std::sqrt(-2 * std::log(U1)) * std::cos(2 * M_PI * U2);
}

} // namespace

uint64_t mixSeed(uint64_t Seed, uint64_t Counter) {
  uint64_t Z = Seed * 0x9e3779b97f4a7c15ULL + Counter + 0x632be59bd9b4e019ULL;
  Z = (Z ^ (Z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  return Z ^ (Z >> 31);
}

bool loadIdxDataset(const std::string &Dir, bool Train, Dataset &Out,
                    std::string &Error) {
  std::string Prefix = Train ? "train" : "t10k";
  IdxArray Images, Labels;
  if (!readIdx(findIdx(Dir, Prefix + "-images-idx3-ubyte"), Images, Error,
               /*KeepBytes=*/true) ||
      !readIdx(findIdx(Dir, Prefix + "-labels-idx1-ubyte"), Labels, Error))
    return false;
  auto ShapeText = [](const std::vector<int64_t> &Dims) {
    std::string T = "[";
    for (size_t I = 0; I < Dims.size(); ++I)
      T += (I ? ", " : "") + std::to_string(Dims[I]);
    return T + "]";
  };
  if (Images.Dims.size() != 3 || Labels.Dims.size() != 1 ||
      Images.Dims[0] != Labels.Dims[0]) {
    Error = Dir + ": expected images [N, H, W] and labels [N], found images " +
            ShapeText(Images.Dims) + " and labels " + ShapeText(Labels.Dims);
    return false;
  }
  for (size_t I = 0; I < Labels.Values.size(); ++I) {
    double L = Labels.Values[I];
    if (!(L >= 0 && L < 1e9 && L == std::floor(L))) {
      char Value[32];
      std::snprintf(Value, sizeof Value, "%g", L);
      Error = Dir + ": label " + std::to_string(I) + " is " + Value +
              ", expected a class index (an integer >= 0)";
      return false;
    }
  }
  Out.Count = Images.Dims[0];
  Out.ExampleDims = {1, Images.Dims[1], Images.Dims[2]};
  if (Images.Unsigned8) {
    Out.Features.clear();
    Out.Pixels = std::move(Images.Bytes);
    Out.PixelScale = float(1 / 255.0);
  } else {
    Out.Features.resize(Images.Values.size());
    for (size_t I = 0; I < Images.Values.size(); ++I) {
      if (!std::isfinite(Images.Values[I])) {
        Error = Dir + ": image value " + std::to_string(I) +
                " is not a finite number";
        return false;
      }
      Out.Features[I] = float(Images.Values[I] / 255.0);
    }
  }
  Out.Targets = std::move(Labels.Values);
  Out.NumClasses = 0;
  for (double L : Out.Targets)
    Out.NumClasses = std::max(Out.NumClasses, int64_t(L) + 1);
  return true;
}

bool loadCsv(const std::string &Path, Dataset &Out, std::string &Error) {
  std::ifstream In(Path);
  if (!In) {
    Error = Path + ": cannot open";
    return false;
  }
  Out = Dataset();
  std::string Line;
  int64_t LineNo = 0, Columns = -1;
  bool AllIntegral = true;
  while (std::getline(In, Line)) {
    ++LineNo;
    if (Line.empty() || Line[0] == '#')
      continue;
    std::vector<double> Row;
    std::stringstream SS(Line);
    std::string Cell;
    std::string Bad;
    bool NonFinite = false;
    while (std::getline(SS, Cell, ',')) {
      // The whole cell is the number ("1abc" is not 1), spaces aside.
      char *End = nullptr;
      double V = std::strtod(Cell.c_str(), &End);
      bool Number = End != Cell.c_str();
      for (; Number && *End; ++End)
        Number = std::isspace(static_cast<unsigned char>(*End));
      if (Bad.empty() && (!Number || !std::isfinite(V))) {
        Bad = Cell;
        NonFinite = Number;
      }
      Row.push_back(V);
    }
    if (!Bad.empty()) {
      if (LineNo == 1 && !NonFinite)
        continue; // a header
      Error = Path + ":" + std::to_string(LineNo) + ": '" + Bad + "' is " +
              (NonFinite ? "not a finite number" : "not a number");
      return false;
    }
    if (Columns < 0)
      Columns = int64_t(Row.size());
    if (int64_t(Row.size()) != Columns || Columns < 2) {
      Error = Path + ":" + std::to_string(LineNo) + ": expected " +
              std::to_string(std::max<int64_t>(Columns, 2)) +
              " columns, found " + std::to_string(Row.size());
      return false;
    }
    Out.Features.insert(Out.Features.end(), Row.begin(), Row.end() - 1);
    Out.Targets.push_back(Row.back());
    // Class indices as the IDX labels are; 1e300 is a regression target.
    AllIntegral &= Row.back() >= 0 && Row.back() < 1e9 &&
                   Row.back() == std::floor(Row.back());
    ++Out.Count;
  }
  if (Out.Count == 0) {
    Error = Path + ": no rows";
    return false;
  }
  Out.ExampleDims = {Columns - 1};
  if (AllIntegral)
    for (double T : Out.Targets)
      Out.NumClasses = std::max(Out.NumClasses, int64_t(T) + 1);
  return true;
}

std::vector<int64_t> epochOrder(int64_t Count, uint64_t Seed, int64_t Epoch,
                                bool Shuffle) {
  std::vector<int64_t> Order(static_cast<size_t>(Count));
  for (int64_t I = 0; I < Count; ++I)
    Order[size_t(I)] = I;
  if (!Shuffle)
    return Order;
  // Fisher-Yates with the generator's raw output (no std distribution).
  std::mt19937_64 Rng(mixSeed(Seed, uint64_t(Epoch)));
  for (int64_t I = Count - 1; I > 0; --I) {
    int64_t J = int64_t(Rng() % uint64_t(I + 1));
    std::swap(Order[size_t(I)], Order[size_t(J)]);
  }
  return Order;
}

void Dataset::example(int64_t I, float *Dst) const {
  int64_t F = exampleSize();
  if (!Pixels.empty()) {
    const uint8_t *Src = Pixels.data() + I * F;
    for (int64_t K = 0; K < F; ++K)
      Dst[K] = float(Src[K]) * PixelScale;
    return;
  }
  std::copy_n(Features.data() + I * F, F, Dst);
}

void Dataset::truncate(int64_t N) {
  if (N <= 0 || N >= Count)
    return;
  Count = N;
  if (!Pixels.empty()) {
    Pixels.resize(size_t(N * exampleSize()));
    Pixels.shrink_to_fit();
  } else {
    Features.resize(size_t(N * exampleSize()));
  }
  Targets.resize(size_t(N));
}

Dataset splitOff(Dataset &D, double Fraction, uint64_t Seed) {
  int64_t Held = std::clamp<int64_t>(int64_t(double(D.Count) * Fraction + 0.5),
                                     1, std::max<int64_t>(D.Count - 1, 1));
  std::vector<int64_t> Order = epochOrder(D.Count, Seed ^ 0x5a11d, -1);
  std::vector<bool> ToHeld(size_t(D.Count), false);
  for (int64_t I = 0; I < Held; ++I)
    ToHeld[size_t(Order[size_t(I)])] = true;
  Dataset Kept, Out;
  for (Dataset *X : {&Kept, &Out}) {
    X->ExampleDims = D.ExampleDims;
    X->PixelScale = D.PixelScale;
    X->NumClasses = D.NumClasses;
    X->ClassNames = D.ClassNames;
  }
  int64_t F = D.exampleSize();
  for (int64_t I = 0; I < D.Count; ++I) {
    Dataset &To = ToHeld[size_t(I)] ? Out : Kept;
    if (!D.Pixels.empty())
      To.Pixels.insert(To.Pixels.end(), D.Pixels.begin() + I * F,
                       D.Pixels.begin() + (I + 1) * F);
    else
      To.Features.insert(To.Features.end(), D.Features.begin() + I * F,
                         D.Features.begin() + (I + 1) * F);
    To.Targets.push_back(D.Targets[size_t(I)]);
    ++To.Count;
  }
  D = std::move(Kept);
  return Out;
}

void fillBatch(const Dataset &D, const std::vector<int64_t> &Order,
               int64_t Begin, int64_t Count, const Augmentation &Aug,
               uint64_t Seed, std::vector<double> &Features,
               std::vector<double> &Targets) {
  int64_t F = D.exampleSize();
  Features.resize(size_t(Count * F));
  Targets.resize(size_t(Count));
  bool Image = D.ExampleDims.size() == 3;
  int64_t C = Image ? D.ExampleDims[0] : 1, H = Image ? D.ExampleDims[1] : 1,
          W = Image ? D.ExampleDims[2] : F;
  std::mt19937_64 Rng(mixSeed(Seed, 0x5eed));
  std::vector<float> Example;
  for (int64_t B = 0; B < Count; ++B) {
    int64_t Src = Order[size_t(Begin + B)];
    Example.resize(size_t(F));
    D.example(Src, Example.data());
    const float *In = Example.data();
    double *Dst = Features.data() + B * F;
    Targets[size_t(B)] = D.Targets[size_t(Src)];
    if (!Image || !Aug.any()) {
      std::copy(In, In + F, Dst);
      continue;
    }
    bool Flip = Aug.HorizontalFlip && (Rng() & 1);
    int64_t Dy = 0, Dx = 0;
    if (Aug.Translate) {
      Dy = int64_t(Rng() % uint64_t(2 * Aug.Translate + 1)) - Aug.Translate;
      Dx = int64_t(Rng() % uint64_t(2 * Aug.Translate + 1)) - Aug.Translate;
    }
    double Shift =
        Aug.Brightness ? (2 * uniform01(Rng) - 1) * Aug.Brightness : 0;
    for (int64_t Ch = 0; Ch < C; ++Ch)
      for (int64_t Y = 0; Y < H; ++Y)
        for (int64_t X = 0; X < W; ++X) {
          int64_t SY = Y - Dy, SX = X - Dx;
          if (Flip)
            SX = W - 1 - SX;
          double V = SY >= 0 && SY < H && SX >= 0 && SX < W
                         ? In[(Ch * H + SY) * W + SX]
                         : 0.0;
          V += Shift;
          if (Aug.Noise)
            V += Aug.Noise * gaussian(Rng);
          Dst[(Ch * H + Y) * W + X] = std::min(1.0, std::max(0.0, V));
        }
  }
}

} // namespace nnc::runtime
