#include "backend/llvm/Aot.h"

#include "backend/llvm/AotHeader.h"
#include "backend/llvm/CodeGen.h"
#include "ir/Initializers.h"
#include "ir/Verifier.h"
#include "passes/EntryGraphs.h"
#include "passes/MemoryPlanner.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>

namespace nnc::backend {

using namespace nnc::ir;

namespace {

bool isIdentifier(const std::string &S) {
  if (S.empty() || std::isdigit(static_cast<unsigned char>(S[0])))
    return false;
  for (char C : S)
    if (!std::isalnum(static_cast<unsigned char>(C)) && C != '_')
      return false;
  return true;
}

/// The stored tensors that inference entries read, laid out as
/// layoutPersistent would: an inference object from a checkpoint carries its
/// parameters and BatchNorm statistics, not the optimizer's state.
PersistentLayout layoutRead(const Graph &G,
                            const std::vector<const EntryPoint *> &Entries) {
  std::set<const Value *> Read;
  for (const EntryPoint *E : Entries) {
    std::vector<const Value *> Wanted(E->Outputs.begin(), E->Outputs.end());
    for (const Node *N : G.nodesReaching(Wanted))
      for (const Value *In : N->Inputs)
        if (In && isStored(In->Kind))
          Read.insert(In);
  }
  PersistentLayout L;
  for (const auto &V : G.values())
    if (Read.count(V.get())) {
      L.Offset[V.get()] = L.Bytes;
      L.Bytes += (V->Type.bytes() + passes::ArenaAlignment - 1) /
                 passes::ArenaAlignment * passes::ArenaAlignment;
    }
  return L;
}

/// The exported C function of an entry: (state or weights, inputs...,
/// outputs..., arena, exec) around the internal nnc_entry_fn.
void emitWrapper(llvm::Module &M, const EntryPoint &E, const std::string &Name,
                 llvm::Function *Impl) {
  llvm::LLVMContext &Ctx = M.getContext();
  llvm::IRBuilder<> B(Ctx);
  llvm::Type *Ptr = B.getPtrTy();
  std::vector<llvm::Type *> Params = {Ptr};
  for (const Value *V : E.Inputs)
    Params.push_back(passedByValue(V) ? B.getFloatTy() : Ptr);
  for (size_t I = 0; I < E.Outputs.size(); ++I)
    Params.push_back(Ptr);
  Params.push_back(Ptr); // arena
  Params.push_back(Ptr); // exec
  auto *Fn = llvm::Function::Create(
      llvm::FunctionType::get(B.getInt32Ty(), Params, false),
      llvm::GlobalValue::ExternalLinkage, Name, M);
  Fn->setDoesNotThrow();
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", Fn));
  size_t N = E.Inputs.size() + E.Outputs.size();
  llvm::Value *Io = B.CreateAlloca(Ptr, B.getInt64(std::max<size_t>(N, 1)));
  for (size_t I = 0; I < N; ++I) {
    llvm::Value *Arg = Fn->getArg(unsigned(1 + I));
    if (I < E.Inputs.size() && passedByValue(E.Inputs[I])) {
      llvm::Value *Slot = B.CreateAlloca(B.getFloatTy());
      B.CreateStore(Arg, Slot);
      Arg = Slot;
    }
    B.CreateStore(Arg, B.CreateConstInBoundsGEP1_64(Ptr, Io, I));
  }
  // A null exec runs single-threaded with seed 0.
  llvm::Value *Exec = Fn->getArg(unsigned(N + 2));
  llvm::Value *Serial = B.CreateAlloca(
      llvm::StructType::get(Ctx, {Ptr, Ptr, B.getInt64Ty(), B.getInt64Ty()}));
  B.CreateStore(llvm::Constant::getNullValue(llvm::StructType::get(
                    Ctx, {Ptr, Ptr, B.getInt64Ty(), B.getInt64Ty()})),
                Serial);
  Exec = B.CreateSelect(B.CreateIsNull(Exec), Serial, Exec);
  B.CreateRet(B.CreateCall(
      Impl, {Io, Fn->getArg(0), Fn->getArg(unsigned(N + 1)), Exec}));
}

} // namespace

Expected<AotResult> compileAot(Graph &G, const AotOptions &O) {
  if (!isIdentifier(O.Prefix))
    return error("prefix '", O.Prefix, "' is not a C identifier");
  if (O.Batch < 1)
    return error("--batch must be >= 1, found ", O.Batch);
  // Entries other than train_step keep inference semantics: they are
  // compiled from the model as loaded, over the training graph's state
  // layout.
  Expected<passes::EntryGraphs> EG =
      passes::prepareEntries(G, O.Entries, O.Batch);
  if (!EG.ok())
    return EG.status();
  bool WantsTraining = EG->WantsTraining;
  Graph &Base = EG->Inference;
  std::vector<const EntryPoint *> Entries;
  for (const passes::EntryToCompile &E : EG->Entries)
    Entries.push_back(E.Entry);

  auto Ctx = std::make_unique<llvm::LLVMContext>();
  auto M = std::make_unique<llvm::Module>(O.Prefix, *Ctx);
  AotResult R;
  PersistentLayout Layout =
      WantsTraining ? layoutPersistent(G) : layoutRead(Base, Entries);
  R.Weights.assign(Layout.Bytes, 0);
  for (const auto &[V, Off] : Layout.Offset) {
    Expected<std::vector<double>> Data = materialize(*V);
    if (!Data.ok())
      return Data.status();
    std::vector<uint8_t> Raw = encode(*Data, V->Type.Elt);
    std::memcpy(R.Weights.data() + Off, Raw.data(), Raw.size());
  }

  EngineOptions EO = O.Engine;
  if (EO.Threads == 0)
    EO.Threads = AotOptions::DefaultThreads;
  size_t Arena = 0;
  std::vector<std::string> Exported;
  PersistentLayout BaseLayout;
  BaseLayout.Bytes = Layout.Bytes;
  for (const auto &[V, Off] : Layout.Offset)
    if (const Value *BV = Base.findValue(V->Name))
      BaseLayout.Offset[BV] = Off;
  for (const EntryPoint *E : Entries) {
    CompileReport Rep;
    std::string Impl = O.Prefix + "_" + E->Name + "_impl";
    bool Train = E->Training;
    NNC_TRY(compileEntryIR(Train ? G : Base, *E, EO, Train, *M, Impl, Rep, {},
                           Train ? &Layout : &BaseLayout)
                .withPrefix("compiling '" + E->Name + "'"));
    emitWrapper(*M, *E, O.Prefix + "_" + E->Name, M->getFunction(Impl));
    Exported.push_back(O.Prefix + "_" + E->Name);
    Arena = std::max(Arena, Rep.ArenaBytes);
    R.Reports.push_back({E->Name, Rep});
  }
  llvm::IRBuilder<> B(*Ctx);
  if (!O.WeightsInFile) {
    // The initial persistent image, read-only; a getter returns it.
    auto *Ty = llvm::ArrayType::get(B.getInt8Ty(), R.Weights.size());
    auto *GV = new llvm::GlobalVariable(
        *M, Ty, true, llvm::GlobalValue::InternalLinkage,
        llvm::ConstantDataArray::get(
            *Ctx, llvm::ArrayRef<uint8_t>(R.Weights.data(), R.Weights.size())),
        O.Prefix + "_weight_data");
    GV->setAlignment(llvm::Align(64));
    auto *Get = llvm::Function::Create(
        llvm::FunctionType::get(B.getPtrTy(), {}, false),
        llvm::GlobalValue::ExternalLinkage, O.Prefix + "_weights", *M);
    B.SetInsertPoint(llvm::BasicBlock::Create(*Ctx, "entry", Get));
    B.CreateRet(GV);
    Exported.push_back(O.Prefix + "_weights");
  }

  Expected<std::unique_ptr<llvm::TargetMachine>> TM =
      createTargetMachine({EO.TargetCpu}, /*ForObject=*/true);
  if (!TM.ok())
    return TM.status();
  CompileTimes Times;
  NNC_TRY(optimizeModule(*M, **TM, Exported, Times));
  // Kernel-library functions are internal now; give what remains local a
  // prefixed name too, so two models never clash even in symbol tables.
  for (llvm::GlobalValue &GV : M->global_values())
    if (GV.hasLocalLinkage() && !GV.getName().starts_with(O.Prefix + "_"))
      GV.setName(O.Prefix + "_" + GV.getName().str());
  Expected<std::vector<char>> Object = emitObject(*M, **TM);
  if (!Object.ok())
    return Object.status();
  R.Object = std::move(*Object);

  AotHeaderInput HI{
      O.Prefix, O.Source,        G.Name,  (*TM)->getTargetCPU().str(),
      O.Batch,  O.WeightsInFile, Entries, &Layout,
      Arena,    R.Reports};
  R.Header = aotHeader(HI);
  return R;
}

} // namespace nnc::backend
