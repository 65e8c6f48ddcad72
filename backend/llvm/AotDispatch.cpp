#include "backend/llvm/AotDispatch.h"

#include "backend/llvm/Jit.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <bit>
#include <string_view>
#include <tuple>

namespace nnc::backend {

namespace {

constexpr const char *FeatureNames[] = {
#define NNC_CPU_FEATURE(Name, Leaf, Subleaf, Register, Bit, OsState) Name,
#include "backend/kernels/CpuFeatures.def"
};
static_assert(std::size(FeatureNames) <= 64, "the mask is 64 bits");

uint64_t requiredFeatures(const llvm::TargetMachine &TM) {
  const llvm::MCSubtargetInfo *STI = TM.getMCSubtargetInfo();
  uint64_t Mask = 0;
  for (size_t I = 0; I < std::size(FeatureNames); ++I)
    if (STI->checkFeatures(std::string("+") + FeatureNames[I]))
      Mask |= uint64_t(1) << I;
  return Mask;
}

size_t featureRow(const char *Name) {
  for (size_t I = 0; I < std::size(FeatureNames); ++I)
    if (std::string_view(FeatureNames[I]) == Name)
      return I;
  return std::size(FeatureNames);
}

/// Where a CPU that runs several variants should go first: the widest
/// vectors, then the most extensions.
std::tuple<bool, bool, bool, int> preference(uint64_t Features) {
  auto Has = [&](const char *Name) {
    return ((Features >> featureRow(Name)) & 1) != 0;
  };
  return {Has("avx512f"), Has("avx2"), Has("avx"), std::popcount(Features)};
}

std::vector<std::string> splitCpus(const std::string &List) {
  std::vector<std::string> Cpus;
  std::string Rest = List + ",";
  for (size_t At = 0, Comma; (Comma = Rest.find(',', At)) != std::string::npos;
       At = Comma + 1)
    Cpus.push_back(Rest.substr(At, Comma - At));
  return Cpus;
}

/// Which variant this CPU runs: the first whose features it has, or
/// Variants.size(). Worked out on the first call and kept.
llvm::Function *emitChoice(llvm::Module &M, const std::string &Prefix,
                           const std::vector<AotVariant> &Variants) {
  llvm::LLVMContext &Ctx = M.getContext();
  llvm::IRBuilder<> B(Ctx);
  auto *Chosen = new llvm::GlobalVariable(
      M, B.getInt32Ty(), false, llvm::GlobalValue::InternalLinkage,
      B.getInt32(-1), Prefix + "_chosen_variant");
  Chosen->setAlignment(llvm::Align(4));
  auto *Fn = llvm::Function::Create(
      llvm::FunctionType::get(B.getInt32Ty(), false),
      llvm::GlobalValue::InternalLinkage, Prefix + "_choose_variant", M);
  llvm::FunctionCallee Detect = M.getOrInsertFunction(
      "nnc_cpu_features", llvm::FunctionType::get(B.getInt64Ty(), false));
  auto *Entry = llvm::BasicBlock::Create(Ctx, "entry", Fn);
  auto *Known = llvm::BasicBlock::Create(Ctx, "known", Fn);
  auto *Probe = llvm::BasicBlock::Create(Ctx, "probe", Fn);
  B.SetInsertPoint(Entry);
  // Threads that race here compute and store the same value.
  llvm::LoadInst *Kept =
      B.CreateAlignedLoad(B.getInt32Ty(), Chosen, llvm::Align(4));
  Kept->setAtomic(llvm::AtomicOrdering::Monotonic);
  B.CreateCondBr(B.CreateICmpSGE(Kept, B.getInt32(0)), Known, Probe);
  B.SetInsertPoint(Known);
  B.CreateRet(Kept);
  B.SetInsertPoint(Probe);
  llvm::Value *Has = B.CreateCall(Detect);
  llvm::Value *Pick = B.getInt32(uint32_t(Variants.size()));
  for (size_t I = Variants.size(); I-- > 0;) {
    llvm::Value *Need = B.getInt64(Variants[I].Features);
    llvm::Value *Runs = B.CreateICmpEQ(B.CreateAnd(Has, Need), Need);
    Pick = B.CreateSelect(Runs, B.getInt32(uint32_t(I)), Pick);
  }
  B.CreateAlignedStore(Pick, Chosen, llvm::Align(4))
      ->setAtomic(llvm::AtomicOrdering::Monotonic);
  B.CreateRet(Pick);
  return Fn;
}

void emitEntryDispatch(llvm::Module &M, const std::string &Name,
                       llvm::FunctionType *Ty, llvm::Function *Choose,
                       const std::vector<AotVariant> &Variants) {
  llvm::LLVMContext &Ctx = M.getContext();
  llvm::IRBuilder<> B(Ctx);
  auto *Fn =
      llvm::Function::Create(Ty, llvm::GlobalValue::ExternalLinkage, Name, M);
  Fn->setDoesNotThrow();
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", Fn));
  llvm::Value *Which = B.CreateCall(Choose);
  auto *None = llvm::BasicBlock::Create(Ctx, "unsupported", Fn);
  llvm::SwitchInst *Switch =
      B.CreateSwitch(Which, None, unsigned(Variants.size()));
  std::vector<llvm::Value *> Args;
  for (llvm::Argument &A : Fn->args())
    Args.push_back(&A);
  for (size_t I = 0; I < Variants.size(); ++I) {
    auto *Run = llvm::BasicBlock::Create(Ctx, Variants[I].Cpu, Fn);
    Switch->addCase(B.getInt32(uint32_t(I)), Run);
    B.SetInsertPoint(Run);
    llvm::FunctionCallee Variant =
        M.getOrInsertFunction(variantName(Name, Variants[I].Cpu), Ty);
    llvm::CallInst *Call = B.CreateCall(Variant, Args);
    Call->setTailCall();
    B.CreateRet(Call);
  }
  B.SetInsertPoint(None);
  B.CreateRet(B.getInt32(NNC_ERR_CPU));
}

void emitTargetCpu(llvm::Module &M, const std::string &Prefix,
                   llvm::Function *Choose,
                   const std::vector<AotVariant> &Variants) {
  llvm::LLVMContext &Ctx = M.getContext();
  llvm::IRBuilder<> B(Ctx);
  auto *Fn = llvm::Function::Create(
      llvm::FunctionType::get(B.getPtrTy(), false),
      llvm::GlobalValue::ExternalLinkage, Prefix + "_target_cpu", M);
  Fn->setDoesNotThrow();
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", Fn));
  // Names indexed by the choice; the last entry, for none, is null.
  std::vector<llvm::Constant *> Names;
  for (const AotVariant &V : Variants)
    Names.push_back(B.CreateGlobalString(V.Cpu, Prefix + "_cpu_name"));
  Names.push_back(llvm::ConstantPointerNull::get(B.getPtrTy()));
  auto *Ty = llvm::ArrayType::get(B.getPtrTy(), Names.size());
  auto *Table = new llvm::GlobalVariable(
      M, Ty, true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantArray::get(Ty, Names), Prefix + "_cpu_names");
  llvm::Value *Which = B.CreateZExt(B.CreateCall(Choose), B.getInt64Ty());
  B.CreateRet(B.CreateLoad(
      B.getPtrTy(), B.CreateInBoundsGEP(Ty, Table, {B.getInt64(0), Which})));
}

} // namespace

std::string featureNames(uint64_t Mask) {
  std::string S;
  for (size_t I = 0; I < std::size(FeatureNames); ++I)
    if (Mask >> I & 1)
      S += (S.empty() ? "" : " ") + std::string(FeatureNames[I]);
  return S.empty() ? "none beyond x86-64" : S;
}

std::string variantName(const std::string &Name, const std::string &Cpu) {
  // '.' never occurs in a C identifier, so no exported name looks like it.
  return Name + "." + Cpu;
}

Expected<std::vector<AotVariant>> aotVariants(const std::string &CpuList) {
  std::vector<AotVariant> Variants;
  for (const std::string &Cpu : splitCpus(CpuList)) {
    if (Cpu.empty() && CpuList.find(',') != std::string::npos)
      return error("--target-cpu: an empty name in the list '", CpuList, "'");
    Expected<std::unique_ptr<llvm::TargetMachine>> TM =
        createTargetMachine({Cpu}, /*ForObject=*/true);
    if (!TM.ok())
      return TM.status();
    AotVariant V{(*TM)->getTargetCPU().str(), requiredFeatures(**TM),
                 std::move(*TM)};
    for (const AotVariant &Earlier : Variants)
      if (Earlier.Features == V.Features)
        return error("--target-cpu: '", Earlier.Cpu, "' and '", V.Cpu,
                     "' need the same instruction sets (",
                     featureNames(V.Features),
                     "); one object needs only one of them");
    Variants.push_back(std::move(V));
  }
  std::stable_sort(Variants.begin(), Variants.end(),
                   [](const AotVariant &A, const AotVariant &B) {
                     return preference(A.Features) > preference(B.Features);
                   });
  return Variants;
}

void emitDispatch(
    llvm::Module &M, const std::string &Prefix,
    const std::vector<std::pair<std::string, llvm::FunctionType *>> &Entries,
    const std::vector<AotVariant> &Variants) {
  llvm::Function *Choose = emitChoice(M, Prefix, Variants);
  for (const auto &[Name, Ty] : Entries)
    emitEntryDispatch(M, Name, Ty, Choose, Variants);
  emitTargetCpu(M, Prefix, Choose, Variants);
}

} // namespace nnc::backend
