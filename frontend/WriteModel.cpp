//===- frontend/WriteModel.cpp - IR -> .nnc / .json -----------------------===//
#include "frontend/Checksum.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"

#include "nnc_generated.h"

namespace nnc::frontend {
namespace {

using namespace nnc::ir;
namespace fbs = flatbuffers;

fbs::Offset<fb::Attribute> writeAttr(fbs::FlatBufferBuilder &B,
                                     const std::string &Name,
                                     const AttrValue &V) {
  auto N = B.CreateString(Name);
  switch (attrKind(V)) {
  case AttrKind::Int:
    return fb::CreateAttribute(B, N, std::get<int64_t>(V));
  case AttrKind::Float:
    return fb::CreateAttribute(B, N, fbs::nullopt, std::get<double>(V));
  case AttrKind::Ints:
    return fb::CreateAttribute(
        B, N, fbs::nullopt, fbs::nullopt,
        B.CreateVector(std::get<std::vector<int64_t>>(V)));
  case AttrKind::Floats:
    return fb::CreateAttribute(
        B, N, fbs::nullopt, fbs::nullopt, 0,
        B.CreateVector(std::get<std::vector<double>>(V)));
  case AttrKind::String:
    return fb::CreateAttribute(B, N, fbs::nullopt, fbs::nullopt, 0, 0,
                               B.CreateString(std::get<std::string>(V)));
  }
  return 0;
}

std::vector<uint32_t> indices(const std::vector<Value *> &Vs) {
  std::vector<uint32_t> Out;
  for (const Value *V : Vs)
    Out.push_back(uint32_t(V->Id));
  return Out;
}

fbs::Offset<fb::Training> writeTraining(fbs::FlatBufferBuilder &B,
                                        const TrainingConfig &T) {
  const OptimizerConfig &O = T.Optimizer;
  auto Opt = [](const std::optional<double> &V) {
    return V ? fbs::Optional<double>(*V) : fbs::nullopt;
  };
  fbs::Offset<fbs::Vector<double>> Betas = 0;
  if (O.Beta1 || O.Beta2)
    Betas = B.CreateVector(
        std::vector<double>{O.Beta1.value_or(0.9), O.Beta2.value_or(0.999)});
  auto Optimizer = fb::CreateOptimizer(
      B, static_cast<fb::OptimizerKind>(O.Kind), Opt(O.Lr), Opt(O.Momentum),
      Opt(O.Dampening), Opt(O.WeightDecay), Opt(O.Alpha), Opt(O.Eps),
      Opt(O.Rho), Betas, Opt(O.LrDecay), Opt(O.InitialAccumulatorValue),
      O.DecoupledWeightDecay, /*nesterov=*/false, O.Amsgrad, O.Centered,
      O.Maximize);
  std::vector<fbs::Offset<fbs::String>> Metrics;
  for (const std::string &M : T.Metrics)
    Metrics.push_back(B.CreateString(M));
  return fb::CreateTraining(B, T.Loss ? T.Loss->Id : -1, Optimizer, T.L1, T.L2,
                            B.CreateVector(Metrics), uint32_t(T.BatchSize),
                            uint64_t(T.Step), T.Seed);
}

} // namespace

std::vector<uint8_t> serializeModel(const Graph &G, const SaveOptions &Options,
                                    std::vector<uint8_t> *SideData) {
  fbs::FlatBufferBuilder B(1 << 16);
  bool UseSide = !Options.WeightsFile.empty() && SideData;
  std::vector<fbs::Offset<fb::Buffer>> Buffers = {fb::CreateBuffer(B)};
  std::vector<fbs::Offset<fb::Tensor>> Tensors;
  for (const auto &V : G.values()) {
    uint32_t BufferIndex = 0;
    if (!V->Data.empty()) {
      BufferIndex = uint32_t(Buffers.size());
      if (UseSide) {
        // Align each tensor in the side file to 64 bytes for direct mapping.
        SideData->resize((SideData->size() + 63) / 64 * 64);
        uint64_t Offset = SideData->size();
        SideData->insert(SideData->end(), V->Data.begin(), V->Data.end());
        Buffers.push_back(fb::CreateBuffer(B, 0, Offset, V->Data.size()));
      } else {
        Buffers.push_back(fb::CreateBuffer(
            B, B.CreateVector(V->Data.data(), V->Data.size())));
      }
    }
    fbs::Offset<fb::Initializer> Init = 0;
    if (V->Init.Kind != Initializer::Scheme::None)
      Init = fb::CreateInitializer(B, static_cast<fb::InitScheme>(V->Init.Kind),
                                   V->Init.Value, V->Init.Low, V->Init.High,
                                   V->Init.Gain, V->Init.Seed);
    fbs::Offset<fbs::Vector<int64_t>> Dims = 0;
    if (!isComputed(V->Kind) || V->ShapeDeclared)
      Dims = B.CreateVector(V->DeclaredDims);
    Tensors.push_back(fb::CreateTensor(
        B, B.CreateString(V->Name), static_cast<fb::DType>(V->Type.Elt), Dims,
        static_cast<fb::Role>(V->Kind), BufferIndex, Init, V->Trainable));
  }
  std::vector<fbs::Offset<fb::Node>> Nodes;
  for (const auto &N : G.nodes()) {
    std::vector<fbs::Offset<fb::Attribute>> Attrs;
    for (const auto &[Name, V] : N->Attrs)
      Attrs.push_back(writeAttr(B, Name, V));
    Nodes.push_back(fb::CreateNode(
        B, B.CreateString(N->Name), B.CreateString(std::string(N->opName())),
        uint16_t(N->Version), B.CreateVector(indices(N->Inputs)),
        B.CreateVector(indices(N->Outputs)), B.CreateVector(Attrs)));
  }
  std::vector<fbs::Offset<fb::EntryPoint>> Entries;
  for (const EntryPoint &E : G.EntryPoints)
    Entries.push_back(fb::CreateEntryPoint(B, B.CreateString(E.Name),
                                           B.CreateVector(indices(E.Inputs)),
                                           B.CreateVector(indices(E.Outputs))));
  fbs::Offset<fb::Training> Training = 0;
  if (G.Training)
    Training = writeTraining(B, *G.Training);
  auto Model = fb::CreateModel(
      B, SchemaVersion, B.CreateString(G.Name), B.CreateString(G.Description),
      B.CreateString("nnc"), B.CreateVector(Tensors), B.CreateVector(Buffers),
      B.CreateVector(Nodes), B.CreateVector(Entries), Training,
      UseSide ? B.CreateString(Options.WeightsFile) : 0);
  fb::FinishModelBuffer(B, Model);
  return std::vector<uint8_t>(B.GetBufferPointer(),
                              B.GetBufferPointer() + B.GetSize());
}

Status saveModel(const Graph &G, const std::string &Path,
                 const SaveOptions &Options) {
  std::string Ext = extensionOf(Path);
  if (Ext != "nnc" && Ext != "json")
    return error(Path, ": cannot save as '.", Ext,
                 "' (expected .nnc or .json)");
  std::vector<uint8_t> Side;
  std::vector<uint8_t> Bytes = serializeModel(G, Options, &Side);
  if (Bytes.size() > MaxModelBytes)
    return error(Path, ": the model is ", Bytes.size(),
                 " bytes, over the 2 GiB FlatBuffers limit; save with a "
                 "weights file");
  if (!Options.WeightsFile.empty()) {
    appendChecksum(Side);
    NNC_TRY(writeFileAtomically(directoryOf(Path) + "/" + Options.WeightsFile,
                                Side.data(), Side.size()));
  }
  if (Ext == "nnc") {
    appendChecksum(Bytes);
    return writeFileAtomically(Path, Bytes.data(), Bytes.size());
  }
  Expected<std::string> Json = binaryToJson(Bytes, Path);
  if (!Json.ok())
    return Json.status();
  appendJsonChecksum(*Json);
  return writeFileAtomically(Path, *Json);
}

Status convertModel(const std::string &In, const std::string &Out) {
  std::string InExt = extensionOf(In), OutExt = extensionOf(Out);
  if (OutExt != "nnc" && OutExt != "json")
    return error(Out, ": cannot convert to '.", OutExt,
                 "' (expected .nnc or .json)");
  // Check the whole model first, so a bad file is never copied along.
  Expected<Graph> G = loadModel(In);
  if (!G.ok())
    return G.status();
  Expected<std::vector<uint8_t>> Bytes = readFile(In);
  if (!Bytes.ok())
    return Bytes.status();
  if (InExt == "json") {
    std::string Text(Bytes->begin(), Bytes->end());
    NNC_TRY(stripJsonChecksum(Text, In)); // loadModel checked it
    Bytes = jsonToBinary(Text, In);
    if (!Bytes.ok())
      return Bytes.status();
  } else {
    bool Summed = false; // loadModel checked it
    NNC_TRY(stripChecksum(*Bytes, In, Summed));
  }
  if (OutExt == "nnc") {
    appendChecksum(*Bytes);
    return writeFileAtomically(Out, Bytes->data(), Bytes->size());
  }
  Expected<std::string> Json = binaryToJson(*Bytes, In);
  if (!Json.ok())
    return Json.status();
  appendJsonChecksum(*Json);
  return writeFileAtomically(Out, *Json);
}

} // namespace nnc::frontend
