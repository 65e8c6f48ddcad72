#include "frontend/ModelIO.h"
#include "../TempDir.h"
#include "../TestUtil.h"
#include "frontend/FileIO.h"
#include "ir/Printer.h"

#include <filesystem>
#include <sstream>

using namespace nnc;
using namespace nnc::test;
using nnc::frontend::loadModel;

namespace {

std::string example(const std::string &Name) {
  return std::string(NNC_SOURCE_DIR) + "/examples/models/" + Name;
}

std::string printed(const Graph &G) {
  std::ostringstream OS;
  printGraph(G, OS);
  return OS.str();
}

std::vector<uint8_t> lenetBinary() {
  Expected<std::vector<uint8_t>> Text =
      frontend::readFile(example("lenet5.json"));
  EXPECT_TRUE(Text.ok());
  Expected<std::vector<uint8_t>> Bin = frontend::jsonToBinary(
      std::string(Text->begin(), Text->end()), "lenet5.json");
  EXPECT_TRUE(Bin.ok()) << Bin.status().message();
  return *Bin;
}

/// A minimal JSON model, with Nodes spliced in: tensors 0 = x [N,4] input,
/// 1 = w [3,4], 2 = b [3], 3 = h, 4 = y (output).
std::string miniModel(const std::string &Nodes,
                      const std::string &Extra = "\"schema_version\": 1,") {
  return "{" + Extra + R"(
  "tensors": [
    {"name": "x", "shape": [-1, 4], "role": "INPUT"},
    {"name": "w", "shape": [3, 4], "role": "PARAMETER",
     "init": {"scheme": "GLOROT_UNIFORM", "seed": 1}},
    {"name": "b", "shape": [3], "role": "PARAMETER", "init": {"scheme": "ZEROS"}},
    {"name": "h"},
    {"name": "y", "role": "OUTPUT"}
  ],
  "nodes": )" +
         Nodes + "}";
}

const char *GoodNodes = R"([
    {"name": "fc", "op": "Dense", "inputs": [0, 1, 2], "outputs": [3]},
    {"name": "act", "op": "Relu", "inputs": [3], "outputs": [4]}])";

std::string loadError(const std::string &Json) {
  TempDir D;
  std::string Path = D.file("model.json");
  writeText(Path, Json);
  Expected<Graph> G = loadModel(Path);
  EXPECT_FALSE(G.ok());
  if (G.ok())
    return "";
  std::string M = G.status().message();
  EXPECT_EQ(M.find('\n'), std::string::npos) << "one line: " << M;
  EXPECT_EQ(M.rfind(Path, 0), 0u) << "starts with the path: " << M;
  return M;
}

std::string binaryError(const std::vector<uint8_t> &Bytes) {
  Expected<Graph> G = frontend::readBinaryModel(Bytes, "m.nnc", ".");
  EXPECT_FALSE(G.ok());
  return G.ok() ? "" : G.status().message();
}

} // namespace

TEST(ModelIO, EveryExampleLoads) {
  for (const char *Name : {"xor_mlp.json", "lenet5.json", "convbn.json",
                           "alexnet_tiny.json", "vgg_tiny.json", "rbf.json"}) {
    Expected<Graph> G = loadModel(example(Name));
    EXPECT_TRUE(G.ok()) << Name << ": " << G.status().message();
  }
}

TEST(ModelIO, MiniModelLoadsWithDefaultEntryPoint) {
  TempDir D;
  writeText(D.file("m.json"), miniModel(GoodNodes));
  Expected<Graph> G = loadModel(D.file("m.json"));
  ASSERT_OK(G);
  ASSERT_EQ(G->EntryPoints.size(), 1u);
  EXPECT_EQ(G->EntryPoints[0].Name, "infer");
  EXPECT_EQ(G->findValue("y")->Type.Dims, (Shape{1, 3}));
}

TEST(ModelIO, WriterRoundTripsTheGraph) {
  Expected<Graph> G = loadModel(example("convbn.json"));
  ASSERT_OK(G);
  std::vector<uint8_t> Bin = frontend::serializeModel(*G, {}, nullptr);
  Expected<Graph> Again = frontend::readBinaryModel(Bin, "convbn.nnc", ".");
  ASSERT_OK(Again);
  EXPECT_EQ(printed(*G), printed(*Again));
  ASSERT_TRUE(Again->Training.has_value());
  EXPECT_EQ(Again->Training->Optimizer.Kind, OptimizerKind::Adam);
  EXPECT_EQ(Again->Training->Optimizer.Beta2, 0.999);
  EXPECT_FALSE(Again->Training->Optimizer.Momentum.has_value());
}

TEST(ModelIO, SavesAndLoadsDataInlineAndInAWeightsFile) {
  Graph G;
  Builder B(G);
  Value *X = B.input("x", {-1, 3});
  Value *W = B.constant("w", {2, 3}, {1, 2, 3, 4, 5, 6});
  Value *Y = B.op(OpKind::Dense, {X, W}, {}, "y");
  B.entry("infer", {X}, {Y});
  ASSERT_OK(B.status());
  ASSERT_OK(verify(G));
  TempDir D;
  for (std::string Side : {"", "weights.bin"}) {
    std::string Path = D.file(Side.empty() ? "inline.nnc" : "side.nnc");
    ASSERT_OK(frontend::saveModel(G, Path, {Side}));
    Expected<Graph> Back = loadModel(Path);
    ASSERT_OK(Back);
    EXPECT_EQ(Back->findValue("w")->Data, W->Data);
  }
  // The side file ends with its checksum: a short file is caught.
  std::filesystem::resize_file(D.file("weights.bin"), 10);
  Expected<Graph> Short = loadModel(D.file("side.nnc"));
  ASSERT_FALSE(Short.ok());
  EXPECT_NE(Short.status().message().find("weights.bin: the checksum"),
            std::string::npos)
      << Short.status().message();
  // JSON output parses back too.
  ASSERT_OK(frontend::saveModel(G, D.file("out.json")));
  EXPECT_OK(loadModel(D.file("out.json")));
}

TEST(ModelIO, SavingIsAtomicAndLeavesNoTemporaryFiles) {
  Expected<Graph> G = loadModel(example("lenet5.json"));
  ASSERT_OK(G);
  TempDir D;
  ASSERT_OK(frontend::saveModel(*G, D.file("a.nnc")));
  ASSERT_OK(frontend::saveModel(*G, D.file("a.nnc"))); // replaces
  int Files = 0;
  for (auto &E : std::filesystem::directory_iterator(D.Path))
    Files += E.is_regular_file();
  EXPECT_EQ(Files, 1);
  Status S = frontend::saveModel(*G, D.file("missing/dir/a.nnc"));
  ASSERT_FALSE(S.ok());
  EXPECT_NE(S.message().find("missing/dir/a.nnc"), std::string::npos);
}

TEST(ModelIO, StaleTemporariesOfAKilledWriterAreRemoved) {
  Expected<Graph> G = loadModel(example("xor_mlp.json"));
  ASSERT_OK(G);
  TempDir D;
  // Left by a writer killed mid-save (nobody holds its lock), and an
  // unrelated file that merely looks alike.
  writeText(D.file("a.nnc.tmp-Ab12Cd"), "half a checkpoint");
  writeText(D.file("b.nnc.tmp-Ab12Cd"), "another checkpoint's");
  ASSERT_OK(frontend::saveModel(*G, D.file("a.nnc")));
  EXPECT_FALSE(std::filesystem::exists(D.file("a.nnc.tmp-Ab12Cd")));
  EXPECT_TRUE(std::filesystem::exists(D.file("b.nnc.tmp-Ab12Cd")));
}

TEST(ModelIOErrors, EveryFlippedBitOfACheckpointIsAnError) {
  Expected<Graph> G = loadModel(example("xor_mlp.json"));
  ASSERT_OK(G);
  TempDir D;
  ASSERT_OK(frontend::saveModel(*G, D.file("m.nnc")));
  std::vector<uint8_t> Good = *frontend::readFile(D.file("m.nnc"));
  for (size_t Byte = 0; Byte < Good.size(); ++Byte) {
    std::vector<uint8_t> Bad = Good;
    Bad[Byte] ^= uint8_t(1 << (Byte % 8));
    writeBytes(D.file("bad.nnc"), Bad);
    Expected<Graph> B = loadModel(D.file("bad.nnc"));
    ASSERT_FALSE(B.ok()) << "byte " << Byte << " flipped was accepted";
    EXPECT_EQ(B.status().message().rfind(D.file("bad.nnc"), 0), 0u);
  }
  // Cut off: the checksum is missing, or checks other bytes.
  for (size_t Cut : {size_t(1), size_t(16), size_t(17)}) {
    writeBytes(D.file("short.nnc"),
               std::vector<uint8_t>(Good.begin(), Good.end() - long(Cut)));
    EXPECT_FALSE(loadModel(D.file("short.nnc")).ok()) << Cut;
  }
}

TEST(ModelIOErrors, JsonCheckpointsAndWeightsFilesCarryChecksumsToo) {
  Expected<Graph> G = loadModel(example("xor_mlp.json"));
  ASSERT_OK(G);
  TempDir D;
  ASSERT_OK(frontend::saveModel(*G, D.file("m.json")));
  Graph WithData;
  Builder B(WithData);
  Value *X = B.input("x", {-1, 3});
  Value *W = B.constant("w", {2, 3}, {1, 2, 3, 4, 5, 6});
  B.entry("infer", {X}, {B.op(OpKind::Dense, {X, W}, {}, "y")});
  ASSERT_OK(B.status());
  ASSERT_OK(verify(WithData));
  ASSERT_OK(frontend::saveModel(WithData, D.file("s.nnc"), {"s.bin"}));
  ASSERT_OK(loadModel(D.file("s.nnc")));
  std::string Json = readText(D.file("m.json"));
  ASSERT_NE(Json.find("\n// nnc-checksum fnv1a64 "), std::string::npos);
  // An initializer's seed changed: still valid JSON, different weights.
  size_t Digit = Json.find_first_of("123456789", Json.find("\"seed\""));
  ASSERT_NE(Digit, std::string::npos);
  std::string Bad = Json;
  Bad[Digit] = Bad[Digit] == '9' ? '8' : char(Bad[Digit] + 1);
  writeText(D.file("bad.json"), Bad);
  Expected<Graph> Loaded = loadModel(D.file("bad.json"));
  ASSERT_FALSE(Loaded.ok());
  EXPECT_EQ(
      Loaded.status().message().rfind(D.file("bad.json") + ": checksum", 0), 0u)
      << Loaded.status().message();
  // Edited on purpose: without the checksum line it is hand-written JSON.
  writeText(D.file("edited.json"), Bad.substr(0, Bad.rfind("// nnc-")));
  EXPECT_OK(loadModel(D.file("edited.json")));
  std::vector<uint8_t> Side = *frontend::readFile(D.file("s.bin"));
  ASSERT_GT(Side.size(), 24u);
  for (size_t Byte = 0; Byte < Side.size(); Byte += 7) {
    std::vector<uint8_t> Flipped = Side;
    Flipped[Byte] ^= 4;
    writeBytes(D.file("s.bin"), Flipped);
    EXPECT_FALSE(loadModel(D.file("s.nnc")).ok()) << "byte " << Byte;
  }
}

TEST(ModelIO, ConvertRoundTripsByteForByte) {
  TempDir D;
  ASSERT_OK(frontend::convertModel(example("lenet5.json"), D.file("a.nnc")));
  ASSERT_OK(frontend::convertModel(D.file("a.nnc"), D.file("a.json")));
  ASSERT_OK(frontend::convertModel(D.file("a.json"), D.file("b.nnc")));
  EXPECT_EQ(*frontend::readFile(D.file("a.nnc")),
            *frontend::readFile(D.file("b.nnc")));
}

TEST(ModelIOErrors, TruncatedBinary) {
  std::vector<uint8_t> Bin = lenetBinary();
  Bin.resize(Bin.size() / 2);
  EXPECT_NE(binaryError(Bin).find("corrupt or truncated"), std::string::npos);
  Bin.resize(5);
  EXPECT_NE(binaryError(Bin).find("only 5 bytes"), std::string::npos);
}

TEST(ModelIOErrors, WrongFileIdentifier) {
  std::vector<uint8_t> Bin = lenetBinary();
  std::copy_n("TFL3", 4, Bin.begin() + 4);
  EXPECT_NE(binaryError(Bin).find("file identifier is 'TFL3', expected 'NNC0'"),
            std::string::npos);
}

TEST(ModelIOErrors, RandomBytes) {
  for (uint64_t Seed = 0; Seed < 50; ++Seed) {
    SplitMix64 Rng(Seed);
    std::vector<uint8_t> Bytes(size_t(16 + Rng.next() % 2000));
    for (uint8_t &B : Bytes)
      B = uint8_t(Rng.next());
    if (Seed % 2) // half of them pass the identifier check
      std::copy_n("NNC0", 4, Bytes.begin() + 4);
    EXPECT_FALSE(binaryError(Bytes).empty());
  }
}

// Flipped bytes in a valid file must give a model or an error, never a crash
// (run under AddressSanitizer in CI).
TEST(ModelIOErrors, MutatedBinaryNeverCrashes) {
  std::vector<uint8_t> Good = lenetBinary();
  for (uint64_t Seed = 0; Seed < 300; ++Seed) {
    SplitMix64 Rng(Seed + 1000);
    std::vector<uint8_t> Bytes = Good;
    for (int K = 0; K < 4; ++K)
      Bytes[Rng.next() % Bytes.size()] = uint8_t(Rng.next());
    Expected<Graph> G = frontend::readBinaryModel(Bytes, "m.nnc", ".");
    if (!G.ok()) {
      EXPECT_FALSE(G.status().message().empty());
    }
  }
}

TEST(ModelIOErrors, TensorIndexOutOfRange) {
  std::string E = loadError(miniModel(R"([
    {"name": "fc", "op": "Dense", "inputs": [0, 1, 9], "outputs": [3]},
    {"name": "act", "op": "Relu", "inputs": [3], "outputs": [4]}])"));
  EXPECT_NE(E.find("node 'fc' (Dense) input 2 refers to tensor #9, but the "
                   "model has 5 tensors"),
            std::string::npos)
      << E;
}

TEST(ModelIOErrors, ShapeMismatchBetweenNodes) {
  // A Dense over 4 features feeding a second Dense that expects 5.
  std::string Json = miniModel(GoodNodes);
  Json.replace(Json.find("\"shape\": [3, 4]"), 15, "\"shape\": [3, 5]");
  std::string E = loadError(Json);
  EXPECT_NE(E.find("node 'fc' (Dense): operand 'w' (tensor 'w', f32[3,5]) "
                   "must be [units, 4]"),
            std::string::npos)
      << E;
}

TEST(ModelIOErrors, UnknownOp) {
  std::string E = loadError(miniModel(R"([
    {"name": "fc", "op": "Frobnicate", "inputs": [0], "outputs": [3]}])"));
  EXPECT_NE(E.find("node 'fc': unknown op 'Frobnicate'"), std::string::npos)
      << E;
}

TEST(ModelIOErrors, Cycle) {
  std::string E = loadError(miniModel(R"([
    {"name": "fc", "op": "Add", "inputs": [0, 4], "outputs": [3]},
    {"name": "act", "op": "Relu", "inputs": [3], "outputs": [4]}])"));
  EXPECT_NE(E.find("graph has a cycle"), std::string::npos) << E;
}

TEST(ModelIOErrors, JsonSyntaxError) {
  std::string Json = miniModel(GoodNodes);
  Json.erase(Json.find("\"tensors\""), 1); // break a key's quote
  std::string E = loadError(Json);
  EXPECT_NE(E.find("error"), std::string::npos) << E;
  EXPECT_NE(E.find("model.json:2:9: error:"), std::string::npos)
      << "file:line:column: " << E;
}

TEST(ModelIOErrors, JsonWithUnknownField) {
  std::string E =
      loadError(miniModel(GoodNodes, "\"schema_version\": 1, \"colour\": 3,"));
  EXPECT_NE(E.find("colour"), std::string::npos) << E;
}

TEST(ModelIOErrors, SchemaVersion) {
  EXPECT_NE(
      loadError(miniModel(GoodNodes, "")).find("schema_version is missing"),
      std::string::npos);
  EXPECT_NE(loadError(miniModel(GoodNodes, "\"schema_version\": 9,"))
                .find("newer than this nnc supports"),
            std::string::npos);
}

TEST(ModelIOErrors, AttributeWithTwoValues) {
  std::string E = loadError(miniModel(R"([
    {"name": "fc", "op": "Dense", "inputs": [0, 1, 2], "outputs": [3]},
    {"name": "act", "op": "LeakyRelu", "inputs": [3], "outputs": [4],
     "attributes": [{"name": "alpha", "f": 0.1, "i": 1}]}])"));
  EXPECT_NE(E.find("exactly one of"), std::string::npos) << E;
}

TEST(ModelIOErrors, UnknownExtensionAndMissingFile) {
  Expected<Graph> G = loadModel("/nonexistent/model.nnc");
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find("cannot open"), std::string::npos);
  G = loadModel("model.txt");
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find("unknown model format"),
            std::string::npos);
}

namespace {

/// lenet5.json with its optimizer table replaced by Table.
std::string lenet5WithOptimizer(const std::string &Table) {
  std::string Json = readText(example("lenet5.json"));
  size_t At = Json.find("\"optimizer\"");
  EXPECT_NE(At, std::string::npos);
  size_t End = Json.find('}', At);
  return Json.substr(0, At) + "\"optimizer\": " + Table + Json.substr(End + 1);
}

} // namespace

TEST(ModelIO, NesterovFlagAsPyTorchSpellsIt) {
  TempDir D;
  std::string Sgd = lenet5WithOptimizer(
      R"({"kind": "SGD", "lr": 0.1, "momentum": 0.9, "nesterov": true})");
  writeText(D.file("sgd.json"), Sgd);
  Expected<Graph> G = loadModel(D.file("sgd.json"));
  ASSERT_OK(G);
  EXPECT_EQ(G->Training->Optimizer.Kind, OptimizerKind::Nesterov);
  EXPECT_EQ(G->Training->Optimizer.Momentum, 0.9);
  std::string Adam =
      lenet5WithOptimizer(R"({"kind": "ADAM", "nesterov": true})");
  writeText(D.file("adam.json"), Adam);
  G = loadModel(D.file("adam.json"));
  ASSERT_FALSE(G.ok());
  EXPECT_NE(G.status().message().find("'nesterov' applies to SGD"),
            std::string::npos)
      << G.status().message();
}

TEST(ModelIO, TorchOptimFlagsReadAndRoundTrip) {
  TempDir D;
  writeText(D.file("m.json"),
            lenet5WithOptimizer(
                R"({"kind": "ADAM", "amsgrad": true, "maximize": true,
                    "decoupled_weight_decay": true, "foreach": false,
                    "capturable": false, "differentiable": false,
                    "fused": false})"));
  Expected<Graph> G = loadModel(D.file("m.json"));
  ASSERT_OK(G);
  const OptimizerConfig &O = G->Training->Optimizer;
  EXPECT_TRUE(O.Amsgrad && O.Maximize && O.DecoupledWeightDecay);
  EXPECT_FALSE(O.Centered);
  ASSERT_OK(frontend::saveModel(*G, D.file("back.nnc")));
  Expected<Graph> Back = loadModel(D.file("back.nnc"));
  ASSERT_OK(Back);
  const OptimizerConfig &B = Back->Training->Optimizer;
  EXPECT_TRUE(B.Amsgrad && B.Maximize && B.DecoupledWeightDecay);
  EXPECT_FALSE(B.Centered);
}
