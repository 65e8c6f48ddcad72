#include "backend/llvm/Aot.h"

#include "backend/Compile.h"
#include "backend/llvm/AotDispatch.h"
#include "backend/llvm/AotHeader.h"
#include "backend/llvm/CodeGen.h"
#include "ir/Initializers.h"
#include "passes/MemoryPlanner.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Linker/Linker.h>
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

/// The C signature of an entry: (state or weights, inputs..., outputs...,
/// arena, exec) -> status.
llvm::FunctionType *entryType(llvm::LLVMContext &Ctx, const EntryPoint &E) {
  llvm::IRBuilder<> B(Ctx);
  llvm::Type *Ptr = B.getPtrTy();
  std::vector<llvm::Type *> Params = {Ptr};
  for (const Value *V : E.Inputs)
    Params.push_back(passedByValue(V) ? B.getFloatTy() : Ptr);
  for (size_t I = 0; I < E.Outputs.size(); ++I)
    Params.push_back(Ptr);
  Params.push_back(Ptr); // arena
  Params.push_back(Ptr); // exec
  return llvm::FunctionType::get(B.getInt32Ty(), Params, false);
}

/// The C function of an entry (entryType) around the internal nnc_entry_fn.
void emitWrapper(llvm::Module &M, const EntryPoint &E, const std::string &Name,
                 llvm::Function *Impl) {
  llvm::LLVMContext &Ctx = M.getContext();
  llvm::IRBuilder<> B(Ctx);
  llvm::Type *Ptr = B.getPtrTy();
  auto *Fn = llvm::Function::Create(
      entryType(Ctx, E), llvm::GlobalValue::ExternalLinkage, Name, M);
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
  auto *ExecTy =
      llvm::StructType::get(Ctx, {Ptr, Ptr, B.getInt64Ty(), B.getInt64Ty()});
  llvm::Value *Serial = B.CreateAlloca(ExecTy);
  B.CreateStore(llvm::Constant::getNullValue(ExecTy), Serial);
  Exec = B.CreateSelect(B.CreateIsNull(Exec), Serial, Exec);
  B.CreateRet(B.CreateCall(
      Impl, {Io, Fn->getArg(0), Fn->getArg(unsigned(N + 1)), Exec}));
}

/// Compiles every entry of P for V's CPU into a module of its own, optimizes
/// it for that CPU, and links it into Into, where only the dispatcher calls
/// it.
Status compileVariant(const CompiledProgram &P, const AotOptions &O,
                      EngineOptions EO, const AotVariant &V, llvm::Module &Into,
                      AotResult &R, bool KeepReports) {
  EO.TargetCpu = V.Cpu;
  auto M =
      std::make_unique<llvm::Module>(O.Prefix + "." + V.Cpu, Into.getContext());
  std::vector<std::string> Names;
  for (const CompiledEntry &C : P.Entries) {
    const EntryPoint &E = *C.Entry;
    const Graph &G = P.graphOf(E);
    CompileReport Rep;
    std::string Impl = O.Prefix + "_" + E.Name + "_impl";
    NNC_TRY(emitEntryCode(G, E, EO, layoutFor(P.Layout, G), *M, Impl, {},
                          nullptr, Rep)
                .withPrefix("compiling '" + E.Name + "' for " + V.Cpu));
    Names.push_back(variantName(O.Prefix + "_" + E.Name, V.Cpu));
    emitWrapper(*M, E, Names.back(), M->getFunction(Impl));
    R.ArenaBytes = std::max(R.ArenaBytes, Rep.ArenaBytes);
    if (KeepReports)
      R.Reports.push_back({E.Name, Rep});
  }
  CompileTimes Times;
  NNC_TRY(optimizeModule(*M, *V.Machine, Names, Times));
  for (llvm::GlobalValue &GV : M->global_values())
    if (GV.hasLocalLinkage())
      GV.setName(O.Prefix + "_" + V.Cpu + "_" + GV.getName().str());
  if (llvm::Linker::linkModules(Into, std::move(M)))
    return error("linking the ", V.Cpu, " variant into the object failed");
  for (const std::string &Name : Names)
    Into.getFunction(Name)->setLinkage(llvm::GlobalValue::InternalLinkage);
  return Status::success();
}

/// The initial persistent image, read-only, and the getter that returns it.
void emitWeights(llvm::Module &M, const std::string &Prefix,
                 const std::vector<uint8_t> &Weights) {
  llvm::LLVMContext &Ctx = M.getContext();
  llvm::IRBuilder<> B(Ctx);
  auto *Ty = llvm::ArrayType::get(B.getInt8Ty(), Weights.size());
  auto *GV = new llvm::GlobalVariable(
      M, Ty, true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantDataArray::get(
          Ctx, llvm::ArrayRef<uint8_t>(Weights.data(), Weights.size())),
      Prefix + "_weight_data");
  GV->setAlignment(llvm::Align(64));
  auto *Get = llvm::Function::Create(
      llvm::FunctionType::get(B.getPtrTy(), {}, false),
      llvm::GlobalValue::ExternalLinkage, Prefix + "_weights", M);
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", Get));
  B.CreateRet(GV);
}

} // namespace

Expected<AotResult> compileAot(const Graph &G, const AotOptions &O) {
  if (!isIdentifier(O.Prefix))
    return error("prefix '", O.Prefix, "' is not a C identifier");
  if (O.Batch < 1)
    return error("--batch must be >= 1, found ", O.Batch);
  EngineOptions EO = O.Engine;
  if (EO.Threads == 0)
    EO.Threads = AotOptions::DefaultThreads;
  // The graph steps once; the entries' steps for each CPU below.
  CompileOptions CO;
  CO.Entries = O.Entries;
  CO.Batch = O.Batch;
  CO.Engine = EO;
  CO.Parallel = O.Parallel;
  CO.StopAfter = "optimizer";
  Expected<CompiledProgram> P = compile(G, CO);
  if (!P.ok())
    return P.status();
  std::vector<const EntryPoint *> Entries;
  for (const CompiledEntry &C : P->Entries) {
    const std::string &Name = C.Entry->Name;
    // The object exports <prefix>_<entry> beside these functions.
    if (!isIdentifier(Name) || Name == "weights" || Name == "target_cpu" ||
        Name == "arena_new")
      return error("entry point '", Name,
                   "' cannot name a C function of the object: expected an "
                   "identifier other than weights, target_cpu, arena_new");
    Entries.push_back(C.Entry);
  }

  auto Ctx = std::make_unique<llvm::LLVMContext>();
  auto M = std::make_unique<llvm::Module>(O.Prefix, *Ctx);
  AotResult R;
  const PersistentLayout &Layout = P->Layout;
  R.Weights.assign(Layout.Bytes, 0);
  for (const auto &[V, Off] : Layout.Offset) {
    Expected<std::vector<double>> Data = materialize(*V);
    if (!Data.ok())
      return Data.status();
    std::vector<uint8_t> Raw = encode(*Data, V->Type.Elt);
    std::memcpy(R.Weights.data() + Off, Raw.data(), Raw.size());
  }

  Expected<std::vector<AotVariant>> Variants = aotVariants(EO.TargetCpu);
  if (!Variants.ok())
    return Variants.status();
  // What every CPU runs: the weights, the CPU check and the dispatch.
  Expected<std::unique_ptr<llvm::TargetMachine>> Baseline =
      createTargetMachine({"x86-64"}, /*ForObject=*/true);
  if (!Baseline.ok())
    return Baseline.status();
  std::vector<std::string> Exported = {O.Prefix + "_target_cpu"};
  std::vector<std::pair<std::string, llvm::FunctionType *>> Dispatched;
  for (const EntryPoint *E : Entries) {
    Dispatched.push_back({O.Prefix + "_" + E->Name, entryType(*Ctx, *E)});
    Exported.push_back(Dispatched.back().first);
  }
  emitDispatch(*M, O.Prefix, Dispatched, *Variants);
  if (!O.WeightsInFile) {
    emitWeights(*M, O.Prefix, R.Weights);
    Exported.push_back(O.Prefix + "_weights");
  }
  CompileTimes Times;
  NNC_TRY(optimizeModule(*M, **Baseline, Exported, Times));

  for (const AotVariant &V : *Variants)
    NNC_TRY(compileVariant(*P, O, EO, V, *M, R, &V == &Variants->front()));
  // Kernel-library functions are internal now; give what remains local a
  // prefixed name too, so two models never clash even in symbol tables.
  for (llvm::GlobalValue &GV : M->global_values())
    if (GV.hasLocalLinkage() && !GV.getName().starts_with(O.Prefix + "_"))
      GV.setName(O.Prefix + "_" + GV.getName().str());
  Expected<std::vector<char>> Object = emitObject(*M, **Baseline);
  if (!Object.ok())
    return Object.status();
  R.Object = std::move(*Object);

  std::vector<std::string> Cpus;
  for (const AotVariant &V : *Variants)
    Cpus.push_back(V.Cpu + " (" + featureNames(V.Features) + ")");
  AotHeaderInput HI{O.Prefix,     O.Source,        G.Name,  Cpus,
                    O.Batch,      O.WeightsInFile, Entries, &Layout,
                    R.ArenaBytes, R.Reports};
  R.Header = aotHeader(HI);
  return R;
}

} // namespace nnc::backend
