//===- frontend/onnx/OnnxPatterns.cpp - Compositions nnc has as ops -------===//
//
// Exporters write some activations as chains of elementary ONNX ops because
// the opsets they target have no such op. Where nnc has the op, the chain
// becomes that one node before conversion, so it is one kernel, fuses into
// a conv epilogue and differentiates as one op.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/OnnxInternal.h"

#include <cmath>
#include <optional>

namespace nnc::frontend::onnx_import {
namespace {

/// Where each value comes from and how many readers it has.
class Uses {
public:
  explicit Uses(const onnx::GraphProto &G) : G(G) {
    for (int I = 0; I < G.node_size(); ++I) {
      for (const std::string &Out : G.node(I).output())
        Producer[Out] = I;
      for (const std::string &In : G.node(I).input())
        ++Readers[In];
    }
    for (const onnx::ValueInfoProto &Out : G.output())
      ++Readers[Out.name()];
  }

  /// The node of type Op computing Name, when only one node reads Name.
  const onnx::NodeProto *soleProducer(const std::string &Name,
                                      const char *Op) const {
    auto It = Producer.find(Name);
    auto R = Readers.find(Name);
    if (It == Producer.end() || R == Readers.end() || R->second != 1)
      return nullptr;
    const onnx::NodeProto &N = G.node(It->second);
    return N.op_type() == Op && N.domain().empty() && N.input_size() >= 1
               ? &N
               : nullptr;
  }
  int indexOf(const onnx::NodeProto *N) const {
    return Producer.at(N->output(0));
  }

  /// The value of a one-element float Constant (not of an initializer,
  /// which would stay behind as an unused parameter).
  std::optional<double> scalar(const std::string &Name) const {
    auto It = Producer.find(Name);
    if (It == Producer.end())
      return std::nullopt;
    const onnx::NodeProto &N = G.node(It->second);
    if (N.op_type() != "Constant" || N.attribute_size() != 1 ||
        N.attribute(0).name() != "value")
      return std::nullopt;
    const onnx::TensorProto *T = &N.attribute(0).t();
    Expected<OnnxTensor> V = convertTensor(*T);
    if (!V.ok() || !ir::isFloat(V->Elt))
      return std::nullopt;
    Folded F = foldedOf(*V);
    if (F.E.size() != 1)
      return std::nullopt;
    return F.E[0].B;
  }
  bool isScalar(const std::string &Name, double Want) const {
    std::optional<double> V = scalar(Name);
    return V && std::fabs(*V - Want) <= 1e-6 * std::fabs(Want);
  }

private:
  const onnx::GraphProto &G;
  std::map<std::string, int> Producer;
  std::map<std::string, int> Readers;
};

/// N's operand other than I (a binary op's).
const std::string &other(const onnx::NodeProto &N, int I) {
  return N.input(1 - I);
}

/// PyTorch's GELU at opsets below 20, x * (erf(x / sqrt(2)) + 1) * 0.5,
/// ending at node Last; the nodes before it, or nothing.
std::vector<int> geluChain(const Uses &U, const onnx::NodeProto &Last,
                           std::string &X) {
  if (Last.op_type() != "Mul" || Last.input_size() != 2)
    return {};
  for (int I = 0; I < 2; ++I) {
    const onnx::NodeProto *Times = U.soleProducer(Last.input(I), "Mul");
    if (!Times || !U.isScalar(other(Last, I), 0.5) || Times->input_size() != 2)
      continue;
    for (int J = 0; J < 2; ++J) {
      const onnx::NodeProto *Plus = U.soleProducer(Times->input(J), "Add");
      if (!Plus || Plus->input_size() != 2)
        continue;
      for (int K = 0; K < 2; ++K) {
        const onnx::NodeProto *Erf = U.soleProducer(Plus->input(K), "Erf");
        if (!Erf || !U.isScalar(other(*Plus, K), 1))
          continue;
        const onnx::NodeProto *Scale = U.soleProducer(Erf->input(0), "Div");
        bool Divides = Scale && Scale->input_size() == 2 &&
                       U.isScalar(Scale->input(1), std::sqrt(2.0));
        if (!Divides) {
          Scale = U.soleProducer(Erf->input(0), "Mul");
          Divides = Scale && Scale->input_size() == 2 &&
                    U.isScalar(Scale->input(1), std::sqrt(0.5));
        }
        if (!Divides || Scale->input(0) != other(*Times, J))
          continue;
        X = Scale->input(0);
        return {U.indexOf(Scale), U.indexOf(Erf), U.indexOf(Plus),
                U.indexOf(Times)};
      }
    }
  }
  return {};
}

} // namespace

void recognizeCompositions(onnx::GraphProto &G) {
  std::set<int> Dead;
  {
    Uses U(G);
    for (int I = 0; I < G.node_size(); ++I) {
      std::string X;
      std::vector<int> Chain = geluChain(U, G.node(I), X);
      if (Chain.empty())
        continue;
      onnx::NodeProto &Last = *G.mutable_node(I);
      Last.set_op_type("Gelu");
      Last.clear_input();
      Last.add_input(X);
      Last.clear_attribute();
      Dead.insert(Chain.begin(), Chain.end());
    }
  }
  if (Dead.empty())
    return;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> Kept;
  for (int I = 0; I < G.node_size(); ++I)
    if (!Dead.count(I))
      *Kept.Add() = G.node(I);
  G.mutable_node()->Swap(&Kept);
}

} // namespace nnc::frontend::onnx_import
