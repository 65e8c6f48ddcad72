//===- frontend/Checksum.cpp - Integrity of binary model files ------------===//
#include "frontend/Checksum.h"

#include <cstdio>
#include <cstring>

namespace nnc::frontend {

namespace {
constexpr char Magic[8] = {'N', 'N', 'C', 'S', 'U', 'M', '0', '1'};
constexpr char JsonMarker[] = "// nnc-checksum fnv1a64 ";
constexpr size_t JsonMarkerLength = sizeof(JsonMarker) - 1;
constexpr size_t JsonLineLength = JsonMarkerLength + 16 + 1; // hex, newline

std::string hex64(uint64_t H) {
  char Buf[17];
  std::snprintf(Buf, sizeof Buf, "%016llx", (unsigned long long)H);
  return Buf;
}
} // namespace

uint64_t fnv1a64(const uint8_t *Bytes, size_t Size) {
  uint64_t H = 0xcbf29ce484222325ULL;
  for (size_t I = 0; I < Size; ++I) {
    H ^= Bytes[I];
    H *= 0x100000001b3ULL;
  }
  return H;
}

void appendChecksum(std::vector<uint8_t> &Bytes) {
  uint64_t H = fnv1a64(Bytes.data(), Bytes.size());
  Bytes.insert(Bytes.end(), Magic, Magic + 8);
  for (int I = 0; I < 8; ++I)
    Bytes.push_back(uint8_t(H >> (8 * I)));
}

Status stripChecksum(std::vector<uint8_t> &Bytes, const std::string &Path,
                     bool &HasTrailer) {
  HasTrailer = Bytes.size() >= ChecksumTrailerBytes &&
               std::memcmp(Bytes.data() + Bytes.size() - ChecksumTrailerBytes,
                           Magic, 8) == 0;
  if (!HasTrailer)
    return Status::success();
  size_t Payload = Bytes.size() - ChecksumTrailerBytes;
  uint64_t Stored = 0;
  for (int I = 0; I < 8; ++I)
    Stored |= uint64_t(Bytes[Payload + 8 + size_t(I)]) << (8 * I);
  if (Stored != fnv1a64(Bytes.data(), Payload))
    return error(Path, ": checksum mismatch: the file changed after nnc wrote "
                       "it (damaged or edited); it is not loaded");
  Bytes.resize(Payload);
  return Status::success();
}

void appendJsonChecksum(std::string &Text) {
  if (!Text.empty() && Text.back() != '\n')
    Text += '\n';
  uint64_t H =
      fnv1a64(reinterpret_cast<const uint8_t *>(Text.data()), Text.size());
  Text += JsonMarker + hex64(H) + "\n";
}

Status stripJsonChecksum(std::string &Text, const std::string &Path) {
  size_t End = Text.size();
  while (End && (Text[End - 1] == '\n' || Text[End - 1] == '\r' ||
                 Text[End - 1] == ' '))
    --End; // an editor may have touched the last line's ending
  size_t Start = Text.rfind('\n', End ? End - 1 : 0);
  Start = Start == std::string::npos ? 0 : Start + 1;
  if (Text.compare(Start, JsonMarkerLength, JsonMarker) != 0)
    return Status::success();
  std::string Stored =
      Text.substr(Start + JsonMarkerLength, End - Start - JsonMarkerLength);
  if (Stored !=
      hex64(fnv1a64(reinterpret_cast<const uint8_t *>(Text.data()), Start)))
    return error(Path, ": checksum mismatch: the file changed after nnc wrote "
                       "it; if you edited it on purpose, delete its last "
                       "line (the checksum)");
  Text.resize(Start);
  return Status::success();
}

} // namespace nnc::frontend
