//===- tests/TempDir.h - A scratch directory per test -----------*- C++ -*-===//
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace nnc::test {

class TempDir {
public:
  TempDir() {
    std::string Tmpl =
        (std::filesystem::temp_directory_path() / "nnc-test-XXXXXX").string();
    Path = mkdtemp(Tmpl.data()) ? Tmpl : "";
  }
  ~TempDir() {
    std::error_code EC;
    std::filesystem::remove_all(Path, EC);
  }
  std::string file(const std::string &Name) const { return Path + "/" + Name; }
  std::string Path;
};

inline void writeBytes(const std::string &Path, const std::vector<uint8_t> &B) {
  std::ofstream(Path, std::ios::binary)
      .write(reinterpret_cast<const char *>(B.data()),
             std::streamsize(B.size()));
}

inline void writeText(const std::string &Path, const std::string &Text) {
  std::ofstream(Path, std::ios::binary) << Text;
}

inline std::string readText(const std::string &Path) {
  std::ifstream In(Path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(In), {});
}

} // namespace nnc::test
