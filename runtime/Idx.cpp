#include "runtime/Idx.h"

#include <cstring>
#include <zlib.h>

namespace nnc::runtime {
namespace {

bool endsWith(const std::string &S, const char *Suffix) {
  size_t N = std::strlen(Suffix);
  return S.size() >= N && S.compare(S.size() - N, N, Suffix) == 0;
}

size_t elementSize(uint8_t Type) {
  switch (Type) {
  case 0x08:
  case 0x09:
    return 1; // u8, i8
  case 0x0B:
    return 2; // i16
  case 0x0C:
  case 0x0D:
    return 4; // i32, f32
  case 0x0E:
    return 8; // f64
  default:
    return 0;
  }
}

double decodeBigEndian(const uint8_t *P, uint8_t Type) {
  uint64_t Bits = 0;
  size_t N = elementSize(Type);
  for (size_t I = 0; I < N; ++I)
    Bits = (Bits << 8) | P[I];
  switch (Type) {
  case 0x08:
    return double(uint8_t(Bits));
  case 0x09:
    return double(int8_t(Bits));
  case 0x0B:
    return double(int16_t(Bits));
  case 0x0C:
    return double(int32_t(Bits));
  case 0x0D: {
    uint32_t B = uint32_t(Bits);
    float F;
    std::memcpy(&F, &B, 4);
    return F;
  }
  default: {
    double D;
    std::memcpy(&D, &Bits, 8);
    return D;
  }
  }
}

} // namespace

bool looksLikeIdx(const std::string &Path) {
  return endsWith(Path, "-ubyte") || endsWith(Path, "-ubyte.gz") ||
         endsWith(Path, ".idx") || endsWith(Path, ".idx.gz");
}

bool readIdx(const std::string &Path, IdxArray &Out, std::string &Error,
             bool KeepBytes) {
  gzFile F = gzopen(Path.c_str(), "rb");
  if (!F) {
    Error = Path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::vector<uint8_t> Bytes;
  uint8_t Chunk[1 << 16];
  int N;
  while ((N = gzread(F, Chunk, sizeof(Chunk))) > 0)
    Bytes.insert(Bytes.end(), Chunk, Chunk + N);
  int ErrNum = 0;
  const char *ZMsg = gzerror(F, &ErrNum);
  bool ReadFailed = N < 0 || (ErrNum != Z_OK && ErrNum != Z_BUF_ERROR);
  std::string ZError = ZMsg ? ZMsg : "";
  gzclose(F);
  if (ReadFailed) {
    Error = Path + ": read error: " + ZError;
    return false;
  }
  if (Bytes.size() < 4 || Bytes[0] != 0 || Bytes[1] != 0) {
    Error = Path + ": not an IDX file (bad magic number)";
    return false;
  }
  uint8_t Type = Bytes[2], Rank = Bytes[3];
  size_t Elt = elementSize(Type);
  if (Elt == 0) {
    Error =
        Path + ": unknown IDX element type 0x" + std::to_string(unsigned(Type));
    return false;
  }
  size_t Header = 4 + 4 * size_t(Rank);
  if (Bytes.size() < Header) {
    Error = Path + ": truncated IDX header";
    return false;
  }
  Out.Dims.clear();
  uint64_t Count = 1;
  for (size_t D = 0; D < Rank; ++D) {
    const uint8_t *P = &Bytes[4 + 4 * D];
    uint32_t Size = uint32_t(P[0]) << 24 | uint32_t(P[1]) << 16 |
                    uint32_t(P[2]) << 8 | P[3];
    Out.Dims.push_back(Size);
    Count *= Size;
    if (Count > (uint64_t(1) << 40)) {
      Error = Path + ": IDX dimensions are implausibly large";
      return false;
    }
  }
  if (Bytes.size() - Header != Count * Elt) {
    Error = Path + ": IDX data has " + std::to_string(Bytes.size() - Header) +
            " bytes, the header promises " + std::to_string(Count * Elt);
    return false;
  }
  Out.Unsigned8 = Type == 0x08;
  if (KeepBytes && Out.Unsigned8) {
    Bytes.erase(Bytes.begin(), Bytes.begin() + long(Header));
    Out.Bytes = std::move(Bytes);
    Out.Values.clear();
    return true;
  }
  Out.Values.resize(Count);
  for (uint64_t I = 0; I < Count; ++I)
    Out.Values[I] = decodeBigEndian(&Bytes[Header + I * Elt], Type);
  return true;
}

} // namespace nnc::runtime
