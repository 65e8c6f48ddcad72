//===- frontend/Checksum.cpp - Integrity of binary model files ------------===//
#include "frontend/Checksum.h"

#include <cstring>

namespace nnc::frontend {

namespace {
constexpr char Magic[8] = {'N', 'N', 'C', 'S', 'U', 'M', '0', '1'};
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

} // namespace nnc::frontend
