// JSON models may refer to tensors by name; the model that opens
// docs/model-format.md loads, converts to indices and trains as written.
#include "frontend/JsonNames.h"
#include "../TempDir.h"
#include "../TestUtil.h"
#include "../tools/RunNnc.h"
#include "frontend/ModelIO.h"
#include "ir/Printer.h"

#include <sstream>

using namespace nnc;
using namespace nnc::test;

namespace {

/// The first ```json block of docs/model-format.md.
std::string documentedModel() {
  std::string Doc =
      readText(std::string(NNC_SOURCE_DIR) + "/docs/model-format.md");
  size_t Begin = Doc.find("```json\n");
  size_t End = Doc.find("```", Begin + 8);
  EXPECT_NE(Begin, std::string::npos);
  return Doc.substr(Begin + 8, End - Begin - 8);
}

std::string printed(const Graph &G) {
  std::ostringstream OS;
  printGraph(G, OS);
  return OS.str();
}

TEST(JsonNames, TheDocumentedModelLoadsByNameAndConvertsToIndices) {
  TempDir D;
  std::string Named = documentedModel();
  ASSERT_NE(Named.find("\"inputs\": [\"image\"]"), std::string::npos);
  writeText(D.file("named.json"), Named);
  ASSERT_OK(frontend::convertModel(D.file("named.json"), D.file("ids.json")));
  std::string Ids = readText(D.file("ids.json"));
  EXPECT_EQ(Ids.find("\"image\"\n"), std::string::npos) << Ids;
  Expected<Graph> A = frontend::loadModel(D.file("named.json"));
  Expected<Graph> B = frontend::loadModel(D.file("ids.json"));
  ASSERT_OK(A.status());
  ASSERT_OK(B.status());
  EXPECT_EQ(printed(*A), printed(*B));
  EXPECT_EQ(A->Training->Loss->Name, "loss");
}

TEST(JsonNames, TheDocumentedModelTrains) {
  TempDir D;
  writeText(D.file("model.json"), documentedModel());
  Result R = runNnc("train " + D.file("model.json") +
                    " --data fashion-mnist --epochs 1 --limit-train 6400 "
                    "--limit-test 2000");
  ASSERT_EQ(R.Exit, 0) << R.Err;
  size_t At = R.Out.rfind("accuracy ");
  ASSERT_NE(At, std::string::npos) << R.Out;
  EXPECT_GT(std::atof(R.Out.c_str() + At + 9), 70.0) << R.Out;
}

TEST(JsonNames, NamesAndIndicesMixAndQuotedIndicesStayIndices) {
  std::string Json = R"({"tensors": [{"name": "a"}, {"name": "b"}],
    "nodes": [{"op": "Relu", "inputs": ["a"], "outputs": [1]},
              {"op": "Relu", "inputs": ["1"], "outputs": ["b"]}],
    "training": {"loss": "b"}})";
  Expected<std::string> Out = frontend::resolveTensorNames(Json, "m.json");
  ASSERT_OK(Out.status());
  EXPECT_NE(Out->find(R"("inputs": [0], "outputs": [1])"), std::string::npos)
      << *Out;
  EXPECT_NE(Out->find(R"("inputs": ["1"], "outputs": [1])"), std::string::npos)
      << *Out;
  EXPECT_NE(Out->find(R"("loss": 1})"), std::string::npos) << *Out;
}

TEST(JsonNames, AnUnknownOrAmbiguousNameIsAnErrorAtItsPlace) {
  std::string Json = "{\"tensors\": [{\"name\": \"a\"}, {\"name\": \"a\"}],\n"
                     " \"nodes\": [{\"op\": \"Relu\", \"inputs\": [\"x\"]}]}";
  Expected<std::string> Out = frontend::resolveTensorNames(Json, "m.json");
  ASSERT_FALSE(Out.ok());
  EXPECT_EQ(Out.status().message(),
            "m.json:2:38: 'x' is not the name of a tensor of the model "
            "(tensors are referred to by name or by index)");
  Json.replace(Json.find("[\"x\"]"), 5, "[\"a\"]");
  Out = frontend::resolveTensorNames(Json, "m.json");
  ASSERT_FALSE(Out.ok());
  EXPECT_NE(Out.status().message().find("two tensors are named 'a'"),
            std::string::npos);
}

TEST(JsonNames, TextThatIsNotJsonIsLeftForTheParser) {
  std::string Deep(1000000, '[');
  for (const std::string &Bad :
       {std::string("{\"nodes\": [{\"inputs\": [\"x\"]"), Deep}) {
    Expected<std::string> Out = frontend::resolveTensorNames(Bad, "m.json");
    ASSERT_OK(Out.status());
    EXPECT_EQ(*Out, Bad);
  }
}

// A loss marked OUTPUT lands in the default infer entry, which has no
// label: the error says what to do.
TEST(JsonNames, ALossMarkedOutputSaysTheFix) {
  TempDir D;
  std::string Json = documentedModel();
  Json.replace(Json.find("{\"name\": \"loss\"}"), 16,
               "{\"name\": \"loss\", \"role\": \"OUTPUT\"}");
  writeText(D.file("m.json"), Json);
  Expected<Graph> G = frontend::loadModel(D.file("m.json"));
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find(
                "needs tensor 'label' (for tensor 'loss') but does not take "
                "it as an input; a loss is not a result of inference: give "
                "it role ACTIVATION"),
            std::string::npos)
      << G.status().message();
}

} // namespace
