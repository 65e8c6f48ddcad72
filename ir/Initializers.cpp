#include "ir/Initializers.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace nnc::ir {

uint64_t SplitMix64::next() {
  uint64_t Z = (State += 0x9e3779b97f4a7c15ULL);
  Z = (Z ^ (Z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  Z = (Z ^ (Z >> 27)) * 0x94d049bb133111ebULL;
  return Z ^ (Z >> 31);
}

double SplitMix64::uniform() { return double(next() >> 11) * 0x1.0p-53; }

double SplitMix64::normal() {
  if (HasSpare) {
    HasSpare = false;
    return Spare;
  }
  double U1 = uniform(), U2 = uniform();
  while (U1 <= 0)
    U1 = uniform();
  double R = std::sqrt(-2 * std::log(U1)), Theta = 2 * M_PI * U2;
  Spare = R * std::sin(Theta);
  HasSpare = true;
  return R * std::cos(Theta);
}

Expected<Fans> computeFans(const Shape &S) {
  if (S.size() < 2)
    return error("needs a tensor of rank >= 2 to compute fan-in and fan-out, "
                 "found shape ",
                 shapeString(S));
  double Receptive = 1;
  for (size_t I = 2; I < S.size(); ++I)
    Receptive *= double(S[I]);
  return Fans{double(S[1]) * Receptive, double(S[0]) * Receptive};
}

namespace {

/// Rows x Cols matrix with orthonormal rows (or columns, whichever are
/// fewer), by modified Gram-Schmidt on a Gaussian matrix.
std::vector<double> orthogonal(int64_t Rows, int64_t Cols, SplitMix64 &Rng) {
  bool Transposed = Rows < Cols;
  int64_t R = Transposed ? Cols : Rows, C = Transposed ? Rows : Cols;
  // Orthonormalize the C columns of an R x C matrix (R >= C), column-major.
  std::vector<double> Q(size_t(R * C));
  for (double &X : Q)
    X = Rng.normal();
  for (int64_t J = 0; J < C; ++J) {
    double *Col = &Q[size_t(J * R)];
    for (int64_t K = 0; K < J; ++K) {
      const double *Prev = &Q[size_t(K * R)];
      double Dot = 0;
      for (int64_t I = 0; I < R; ++I)
        Dot += Prev[I] * Col[I];
      for (int64_t I = 0; I < R; ++I)
        Col[I] -= Dot * Prev[I];
    }
    double Norm = 0;
    for (int64_t I = 0; I < R; ++I)
      Norm += Col[I] * Col[I];
    Norm = std::sqrt(Norm);
    for (int64_t I = 0; I < R; ++I)
      Col[I] /= Norm;
  }
  std::vector<double> Out(size_t(Rows * Cols));
  for (int64_t I = 0; I < Rows; ++I)
    for (int64_t J = 0; J < Cols; ++J)
      Out[size_t(I * Cols + J)] =
          Transposed ? Q[size_t(I * R + J)] : Q[size_t(J * R + I)];
  return Out;
}

} // namespace

std::vector<double> decode(const std::vector<uint8_t> &Raw, DType T) {
  size_t N = Raw.size() / dtypeSize(T);
  std::vector<double> Out(N);
  auto Read = [&](auto Zero) {
    for (size_t I = 0; I < N; ++I) {
      decltype(Zero) X;
      std::memcpy(&X, Raw.data() + I * sizeof(X), sizeof(X));
      Out[I] = double(X);
    }
  };
  switch (T) {
  case DType::F32:
    Read(float());
    break;
  case DType::F64:
    Read(double());
    break;
  case DType::I32:
    Read(int32_t());
    break;
  case DType::I64:
    Read(int64_t());
    break;
  case DType::U8:
  case DType::Bool:
    Read(uint8_t());
    break;
  }
  return Out;
}

namespace {

/// V in T, integers saturating at T's range (NaN: 0): a value that is
/// out of range, such as INT64_MAX after its round trip through double
/// (2^63), has no conversion.
template <typename T> T convertTo(double V) {
  if constexpr (std::is_integral_v<T>) {
    if (V != V)
      return 0;
    if (V >= double(std::numeric_limits<T>::max()))
      return std::numeric_limits<T>::max();
    if (V <= double(std::numeric_limits<T>::min()))
      return std::numeric_limits<T>::min();
  }
  return static_cast<T>(V);
}

} // namespace

std::vector<uint8_t> encode(const std::vector<double> &Values, DType T) {
  std::vector<uint8_t> Out(Values.size() * dtypeSize(T));
  auto Write = [&](auto Zero) {
    for (size_t I = 0; I < Values.size(); ++I) {
      auto X = convertTo<decltype(Zero)>(Values[I]);
      std::memcpy(Out.data() + I * sizeof(X), &X, sizeof(X));
    }
  };
  switch (T) {
  case DType::F32:
    Write(float());
    break;
  case DType::F64:
    Write(double());
    break;
  case DType::I32:
    Write(int32_t());
    break;
  case DType::I64:
    Write(int64_t());
    break;
  case DType::U8:
  case DType::Bool:
    Write(uint8_t());
    break;
  }
  return Out;
}

std::vector<int64_t> decodeInts(const std::vector<uint8_t> &Raw, DType T) {
  std::vector<int64_t> Out;
  for (double V : decode(Raw, T))
    Out.push_back(convertTo<int64_t>(V));
  return Out;
}

Expected<std::vector<double>> materialize(const Value &V) {
  const Shape &S = V.DeclaredDims;
  size_t N = size_t(numElements(S));
  if (!V.Data.empty())
    return decode(V.Data, V.Type.Elt);
  using K = Initializer::Scheme;
  const Initializer &I = V.Init;
  SplitMix64 Rng(I.Seed);
  std::vector<double> Out(N);
  auto Fail = [&](const Status &St) {
    return St.withPrefix("tensor '" + V.Name + "': initializer " +
                         std::string(initSchemeName(I.Kind)));
  };
  switch (I.Kind) {
  case K::None:
    return error("tensor '", V.Name, "' has neither data nor an initializer");
  case K::Zeros:
    return Out;
  case K::Constant:
    std::fill(Out.begin(), Out.end(), I.Value);
    return Out;
  case K::Uniform:
    for (double &X : Out)
      X = I.Low + (I.High - I.Low) * Rng.uniform();
    return Out;
  case K::GlorotUniform:
  case K::XavierNormal:
  case K::HeNormal:
  case K::HeUniform: {
    Expected<Fans> F = computeFans(S);
    if (!F.ok())
      return Fail(F.status());
    bool He = I.Kind == K::HeNormal || I.Kind == K::HeUniform;
    double Denominator = He ? F->In : F->In + F->Out;
    bool Normal = I.Kind == K::XavierNormal || I.Kind == K::HeNormal;
    if (Normal) {
      double Std = I.Gain * std::sqrt(2.0 / Denominator);
      for (double &X : Out)
        X = Std * Rng.normal();
    } else {
      double Bound = I.Gain * std::sqrt(6.0 / Denominator);
      for (double &X : Out)
        X = Bound * (2 * Rng.uniform() - 1);
    }
    return Out;
  }
  case K::Orthogonal: {
    if (S.size() < 2)
      return Fail(
          error("needs a tensor of rank >= 2, found shape ", shapeString(S)));
    int64_t Rows = S[0], Cols = int64_t(N) / Rows;
    Out = orthogonal(Rows, Cols, Rng);
    for (double &X : Out)
      X *= I.Gain;
    return Out;
  }
  }
  return error("tensor '", V.Name, "': unknown initializer");
}

} // namespace nnc::ir
