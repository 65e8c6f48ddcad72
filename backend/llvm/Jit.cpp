#include "backend/llvm/Jit.h"

#include <llvm/ExecutionEngine/JITEventListener.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h>
#include <llvm/ExecutionEngine/SectionMemoryManager.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Linker/Linker.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/Transforms/IPO/Internalize.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace nnc::backend {

namespace {

void initializeLlvm() {
  static std::once_flag Once;
  std::call_once(Once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // AOT objects check the CPU with inline assembly (CPUID, XGETBV).
    llvm::InitializeNativeTargetAsmParser();
  });
}

Status fromLlvm(llvm::Error E, const char *What) {
  return error(What, ": ", llvm::toString(std::move(E)));
}

double since(std::chrono::steady_clock::time_point T) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - T)
      .count();
}

Expected<llvm::orc::JITTargetMachineBuilder>
machineBuilder(const CodegenOptions &Opts) {
  initializeLlvm();
  if (Opts.TargetCpu.empty() || Opts.TargetCpu == "host") {
    auto JTMB = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!JTMB)
      return fromLlvm(JTMB.takeError(), "cannot describe this machine");
    JTMB->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
    return std::move(*JTMB);
  }
  llvm::Triple T(llvm::sys::getProcessTriple());
  std::string Err;
  const llvm::Target *Target = llvm::TargetRegistry::lookupTarget(T.str(), Err);
  if (!Target)
    return error("no LLVM target for ", T.str(), ": ", Err);
  // An unknown CPU name would silently fall back to a generic one.
  std::unique_ptr<llvm::MCSubtargetInfo> Probe(
      Target->createMCSubtargetInfo(T.str(), "", ""));
  if (!Probe || !Probe->isCPUStringValid(Opts.TargetCpu))
    return error("unknown target CPU '", Opts.TargetCpu,
                 "' (try host, x86-64-v2, x86-64-v3, x86-64-v4, znver4)");
  llvm::orc::JITTargetMachineBuilder JTMB(T);
  JTMB.setCPU(Opts.TargetCpu);
  JTMB.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return JTMB;
}

} // namespace

Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CodegenOptions &Opts, bool ForObject) {
  Expected<llvm::orc::JITTargetMachineBuilder> JTMB = machineBuilder(Opts);
  if (!JTMB.ok())
    return JTMB.status();
  if (ForObject)
    JTMB->setRelocationModel(llvm::Reloc::PIC_);
  auto TM = JTMB->createTargetMachine();
  if (!TM)
    return fromLlvm(TM.takeError(), "cannot create the target machine");
  return std::move(*TM);
}

static Status linkKernelLibrary(llvm::Module &M, llvm::TargetMachine &TM) {
  Expected<std::unique_ptr<llvm::Module>> Lib =
      loadKernelLibrary(M.getContext());
  if (!Lib.ok())
    return Lib.status();
  M.setTargetTriple(TM.getTargetTriple().str());
  M.setDataLayout(TM.createDataLayout());
  (*Lib)->setTargetTriple(M.getTargetTriple());
  (*Lib)->setDataLayout(M.getDataLayout());
  if (llvm::Linker::linkModules(M, std::move(*Lib),
                                llvm::Linker::Flags::LinkOnlyNeeded))
    return error("linking the kernel library failed");
  return Status::success();
}

Status prepareForTarget(llvm::Module &M, llvm::TargetMachine &TM,
                        const std::function<bool(llvm::StringRef)> &Keep) {
  M.setTargetTriple(TM.getTargetTriple().str());
  M.setDataLayout(TM.createDataLayout());
  // The kernels pick register blockings by the target's vector width
  // (backend/kernels/Kernel.h): a constant here, so the choice folds away.
  bool Wide = TM.getMCSubtargetInfo()->checkFeatures("+avx512f,+evex512");
  if (llvm::GlobalVariable *Bits =
          M.getGlobalVariable("nnc_target_vector_bits")) {
    Bits->setInitializer(llvm::ConstantInt::get(
        llvm::Type::getInt32Ty(M.getContext()), Wide ? 512 : 256));
    Bits->setConstant(true);
  }
  llvm::internalizeModule(
      M, [&](const llvm::GlobalValue &GV) { return Keep(GV.getName()); });
  std::string Cpu = TM.getTargetCPU().str();
  std::string Features = TM.getTargetFeatureString().str();
  for (llvm::Function &F : M) {
    if (F.isDeclaration())
      continue;
    // Op kernels and task functions are inlined where they are called, with
    // constant parameters: every shape becomes a constant.
    if (F.getName().starts_with("nnc_k_") ||
        F.getName().starts_with("nnc_t_")) {
      F.removeFnAttr(llvm::Attribute::NoInline);
      F.removeFnAttr(llvm::Attribute::OptimizeNone);
      F.addFnAttr(llvm::Attribute::AlwaysInline);
    }
    F.addFnAttr("target-cpu", Cpu);
    F.addFnAttr("target-features", Features);
    // LLVM prefers 256-bit vectors on most AVX-512 CPUs (to avoid clock
    // drops on older ones) and splits the kernels' 16-float vectors in two;
    // with two 512-bit FMA units that halves the peak.
    if (Wide) {
      F.addFnAttr("prefer-vector-width", "512");
      F.addFnAttr("min-legal-vector-width", "512");
    }
    F.removeFnAttr("tune-cpu");
  }
  std::string VerifyErr;
  llvm::raw_string_ostream VS(VerifyErr);
  if (llvm::verifyModule(M, &VS))
    return error("generated code does not verify: ", VS.str());
  return Status::success();
}

void runO3(llvm::Module &M, llvm::TargetMachine &TM) {
  llvm::LoopAnalysisManager LAM;
  llvm::FunctionAnalysisManager FAM;
  llvm::CGSCCAnalysisManager CGAM;
  llvm::ModuleAnalysisManager MAM;
  llvm::PipelineTuningOptions PTO;
  PTO.LoopVectorization = true;
  PTO.SLPVectorization = true;
  PTO.LoopUnrolling = true;
  llvm::PassBuilder PB(&TM, PTO);
  PB.registerModuleAnalyses(MAM);
  PB.registerCGSCCAnalyses(CGAM);
  PB.registerFunctionAnalyses(FAM);
  PB.registerLoopAnalyses(LAM);
  PB.crossRegisterProxies(LAM, FAM, CGAM, MAM);
  llvm::ModulePassManager MPM =
      PB.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  MPM.run(M, MAM);
}

/// M compiled by TM to a file of Type's kind, in memory.
static Expected<std::vector<char>>
emitFile(llvm::Module &M, llvm::TargetMachine &TM, llvm::CodeGenFileType Type) {
  llvm::SmallVector<char, 0> Buffer;
  llvm::raw_svector_ostream OS(Buffer);
  llvm::legacy::PassManager PM;
  if (TM.addPassesToEmitFile(PM, OS, nullptr, Type))
    return error("the target cannot emit ",
                 Type == llvm::CodeGenFileType::ObjectFile ? "object files"
                                                           : "assembly");
  PM.run(M);
  return std::vector<char>(Buffer.begin(), Buffer.end());
}

Expected<std::vector<char>> emitObject(llvm::Module &M,
                                       llvm::TargetMachine &TM) {
  return emitFile(M, TM, llvm::CodeGenFileType::ObjectFile);
}

Expected<std::string> emitAssembly(const llvm::Module &M,
                                   llvm::TargetMachine &TM) {
  // Code generation changes the module it runs on; M is emitted after.
  std::unique_ptr<llvm::Module> Copy = llvm::CloneModule(M);
  Expected<std::vector<char>> Text =
      emitFile(*Copy, TM, llvm::CodeGenFileType::AssemblyFile);
  if (!Text.ok())
    return Text.status();
  return std::string(Text->begin(), Text->end());
}

bool isSharedKernel(llvm::StringRef Name) {
  return Name.starts_with("nnc_lib_");
}

Status optimizeModule(llvm::Module &M, llvm::TargetMachine &TM,
                      const std::vector<std::string> &Entries,
                      CompileTimes &Times, bool SharedKernelsElsewhere) {
  auto Start = std::chrono::steady_clock::now();
  NNC_TRY(linkKernelLibrary(M, TM));
  if (SharedKernelsElsewhere)
    for (llvm::Function &F : M)
      if (isSharedKernel(F.getName()) && !F.isDeclaration())
        F.deleteBody();
  std::set<std::string> Keep(Entries.begin(), Entries.end());
  NNC_TRY(prepareForTarget(M, TM, [&](llvm::StringRef Name) {
    return Keep.count(Name.str()) > 0 ||
           (SharedKernelsElsewhere && isSharedKernel(Name));
  }));
  Times.Link += since(Start);

  Start = std::chrono::steady_clock::now();
  runO3(M, TM);
  Times.Optimize += since(Start);
  // NNC_DUMP_IR=FILE: the optimized module, for reading the generated code.
  if (const char *Path = std::getenv("NNC_DUMP_IR")) {
    std::error_code EC;
    llvm::raw_fd_ostream Out(Path, EC);
    if (!EC)
      M.print(Out, nullptr);
  }
  return Status::success();
}

struct JitModule::Impl {
  std::unique_ptr<llvm::orc::LLJIT> J;
  SharedObject Shared; // the JIT links it in place
};

JitModule::JitModule() : I(std::make_unique<Impl>()) {}
JitModule::~JitModule() = default;

/// An LLJIT for Opts' target that resolves libm, memcpy, the profiling hook
/// and, when given, the shared kernels.
static Expected<std::unique_ptr<llvm::orc::LLJIT>>
startJit(const CodegenOptions &Opts, const SharedObject &Shared) {
  Expected<llvm::orc::JITTargetMachineBuilder> JTMB = machineBuilder(Opts);
  if (!JTMB.ok())
    return JTMB.status();
  llvm::orc::LLJITBuilder Builder;
  Builder.setJITTargetMachineBuilder(std::move(*JTMB));
  // NNC_PERF=1: describe the JIT'd code to perf (record with -k 1, then
  // perf inject --jit), which needs RuntimeDyld's event listeners.
  if (std::getenv("NNC_PERF"))
    Builder.setObjectLinkingLayerCreator(
        [](llvm::orc::ExecutionSession &ES, const llvm::Triple &)
            -> llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>> {
          auto L =
              std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(ES, [] {
                return std::make_unique<llvm::SectionMemoryManager>();
              });
          if (llvm::JITEventListener *P =
                  llvm::JITEventListener::createPerfJITEventListener())
            L->registerJITEventListener(*P);
          return std::unique_ptr<llvm::orc::ObjectLayer>(std::move(L));
        });
  auto J = Builder.create();
  if (!J)
    return fromLlvm(J.takeError(), "cannot start the JIT");
  // libm and memcpy come from this process.
  auto Gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*J)->getDataLayout().getGlobalPrefix());
  if (!Gen)
    return fromLlvm(Gen.takeError(), "cannot search this process's symbols");
  (*J)->getMainJITDylib().addGenerator(std::move(*Gen));
  // The profiling hook (NNC_PROFILE) lives in this binary.
  llvm::orc::SymbolMap Hooks;
  Hooks[(*J)->mangleAndIntern("nnc_profile_mark")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nnc_profile_mark),
      llvm::JITSymbolFlags::Exported};
  Hooks[(*J)->mangleAndIntern("nnc_check_numerics")] = {
      llvm::orc::ExecutorAddr::fromPtr(&nnc_check_numerics),
      llvm::JITSymbolFlags::Exported};
  if (llvm::Error E = (*J)->getMainJITDylib().define(
          llvm::orc::absoluteSymbols(std::move(Hooks))))
    return fromLlvm(std::move(E), "cannot define the profiling hook");
  if (Shared)
    if (llvm::Error E = (*J)->addObjectFile(llvm::MemoryBuffer::getMemBuffer(
            Shared->getMemBufferRef(), /*RequiresNullTerminator=*/false)))
      return fromLlvm(std::move(E), "cannot add the shared kernels");
  return std::move(*J);
}

Expected<std::unique_ptr<JitModule>>
JitModule::createFromObject(const std::vector<char> &Object,
                            const CodegenOptions &Opts, SharedObject Shared) {
  Expected<std::unique_ptr<llvm::orc::LLJIT>> J = startJit(Opts, Shared);
  if (!J.ok())
    return J.status();
  if (llvm::Error E = (*J)->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(Object.data(), Object.size()), "nnc.entry.o")))
    return fromLlvm(std::move(E), "cannot add the object to the JIT");
  std::unique_ptr<JitModule> Out(new JitModule());
  Out->I->J = std::move(*J);
  Out->I->Shared = std::move(Shared);
  return Out;
}

Expected<nnc_entry_fn> JitModule::lookup(const std::string &Name) {
  auto Addr = I->J->lookup(Name);
  if (!Addr)
    return fromLlvm(Addr.takeError(), "cannot compile the entry point");
  return Addr->toPtr<nnc_entry_fn>();
}

} // namespace nnc::backend

// --- NNC_PROFILE: time per kernel, summed by label, printed at exit. -------
namespace {

struct Profile {
  const std::vector<std::string> *Labels = nullptr;
  std::chrono::steady_clock::time_point Last;
  std::map<std::string, std::pair<double, int64_t>> Total; // seconds, calls
  ~Profile() {
    if (Total.empty())
      return;
    std::vector<std::pair<double, std::string>> Rows;
    double Sum = 0;
    for (const auto &[L, T] : Total) {
      Rows.push_back({T.first, L});
      Sum += T.first;
    }
    std::sort(Rows.rbegin(), Rows.rend());
    std::fprintf(stderr, "NNC_PROFILE: %.3f s in kernels\n", Sum);
    for (const auto &[S, L] : Rows)
      std::fprintf(stderr, "%8.3f ms %5.1f%%  %s (%lld calls)\n", S * 1e3,
                   100 * S / Sum, L.c_str(), (long long)Total[L].second);
  }
};
Profile TheProfile;

} // namespace

void nnc::backend::setProfileLabels(const std::vector<std::string> *Labels) {
  TheProfile.Labels = Labels;
}

extern "C" void nnc_profile_mark(int64_t K) {
  auto Now = std::chrono::steady_clock::now();
  if (K >= 0 && TheProfile.Labels && size_t(K) < TheProfile.Labels->size()) {
    auto &T = TheProfile.Total[(*TheProfile.Labels)[size_t(K)]];
    T.first += std::chrono::duration<double>(Now - TheProfile.Last).count();
    ++T.second;
  }
  TheProfile.Last = std::chrono::steady_clock::now();
}

// --- --check-numerics: the first non-finite value an entry produced. -------
namespace {
thread_local std::string NumericsFailure;
} // namespace

std::string nnc::backend::takeNumericsFailure() {
  return std::exchange(NumericsFailure, std::string());
}

extern "C" void nnc_check_numerics(const float *Data, int64_t Count,
                                   const char *What) {
  if (!NumericsFailure.empty())
    return; // the first one is the one to report
  for (int64_t I = 0; I < Count; ++I)
    if (!std::isfinite(Data[I])) {
      NumericsFailure = std::string(What) + " holding " +
                        (std::isnan(Data[I]) ? "NaN" : "infinity") +
                        " at element " + std::to_string(I);
      return;
    }
}
