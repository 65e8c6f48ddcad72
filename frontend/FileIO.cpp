#include "frontend/FileIO.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nnc::frontend {

Expected<std::vector<uint8_t>> readFile(const std::string &Path) {
  std::FILE *F = std::fopen(Path.c_str(), "rb");
  if (!F)
    return error(Path, ": cannot open: ", std::strerror(errno));
  std::vector<uint8_t> Bytes;
  uint8_t Chunk[1 << 16];
  size_t N;
  while ((N = std::fread(Chunk, 1, sizeof(Chunk), F)) > 0)
    Bytes.insert(Bytes.end(), Chunk, Chunk + N);
  bool Failed = std::ferror(F);
  std::fclose(F);
  if (Failed)
    return error(Path, ": read error");
  return Bytes;
}

namespace {

/// Removes Path's temporary files that a killed writer left behind. Each
/// writer holds a lock on its temporary file until it renames it, and the
/// system drops the lock when a process dies: a file whose lock can be
/// taken is stale, one whose lock cannot is being written.
void removeStaleTemporaries(const std::string &Path) {
  std::string Dir = directoryOf(Path);
  std::string Prefix = Path.substr(Path.find_last_of('/') == std::string::npos
                                       ? 0
                                       : Path.find_last_of('/') + 1) +
                       ".tmp-";
  DIR *D = ::opendir(Dir.c_str());
  if (!D)
    return;
  while (const dirent *E = ::readdir(D)) {
    std::string Name = E->d_name;
    if (Name.size() != Prefix.size() + 6 || Name.rfind(Prefix, 0) != 0)
      continue;
    std::string Full = Dir + "/" + Name;
    int Fd = ::open(Full.c_str(), O_RDONLY | O_CLOEXEC);
    if (Fd < 0)
      continue;
    if (::flock(Fd, LOCK_EX | LOCK_NB) == 0)
      ::unlink(Full.c_str());
    ::close(Fd);
  }
  ::closedir(D);
}

} // namespace

Status writeFileAtomically(const std::string &Path, const void *Bytes,
                           size_t Size) {
  removeStaleTemporaries(Path);
  std::string Tmp = Path + ".tmp-XXXXXX";
  int Fd = mkstemp(Tmp.data());
  if (Fd < 0)
    return error(Path, ": cannot create a temporary file next to it: ",
                 std::strerror(errno));
  // Held until the rename; removeStaleTemporaries leaves locked files alone.
  ::flock(Fd, LOCK_EX);
  const char *P = static_cast<const char *>(Bytes);
  size_t Left = Size;
  while (Left > 0) {
    ssize_t W = ::write(Fd, P, Left);
    if (W < 0 && errno == EINTR)
      continue;
    if (W <= 0) {
      int Err = errno;
      ::close(Fd);
      ::unlink(Tmp.c_str());
      return error(Path, ": write failed: ", std::strerror(Err));
    }
    P += W;
    Left -= size_t(W);
  }
  // mkstemp creates 0600; give the file the usual permissions.
  ::fchmod(Fd, 0644);
  // Renamed while still open: the lock covers the file until it has its
  // final name.
  if (::fsync(Fd) != 0) {
    int Err = errno;
    ::unlink(Tmp.c_str());
    ::close(Fd);
    return error(Path, ": write failed: ", std::strerror(Err));
  }
  if (std::rename(Tmp.c_str(), Path.c_str()) != 0) {
    int Err = errno;
    ::unlink(Tmp.c_str());
    ::close(Fd);
    return error(Path, ": cannot replace: ", std::strerror(Err));
  }
  ::close(Fd); // synced: nothing is left to fail
  return Status::success();
}

std::string extensionOf(const std::string &Path) {
  size_t Slash = Path.find_last_of('/');
  size_t Dot = Path.find_last_of('.');
  if (Dot == std::string::npos || (Slash != std::string::npos && Dot < Slash))
    return "";
  return Path.substr(Dot + 1);
}

std::string directoryOf(const std::string &Path) {
  size_t Slash = Path.find_last_of('/');
  return Slash == std::string::npos ? "." : Path.substr(0, Slash);
}

} // namespace nnc::frontend
