#include "frontend/onnx/OnnxExport.h"

#include "ir/Initializers.h"
#include "ir/Pointwise.h"
#include "ir/RecurrentOps.h"
#include "ir/Verifier.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <map>
#include <set>

namespace nnc::frontend {

using namespace nnc::ir;
using Ints = std::vector<int64_t>;

namespace {

Expected<int32_t> onnxType(DType T) {
  switch (T) {
  case DType::F32:
    return int32_t(onnx::TensorProto::FLOAT);
  case DType::F64:
    return int32_t(onnx::TensorProto::DOUBLE);
  case DType::I32:
    return int32_t(onnx::TensorProto::INT32);
  case DType::I64:
    return int32_t(onnx::TensorProto::INT64);
  case DType::U8:
    return int32_t(onnx::TensorProto::UINT8);
  case DType::Bool:
    return int32_t(onnx::TensorProto::BOOL);
  }
  return error("no ONNX type for ", dtypeName(T));
}

/// Writes one graph: values by name, nodes as they are converted.
class Exporter {
public:
  Exporter(const Graph &G, const OnnxExportOptions &O, onnx::GraphProto &P)
      : G(G), O(O), P(P) {}

  /// Every node E needs, converted; the unconvertible ones listed at once.
  Status nodes(const EntryPoint &E);
  Status io(const EntryPoint &E);

private:
  Status node(const Node &N);
  Status pointwise(const Node &N, Unary U);
  Status rbf(const Node &N);
  Status recurrent(const Node &N);
  /// A conv, with the BatchNorm that reads it folded in when that is asked.
  Status conv(const Node &N);
  onnx::NodeProto &add(const std::string &Op, const std::string &Name,
                       std::vector<std::string> In,
                       std::vector<std::string> Out);
  /// A stored value as an initializer, once.
  Status initializer(const Value &V);
  std::string constant(const std::string &Name, DType T, const Shape &Dims,
                       const std::vector<double> &Values);
  std::vector<std::string> inputs(const Node &N);
  static void ints(onnx::NodeProto &N, const char *Name, const Ints &V);
  static void integer(onnx::NodeProto &N, const char *Name, int64_t V);
  static void real(onnx::NodeProto &N, const char *Name, double V);

  const Graph &G;
  const OnnxExportOptions &O;
  onnx::GraphProto &P;
  std::set<const Value *> Written;
  /// BatchNorms folded into the conv before them: BatchNorm -> conv.
  std::map<const Node *, const Node *> Folded;
};

onnx::NodeProto &Exporter::add(const std::string &Op, const std::string &Name,
                               std::vector<std::string> In,
                               std::vector<std::string> Out) {
  onnx::NodeProto &N = *P.add_node();
  N.set_op_type(Op);
  N.set_name(Name);
  for (std::string &S : In)
    N.add_input(std::move(S));
  for (std::string &S : Out)
    N.add_output(std::move(S));
  return N;
}

void Exporter::ints(onnx::NodeProto &N, const char *Name, const Ints &V) {
  onnx::AttributeProto &A = *N.add_attribute();
  A.set_name(Name);
  A.set_type(onnx::AttributeProto::INTS);
  for (int64_t X : V)
    A.add_ints(X);
}

void Exporter::integer(onnx::NodeProto &N, const char *Name, int64_t V) {
  onnx::AttributeProto &A = *N.add_attribute();
  A.set_name(Name);
  A.set_type(onnx::AttributeProto::INT);
  A.set_i(V);
}

void Exporter::real(onnx::NodeProto &N, const char *Name, double V) {
  onnx::AttributeProto &A = *N.add_attribute();
  A.set_name(Name);
  A.set_type(onnx::AttributeProto::FLOAT);
  A.set_f(float(V));
}

std::string Exporter::constant(const std::string &Name, DType T,
                               const Shape &Dims,
                               const std::vector<double> &Values) {
  onnx::TensorProto &Init = *P.add_initializer();
  Init.set_name(Name);
  Init.set_data_type(*onnxType(T));
  for (int64_t D : Dims)
    Init.add_dims(D);
  std::vector<uint8_t> Raw = encode(Values, T);
  Init.set_raw_data(std::string(Raw.begin(), Raw.end()));
  return Name;
}

Status Exporter::initializer(const Value &V) {
  if (!Written.insert(&V).second)
    return Status::success();
  Expected<std::vector<double>> Data = materialize(V);
  if (!Data.ok())
    return Data.status();
  NNC_TRY(onnxType(V.Type.Elt).status());
  constant(V.Name, V.Type.Elt, V.DeclaredDims, *Data);
  return Status::success();
}

std::vector<std::string> Exporter::inputs(const Node &N) {
  std::vector<std::string> In;
  for (const Value *V : N.Inputs)
    In.push_back(V ? V->Name : "");
  return In;
}

/// Rnn, Gru, Lstm: ONNX's operand order (sequence_lens fifth) and its way of
/// listing alphas and betas (only for the functions that take them).
Status Exporter::recurrent(const Node &N) {
  Expected<std::pair<recurrent::Params, recurrent::Reals>> PR =
      recurrentParams(N);
  if (!PR.ok())
    return PR.status().withPrefix(N.describe());
  const recurrent::Params &Pa = PR->first;
  const recurrent::Reals &Re = PR->second;
  RecurrentOperands Ops = recurrentOperands(N);
  // Before opset 14 there is no layout: batch-first tensors are transposed
  // around the node, as PyTorch exports batch_first.
  bool Around = Pa.BatchFirst && O.Opset < 14;
  auto Transposed = [&](const std::string &From, const std::string &To,
                        Ints Perm) {
    ints(add("Transpose", To, {From}, {To}), "perm", Perm);
    return To;
  };
  auto Name = [&](std::optional<size_t> I) {
    return I && *I < N.Inputs.size() ? N.Inputs[*I]->Name : std::string();
  };
  std::vector<std::string> In = {Name(Ops.X),        Name(Ops.W),
                                 Name(Ops.R),        Name(Ops.B),
                                 Name(Ops.Lengths),  Name(Ops.InitialH),
                                 Name(Ops.InitialC), Name(Ops.Peepholes)};
  while (!In.empty() && In.back().empty())
    In.pop_back();
  if (Ops.Lengths) { // ONNX's are int32
    In[4] = N.Name + ".sequence_lens_i32";
    integer(add("Cast", In[4], {Name(Ops.Lengths)}, {In[4]}), "to",
            onnx::TensorProto::INT32);
  }
  for (size_t I : {size_t(0), size_t(5), size_t(6)})
    if (Around && I < In.size() && !In[I].empty())
      In[I] = Transposed(In[I], In[I] + ".steps_first", {1, 0, 2});
  std::vector<std::string> Out;
  for (size_t I = 0; I < recurrentOutputs(N.Op); ++I)
    Out.push_back(N.Outputs[I]->Name + (Around ? ".steps_first" : ""));
  const char *Op = N.Op == OpKind::Lstm  ? "LSTM"
                   : N.Op == OpKind::Gru ? "GRU"
                                         : "RNN";
  onnx::NodeProto &P = add(Op, N.Name, In, Out);
  integer(P, "hidden_size", Pa.Hidden);
  onnx::AttributeProto &Dir = *P.add_attribute();
  Dir.set_name("direction");
  Dir.set_type(onnx::AttributeProto::STRING);
  Dir.set_s(N.Attrs.getString("direction"));
  if (Pa.BatchFirst && !Around)
    integer(P, "layout", 1);
  if (std::isfinite(Re.Clip))
    real(P, "clip", Re.Clip);
  if (N.Op == OpKind::Lstm && Pa.InputForget)
    integer(P, "input_forget", 1);
  if (N.Op == OpKind::Gru)
    integer(P, "linear_before_reset", Pa.LinearBeforeReset);
  onnx::AttributeProto &Acts = *P.add_attribute();
  Acts.set_name("activations");
  Acts.set_type(onnx::AttributeProto::STRINGS);
  std::vector<double> Alpha, Beta;
  int64_t Count =
      recurrent::activationCount(cellOf(N.Op)) * recurrent::directions(Pa);
  for (int64_t I = 0; I < Count; ++I) {
    const recurrent::ActivationInfo &A = recurrent::ActivationTable[Pa.Act[I]];
    Acts.add_strings(A.Name);
    if (A.TakesAlpha)
      Alpha.push_back(Re.Alpha[I]);
    if (A.TakesBeta)
      Beta.push_back(Re.Beta[I]);
  }
  for (auto [List, AttrName] : {std::pair{&Alpha, "activation_alpha"},
                                std::pair{&Beta, "activation_beta"}}) {
    if (List->empty())
      continue;
    onnx::AttributeProto &A = *P.add_attribute();
    A.set_name(AttrName);
    A.set_type(onnx::AttributeProto::FLOATS);
    for (double V : *List)
      A.add_floats(float(V));
  }
  for (size_t I = 0; Around && I < Out.size(); ++I)
    Transposed(Out[I], N.Outputs[I]->Name,
               I == 0 ? Ints{2, 0, 1, 3} : Ints{1, 0, 2});
  return Status::success();
}

Status Exporter::pointwise(const Node &N, Unary U) {
  const pointwise::UnaryInfo &I = unaryInfo(U);
  std::string Op = I.Onnx;
  // ONNX's op has no attributes for these: only the defaults are its math.
  for (int K = 0; K < 2 && !I.OnnxAttrs; ++K)
    if (*I.Attrs[K] && N.Attrs.getFloat(I.Attrs[K]) != I.Defaults[K])
      Op.clear();
  if (Op.empty())
    return error(N.describe(), " has no ONNX form",
                 *I.Onnx ? " with these attributes" : "");
  onnx::NodeProto &P = add(Op, N.Name, inputs(N), {N.Outputs[0]->Name});
  for (int K = 0; K < 2 && I.OnnxAttrs; ++K)
    if (*I.Attrs[K])
      real(P, I.Attrs[K], N.Attrs.getFloat(I.Attrs[K]));
  return Status::success();
}

/// exp(-beta * |x - c|^2) row by row: x [N,F] unsqueezed to [N,1,F]
/// broadcasts against the centers [K,F].
Status Exporter::rbf(const Node &N) {
  std::string X = N.Inputs[0]->Name, C = N.Inputs[1]->Name,
              Beta = N.Inputs[2]->Name, T = N.Name + "/";
  std::string Axes1 = constant(T + "axis1", DType::I64, {1}, {1});
  std::string Axes2 = constant(T + "axis2", DType::I64, {1}, {2});
  add("Unsqueeze", T + "unsqueeze", {X, Axes1}, {T + "x3"});
  add("Sub", T + "sub", {T + "x3", C}, {T + "d"});
  add("Mul", T + "square", {T + "d", T + "d"}, {T + "d2"});
  integer(add("ReduceSum", T + "sum", {T + "d2", Axes2}, {T + "dist"}),
          "keepdims", 0);
  add("Mul", T + "scale", {T + "dist", Beta}, {T + "scaled"});
  add("Neg", T + "neg", {T + "scaled"}, {T + "exponent"});
  add("Exp", T + "exp", {T + "exponent"}, {N.Outputs[0]->Name});
  return Status::success();
}

Status Exporter::conv(const Node &N) {
  std::vector<std::string> In = inputs(N);
  const Value *W = N.Inputs[1];
  const Node *Bn = nullptr;
  for (const auto &[B, C] : Folded)
    if (C == &N)
      Bn = B;
  std::string Out = Bn ? Bn->Outputs[0]->Name : N.Outputs[0]->Name;
  if (Bn) { // W * s and (b - mean) * s + beta, s = scale / sqrt(var + eps)
    Expected<std::vector<double>> Wd = materialize(*W);
    if (!Wd.ok())
      return Wd.status();
    std::vector<std::vector<double>> Bv;
    for (const Value *V : Bn->Inputs) {
      if (V == Bn->Inputs[0])
        continue;
      Expected<std::vector<double>> D = materialize(*V);
      if (!D.ok())
        return D.status();
      Bv.push_back(*D);
    }
    const std::vector<double> &Scale = Bv[0], &Beta = Bv[1], &Mean = Bv[2],
                              &Var = Bv[3];
    std::vector<double> Bias(Scale.size(), 0.0);
    if (N.Inputs.size() > 2 && N.Inputs[2]) {
      Expected<std::vector<double>> Bd = materialize(*N.Inputs[2]);
      if (!Bd.ok())
        return Bd.status();
      Bias = *Bd;
    }
    double Eps = Bn->Attrs.getFloat("epsilon");
    size_t PerOut = Wd->size() / Scale.size();
    for (size_t C = 0; C < Scale.size(); ++C) {
      double S = Scale[C] / std::sqrt(Var[C] + Eps);
      for (size_t K = 0; K < PerOut; ++K)
        (*Wd)[C * PerOut + K] *= S;
      Bias[C] = (Bias[C] - Mean[C]) * S + Beta[C];
    }
    In = {In[0],
          constant(N.Name + "/folded_w", W->Type.Elt, W->DeclaredDims, *Wd),
          constant(N.Name + "/folded_b", W->Type.Elt, {int64_t(Bias.size())},
                   Bias)};
  } else {
    for (const Value *V : N.Inputs)
      if (V && isStored(V->Kind))
        NNC_TRY(initializer(*V));
  }
  onnx::NodeProto &P =
      add(N.Op == OpKind::Conv ? "Conv" : "ConvTranspose", N.Name, In, {Out});
  ints(P, "kernel_shape", Ints(W->Type.Dims.begin() + 2, W->Type.Dims.end()));
  for (const char *A : {"strides", "pads", "dilations"})
    ints(P, A, N.Attrs.getInts(A));
  integer(P, "group", N.Attrs.getInt("group"));
  if (N.Op == OpKind::ConvTranspose)
    ints(P, "output_padding", N.Attrs.getInts("output_padding"));
  return Status::success();
}

Status Exporter::node(const Node &N) {
  if (Folded.count(&N))
    return Status::success(); // written with its conv
  if (N.Op == OpKind::Conv || N.Op == OpKind::ConvTranspose)
    return conv(N);
  for (const Value *V : N.Inputs)
    if (V && isStored(V->Kind))
      NNC_TRY(initializer(*V));
  if (std::optional<Unary> U = unaryOf(N.Op))
    return pointwise(N, *U);
  std::vector<std::string> In = inputs(N), Out = {N.Outputs[0]->Name};
  const Attributes &A = N.Attrs;
  auto Same = [&](const char *Op) -> onnx::NodeProto & {
    return add(Op, N.Name, In, Out);
  };
  switch (N.Op) {
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
  case OpKind::MatMul:
    Same(std::string(N.opName()).c_str());
    return Status::success();
  case OpKind::PRelu:
    Same("PRelu");
    return Status::success();
  case OpKind::Dropout: // inference: the identity
    Same("Identity");
    return Status::success();
  case OpKind::Dense: // x W^T + b
    integer(Same("Gemm"), "transB", 1);
    return Status::success();
  case OpKind::Rbf:
    return rbf(N);
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::Flatten:
    integer(Same(std::string(N.opName()).c_str()), "axis", A.getInt("axis"));
    return Status::success();
  case OpKind::Transpose:
    ints(Same("Transpose"), "perm", A.getInts("perm"));
    return Status::success();
  case OpKind::Reshape: {
    const Ints &S = A.getInts("shape");
    In.push_back(constant(N.Name + "/shape", DType::I64, {int64_t(S.size())},
                          {S.begin(), S.end()}));
    Same("Reshape");
    return Status::success();
  }
  case OpKind::GlobalAvgPool:
    Same("GlobalAveragePool");
    return Status::success();
  case OpKind::GlobalMaxPool:
    Same("GlobalMaxPool");
    return Status::success();
  case OpKind::MaxPool:
  case OpKind::AvgPool: {
    bool Max = N.Op == OpKind::MaxPool;
    onnx::NodeProto &P = Same(Max ? "MaxPool" : "AveragePool");
    const Ints &K = A.getInts("kernel_shape");
    ints(P, "kernel_shape", K);
    ints(P, "strides", A.getInts("strides").empty() ? K : A.getInts("strides"));
    ints(P, "pads", A.getInts("pads"));
    integer(P, "ceil_mode", A.getInt("ceil_mode"));
    if (Max)
      ints(P, "dilations", A.getInts("dilations"));
    else
      integer(P, "count_include_pad", A.getInt("count_include_pad"));
    return Status::success();
  }
  case OpKind::BatchNorm: {
    onnx::NodeProto &P = Same("BatchNormalization");
    real(P, "epsilon", A.getFloat("epsilon"));
    real(P, "momentum", 1 - A.getFloat("momentum")); // ONNX keeps the old
    return Status::success();
  }
  case OpKind::LRN: {
    onnx::NodeProto &P = Same("LRN");
    integer(P, "size", A.getInt("size"));
    for (const char *R : {"alpha", "beta", "bias"})
      real(P, R, A.getFloat(R));
    return Status::success();
  }
  case OpKind::Concat:
    integer(Same("Concat"), "axis", A.getInt("axis"));
    return Status::success();
  case OpKind::Rnn:
  case OpKind::Gru:
  case OpKind::Lstm:
    return recurrent(N);
  default:
    return error(N.describe(), " has no ONNX form nnc writes");
  }
}

Status Exporter::nodes(const EntryPoint &E) {
  std::vector<const Value *> Wanted(E.Outputs.begin(), E.Outputs.end());
  std::vector<const Node *> Order = G.nodesReaching(Wanted);
  if (O.FoldBatchNorm)
    for (const Node *N : Order) {
      const Value *X = N->Inputs.empty() ? nullptr : N->Inputs[0];
      int Readers = 0;
      for (const Node *M : Order)
        for (const Value *In : M->Inputs)
          Readers += In == X;
      bool Wanted = std::count(E.Outputs.begin(), E.Outputs.end(), X);
      if (N->Op == OpKind::BatchNorm && X->Producer &&
          X->Producer->Op == OpKind::Conv && Readers == 1 && !Wanted)
        Folded[N] = X->Producer;
    }
  std::string Problems;
  for (const Node *N : Order)
    if (Status S = node(*N); !S.ok())
      Problems += (Problems.empty() ? "" : "; ") + S.message();
  if (!Problems.empty())
    return error("cannot be expressed in ONNX: ", Problems);
  return Status::success();
}

Status Exporter::io(const EntryPoint &E) {
  Graph AtTwo = G.clone(/*StoredData=*/false);
  NNC_TRY(inferShapes(AtTwo, 2));
  for (const auto *List : {&E.Inputs, &E.Outputs})
    for (const Value *V : *List) {
      onnx::ValueInfoProto &I =
          List == &E.Inputs ? *P.add_input() : *P.add_output();
      I.set_name(V->Name);
      Expected<int32_t> T = onnxType(V->Type.Elt);
      if (!T.ok())
        return T.status().withPrefix("tensor '" + V->Name + "'");
      onnx::TypeProto_Tensor &Tt = *I.mutable_type()->mutable_tensor_type();
      Tt.set_elem_type(*T);
      // An input's declared -1, or an output's dimension that follows the
      // batch (it differs at batch 2), is the symbolic batch N.
      const Shape &One = V->Type.Dims;
      const Shape &Two = AtTwo.findValue(V->Name)->Type.Dims;
      for (size_t K = 0; K < One.size(); ++K) {
        onnx::TensorShapeProto_Dimension &Dim = *Tt.mutable_shape()->add_dim();
        if (One[K] != Two[K])
          Dim.set_dim_param("N");
        else
          Dim.set_dim_value(One[K]);
      }
    }
  return Status::success();
}

} // namespace

Expected<std::vector<uint8_t>> exportOnnx(const Graph &G,
                                          const OnnxExportOptions &O,
                                          const std::string &Name) {
  if (O.Opset < 13 || O.Opset > 17)
    return error("the ONNX opset must be 13 to 17, found ", O.Opset);
  const EntryPoint *E = G.findEntry(O.Entry);
  if (!E)
    return error(Name, ": no entry point '", O.Entry, "'");
  onnx::ModelProto M;
  M.set_ir_version(8);
  M.set_producer_name("nnc");
  onnx::OperatorSetIdProto &Set = *M.add_opset_import();
  Set.set_domain("");
  Set.set_version(O.Opset);
  onnx::GraphProto &P = *M.mutable_graph();
  P.set_name(G.Name.empty() ? "nnc" : G.Name);
  Exporter X(G, O, P);
  NNC_TRY(X.io(*E).withPrefix(Name));
  NNC_TRY(X.nodes(*E).withPrefix(Name));
  try {
    onnx::checker::check_model(M);
  } catch (const std::exception &Ex) {
    return error(Name, ": the ONNX written fails ONNX's checker (a bug in ",
                 "nnc export): ", Ex.what());
  }
  std::string Bytes;
  if (!M.SerializeToString(&Bytes))
    return error(Name, ": the ONNX model does not serialize (over 2 GB?)");
  return std::vector<uint8_t>(Bytes.begin(), Bytes.end());
}

} // namespace nnc::frontend
