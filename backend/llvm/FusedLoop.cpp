#include "backend/llvm/FusedLoop.h"

#include "backend/llvm/KernelParams.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <map>

namespace nnc::backend {

using namespace nnc::ir;

namespace {

/// A memory operand of the loop: base pointer and strides per loop dim.
struct Access {
  llvm::Value *Base = nullptr;
  std::vector<int64_t> Strides;
};

/// Private constant array for a scalar function's parameters, or null.
template <typename T>
llvm::Constant *constantArray(llvm::Module &M, llvm::Type *Elt,
                              const std::vector<T> &Values) {
  llvm::PointerType *Ptr = llvm::PointerType::getUnqual(M.getContext());
  if (Values.empty())
    return llvm::ConstantPointerNull::get(Ptr);
  std::vector<llvm::Constant *> Cs;
  for (T V : Values)
    Cs.push_back(Elt->isDoubleTy() ? llvm::ConstantFP::get(Elt, double(V))
                                   : llvm::ConstantInt::get(Elt, uint64_t(V)));
  auto *Ty = llvm::ArrayType::get(Elt, Cs.size());
  return new llvm::GlobalVariable(M, Ty, /*isConstant=*/true,
                                  llvm::GlobalValue::PrivateLinkage,
                                  llvm::ConstantArray::get(Ty, Cs), "params");
}

/// Merges adjacent dimensions that every access walks as one.
void collapse(Shape &Dims, std::vector<Access> &As) {
  Shape D;
  std::vector<std::vector<int64_t>> S(As.size());
  for (size_t I = Dims.size(); I-- > 0;) {
    if (Dims[I] == 1 && !D.empty())
      continue;
    bool Merge = !D.empty();
    for (size_t A = 0; A < As.size() && Merge; ++A)
      Merge = As[A].Strides[I] == S[A].front() * D.front();
    if (Merge) {
      D.front() *= Dims[I];
      continue;
    }
    D.insert(D.begin(), Dims[I]);
    for (size_t A = 0; A < As.size(); ++A)
      S[A].insert(S[A].begin(), As[A].Strides[I]);
  }
  Dims = D;
  for (size_t A = 0; A < As.size(); ++A)
    As[A].Strides = S[A];
}

/// An operand that gives only a shape (ReduceGrad's "like"): never read.
bool shapeOnly(const Node &N, size_t I) {
  return N.Op == OpKind::ReduceGrad && I == 1;
}

} // namespace

void emitFusedLoop(llvm::IRBuilderBase &B, llvm::Module &M,
                   const passes::Kernel &K,
                   const std::function<llvm::Value *(const Value *)> &Ptr) {
  llvm::LLVMContext &Ctx = M.getContext();
  llvm::Type *F32 = B.getFloatTy(), *I64 = B.getInt64Ty();
  Shape Dims = K.Nodes.front()->Outputs[0]->Type.Dims;
  if (numElements(Dims) == 0)
    return;
  if (Dims.empty())
    Dims = {1};

  // Accesses: every external operand use, then every stored value.
  std::map<const Value *, bool> Inside;
  for (const Node *N : K.Nodes)
    Inside[N->Outputs[0]] = true;
  std::vector<Access> As;
  std::map<std::pair<const Node *, size_t>, size_t> UseAccess;
  for (const Node *N : K.Nodes)
    for (size_t I = 0; I < N->Inputs.size(); ++I) {
      if (Inside.count(N->Inputs[I]) || shapeOnly(*N, I))
        continue;
      std::vector<int64_t> S = operandStrides(*N, I);
      S.insert(S.begin(), Dims.size() - S.size(), 0); // a scalar shape
      UseAccess[{N, I}] = As.size();
      As.push_back(Access{Ptr(N->Inputs[I]), S});
    }
  std::map<const Value *, size_t> WriteAccess;
  Shape RowMajor = Dims;
  std::vector<int64_t> Contiguous(Dims.size(), 1);
  for (size_t I = Dims.size() - 1; I-- > 0;)
    Contiguous[I] = Contiguous[I + 1] * Dims[I + 1];
  for (const Value *W : K.Writes) {
    WriteAccess[W] = As.size();
    As.push_back(Access{Ptr(W), Contiguous});
  }
  collapse(Dims, As);

  // Per-node scalar functions and their constant parameters.
  llvm::PointerType *PtrTy = llvm::PointerType::getUnqual(Ctx);
  llvm::FunctionType *ScalarTy =
      llvm::FunctionType::get(F32, {F32, F32, F32, PtrTy, PtrTy}, false);
  struct Callee {
    llvm::FunctionCallee Fn;
    llvm::Constant *P, *F;
  };
  std::vector<Callee> Calls;
  for (const Node *N : K.Nodes) {
    KernelCall C = scalarCall(*N);
    Calls.push_back(Callee{M.getOrInsertFunction(C.Symbol, ScalarTy),
                           constantArray(M, I64, C.P),
                           constantArray(M, B.getDoubleTy(), C.F)});
  }

  llvm::Function *Fn = B.GetInsertBlock()->getParent();
  std::vector<llvm::Value *> Offsets(As.size(), B.getInt64(0));
  std::function<void(size_t)> Nest = [&](size_t Level) {
    if (Level == Dims.size()) {
      std::map<const Value *, llvm::Value *> Vals;
      for (size_t NI = 0; NI < K.Nodes.size(); ++NI) {
        const Node *N = K.Nodes[NI];
        llvm::Value *Args[5] = {
            llvm::ConstantFP::get(F32, 0.0), llvm::ConstantFP::get(F32, 0.0),
            llvm::ConstantFP::get(F32, 0.0), Calls[NI].F, Calls[NI].P};
        for (size_t I = 0; I < N->Inputs.size() && I < 3; ++I) {
          if (shapeOnly(*N, I))
            continue;
          if (auto It = Vals.find(N->Inputs[I]); It != Vals.end()) {
            Args[I] = It->second;
            continue;
          }
          size_t A = UseAccess.at({N, I});
          Args[I] = B.CreateLoad(
              F32, B.CreateInBoundsGEP(F32, As[A].Base, Offsets[A]));
        }
        Vals[N->Outputs[0]] = B.CreateCall(Calls[NI].Fn, Args);
      }
      for (const auto &[W, A] : WriteAccess)
        B.CreateStore(Vals.at(W),
                      B.CreateInBoundsGEP(F32, As[A].Base, Offsets[A]));
      return;
    }
    llvm::BasicBlock *Pre = B.GetInsertBlock();
    llvm::BasicBlock *Header = llvm::BasicBlock::Create(Ctx, "loop", Fn);
    llvm::BasicBlock *Exit = llvm::BasicBlock::Create(Ctx, "loop.end", Fn);
    B.CreateBr(Header);
    B.SetInsertPoint(Header);
    llvm::PHINode *I = B.CreatePHI(I64, 2, "i");
    I->addIncoming(B.getInt64(0), Pre);
    std::vector<llvm::Value *> Saved = Offsets;
    for (size_t A = 0; A < As.size(); ++A)
      if (As[A].Strides[Level] != 0)
        Offsets[A] = B.CreateAdd(
            Offsets[A], B.CreateMul(I, B.getInt64(As[A].Strides[Level])));
    Nest(Level + 1);
    Offsets = Saved;
    llvm::Value *Next = B.CreateAdd(I, B.getInt64(1), "", true, true);
    I->addIncoming(Next, B.GetInsertBlock());
    B.CreateCondBr(B.CreateICmpULT(Next, B.getInt64(Dims[Level])), Header,
                   Exit);
    B.SetInsertPoint(Exit);
  };
  Nest(0);
}

} // namespace nnc::backend
