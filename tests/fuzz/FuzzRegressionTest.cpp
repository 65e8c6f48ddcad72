// Replays every input in tests/data/fuzz/<target>/ (what the fuzzers once
// crashed on, and hand-made cases of the same bugs) through the readers, in
// the ordinary and the sanitizer builds, and checks that the seeds a fuzz
// run starts from go all the way through.
#include "fuzz/FuzzTargets.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

namespace nnc::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> bytesOf(const fs::path &P) {
  std::ifstream In(P, std::ios::binary);
  return {std::istreambuf_iterator<char>(In), std::istreambuf_iterator<char>()};
}

void expectOneLineNamingTheFile(const FuzzOutcome &O, const std::string &What) {
  if (O.Accepted)
    return;
  EXPECT_FALSE(O.Error.empty()) << What;
  EXPECT_EQ(O.Error.find('\n'), std::string::npos) << What << ": " << O.Error;
  EXPECT_EQ(O.Error.rfind(O.Path, 0), 0u)
      << What << ": the message does not start with " << O.Path << ": "
      << O.Error;
}

TEST(Fuzz, EveryKeptInputIsRefusedWithOneLineOrAccepted) {
  fs::path Root = fs::path(NNC_SOURCE_DIR) / "tests/data/fuzz";
  size_t Replayed = 0;
  for (const FuzzTarget &T : fuzzTargets()) {
    fs::path Dir = Root / T.Name;
    if (!fs::exists(Dir))
      continue;
    for (const fs::directory_entry &E : fs::directory_iterator(Dir)) {
      std::vector<uint8_t> Bytes = bytesOf(E.path());
      FuzzOutcome O = T.Run(Bytes.data(), Bytes.size());
      expectOneLineNamingTheFile(O, E.path().string());
      ++Replayed;
    }
  }
  EXPECT_GT(Replayed, 0u) << "no inputs under " << Root;
}

TEST(Fuzz, TheExamplesGoThroughTheWholePipeline) {
  // A target that refused everything would find nothing: the seeds must
  // get past the reader.
  fs::path Models = fs::path(NNC_SOURCE_DIR) / "examples/models";
  for (const char *Name : {"lenet5.json", "convbn.json", "xor_mlp.json"}) {
    std::vector<uint8_t> Bytes = bytesOf(Models / Name);
    FuzzOutcome O = findFuzzTarget("json")->Run(Bytes.data(), Bytes.size());
    EXPECT_TRUE(O.Accepted) << Name << ": " << O.Error;
  }
  std::string Csv = "x,y,label\n0,1,1\n1,0,1\n1,1,0\n";
  FuzzOutcome O = findFuzzTarget("csv")->Run(
      reinterpret_cast<const uint8_t *>(Csv.data()), Csv.size());
  EXPECT_TRUE(O.Accepted) << O.Error;
}

TEST(Fuzz, EveryTargetRefusesGarbageWithOneLineNamingTheFile) {
  const std::string Garbage = "\x01\x02garbage\xff";
  for (const FuzzTarget &T : fuzzTargets()) {
    FuzzOutcome O = T.Run(reinterpret_cast<const uint8_t *>(Garbage.data()),
                          Garbage.size());
    EXPECT_FALSE(O.Accepted) << T.Name;
    expectOneLineNamingTheFile(O, T.Name);
  }
}

} // namespace
} // namespace nnc::fuzz
