#include "backend/llvm/Aot.h"

#include "backend/llvm/CodeGen.h"
#include "ir/Initializers.h"
#include "ir/Verifier.h"
#include "passes/TrainStep.h"

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

/// A tensor name as part of a C identifier: "train.lr" -> "train_lr".
std::string cName(const std::string &Name) {
  std::string Out;
  for (char C : Name)
    Out += std::isalnum(static_cast<unsigned char>(C)) ? C : '_';
  if (Out.empty() || std::isdigit(static_cast<unsigned char>(Out[0])))
    Out = "t_" + Out;
  return Out;
}

std::string upper(std::string S) {
  for (char &C : S)
    C = char(std::toupper(static_cast<unsigned char>(C)));
  return S;
}

const char *cType(DType T) { return T == DType::I64 ? "int64_t" : "float"; }

bool byValue(const Value *V) {
  return V->Type.Dims.empty() && V->Type.Elt == DType::F32;
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
    Params.push_back(byValue(V) ? B.getFloatTy() : Ptr);
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
    if (I < E.Inputs.size() && byValue(E.Inputs[I])) {
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

/// "void *state, const float *image, ..., float *loss": an entry's C
/// parameters before the arena and exec.
std::string parameters(const EntryPoint &E) {
  std::string S =
      E.Name == "train_step" ? "void *state" : "const void *weights";
  for (const Value *V : E.Inputs)
    S += ", " +
         (byValue(V) ? std::string("float ")
                     : std::string("const ") + cType(V->Type.Elt) + " *") +
         cName(V->Name);
  for (const Value *V : E.Outputs)
    S += ", " + std::string(cType(V->Type.Elt)) + " *" + cName(V->Name);
  return S;
}

std::string dimsText(const Shape &D) {
  std::string S = "{";
  for (size_t I = 0; I < D.size(); ++I)
    S += (I ? ", " : "") + std::to_string(D[I]);
  return S + "}";
}

int64_t elementBytes(DType T) { return T == DType::I64 ? 8 : 4; }

} // namespace

Expected<AotResult> compileAot(Graph &G, const AotOptions &O) {
  if (!isIdentifier(O.Prefix))
    return error("prefix '", O.Prefix, "' is not a C identifier");
  if (O.Batch < 1)
    return error("--batch must be >= 1, found ", O.Batch);
  bool WantsTraining = false;
  for (const std::string &E : O.Entries)
    WantsTraining |= E == "train_step";
  // Other entries keep inference semantics: they are compiled from the model
  // as loaded, over the training graph's state layout.
  Graph Base = G.clone();
  NNC_TRY(inferShapes(Base, O.Batch));
  if (WantsTraining) {
    Expected<passes::TrainStep> TS = passes::buildTrainStep(G);
    if (!TS.ok())
      return TS.status().withPrefix("train_step");
  }
  NNC_TRY(inferShapes(G, O.Batch));
  std::vector<const EntryPoint *> Entries;
  for (const std::string &Name : O.Entries) {
    const EntryPoint *E = (Name == "train_step" ? G : Base).findEntry(Name);
    if (!E) {
      std::string Known;
      for (const EntryPoint &X : G.EntryPoints)
        Known += (Known.empty() ? "" : ", ") + X.Name;
      return error("no entry point '", Name, "' (the model has: ", Known,
                   "; train_step is built from a training table)");
    }
    Entries.push_back(E);
  }

  auto Ctx = std::make_unique<llvm::LLVMContext>();
  auto M = std::make_unique<llvm::Module>(O.Prefix, *Ctx);
  AotResult R;
  PersistentLayout Layout = layoutPersistent(G);
  R.Weights.assign(Layout.Bytes, 0);
  for (const auto &[V, Off] : Layout.Offset) {
    Expected<std::vector<double>> Data = materialize(*V);
    if (!Data.ok())
      return Data.status();
    std::vector<uint8_t> Raw = encode(*Data, V->Type.Elt);
    std::memcpy(R.Weights.data() + Off, Raw.data(), Raw.size());
  }

  EngineOptions EO;
  EO.Threads = O.Threads;
  EO.TargetCpu = O.TargetCpu;
  EO.FuseElementwise = O.Fusion.FuseElementwise;
  EO.FuseConvBn = O.Fusion.FuseConvBn;
  EO.FuseConvAct = O.Fusion.FuseConvAct;
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
    bool Train = E->Name == "train_step";
    NNC_TRY(compileEntryIR(Train ? G : Base, *E, EO, Train, *M, Impl, Rep,
                           false, Train ? &Layout : &BaseLayout)
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
      createTargetMachine({O.TargetCpu}, /*ForObject=*/true);
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

  // --- The header. ----------------------------------------------------------
  std::string P = O.Prefix, PU = upper(O.Prefix);
  std::ostringstream H;
  H << "/* " << P << ".h: generated by nnc from " << O.Source
    << "; do not edit.\n *\n"
    << " * Model '" << G.Name << "', batch " << O.Batch << ", target CPU "
    << ((*TM)->getTargetCPU().str()) << ".\n";
  for (const auto &[Name, Rep] : R.Reports) {
    char Ratio[32];
    std::snprintf(
        Ratio, sizeof(Ratio), "%.3f",
        Rep.LowerBound ? double(Rep.ArenaBytes) / double(Rep.LowerBound) : 1.0);
    H << " * " << Name << ": " << Rep.Kernels << " kernels ("
      << Rep.FusedKernels << " fused loops), arena " << Rep.ArenaBytes
      << " bytes (planned / lower bound " << Ratio << ").\n";
  }
  H << " * State (parameters, optimizer state, constants): " << Layout.Bytes
    << " bytes.\n *\n"
    << " * The caller owns all memory: an arena of " << PU
    << "_ARENA_BYTES aligned to " << PU << "_ARENA_ALIGN,\n"
    << " * and for training a writable copy of the weights (" << PU
    << "_STATE_BYTES). Nothing here allocates\n"
    << " * except the optional " << P
    << "_arena_new(). Functions return 0, or non-zero for a label\n"
    << " * outside the class range. exec may be NULL: single-threaded, seed "
       "0;\n"
    << " * otherwise its parallel_for runs kernel tasks on the caller's "
       "threads\n"
    << " * and its seed drives dropout (vary it per training step).\n"
    << " * Output buffers must not overlap the inputs or each other: kernels\n"
    << " * write results there directly, while inputs are still being read.\n"
    << " */\n";
  H << "#ifndef " << PU << "_H\n#define " << PU << "_H\n\n"
    << "#include <stddef.h>\n#include <stdint.h>\n#include <stdlib.h>\n\n"
    << "#ifndef NNC_EXEC_DEFINED\n#define NNC_EXEC_DEFINED\n"
    << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
    << "typedef void (*nnc_task_fn)(void *arg, int64_t i);\n"
    << "typedef void (*nnc_parallel_for_fn)(void *pool, int64_t n, "
       "nnc_task_fn body, void *arg);\n"
    << "typedef struct nnc_exec {\n  nnc_parallel_for_fn parallel_for;\n"
    << "  void *pool;\n  int64_t threads;\n  uint64_t seed;\n} nnc_exec;\n"
    << "#ifdef __cplusplus\n}\n#endif\n#endif\n\n";
  // Where each stored tensor lives in the state (to read trained values).
  std::vector<std::pair<size_t, const Value *>> ByOffset;
  for (const auto &[V, Off] : Layout.Offset)
    ByOffset.push_back({Off, V});
  std::sort(ByOffset.begin(), ByOffset.end());
  for (const auto &[Off, V] : ByOffset) {
    std::string N = PU + "_STATE_" + upper(cName(V->Name));
    H << "#define " << N << "_OFFSET " << Off << "\n#define " << N << "_BYTES "
      << V->Type.bytes() << "\n";
  }
  H << "\n";
  H << "#define " << PU << "_BATCH " << O.Batch << "\n"
    << "#define " << PU << "_ARENA_BYTES " << std::max<size_t>(Arena, 64)
    << "\n#define " << PU << "_ARENA_ALIGN 64\n"
    << "#define " << PU << "_STATE_BYTES " << Layout.Bytes << "\n\n";
  for (const EntryPoint *E : Entries) {
    std::string EU = upper(cName(E->Name));
    auto Describe = [&](const Value *V, const char *Dir) {
      std::string N = PU + "_" + EU + "_" + Dir + "_" + upper(cName(V->Name));
      H << "#define " << N << "_NAME \"" << V->Name << "\"\n"
        << "#define " << N << "_DTYPE \"" << dtypeName(V->Type.Elt) << "\"\n"
        << "#define " << N << "_RANK " << V->Type.Dims.size() << "\n"
        << "#define " << N << "_SHAPE " << dimsText(V->Type.Dims) << "\n"
        << "#define " << N << "_ELEMENTS " << V->Type.numElements() << "\n"
        << "#define " << N << "_BYTES "
        << V->Type.numElements() * elementBytes(V->Type.Elt) << "\n";
    };
    for (const Value *V : E->Inputs)
      Describe(V, "IN");
    for (const Value *V : E->Outputs)
      Describe(V, "OUT");
    H << "\n";
  }
  H << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  if (!O.WeightsInFile)
    H << "/* The trained weights: the initial state, read-only. */\n"
      << "const void *" << P << "_weights(void);\n\n";
  else
    H << "/* The weights are in the side file written with this header; load "
         "them\n   into "
      << PU << "_STATE_BYTES bytes aligned to 64. */\n\n";
  for (const EntryPoint *E : Entries) {
    bool Train = E->Name == "train_step";
    H << "/* " << E->Name
      << (Train ? ": one optimizer step; updates the state in place. */\n"
                : ": reads the weights or a trained state. */\n")
      << "int " << P << "_" << cName(E->Name) << "(" << parameters(*E)
      << ", void *arena, const nnc_exec *exec);\n\n";
  }
  H << "/* Optional helper: an arena of the right size and alignment (free() "
       "it). */\n"
    << "static inline void *" << P << "_arena_new(void) {\n"
    << "  return aligned_alloc(" << PU << "_ARENA_ALIGN, (" << PU
    << "_ARENA_BYTES + 63) / 64 * 64);\n}\n\n"
    << "#ifdef __cplusplus\n} /* extern \"C\" */\n\n"
    << "#include <memory>\n\n"
    << "namespace " << P << " {\n"
    << "constexpr int64_t Batch = " << O.Batch << ";\n"
    << "constexpr size_t ArenaBytes = " << PU << "_ARENA_BYTES;\n"
    << "constexpr size_t ArenaAlign = 64;\n"
    << "constexpr size_t StateBytes = " << PU << "_STATE_BYTES;\n";
  // Each entry's tensors as constexpr shapes and sizes.
  for (const EntryPoint *E : Entries) {
    std::string EN = cName(E->Name);
    auto Constants = [&](const Value *V, const char *Dir) {
      std::string N = EN + "_" + Dir + "_" + cName(V->Name);
      H << "constexpr int64_t " << N << "_shape[] = "
        << (V->Type.Dims.empty() ? "{1}" : dimsText(V->Type.Dims))
        << "; // rank " << V->Type.Dims.size() << "\n"
        << "constexpr size_t " << N
        << "_bytes = " << V->Type.numElements() * elementBytes(V->Type.Elt)
        << ";\n";
    };
    for (const Value *V : E->Inputs)
      Constants(V, "in");
    for (const Value *V : E->Outputs)
      Constants(V, "out");
  }
  H << "\n"
    << "/* Owns an arena; runs the entry points on the embedded weights or "
       "a state. */\n"
    << "class Model {\npublic:\n"
    << "  Model() : Arena(" << P << "_arena_new(), &free) {}\n"
    << "  void *arena() const { return Arena.get(); }\n";
  for (const EntryPoint *E : Entries) {
    bool Train = E->Name == "train_step";
    H << "  int " << cName(E->Name) << "(" << parameters(*E)
      << ", const nnc_exec *exec = nullptr) const {\n    return " << P << "_"
      << cName(E->Name) << "(" << (Train ? "state" : "weights");
    for (const Value *V : E->Inputs)
      H << ", " << cName(V->Name);
    for (const Value *V : E->Outputs)
      H << ", " << cName(V->Name);
    H << ", Arena.get(), exec);\n  }\n";
  }
  H << "\nprivate:\n  std::unique_ptr<void, void (*)(void *)> Arena;\n};\n"
    << "} // namespace " << P << "\n#endif /* __cplusplus */\n\n#endif /* "
    << PU << "_H */\n";
  R.Header = H.str();
  return R;
}

} // namespace nnc::backend
