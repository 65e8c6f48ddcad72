// Runs the nnc tool as a user would, for tests of what it prints and
// how it exits.
#pragma once

#include "../TempDir.h"
#include "../TestUtil.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <sys/wait.h>

#include <gtest/gtest.h>

namespace nnc::test {

struct Result {
  int Exit = -1;
  std::string Out, Err;
};

/// An example model's path: "lenet5" -> .../examples/models/lenet5.json.
inline std::string exampleModel(const std::string &Name) {
  return std::string(NNC_SOURCE_DIR) + "/examples/models/" + Name + ".json";
}

inline bool contains(const std::string &Text, const std::string &Want) {
  return Text.find(Want) != std::string::npos;
}

inline Result runNnc(const std::string &Args) {
  TempDir D;
  std::string Cmd = std::string(NNC_TOOL) + " " + Args + " >" + D.file("out") +
                    " 2>" + D.file("err");
  int Status = std::system(Cmd.c_str());
  Result R;
  R.Exit = WIFEXITED(Status) ? WEXITSTATUS(Status) : -1;
  R.Out = readText(D.file("out"));
  R.Err = readText(D.file("err"));
  return R;
}

/// Exit code Exit (2: a usage error) and exactly one line on stderr that
/// contains Want.
inline void expectOneLineError(const Result &R, const std::string &Want,
                               int Exit = 1) {
  EXPECT_EQ(R.Exit, Exit) << R.Err;
  EXPECT_EQ(R.Err.rfind("error: ", 0), 0u) << R.Err;
  EXPECT_EQ(std::count(R.Err.begin(), R.Err.end(), '\n'), 1) << R.Err;
  EXPECT_NE(R.Err.find(Want), std::string::npos) << R.Err;
}

} // namespace nnc::test
