#include "backend/llvm/CodeGen.h"

#include "backend/llvm/FusedLoop.h"
#include "backend/llvm/KernelParams.h"
#include "passes/MemoryPlanner.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <cstdlib>

namespace nnc::backend {

using namespace nnc::ir;

PersistentLayout layoutPersistent(const Graph &G) {
  PersistentLayout L;
  for (const auto &V : G.values()) {
    if (!isStored(V->Kind))
      continue;
    L.Offset[V.get()] = L.Bytes;
    L.Bytes += (V->Type.bytes() + passes::ArenaAlignment - 1) /
               passes::ArenaAlignment * passes::ArenaAlignment;
  }
  return L;
}

bool isCompiledType(DType T) { return T == DType::F32 || T == DType::I64; }

namespace {

class EntryEmitter {
public:
  EntryEmitter(llvm::Module &M, const Graph &G, const EntryPoint &E,
               const passes::KernelProgram &KP, const PersistentLayout &L)
      : M(M), Ctx(M.getContext()), B(Ctx), G(G), E(E), KP(KP), L(L) {}

  Status emit(const std::string &Name, bool Training, int64_t Threads,
              Instrumentation Inst);

private:
  void emitNumericsCheck(llvm::Value *Ptr, const Value *V,
                         const std::string &What);
  llvm::Value *ptrOf(const Value *V);
  Status emitCall(const passes::Kernel &K, bool Training, int64_t Threads);
  llvm::Constant *params(const std::vector<int64_t> &P);
  void emitTasks(const KernelCall &C, llvm::Constant *P, llvm::Constant *F);
  llvm::Constant *params(const std::vector<double> &F);

  llvm::Module &M;
  llvm::LLVMContext &Ctx;
  llvm::IRBuilder<> B;
  const Graph &G;
  const EntryPoint &E;
  const passes::KernelProgram &KP;
  const PersistentLayout &L;
  llvm::Function *Fn = nullptr;
  llvm::Value *Io = nullptr, *Persistent = nullptr, *Arena = nullptr,
              *Exec = nullptr;
  llvm::BasicBlock *Fail = nullptr;
  llvm::PHINode *FailCode = nullptr;
  std::map<const Value *, llvm::Value *> InputPtr;
  std::vector<llvm::Value *> OutputPtr; // the caller's output buffers
  llvm::AllocaInst *Slots = nullptr;    // the kernel call's tensor array
  size_t SlotCount = 0;
};

llvm::Value *EntryEmitter::ptrOf(const Value *V) {
  const Value *R = KP.root(V);
  if (isStored(R->Kind))
    return B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Persistent,
                                        L.Offset.at(R));
  if (auto It = InputPtr.find(R); It != InputPtr.end())
    return It->second;
  if (auto It = KP.OutputSlot.find(R); It != KP.OutputSlot.end())
    return OutputPtr.at(It->second);
  return B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Arena, KP.Offset.at(R));
}

llvm::Constant *EntryEmitter::params(const std::vector<int64_t> &P) {
  if (P.empty())
    return llvm::ConstantPointerNull::get(B.getPtrTy());
  auto *Ty = llvm::ArrayType::get(B.getInt64Ty(), P.size());
  std::vector<llvm::Constant *> Cs;
  for (int64_t X : P)
    Cs.push_back(B.getInt64(uint64_t(X)));
  return new llvm::GlobalVariable(M, Ty, true,
                                  llvm::GlobalValue::PrivateLinkage,
                                  llvm::ConstantArray::get(Ty, Cs), "P");
}

llvm::Constant *EntryEmitter::params(const std::vector<double> &F) {
  if (F.empty())
    return llvm::ConstantPointerNull::get(B.getPtrTy());
  auto *Ty = llvm::ArrayType::get(B.getDoubleTy(), F.size());
  std::vector<llvm::Constant *> Cs;
  for (double X : F)
    Cs.push_back(llvm::ConstantFP::get(B.getDoubleTy(), X));
  return new llvm::GlobalVariable(M, Ty, true,
                                  llvm::GlobalValue::PrivateLinkage,
                                  llvm::ConstantArray::get(Ty, Cs), "F");
}

/// Runs nnc_t_<kernel> for every task: through exec->parallel_for with a
/// thunk when the caller gave one, else in a loop here. Either way the task
/// function sees the constant parameters and is specialized on them.
void EntryEmitter::emitTasks(const KernelCall &C, llvm::Constant *P,
                             llvm::Constant *F) {
  llvm::Type *Ptr = B.getPtrTy(), *I64 = B.getInt64Ty();
  std::string TaskName = "nnc_t_" + C.Symbol.substr(6);
  llvm::FunctionCallee Task = M.getOrInsertFunction(
      TaskName, llvm::FunctionType::get(B.getInt32Ty(),
                                        {Ptr, Ptr, Ptr, Ptr, I64}, false));
  // The thunk: void (closure {tensors, exec}, task).
  auto *ThunkTy = llvm::FunctionType::get(B.getVoidTy(), {Ptr, I64}, false);
  llvm::Function *Thunk = llvm::Function::Create(
      ThunkTy, llvm::GlobalValue::InternalLinkage, "task." + TaskName, M);
  {
    llvm::IRBuilder<> TB(llvm::BasicBlock::Create(Ctx, "entry", Thunk));
    llvm::Value *Closure = Thunk->getArg(0);
    llvm::Value *Ts = TB.CreateLoad(Ptr, Closure);
    llvm::Value *Ex =
        TB.CreateLoad(Ptr, TB.CreateConstInBoundsGEP1_64(Ptr, Closure, 1));
    TB.CreateCall(Task, {Ts, P, F, Ex, Thunk->getArg(1)});
    TB.CreateRetVoid();
  }
  llvm::Value *Closure = B.CreateAlloca(Ptr, B.getInt64(2));
  B.CreateStore(Slots, Closure);
  B.CreateStore(Exec, B.CreateConstInBoundsGEP1_64(Ptr, Closure, 1));
  // nnc_exec: {parallel_for, pool, threads, seed}.
  llvm::Value *Pf = B.CreateLoad(Ptr, Exec);
  llvm::BasicBlock *Pool = llvm::BasicBlock::Create(Ctx, "pool", Fn);
  llvm::BasicBlock *Serial = llvm::BasicBlock::Create(Ctx, "serial", Fn);
  llvm::BasicBlock *Done = llvm::BasicBlock::Create(Ctx, "tasks.done", Fn);
  B.CreateCondBr(B.CreateIsNull(Pf), Serial, Pool);
  B.SetInsertPoint(Pool);
  auto *PfTy =
      llvm::FunctionType::get(B.getVoidTy(), {Ptr, I64, Ptr, Ptr}, false);
  llvm::Value *PoolArg =
      B.CreateLoad(Ptr, B.CreateConstInBoundsGEP1_64(Ptr, Exec, 1));
  B.CreateCall(PfTy, Pf, {PoolArg, B.getInt64(C.Tasks), Thunk, Closure});
  B.CreateBr(Done);
  B.SetInsertPoint(Serial);
  llvm::BasicBlock *Loop = llvm::BasicBlock::Create(Ctx, "task.loop", Fn);
  B.CreateBr(Loop);
  B.SetInsertPoint(Loop);
  llvm::PHINode *I = B.CreatePHI(I64, 2);
  I->addIncoming(B.getInt64(0), Serial);
  B.CreateCall(Task, {Slots, P, F, Exec, I});
  llvm::Value *Next = B.CreateAdd(I, B.getInt64(1));
  I->addIncoming(Next, B.GetInsertBlock());
  B.CreateCondBr(B.CreateICmpULT(Next, B.getInt64(C.Tasks)), Loop, Done);
  B.SetInsertPoint(Done);
}

Status EntryEmitter::emitCall(const passes::Kernel &K, bool Training,
                              int64_t Threads) {
  const Node &N = K.node();
  Expected<KernelCall> C = kernelCall(N, Training, Threads);
  if (!C.ok())
    return C.status();
  std::vector<const Node *> Prologue(K.Nodes.begin(),
                                     K.Nodes.begin() + long(K.Main));
  std::vector<const Node *> Epilogue(K.Nodes.begin() + long(K.Main) + 1,
                                     K.Nodes.end());
  if (N.Op == OpKind::Conv)
    addConvEpilogue(Epilogue, *C);
  else if (N.Op == OpKind::BatchNormTrain || N.Op == OpKind::BatchNormGrad)
    addFusedActivation(N, Prologue, Epilogue, *C);
  // Operands in order (null when absent), outputs, workspace.
  std::vector<llvm::Value *> Ts;
  for (const Value *In : N.Inputs) {
    // A prologue's result is computed as it is read: pass what the first
    // of the chain reads (its dy; each prologue's x and y follow the
    // workspace, nearest the main op first).
    for (auto P = Prologue.rbegin(); P != Prologue.rend(); ++P)
      if (In == (*P)->Outputs[0])
        In = (*P)->Inputs[2];
    Ts.push_back(In ? ptrOf(In) : llvm::ConstantPointerNull::get(B.getPtrTy()));
  }
  size_t Declared = N.info().Operands.size();
  if (!N.info().Variadic)
    while (Ts.size() < Declared)
      Ts.push_back(llvm::ConstantPointerNull::get(B.getPtrTy()));
  // The main op's results; an epilogue's extra result goes last.
  size_t MainOutputs = std::min(K.Outputs.size(), N.Outputs.size());
  for (size_t I = 0; I < MainOutputs; ++I)
    Ts.push_back(ptrOf(K.Outputs[I]));
  Ts.push_back(K.WorkspaceBytes ? B.CreateConstInBoundsGEP1_64(
                                      B.getInt8Ty(), Arena, K.WorkspaceOffset)
                                : llvm::ConstantPointerNull::get(B.getPtrTy()));
  for (const Node *E : Epilogue) // a folded BatchNorm's parameters
    if (E->Op == OpKind::BatchNorm)
      for (size_t I = 1; I < E->Inputs.size(); ++I)
        Ts.push_back(ptrOf(E->Inputs[I]));
  for (auto P = Prologue.rbegin(); P != Prologue.rend(); ++P)
    for (size_t I = 0; I < 2; ++I) // x and y
      Ts.push_back(ptrOf((*P)->Inputs[I]));
  if (K.StatsBytes) { // a training BatchNorm's statistics
    addSavedStatistics(N, Ts.size(), *C);
    Ts.push_back(
        B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Arena, K.StatsOffset));
  }
  for (size_t I = MainOutputs; I < K.Outputs.size(); ++I) {
    // A BatchNorm gradient's dx summed by channel, a BatchNorm's planes
    // pooled.
    addEpilogueResult(N, *K.Nodes.back(), Ts.size(), *C);
    Ts.push_back(ptrOf(K.Outputs[I]));
  }
  if (Ts.size() > SlotCount)
    return error(N.describe(), ": more tensors than the call array holds");
  for (size_t I = 0; I < Ts.size(); ++I)
    B.CreateStore(Ts[I], B.CreateConstInBoundsGEP1_64(B.getPtrTy(), Slots, I));
  llvm::FunctionType *Ty = llvm::FunctionType::get(
      B.getInt32Ty(), {B.getPtrTy(), B.getPtrTy(), B.getPtrTy(), B.getPtrTy()},
      false);
  llvm::Constant *PArg = params(C->P), *FArg = params(C->F);
  if (C->Tasks > 0)
    emitTasks(*C, PArg, FArg);
  llvm::Value *Rc = B.CreateCall(M.getOrInsertFunction(C->Symbol, Ty),
                                 {Slots, PArg, FArg, Exec});
  llvm::BasicBlock *Next = llvm::BasicBlock::Create(Ctx, "next", Fn);
  FailCode->addIncoming(Rc, B.GetInsertBlock());
  B.CreateCondBr(B.CreateICmpNE(Rc, B.getInt32(0)), Fail, Next);
  B.SetInsertPoint(Next);
  return Status::success();
}

/// nnc_check_numerics(data, count, what) on an f32 buffer.
void EntryEmitter::emitNumericsCheck(llvm::Value *Data, const Value *V,
                                     const std::string &What) {
  if (V->Type.Elt != DType::F32)
    return;
  llvm::FunctionCallee Check = M.getOrInsertFunction(
      "nnc_check_numerics",
      llvm::FunctionType::get(
          B.getVoidTy(), {B.getPtrTy(), B.getInt64Ty(), B.getPtrTy()}, false));
  B.CreateCall(Check, {Data, B.getInt64(V->Type.numElements()),
                       B.CreateGlobalStringPtr(What)});
}

Status EntryEmitter::emit(const std::string &Name, bool Training,
                          int64_t Threads, Instrumentation Inst) {
  bool Profile = Inst.Profile;
  llvm::PointerType *Ptr = B.getPtrTy();
  auto *Ty =
      llvm::FunctionType::get(B.getInt32Ty(), {Ptr, Ptr, Ptr, Ptr}, false);
  Fn = llvm::Function::Create(Ty, llvm::GlobalValue::ExternalLinkage, Name, M);
  Fn->setDoesNotThrow();
  // The regions never overlap each other; the caller's tensors may not
  // overlap them either (the runtime copies when they would). Outputs are
  // written while inputs are still read: they must not overlap either.
  Fn->addParamAttr(1, llvm::Attribute::NoAlias);
  Fn->addParamAttr(2, llvm::Attribute::NoAlias);
  Io = Fn->getArg(0);
  Persistent = Fn->getArg(1);
  Arena = Fn->getArg(2);
  Exec = Fn->getArg(3);

  llvm::BasicBlock *Entry = llvm::BasicBlock::Create(Ctx, "entry", Fn);
  Fail = llvm::BasicBlock::Create(Ctx, "fail", Fn);
  B.SetInsertPoint(Fail);
  FailCode = B.CreatePHI(B.getInt32Ty(), 4, "rc");
  B.CreateRet(FailCode);

  B.SetInsertPoint(Entry);
  for (const passes::Kernel &K : KP.Kernels)
    if (!K.Fused)
      SlotCount = std::max(SlotCount, K.node().Inputs.size() +
                                          K.node().info().Operands.size() +
                                          K.Outputs.size() + 1 + 4);
  Slots = B.CreateAlloca(Ptr, B.getInt64(std::max<size_t>(SlotCount, 1)),
                         "tensors");
  for (size_t I = 0; I < E.Inputs.size(); ++I)
    InputPtr[E.Inputs[I]] = B.CreateLoad(
        Ptr, B.CreateConstInBoundsGEP1_64(Ptr, Io, I), E.Inputs[I]->Name);
  for (size_t I = 0; I < E.Outputs.size(); ++I)
    OutputPtr.push_back(B.CreateLoad(
        Ptr, B.CreateConstInBoundsGEP1_64(Ptr, Io, E.Inputs.size() + I),
        E.Outputs[I]->Name));

  // Profiling: a timestamp after every kernel (JIT only; see Jit.h).
  llvm::FunctionCallee Mark;
  if (Profile)
    Mark = M.getOrInsertFunction(
        "nnc_profile_mark",
        llvm::FunctionType::get(B.getVoidTy(), {B.getInt64Ty()}, false));
  if (Profile)
    B.CreateCall(Mark, {B.getInt64(-1)});
  if (Inst.CheckNumerics)
    for (const Value *V : E.Inputs)
      emitNumericsCheck(InputPtr[V], V, "input '" + V->Name + "'");
  for (size_t KI = 0; KI < KP.Kernels.size(); ++KI) {
    const passes::Kernel &K = KP.Kernels[KI];
    if (Profile && KI > 0)
      B.CreateCall(Mark, {B.getInt64(int64_t(KI) - 1)});
    for (const Node *N : K.Nodes)
      for (const Value *V : N->Outputs)
        if (!isCompiledType(V->Type.Elt))
          return error(N->describe(), ": ", dtypeName(V->Type.Elt),
                       " results are not supported by the compiled backend");
    if (K.Fused)
      emitFusedLoop(B, M, K, [&](const Value *V) { return ptrOf(V); });
    else
      NNC_TRY(emitCall(K, Training, Threads));
    if (Inst.CheckNumerics) {
      std::string Ops;
      for (const Node *N : K.Nodes)
        Ops += (Ops.empty() ? "" : "+") + std::string(N->opName());
      for (const Value *V : K.Fused ? K.Writes : K.Outputs)
        emitNumericsCheck(ptrOf(V), V,
                          "kernel " + std::to_string(KI) + " (" + Ops +
                              ", node '" + K.node().Name + "') wrote tensor '" +
                              V->Name + "'");
    }
  }

  if (Profile && !KP.Kernels.empty())
    B.CreateCall(Mark, {B.getInt64(int64_t(KP.Kernels.size()) - 1)});
  // Results not computed in the caller's buffers are copied there; updates
  // land after the whole step, so every kernel saw the old values.
  for (size_t I = 0; I < E.Outputs.size(); ++I) {
    const Value *V = E.Outputs[I];
    auto It = KP.OutputSlot.find(KP.root(V));
    if (It != KP.OutputSlot.end() && It->second == I)
      continue;
    B.CreateMemCpy(OutputPtr[I], llvm::MaybeAlign(4), ptrOf(V),
                   llvm::MaybeAlign(4), V->Type.bytes());
  }
  for (const Update &U : E.Updates) {
    if (KP.root(U.NewValue) == U.Target)
      continue;
    B.CreateMemMove(ptrOf(U.Target), llvm::MaybeAlign(64), ptrOf(U.NewValue),
                    llvm::MaybeAlign(4), U.Target->Type.bytes());
  }
  B.CreateRet(B.getInt32(0));
  if (FailCode->getNumIncomingValues() == 0)
    Fail->eraseFromParent();
  return Status::success();
}

} // namespace

Status emitEntry(llvm::Module &M, const Graph &G, const EntryPoint &E,
                 const passes::KernelProgram &KP,
                 const PersistentLayout &Layout, bool Training, int64_t Threads,
                 const std::string &FnName, Instrumentation Inst) {
  for (const Value *V : E.Inputs)
    if (!isCompiledType(V->Type.Elt))
      return error("input '", V->Name, "' is ", dtypeName(V->Type.Elt),
                   ", which the compiled backend does not support");
  EntryEmitter Em(M, G, E, KP, Layout);
  return Em.emit(FnName, Training, Threads, Inst);
}

} // namespace nnc::backend
