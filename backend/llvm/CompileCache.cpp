#include "backend/llvm/CompileCache.h"

#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <unistd.h>

namespace nnc::backend {

namespace {

constexpr char Magic[8] = {'N', 'N', 'C', 'O', 'B', 'J', '0', '1'};
constexpr size_t HeaderBytes = sizeof(Magic) + 32 + 8 + 32;

std::string hex(const uint8_t *Bytes, size_t N) {
  static const char Digits[] = "0123456789abcdef";
  std::string S;
  for (size_t I = 0; I < N; ++I) {
    S += Digits[Bytes[I] >> 4];
    S += Digits[Bytes[I] & 15];
  }
  return S;
}

/// The NT_GNU_BUILD_ID note of the loaded object that holds Address.
std::string buildIdOf(const void *Address) {
  Dl_info Info;
  if (!dladdr(Address, &Info) || !Info.dli_fbase)
    return "";
  struct Search {
    const void *Base;
    std::string Id;
  } S{Info.dli_fbase, ""};
  dl_iterate_phdr(
      [](dl_phdr_info *P, size_t, void *Data) {
        auto *S = static_cast<Search *>(Data);
        for (int I = 0; I < P->dlpi_phnum; ++I) {
          const ElfW(Phdr) &Ph = P->dlpi_phdr[I];
          // The object's first loaded segment is its base (dladdr's fbase).
          if (Ph.p_type == PT_LOAD && Ph.p_offset == 0 &&
              reinterpret_cast<const void *>(P->dlpi_addr + Ph.p_vaddr) !=
                  S->Base)
            return 0;
        }
        for (int I = 0; I < P->dlpi_phnum; ++I) {
          const ElfW(Phdr) &Ph = P->dlpi_phdr[I];
          if (Ph.p_type != PT_NOTE)
            continue;
          const char *At =
              reinterpret_cast<const char *>(P->dlpi_addr + Ph.p_vaddr);
          const char *End = At + Ph.p_memsz;
          while (At + sizeof(ElfW(Nhdr)) <= End) {
            const auto *N = reinterpret_cast<const ElfW(Nhdr) *>(At);
            const char *Name = At + sizeof(ElfW(Nhdr));
            const char *Desc = Name + ((N->n_namesz + 3) & ~3u);
            if (N->n_type == NT_GNU_BUILD_ID && N->n_namesz == 4 &&
                std::memcmp(Name, "GNU", 4) == 0 && Desc + N->n_descsz <= End) {
              S->Id = hex(reinterpret_cast<const uint8_t *>(Desc), N->n_descsz);
              return 1;
            }
            At = Desc + ((N->n_descsz + 3) & ~3u);
          }
        }
        return 1;
      },
      &S);
  return S.Id;
}

void putU64(std::vector<char> &Out, uint64_t V) {
  for (int I = 0; I < 8; ++I)
    Out.push_back(char(V >> (8 * I)));
}

uint64_t getU64(const char *P) {
  uint64_t V = 0;
  for (int I = 0; I < 8; ++I)
    V |= uint64_t(uint8_t(P[I])) << (8 * I);
  return V;
}

llvm::ArrayRef<uint8_t> bytesOf(const char *P, size_t N) {
  return {reinterpret_cast<const uint8_t *>(P), N};
}

} // namespace

std::string defaultCompileCacheDir() {
  if (const char *X = std::getenv("XDG_CACHE_HOME"); X && *X == '/')
    return std::string(X) + "/nnc";
  if (const char *Home = std::getenv("HOME"); Home && *Home)
    return std::string(Home) + "/.cache/nnc";
  return "";
}

const std::string &nncBuildId() {
  static const std::string Id =
      buildIdOf(reinterpret_cast<const void *>(&defaultCompileCacheDir));
  return Id;
}

CacheKey CompileCache::key(const llvm::Module &M,
                           const llvm::TargetMachine &TM) {
  llvm::SmallVector<char, 0> Bitcode;
  llvm::raw_svector_ostream OS(Bitcode);
  llvm::WriteBitcodeToFile(M, OS);
  llvm::SHA256 H;
  H.update(llvm::StringRef(Bitcode.data(), Bitcode.size()));
  for (llvm::StringRef Part :
       {llvm::StringRef(TM.getTargetTriple().str()), TM.getTargetCPU(),
        TM.getTargetFeatureString(), llvm::StringRef(LLVM_VERSION_STRING),
        llvm::StringRef(nncBuildId())}) {
    H.update(Part);
    H.update(llvm::StringRef("\0", 1));
  }
  return H.final();
}

std::string CompileCache::pathOf(const CacheKey &Key) const {
  return Dir + "/" + hex(Key.data(), Key.size()) + ".o";
}

std::optional<std::vector<char>> CompileCache::load(const CacheKey &Key,
                                                    std::string &Why) const {
  std::ifstream In(pathOf(Key), std::ios::binary);
  if (!In) {
    Why = "not cached";
    return std::nullopt;
  }
  std::vector<char> File((std::istreambuf_iterator<char>(In)),
                         std::istreambuf_iterator<char>());
  if (File.size() < HeaderBytes || std::memcmp(File.data(), Magic, 8) != 0 ||
      std::memcmp(File.data() + 8, Key.data(), 32) != 0) {
    Why = pathOf(Key) + " is not a cache entry for this key";
    return std::nullopt;
  }
  uint64_t Size = getU64(File.data() + 40);
  if (Size != File.size() - HeaderBytes) {
    Why = pathOf(Key) + " is truncated";
    return std::nullopt;
  }
  const char *Payload = File.data() + HeaderBytes;
  std::array<uint8_t, 32> Sum = llvm::SHA256::hash(bytesOf(Payload, Size));
  if (std::memcmp(File.data() + 48, Sum.data(), 32) != 0) {
    Why = pathOf(Key) + " fails its checksum";
    return std::nullopt;
  }
  return std::vector<char>(Payload, Payload + Size);
}

Status CompileCache::store(const CacheKey &Key,
                           const std::vector<char> &Object) const {
  std::error_code EC;
  std::filesystem::create_directories(Dir, EC);
  if (EC)
    return error("cannot create the compile cache '", Dir, "': ", EC.message());
  std::vector<char> File(Magic, Magic + 8);
  File.insert(File.end(), Key.begin(), Key.end());
  putU64(File, Object.size());
  std::array<uint8_t, 32> Sum =
      llvm::SHA256::hash(bytesOf(Object.data(), Object.size()));
  File.insert(File.end(), Sum.begin(), Sum.end());
  File.insert(File.end(), Object.begin(), Object.end());

  std::string Temp = Dir + "/.tmp-XXXXXX";
  int Fd = mkstemp(Temp.data());
  if (Fd < 0)
    return error("cannot write to the compile cache '", Dir,
                 "': ", std::strerror(errno));
  size_t Written = 0;
  while (Written < File.size()) {
    ssize_t N = ::write(Fd, File.data() + Written, File.size() - Written);
    if (N <= 0)
      break;
    Written += size_t(N);
  }
  bool Closed = ::close(Fd) == 0;
  bool Ok = Written == File.size() && Closed;
  if (!Ok || std::rename(Temp.c_str(), pathOf(Key).c_str()) != 0) {
    int Err = errno;
    std::remove(Temp.c_str());
    return error("cannot write the compile cache entry ", pathOf(Key), ": ",
                 std::strerror(Err));
  }
  return Status::success();
}

} // namespace nnc::backend
