//===- frontend/ReadModel.cpp - .nnc / .json model -> verified IR ---------===//
//
// Binary files are checked with flatbuffers::Verifier before any field is
// read. Then every index, enum value and attribute is checked while building
// the graph, and ir::verify checks the rest (arity, shapes, cycles).
//
//===----------------------------------------------------------------------===//
#include "frontend/Checksum.h"
#include "frontend/FileIO.h"
#include "frontend/ModelIO.h"
#include "frontend/TorchRecurrent.h"
#include "frontend/onnx/Onnx.h"
#include "ir/RecurrentOps.h"
#include "ir/Verifier.h"

#include "nnc_generated.h"

#include <cstring>

namespace nnc::frontend {
namespace {

using namespace nnc::ir;

/// A vector's elements, copied bytewise: the verifier checks that a vector's
/// length is aligned, not its 8-byte elements, which a damaged file may put
/// at any address.
template <typename T>
std::vector<T> elementsOf(const flatbuffers::Vector<T> &V) {
  std::vector<T> Out(V.size());
  if (!Out.empty())
    std::memcpy(Out.data(), V.Data(), Out.size() * sizeof(T));
  return Out;
}

template <typename E> bool inRange(E V) {
  return uint64_t(V) <= uint64_t(E::MAX);
}

class ModelReader {
public:
  ModelReader(const fb::Model &M, std::string WeightsDir)
      : M(M), WeightsDir(std::move(WeightsDir)) {}

  Expected<Graph> read() {
    if (M.schema_version() == 0)
      return error("schema_version is missing (this nnc reads version ",
                   SchemaVersion, ")");
    if (M.schema_version() > SchemaVersion)
      return error("schema_version ", M.schema_version(),
                   " is newer than this nnc supports (", SchemaVersion, ")");
    if (M.name())
      G.Name = M.name()->str();
    if (M.description())
      G.Description = M.description()->str();
    NNC_TRY(readBuffersCheck());
    NNC_TRY(readTensors());
    NNC_TRY(readNodes());
    NNC_TRY(readEntryPoints());
    NNC_TRY(readTraining());
    NNC_TRY(verify(G));
    return std::move(G);
  }

private:
  size_t numTensors() const { return M.tensors() ? M.tensors()->size() : 0; }

  Expected<Value *> tensor(uint32_t Index, const std::string &Where) {
    if (Index >= Values.size())
      return error(Where, " refers to tensor #", Index, ", but the model has ",
                   Values.size(), " tensors");
    return Values[Index];
  }

  Status readBuffersCheck() {
    if (!M.buffers() || M.buffers()->size() == 0)
      return Status::success();
    const fb::Buffer *B0 = M.buffers()->Get(0);
    if ((B0->data() && B0->data()->size()) || B0->size())
      return error("buffer 0 must be empty (index 0 means 'no data')");
    return Status::success();
  }

  Expected<std::vector<uint8_t>> bufferData(uint32_t Index,
                                            const std::string &Tensor) {
    size_t NumBuffers = M.buffers() ? M.buffers()->size() : 0;
    if (Index >= NumBuffers)
      return error("tensor '", Tensor, "' refers to buffer #", Index,
                   ", but the model has ", NumBuffers, " buffers");
    const fb::Buffer *B = M.buffers()->Get(Index);
    if (B->data() && B->data()->size())
      return std::vector<uint8_t>(B->data()->begin(), B->data()->end());
    if (B->size() == 0)
      return std::vector<uint8_t>();
    if (!M.weights_file())
      return error("tensor '", Tensor, "': buffer #", Index,
                   " points into a weights file, but the model names none");
    if (!SideLoaded) {
      std::string Path = WeightsDir + "/" + M.weights_file()->str();
      Expected<std::vector<uint8_t>> Bytes = readFile(Path);
      if (!Bytes.ok())
        return error("weights file: ", Bytes.message());
      Side = std::move(*Bytes);
      SideLoaded = true;
      bool Summed = false;
      NNC_TRY(stripChecksum(Side, Path, Summed));
      if (!Summed && M.schema_version() >= 2)
        return error(Path, ": the checksum at the end of the weights file is "
                           "missing (truncated or damaged)");
    }
    if (B->offset() > Side.size() || B->size() > Side.size() - B->offset())
      return error("tensor '", Tensor, "': buffer #", Index, " spans bytes [",
                   B->offset(), ", ", B->offset() + B->size(),
                   ") but the weights file has ", Side.size());
    auto Begin = Side.begin() + std::ptrdiff_t(B->offset());
    return std::vector<uint8_t>(Begin, Begin + std::ptrdiff_t(B->size()));
  }

  Status readTensors() {
    if (!M.tensors())
      return Status::success();
    for (uint32_t I = 0; I < M.tensors()->size(); ++I) {
      const fb::Tensor *T = M.tensors()->Get(I);
      std::string Name = T->name()->str();
      std::string What = "tensor '" + Name + "'";
      if (!inRange(T->dtype()))
        return error(What, ": unknown dtype ", int(T->dtype()));
      if (!inRange(T->role()))
        return error(What, ": unknown role ", int(T->role()));
      Shape Dims;
      if (T->shape())
        Dims = elementsOf(*T->shape());
      Role R = static_cast<Role>(T->role());
      Value *V =
          G.addValue(Name, R, TensorType{static_cast<DType>(T->dtype()), Dims});
      V->ShapeDeclared = T->shape() != nullptr;
      V->Trainable = T->trainable();
      if (T->buffer() != 0) {
        Expected<std::vector<uint8_t>> Data = bufferData(T->buffer(), Name);
        if (!Data.ok())
          return Data.status();
        V->Data = std::move(*Data);
      }
      if (const fb::Initializer *In = T->init()) {
        if (!inRange(In->scheme()))
          return error(What, ": unknown initializer scheme ",
                       int(In->scheme()));
        V->Init.Kind = static_cast<Initializer::Scheme>(In->scheme());
        V->Init.Value = In->value();
        V->Init.Low = In->low();
        V->Init.High = In->high();
        V->Init.Gain = In->gain();
        V->Init.Seed = In->seed();
      }
      Values.push_back(V);
    }
    return Status::success();
  }

  static Status readAttribute(const fb::Attribute &A, const std::string &Where,
                              Attributes &Attrs) {
    std::string Name = A.name()->str();
    int Set = A.i().has_value() + A.f().has_value() + (A.ints() != nullptr) +
              (A.floats() != nullptr) + (A.s() != nullptr);
    if (Set != 1)
      return error(Where, ": attribute '", Name,
                   "' must set exactly one of i, f, ints, floats, s (found ",
                   Set, ")");
    if (Attrs.has(Name))
      return error(Where, ": attribute '", Name, "' is given twice");
    if (A.i())
      Attrs.set(Name, int64_t(*A.i()));
    else if (A.f())
      Attrs.set(Name, double(*A.f()));
    else if (A.ints())
      Attrs.set(Name, elementsOf(*A.ints()));
    else if (A.floats())
      Attrs.set(Name, elementsOf(*A.floats()));
    else
      Attrs.set(Name, A.s()->str());
    return Status::success();
  }

  Status readNodes() {
    if (!M.nodes())
      return Status::success();
    for (uint32_t I = 0; I < M.nodes()->size(); ++I) {
      const fb::Node *FN = M.nodes()->Get(I);
      std::string Name = FN->name() ? FN->name()->str() : "";
      if (Name.empty()) // Name unnamed nodes after what they compute.
        Name = FN->outputs() && FN->outputs()->size() &&
                       FN->outputs()->Get(0) < Values.size()
                   ? Values[FN->outputs()->Get(0)]->Name
                   : "#" + std::to_string(I);
      std::string OpName = FN->op()->str();
      const OpInfo *Info = findOp(OpName);
      if (!Info)
        return error("node '", Name, "': unknown op '", OpName, "'");
      std::vector<Value *> Ins, Outs;
      std::string Where = "node '" + Name + "' (" + OpName + ")";
      if (FN->inputs())
        for (uint32_t K = 0; K < FN->inputs()->size(); ++K) {
          auto V = tensor(FN->inputs()->Get(K),
                          Where + " input " + std::to_string(K));
          if (!V.ok())
            return V.status();
          Ins.push_back(*V);
        }
      if (FN->outputs())
        for (uint32_t K = 0; K < FN->outputs()->size(); ++K) {
          auto V = tensor(FN->outputs()->Get(K),
                          Where + " output " + std::to_string(K));
          if (!V.ok())
            return V.status();
          Outs.push_back(*V);
        }
      if (FN->version() != 1)
        return error(Where, ": version ", FN->version(),
                     " is not supported (this nnc has version 1)");
      Attributes Attrs;
      if (FN->attributes())
        for (const fb::Attribute *A : *FN->attributes())
          NNC_TRY(readAttribute(*A, Where, Attrs));
      if (isRecurrent(Info->Kind) && isTorchRecurrent(Attrs)) {
        NNC_TRY(addTorchRecurrent(G, Info->Kind, Name, Ins, Outs, Attrs));
        continue;
      }
      Node *N = G.addNode(Info->Kind, Name, std::move(Ins), std::move(Outs));
      N->Version = 1;
      N->Attrs = std::move(Attrs);
    }
    return Status::success();
  }

  Status indexList(const flatbuffers::Vector<uint32_t> *List,
                   const std::string &Where, std::vector<Value *> &Out) {
    if (!List)
      return Status::success();
    for (uint32_t K = 0; K < List->size(); ++K) {
      auto V = tensor(List->Get(K), Where + " " + std::to_string(K));
      if (!V.ok())
        return V.status();
      Out.push_back(*V);
    }
    return Status::success();
  }

  Status readEntryPoints() {
    if (M.entry_points()) {
      for (const fb::EntryPoint *E : *M.entry_points()) {
        EntryPoint Entry;
        Entry.Name = E->name()->str();
        std::string Where = "entry point '" + Entry.Name + "'";
        NNC_TRY(indexList(E->inputs(), Where + " input", Entry.Inputs));
        NNC_TRY(indexList(E->outputs(), Where + " output", Entry.Outputs));
        G.EntryPoints.push_back(std::move(Entry));
      }
      return Status::success();
    }
    // No entry points: "infer" takes the inputs and returns the outputs.
    EntryPoint Infer{"infer", G.valuesWithRole(Role::Input),
                     G.valuesWithRole(Role::Output)};
    if (Infer.Outputs.empty())
      return error("the model has no entry_points and no tensor with role "
                   "OUTPUT");
    G.EntryPoints.push_back(std::move(Infer));
    return Status::success();
  }

  Status readTraining() {
    const fb::Training *T = M.training();
    if (!T)
      return Status::success();
    TrainingConfig C;
    if (T->loss() < 0)
      return error("training: 'loss' (a tensor index) is missing");
    auto Loss = tensor(uint32_t(T->loss()), "training loss");
    if (!Loss.ok())
      return Loss.status();
    C.Loss = *Loss;
    C.L1 = T->l1();
    C.L2 = T->l2();
    C.BatchSize = T->batch_size();
    C.Step = int64_t(T->step());
    C.Seed = T->seed();
    if (T->metrics())
      for (const auto *S : *T->metrics())
        C.Metrics.push_back(S->str());
    if (const fb::Optimizer *O = T->optimizer()) {
      if (!inRange(O->kind()))
        return error("training: unknown optimizer kind ", int(O->kind()));
      OptimizerConfig &P = C.Optimizer;
      P.Kind = static_cast<OptimizerKind>(O->kind());
      auto Opt = [](flatbuffers::Optional<double> V) {
        return V ? std::optional<double>(*V) : std::nullopt;
      };
      P.Lr = Opt(O->lr());
      P.Momentum = Opt(O->momentum());
      P.Dampening = Opt(O->dampening());
      P.WeightDecay = Opt(O->weight_decay());
      P.Alpha = Opt(O->alpha());
      P.Eps = Opt(O->eps());
      P.Rho = Opt(O->rho());
      P.LrDecay = Opt(O->lr_decay());
      P.InitialAccumulatorValue = Opt(O->initial_accumulator_value());
      P.DecoupledWeightDecay = O->decoupled_weight_decay();
      P.Amsgrad = O->amsgrad();
      P.Centered = O->centered();
      P.Maximize = O->maximize();
      // PyTorch spells Nesterov momentum SGD(..., nesterov=True).
      if (O->nesterov()) {
        if (P.Kind != OptimizerKind::SGD && P.Kind != OptimizerKind::Momentum &&
            P.Kind != OptimizerKind::Nesterov)
          return error("training: 'nesterov' applies to SGD with momentum, "
                       "not to ",
                       optimizerName(P.Kind));
        P.Kind = OptimizerKind::Nesterov;
      }
      if (O->betas()) {
        if (O->betas()->size() != 2)
          return error("training: optimizer 'betas' needs 2 values, found ",
                       O->betas()->size());
        std::vector<double> Betas = elementsOf(*O->betas());
        P.Beta1 = Betas[0];
        P.Beta2 = Betas[1];
      }
    }
    G.Training = std::move(C);
    return Status::success();
  }

  const fb::Model &M;
  std::string WeightsDir;
  Graph G;
  std::vector<Value *> Values;
  std::vector<uint8_t> Side;
  bool SideLoaded = false;
};

} // namespace

Expected<Graph> readBinaryModel(const std::vector<uint8_t> &Bytes,
                                const std::string &Name,
                                const std::string &WeightsDir) {
  if (Bytes.size() < 8)
    return error(Name, ": not an nnc model: only ", Bytes.size(),
                 " bytes (truncated?)");
  if (Bytes.size() > MaxModelBytes)
    return error(Name, ": ", Bytes.size(),
                 " bytes is over the 2 GiB FlatBuffers limit; put the weights "
                 "in a weights_file");
  if (!flatbuffers::BufferHasIdentifier(Bytes.data(), fb::ModelIdentifier())) {
    std::string Found(reinterpret_cast<const char *>(Bytes.data()) + 4, 4);
    for (char &C : Found)
      if (C < 32 || C > 126)
        C = '?';
    return error(Name, ": not an nnc model: file identifier is '", Found,
                 "', expected '", fb::ModelIdentifier(), "'");
  }
  flatbuffers::Verifier V(Bytes.data(), Bytes.size(), /*max_depth=*/64,
                          /*max_tables=*/10'000'000);
  if (!fb::VerifyModelBuffer(V))
    return error(Name, ": corrupt or truncated model: FlatBuffers "
                       "verification failed");
  ModelReader Reader(*fb::GetModel(Bytes.data()), WeightsDir);
  Expected<Graph> G = Reader.read();
  if (!G.ok())
    return G.status().withPrefix(Name);
  return G;
}

Expected<Graph> loadModel(const std::string &Path) {
  std::string Ext = extensionOf(Path);
  if (Ext != "nnc" && Ext != "json" && Ext != "onnx")
    return error(Path, ": unknown model format '.", Ext,
                 "' (expected .nnc, .json or .onnx)");
  Expected<std::vector<uint8_t>> Bytes = readFile(Path);
  if (!Bytes.ok())
    return Bytes.status();
  if (Ext == "onnx")
    return importOnnx(*Bytes, Path);
  if (Ext == "json") {
    std::string Text(Bytes->begin(), Bytes->end());
    NNC_TRY(stripJsonChecksum(Text, Path));
    Bytes = jsonToBinary(Text, Path);
    if (!Bytes.ok())
      return Bytes.status();
    return readBinaryModel(*Bytes, Path, directoryOf(Path));
  }
  bool Summed = false;
  NNC_TRY(stripChecksum(*Bytes, Path, Summed));
  Expected<Graph> G = readBinaryModel(*Bytes, Path, directoryOf(Path));
  if (G.ok() && !Summed && fb::GetModel(Bytes->data())->schema_version() >= 2)
    return error(Path, ": the checksum at the end of the file is missing "
                       "(truncated or damaged); it is not loaded");
  return G;
}

} // namespace nnc::frontend
