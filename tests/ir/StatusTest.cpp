#include "ir/Status.h"

#include <gtest/gtest.h>

using namespace nnc;

// A name read from a file may hold any byte; the message stays one line.
// (The mutation campaign found an ONNX domain holding a newline.)
TEST(Status, MessagesQuotingControlCharactersStayOneLine) {
  Status S = error("node '", std::string("a\nb\tc\x01", 6), "'");
  EXPECT_EQ(S.message(), "node 'a\\nb\\tc\\x01'");
  EXPECT_EQ(S.withPrefix("x\ry.onnx").message(),
            "x\\ry.onnx: node 'a\\nb\\tc\\x01'");
  EXPECT_EQ(usageError("caf\xc3\xa9").message(), "caf\xc3\xa9"); // UTF-8 kept
}
