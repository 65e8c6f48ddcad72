#include "fuzz/Mutator.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace nnc::fuzz {

namespace {

/// Values that sit on the edges readers get wrong: sizes, counts, signs.
constexpr uint64_t Boundary[] = {0,
                                 1,
                                 2,
                                 0x7f,
                                 0x80,
                                 0xff,
                                 0x7fff,
                                 0x8000,
                                 0xffff,
                                 0x7fffffff,
                                 0x80000000,
                                 0xffffffff,
                                 0x100000000ULL,
                                 0x7fffffffffffffffULL,
                                 0x8000000000000000ULL,
                                 0xffffffffffffffffULL};

/// Numbers that replace a number in a text file.
const char *const ExtremeNumbers[] = {
    "0",     "-1",         "-0",
    "1e309", "-1e309",     "nan",
    "inf",   "1e-320",     "4e9",
    "-4e9",  "2147483648", "9223372036854775808",
    "1.5",   "1e30",       "00000001",
    "0x10",  "",           "+",
    "1e",    "--1",        "18446744073709551617"};

/// Characters whose loss or doubling breaks a text file's structure.
constexpr char Structural[] = "{}[]\",:\n\r";

size_t pick(Random &R, size_t N) { return N ? size_t(R.below(N)) : 0; }

void flipBit(Bytes &B, Random &R) {
  if (!B.empty())
    B[pick(R, B.size())] ^= uint8_t(1u << R.below(8));
}

void setBoundaryWord(Bytes &B, Random &R) {
  static constexpr size_t Widths[] = {1, 2, 4, 8};
  size_t W = Widths[R.below(4)];
  if (B.size() < W)
    return;
  uint64_t V = Boundary[R.below(std::size(Boundary))];
  if (R.oneIn(2)) // big-endian too: IDX headers are
    V = __builtin_bswap64(V) >> (64 - 8 * W);
  std::memcpy(&B[pick(R, B.size() - W + 1)], &V, W);
}

void cut(Bytes &B, Random &R) { B.resize(pick(R, B.size() + 1)); }

void eraseRange(Bytes &B, Random &R) {
  if (B.empty())
    return;
  size_t At = pick(R, B.size());
  size_t N = 1 + pick(R, std::min<size_t>(B.size() - At, 64));
  B.erase(B.begin() + long(At), B.begin() + long(At + N));
}

void duplicateRange(Bytes &B, Random &R) {
  if (B.empty() || B.size() > (1u << 20))
    return;
  size_t At = pick(R, B.size());
  size_t N = 1 + pick(R, std::min<size_t>(B.size() - At, 256));
  Bytes Piece(B.begin() + long(At), B.begin() + long(At + N));
  B.insert(B.begin() + long(pick(R, B.size() + 1)), Piece.begin(), Piece.end());
}

void insertRandom(Bytes &B, Random &R) {
  size_t N = 1 + pick(R, 16);
  Bytes Piece(N);
  for (uint8_t &C : Piece)
    C = uint8_t(R.next());
  B.insert(B.begin() + long(pick(R, B.size() + 1)), Piece.begin(), Piece.end());
}

/// Overwrites a range of B with the same range of another seed: a file
/// whose parts each look right but do not agree.
void splice(Bytes &B, const std::vector<Bytes> &Seeds, Random &R) {
  const Bytes &O = Seeds[pick(R, Seeds.size())];
  if (O.empty() || B.empty())
    return;
  size_t At = pick(R, std::min(B.size(), O.size()));
  size_t N = std::min({B.size() - At, O.size() - At, size_t(1) + pick(R, 512)});
  std::copy_n(O.begin() + long(At), N, B.begin() + long(At));
}

bool isNumberChar(uint8_t C) {
  return (C >= '0' && C <= '9') || C == '.' || C == '-' || C == '+' ||
         C == 'e' || C == 'E';
}

void replaceNumber(Bytes &B, Random &R) {
  if (B.empty())
    return;
  // The first number at or after a random place.
  size_t At = pick(R, B.size());
  while (At < B.size() && !(B[At] >= '0' && B[At] <= '9'))
    ++At;
  if (At == B.size())
    return;
  size_t Begin = At, End = At;
  while (Begin > 0 && isNumberChar(B[Begin - 1]))
    --Begin;
  while (End < B.size() && isNumberChar(B[End]))
    ++End;
  std::string N = ExtremeNumbers[R.below(std::size(ExtremeNumbers))];
  B.erase(B.begin() + long(Begin), B.begin() + long(End));
  B.insert(B.begin() + long(Begin), N.begin(), N.end());
}

void breakStructure(Bytes &B, Random &R) {
  std::vector<size_t> Places;
  for (size_t I = 0; I < B.size(); ++I)
    if (B[I] && std::strchr(Structural, B[I]))
      Places.push_back(I);
  if (Places.empty())
    return;
  size_t At = Places[pick(R, Places.size())];
  if (R.oneIn(2))
    B.erase(B.begin() + long(At));
  else
    B.insert(B.begin() + long(At), B[At]);
}

/// Copies one line (text) somewhere else: a repeated key, row or field.
void duplicateLine(Bytes &B, Random &R) {
  if (B.empty() || B.size() > (1u << 20))
    return;
  size_t At = pick(R, B.size());
  size_t Begin = At, End = At;
  while (Begin > 0 && B[Begin - 1] != '\n')
    --Begin;
  while (End < B.size() && B[End] != '\n')
    ++End;
  Bytes Line(B.begin() + long(Begin), B.begin() + long(End));
  Line.push_back('\n');
  size_t To = Begin;
  B.insert(B.begin() + long(To), Line.begin(), Line.end());
}

} // namespace

Bytes mutate(const std::vector<Bytes> &Seeds, bool Text, Random &R) {
  Bytes B = Seeds[pick(R, Seeds.size())];
  size_t Count = 1 + pick(R, 4);
  for (size_t I = 0; I < Count; ++I) {
    // Text files mostly get text mutations; binary ones only byte-level ones.
    uint64_t Kind = Text && R.oneIn(2) ? 8 + R.below(3) : R.below(8);
    switch (Kind) {
    case 0:
    case 1:
      flipBit(B, R);
      break;
    case 2:
      setBoundaryWord(B, R);
      break;
    case 3:
      cut(B, R);
      break;
    case 4:
      eraseRange(B, R);
      break;
    case 5:
      duplicateRange(B, R);
      break;
    case 6:
      insertRandom(B, R);
      break;
    case 7:
      splice(B, Seeds, R);
      break;
    case 8:
      replaceNumber(B, R);
      break;
    case 9:
      breakStructure(B, R);
      break;
    case 10:
      duplicateLine(B, R);
      break;
    }
  }
  return B;
}

} // namespace nnc::fuzz
