//===- fuzz/FuzzTargets.h - Every reader, driven by arbitrary bytes -*- C++
//-*-===//
//
// One function per reader of user files: it hands the bytes to the reader
// exactly as the tools do (through a file, since the readers take paths), and
// takes whatever is read successfully on through shape inference,
// verification, training lowering and kernel lowering. The libFuzzer drivers
// (fuzz/FuzzMain.cpp) and the regression test that replays every input a
// fuzzer ever crashed on (tests/fuzz/) call the same functions.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::fuzz {

/// What a reader made of an input.
struct FuzzOutcome {
  bool Accepted = false;
  /// The reader's error when the input was refused. Tested: one line,
  /// starting with the path of the file it read.
  std::string Error;
  /// The path the bytes were written to (the error must name it).
  std::string Path;
};

struct FuzzTarget {
  const char *Name;
  const char *Description;
  FuzzOutcome (*Run)(const uint8_t *Data, size_t Size);
};

/// model (.nnc), json, onnx, idx, csv, checkpoint.
const std::vector<FuzzTarget> &fuzzTargets();
const FuzzTarget *findFuzzTarget(const std::string &Name);

} // namespace nnc::fuzz
