#include "ir/Builder.h"

#include "ir/Initializers.h"
#include "ir/Verifier.h"

namespace nnc::ir {

std::string Builder::freshName(std::string_view Base) {
  std::string Name;
  do
    Name = std::string(Base) + "_" + std::to_string(Counter++);
  while (G.findValue(Name));
  return Name;
}

Value *Builder::fed(std::string Name, Role R, Shape Dims, DType T) {
  Value *V = G.addValue(std::move(Name), R, TensorType{T, Dims});
  for (int64_t &D : V->Type.Dims)
    if (D == -1)
      D = 1;
  return V;
}

Value *Builder::input(std::string Name, Shape Dims, DType T) {
  return fed(std::move(Name), Role::Input, std::move(Dims), T);
}

Value *Builder::label(std::string Name, Shape Dims, DType T) {
  return fed(std::move(Name), Role::Label, std::move(Dims), T);
}

Value *Builder::parameter(std::string Name, Shape Dims, Initializer Init,
                          Role R) {
  Value *V = G.addValue(std::move(Name), R, TensorType{DType::F32, Dims});
  V->Init = Init;
  return V;
}

Value *Builder::constant(std::string Name, Shape Dims,
                         const std::vector<double> &Values, DType T) {
  Value *V = G.addValue(std::move(Name), Role::Constant, TensorType{T, Dims});
  V->Data = encode(Values, T);
  if (Error.ok() && size_t(numElements(Dims)) != Values.size())
    Error = error("constant '", V->Name, "' has ", Values.size(),
                  " values for shape ", shapeString(Dims));
  return V;
}

Value *Builder::op(OpKind K, std::vector<Value *> Inputs, Attributes A,
                   std::string Name) {
  return ops(K, std::move(Inputs), std::move(A), 1, std::move(Name))[0];
}

std::vector<Value *> Builder::ops(OpKind K, std::vector<Value *> Inputs,
                                  Attributes A, size_t NumOutputs,
                                  std::string Name) {
  if (Name.empty())
    Name = freshName(opName(K));
  else if (G.findValue(Name) || G.findValue(Name + ".0"))
    Name = freshName(Name);
  std::vector<Value *> Outs;
  for (size_t I = 0; I < NumOutputs; ++I) {
    std::string OutName =
        NumOutputs == 1 ? Name : Name + "." + std::to_string(I);
    if (G.findValue(OutName))
      OutName = freshName(OutName);
    Outs.push_back(G.addValue(OutName, Role::Activation, {}));
  }
  Node *N = G.addNode(K, Name, std::move(Inputs), Outs);
  N->Attrs = std::move(A);
  if (!Error.ok())
    return Outs;
  Error = checkNode(*N);
  if (!Error.ok())
    return Outs;
  std::vector<TensorType> In, Types;
  for (const Value *V : N->Inputs)
    In.push_back(V->Type);
  Error = N->info().Infer(*N, In, Types).withPrefix(N->describe());
  if (Error.ok() && Types.size() != Outs.size())
    Error = error(N->describe(), ": produces ", Types.size(),
                  " outputs, asked for ", Outs.size());
  for (size_t I = 0; Error.ok() && I < Outs.size(); ++I)
    Outs[I]->Type = Types[I];
  return Outs;
}

void Builder::entry(std::string Name, std::vector<Value *> Inputs,
                    std::vector<Value *> Outputs) {
  for (Value *V : Outputs)
    if (V->Kind == Role::Activation)
      V->Kind = Role::Output;
  G.EntryPoints.push_back(
      {std::move(Name), std::move(Inputs), std::move(Outputs)});
}

Attributes allReduceWaitAttrs(const std::vector<Value *> &Like) {
  std::vector<int64_t> Dims, Ranks;
  for (const Value *V : Like) {
    Dims.insert(Dims.end(), V->Type.Dims.begin(), V->Type.Dims.end());
    Ranks.push_back(V->Type.rank());
  }
  return attrs({{"dims", Dims}, {"ranks", Ranks}});
}

} // namespace nnc::ir
