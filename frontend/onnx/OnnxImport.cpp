//===- frontend/onnx/OnnxImport.cpp - ONNX ModelProto -> IR ---------------===//
#include "frontend/onnx/OnnxInternal.h"
#include "ir/Verifier.h"

#include <onnx/defs/schema.h>

#include <algorithm>
#include <set>

namespace nnc::frontend {

using namespace nnc::ir;
using namespace onnx_import;

namespace onnx_import {

Value *Context::value(const onnx::NodeProto &N, int I) const {
  if (I >= N.input_size() || N.input(I).empty())
    return nullptr;
  auto It = Values.find(N.input(I));
  return It == Values.end() ? nullptr : It->second;
}

const OnnxTensor *Context::constant(const onnx::NodeProto &N, int I) const {
  if (I >= N.input_size())
    return nullptr;
  auto It = Constants.find(N.input(I));
  return It == Constants.end() ? nullptr : &It->second;
}

const Folded *Context::known(const onnx::NodeProto &N, int I) const {
  if (I >= N.input_size())
    return nullptr;
  auto It = Known.find(N.input(I));
  return It == Known.end() ? nullptr : &It->second;
}

std::string nodeLabel(const onnx::NodeProto &N) {
  if (!N.name().empty())
    return N.name();
  return N.output_size() ? N.output(0) : std::string("?");
}

std::string Context::name(const onnx::NodeProto &N) const {
  return nodeLabel(N);
}

void Context::define(const onnx::NodeProto &N, std::vector<Value *> Outs) {
  for (size_t I = 0; I < Outs.size() && int(I) < N.output_size(); ++I) {
    const std::string &Name = N.output(int(I));
    if (Name.empty())
      continue;
    // Keep ONNX's names, so users feed and read tensors by them.
    if (!G.findValue(Name))
      Outs[I]->Name = Name;
    Values[Name] = Outs[I];
  }
}

} // namespace onnx_import

namespace {

Expected<Shape> shapeOf(const onnx::ValueInfoProto &V, bool First) {
  if (!V.type().has_tensor_type())
    return error(
        "graph input '", V.name(),
        "' is not a tensor: sequences and optionals are not supported");
  Shape S;
  const auto &Dims = V.type().tensor_type().shape().dim();
  for (int I = 0; I < Dims.size(); ++I) {
    if (Dims[I].has_dim_value()) {
      S.push_back(Dims[I].dim_value());
    } else if (I == 0 && First) {
      S.push_back(-1); // a symbolic batch dimension
    } else {
      return error("graph input '", V.name(), "': dimension ", I,
                   " is symbolic; only the first (batch) may be");
    }
  }
  return S;
}

Expected<DType> dtypeOf(const onnx::ValueInfoProto &V) {
  switch (V.type().tensor_type().elem_type()) {
  case onnx::TensorProto::FLOAT:
    return DType::F32;
  case onnx::TensorProto::DOUBLE:
    return DType::F64;
  case onnx::TensorProto::INT64:
    return DType::I64;
  case onnx::TensorProto::INT32:
    return DType::I32;
  default:
    return error("graph input '", V.name(), "': element type ",
                 onnx::TensorProto::DataType_Name(onnx::TensorProto::DataType(
                     V.type().tensor_type().elem_type())),
                 " is not supported");
  }
}

/// How to export a model without op OpType, where there is a way.
std::string workAround(const std::string &OpType) {
  if (OpType == "LayerNormalization")
    return "; re-export with opset_version=16 or lower, where torch.onnx "
           "writes layer_norm as ReduceMean, Sub, Pow, Sqrt, Add and Div";
  if (OpType == "ATen")
    return "; re-export with the default operator_export_type "
           "(OperatorExportTypes.ONNX) so that the op is written in ONNX ops";
  if (OpType == "PythonOp")
    return "; a torch.autograd.Function needs a symbolic() to export as "
           "ONNX ops";
  if (OpType == "Loop" || OpType == "If" || OpType == "Scan" ||
      OpType == "SequenceConstruct")
    return "; trace the model (torch.onnx.export of a module that is not "
           "torch.jit.script-ed) so that control flow is unrolled";
  return "";
}

/// Operand and result counts against ONNX's own schema of the op at the
/// model's opset; converters then read every required operand unchecked.
std::vector<std::string> arityProblems(const onnx::NodeProto &N,
                                       int64_t Opset) {
  if (!N.domain().empty() && N.domain() != "ai.onnx")
    return {};
  const onnx::OpSchema *S = onnx::OpSchemaRegistry::Schema(
      N.op_type(), int(std::clamp<int64_t>(Opset, 1, 17)), "");
  if (!S)
    return {};
  std::vector<std::string> P;
  auto Count = [&](const char *What, int Found, int Min, int Max) {
    if (Found < Min || Found > Max)
      P.push_back(std::string("takes ") + std::to_string(Min) +
                  (Max == Min   ? ""
                   : Max > 1000 ? " or more"
                                : " to " + std::to_string(Max)) +
                  " " + What + ", found " + std::to_string(Found));
  };
  Count("inputs", N.input_size(), S->min_input(), S->max_input());
  Count("outputs", N.output_size(), S->min_output(), S->max_output());
  for (int I = 0; I < N.input_size() && I < int(S->inputs().size()); ++I)
    if (N.input(I).empty() &&
        S->inputs()[size_t(I)].GetOption() == onnx::OpSchema::Single)
      P.push_back("input " + std::to_string(I) + " ('" +
                  S->inputs()[size_t(I)].GetName() +
                  "') is required but not given");
  return P;
}

/// Everything unsupported in the file, so the user sees it all at once.
std::vector<std::string> findProblems(const onnx::ModelProto &M,
                                      int64_t Opset) {
  std::vector<std::string> P;
  // Opsets 1 to 8 differ, for the ops here, only in attributes (is_test,
  // spatial, legacy broadcast and axis, shapes as attributes) that are
  // handled or reported below like any other.
  if (Opset < 1 || Opset > 17)
    P.push_back(
        "opset " + std::to_string(Opset) + " (nnc reads 1 to 17" +
        (Opset > 17 ? "; re-export with opset_version=17 or lower)" : ")"));
  for (const onnx::NodeProto &N : M.graph().node()) {
    std::string Where = "node '" + nodeLabel(N) + "' (" + N.op_type() + ")";
    if (N.output_size() == 0) {
      // Every ONNX op has an output; the importer names values by them.
      P.push_back(Where + ": has no outputs");
      continue;
    }
    bool Training = N.domain() == "ai.onnx.preview.training" &&
                    (N.op_type() == "Adagrad" || N.op_type() == "Momentum" ||
                     N.op_type() == "Adam");
    if (!N.domain().empty() && N.domain() != "ai.onnx" && !Training) {
      P.push_back(Where + ": domain '" + N.domain() + "'");
      continue;
    }
    const OpConverter *C = findConverter(N.op_type());
    if (!C && !isFoldable(N.op_type())) {
      P.push_back(Where + ": unsupported op" + workAround(N.op_type()));
      continue;
    }
    std::vector<std::string> Arity = arityProblems(N, Opset);
    for (const std::string &Problem : Arity)
      P.push_back(Where + ": " + Problem);
    if (!Arity.empty() || !C)
      continue;
    for (const std::string &Problem : unknownAttributes(N))
      P.push_back(Where + ": " + Problem);
    for (const std::string &Problem : C->Check(N, Opset))
      P.push_back(Where + ": " + Problem);
  }
  return P;
}

/// Operands whose values are compiled into the graph: Reshape's and
/// Expand's shape, the axes of reductions and (un)squeezes, Dropout's ratio
/// and mode, Clip's bounds, Pad's pads, value and axes, Slice's bounds,
/// axes and steps.
bool isStaticOperand(const onnx::NodeProto &N, int I) {
  const std::string &Op = N.op_type();
  return (I == 1 &&
          (Op == "Reshape" || Op == "Expand" || Op == "ReduceSum" ||
           Op == "ReduceMean" || Op == "ReduceMax" || Op == "ReduceMin" ||
           Op == "Squeeze" || Op == "Unsqueeze")) ||
         ((I == 1 || I == 2) && (Op == "Dropout" || Op == "Clip")) ||
         (I >= 1 && (Op == "Pad" || Op == "Slice"));
}

/// An initializer or a bound input. Constants (integer initializers, bound
/// inputs) are known at import and become IR values only when an op reads
/// them at run time (materializeKnown).
void addStored(Context &C, const std::string &Name, Role R,
               const OnnxTensor &T) {
  C.Constants[Name] = T;
  if (R == Role::Constant) {
    C.Known[Name] = foldedOf(T);
    return;
  }
  if (numElements(T.Dims) == 0) {
    C.Values[Name] = nullptr;
    return;
  }
  Value *V = C.G.addValue(Name, R, TensorType{T.Elt, T.Dims});
  V->Data = T.Raw;
  C.Values[Name] = V;
}

/// Evaluates N at import when its inputs are known, else builds its IR.
Status convertNode(Context &C, const onnx::NodeProto &N) {
  std::string Where = "node '" + C.name(N) + "' (" + N.op_type() + ")";
  for (int I = 0; I < N.input_size(); ++I) {
    const std::string &In = N.input(I);
    if (!In.empty() && !C.Values.count(In) && !C.Known.count(In) &&
        !C.Pads.count(In) && !C.ZeroFills.count(In))
      return error(Where, ": input '", In,
                   "' is not defined before it (missing initializer?)");
  }
  Expected<bool> Folded = foldNode(C, N);
  if (!Folded.ok())
    return Folded.status().withPrefix(Where);
  if (*Folded)
    return Status::success();
  bool Recurrent =
      N.op_type() == "RNN" || N.op_type() == "GRU" || N.op_type() == "LSTM";
  for (int I = 0; I < N.input_size(); ++I)
    if (C.ZeroFills.count(N.input(I)) && !Recurrent)
      return error(Where, ": input '", N.input(I),
                   "' is zeros of a batch-dependent shape (ConstantOfShape), "
                   "which nnc reads only as a recurrent layer's initial state");
  const OpConverter *Converter = findConverter(N.op_type());
  for (int I = 0; I < N.input_size(); ++I) {
    const std::string &In = N.input(I);
    if (In.empty())
      continue;
    if (!Converter && !C.Known.count(In))
      return error(Where, ": not supported at run time (nnc evaluates it ",
                   "at import, from shapes and constants), and input '", In,
                   "' is computed at run time");
    bool ReadsPad = N.op_type() == "Conv" || N.op_type() == "AveragePool";
    if (C.Pads.count(In) && !(ReadsPad && I == 0))
      NNC_TRY(materializePad(C, In).withPrefix(Where));
    if (C.Known.count(In) && !isStaticOperand(N, I))
      NNC_TRY(materializeKnown(C, In).withPrefix(Where));
    else if (C.Values.count(In) && !C.Values.at(In) && !isStaticOperand(N, I))
      return error(Where, ": input '", In,
                   "' has no elements; empty tensors are not supported "
                   "as data");
  }
  NNC_TRY(Converter->Convert(C, N).withPrefix(Where));
  // The builder's messages name the node already when it is this one.
  Status Built = C.B.status();
  if (!Built.ok() && !Built.message().starts_with(Where))
    return Built.withPrefix(Where);
  return Built;
}

Expected<onnx::ModelProto> parse(const std::vector<uint8_t> &Bytes,
                                 const std::string &Name) {
  onnx::ModelProto M;
  if (Bytes.size() > size_t(INT32_MAX) ||
      !M.ParseFromArray(Bytes.data(), int(Bytes.size())))
    return error(Name, ": not a valid ONNX model (protobuf parsing failed)");
  return M;
}

} // namespace

Expected<std::vector<OnnxGraphInput>>
onnxGraphInputs(const std::vector<uint8_t> &Bytes, const std::string &Name) {
  Expected<onnx::ModelProto> M = parse(Bytes, Name);
  if (!M.ok())
    return M.status();
  const onnx::GraphProto &GP = M->graph();
  std::set<std::string> Inits, Static;
  for (const onnx::TensorProto &T : GP.initializer())
    Inits.insert(T.name());
  for (const onnx::NodeProto &N : GP.node())
    for (int I = 0; I < N.input_size(); ++I)
      if (isStaticOperand(N, I) ||
          (isFoldable(N.op_type()) && !findConverter(N.op_type())))
        Static.insert(N.input(I));
  std::vector<OnnxGraphInput> Out;
  for (const onnx::ValueInfoProto &In : GP.input())
    if (!Inits.count(In.name()))
      Out.push_back({In.name(), Static.count(In.name()) > 0});
  return Out;
}

Expected<Graph> importOnnx(const std::vector<uint8_t> &Bytes,
                           const std::string &Name, const OnnxBindings &Bind) {
  Expected<onnx::ModelProto> Parsed = parse(Bytes, Name);
  if (!Parsed.ok())
    return Parsed.status();
  onnx::ModelProto &M = *Parsed;
  recognizeCompositions(*M.mutable_graph());
  int64_t Opset = -1;
  for (const auto &O : M.opset_import())
    if (O.domain().empty() || O.domain() == "ai.onnx")
      Opset = O.version();
  std::vector<std::string> Problems;
  bool DefaultDomain = false; // a model of training ops alone imports none
  for (const onnx::NodeProto &N : M.graph().node())
    DefaultDomain |= N.domain().empty() || N.domain() == "ai.onnx";
  if (Opset < 0 && DefaultDomain)
    Problems.push_back("no ai.onnx opset is imported");
  for (const std::string &P : findProblems(M, Opset < 0 ? 13 : Opset))
    if (std::find(Problems.begin(), Problems.end(), P) == Problems.end())
      Problems.push_back(P);
  if (!Problems.empty()) {
    std::string All;
    for (const std::string &P : Problems)
      All += (All.empty() ? "" : "; ") + P;
    return error(Name, ": ", Problems.size(), " unsupported construct",
                 Problems.size() > 1 ? "s" : "", ": ", All);
  }

  const onnx::GraphProto &GP = M.graph();
  Graph G;
  G.Name = GP.name();
  Context C{G, Builder(G), Opset, {}, {}};
  C.FromPyTorch = M.producer_name() == "pytorch";
  for (const onnx::TensorProto &T : GP.initializer()) {
    Expected<OnnxTensor> Data = convertTensor(T);
    if (!Data.ok())
      return Data.status().withPrefix(Name);
    // Float initializers are weights; integer ones (shapes, axes) constants.
    addStored(C, T.name(),
              isFloat(Data->Elt) ? Role::Parameter : Role::Constant, *Data);
  }
  for (const auto &[Bound, T] : Bind) {
    bool Found = false;
    for (const onnx::ValueInfoProto &In : GP.input())
      Found |= In.name() == Bound;
    if (!Found)
      return error(Name, ": a value is given for '", Bound,
                   "', which is not a graph input");
  }
  std::vector<Value *> Inputs;
  for (const onnx::ValueInfoProto &In : GP.input()) {
    if (C.Values.count(In.name()) || C.Known.count(In.name()))
      continue; // an initializer listed as an input (opset < 9 style)
    if (auto It = Bind.find(In.name()); It != Bind.end()) {
      addStored(C, In.name(), Role::Constant, It->second);
      continue;
    }
    Expected<Shape> S = shapeOf(In, true);
    Expected<DType> T = dtypeOf(In);
    if (!S.ok() || !T.ok())
      return (S.ok() ? T.status() : S.status()).withPrefix(Name);
    Value *V = G.addValue(In.name(), Role::Input, TensorType{*T, *S});
    for (int64_t &D : V->Type.Dims)
      if (D == -1)
        D = 1;
    C.Values[In.name()] = V;
    Inputs.push_back(V);
  }
  for (const onnx::NodeProto &N : GP.node())
    for (const std::string &In : N.input())
      C.Consumed.insert(In);
  for (const onnx::ValueInfoProto &Out : GP.output())
    C.Consumed.insert(Out.name());
  for (const onnx::NodeProto &N : GP.node())
    NNC_TRY(convertNode(C, N).withPrefix(Name));
  std::vector<Value *> Outputs;
  for (const onnx::ValueInfoProto &Out : GP.output()) {
    if (C.Known.count(Out.name()))
      NNC_TRY(materializeKnown(C, Out.name())
                  .withPrefix(Name + ": graph output '" + Out.name() + "'"));
    NNC_TRY(materializePad(C, Out.name())
                .withPrefix(Name + ": graph output '" + Out.name() + "'"));
    auto It = C.Values.find(Out.name());
    if (It == C.Values.end())
      return error(Name, ": graph output '", Out.name(), "' is never computed");
    if (!It->second)
      return error(Name, ": graph output '", Out.name(),
                   "' is an empty tensor, which is not supported");
    if (It->second->Kind == Role::Activation)
      It->second->Kind = Role::Output;
    Outputs.push_back(It->second);
  }
  // A BatchNorm's running statistics are state, not trained parameters:
  // training moves them by momentum, not by gradients.
  for (const auto &N : G.nodes())
    if (N->Op == OpKind::BatchNorm || N->Op == OpKind::BatchNormTrain)
      for (size_t I = 3; I < N->Inputs.size(); ++I)
        if (N->Inputs[I]->Kind == Role::Parameter)
          N->Inputs[I]->Kind = Role::State;
  G.EntryPoints.push_back({"infer", Inputs, Outputs, {}});
  NNC_TRY(verify(G).withPrefix(Name));
  return G;
}

} // namespace nnc::frontend
