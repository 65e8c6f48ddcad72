//===- ir/Graph.h - Values, nodes and the graph that owns them --*- C++ -*-===//
#pragma once

#include "ir/Attributes.h"
#include "ir/OpTable.h"
#include "ir/Status.h"
#include "ir/Types.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::ir {

/// What a tensor is to the model. Activation and Output are computed by a
/// node; every other role is fed or stored.
enum class Role : uint8_t {
  Activation,
  Input,
  Label,
  Parameter, // trainable weights
  State,     // persistent but not trained: BN running statistics
  Constant,
  Output, // an activation that entry points return
};
std::string_view roleName(Role R);
inline bool isComputed(Role R) {
  return R == Role::Activation || R == Role::Output;
}
inline bool isStored(Role R) {
  return R == Role::Parameter || R == Role::State || R == Role::Constant;
}

/// How a stored tensor gets its first value when the file carries no data.
struct Initializer {
  enum class Scheme : uint8_t {
    None,
    Zeros,
    Constant,      // every element = Value
    Uniform,       // U(Low, High)
    GlorotUniform, // U(-b, b), b = Gain * sqrt(6 / (fan_in + fan_out))
    XavierNormal,  // N(0, Gain * sqrt(2 / (fan_in + fan_out)))
    HeNormal,      // N(0, Gain * sqrt(2 / fan_in))
    HeUniform,     // U(-b, b), b = Gain * sqrt(6 / fan_in)
    Orthogonal,    // Gain * an orthogonal matrix over [dim0, rest]
  };
  Scheme Kind = Scheme::None;
  double Value = 0, Low = 0, High = 0, Gain = 1;
  uint64_t Seed = 0;
};
std::string_view initSchemeName(Initializer::Scheme S);

class Node;

class Value {
public:
  int Id = 0;
  std::string Name;
  Role Kind = Role::Activation;
  /// The current type. For inputs, DeclaredDims may hold -1 as the batch
  /// dimension; Type.Dims is the shape bound by the last inferShapes().
  TensorType Type;
  Shape DeclaredDims;
  /// For computed values: whether the file stated a shape to check against.
  bool ShapeDeclared = false;
  Node *Producer = nullptr;
  /// Raw little-endian contents of a stored tensor, or empty.
  std::vector<uint8_t> Data;
  Initializer Init;
  bool Trainable = true;
  // A field added here is copied by Graph::clone's StoredData = false too.
};

class Node {
public:
  int Id = 0;
  std::string Name;
  OpKind Op = OpKind::Identity;
  int Version = 1;
  std::vector<Value *> Inputs;
  std::vector<Value *> Outputs;
  Attributes Attrs;

  const OpInfo &info() const { return opInfo(Op); }
  std::string_view opName() const { return ir::opName(Op); }
  /// "node 'conv1' (Conv)", the prefix of every message about this node.
  std::string describe() const;
};

/// After an entry point runs, each Target (a parameter or state tensor)
/// takes the value NewValue had: how training updates weights, optimizer
/// slots and BatchNorm statistics while the graph itself stays functional.
struct Update {
  Value *Target = nullptr;
  Value *NewValue = nullptr;
};

struct EntryPoint {
  std::string Name;
  std::vector<Value *> Inputs;
  std::vector<Value *> Outputs;
  std::vector<Update> Updates;
  /// Training semantics (dropout applies, BatchNorm on batch statistics):
  /// set by the training lowering on the train step it builds.
  bool Training = false;
};

enum class OptimizerKind : uint8_t {
  SGD,
  Momentum,
  Nesterov,
  Adagrad,
  Adadelta,
  RMSprop,
  Adam
};
std::string_view optimizerName(OptimizerKind K);

/// Hyper-parameters with PyTorch's names; unset ones take PyTorch's defaults
/// for the optimizer at hand.
struct OptimizerConfig {
  OptimizerKind Kind = OptimizerKind::SGD;
  std::optional<double> Lr, Momentum, Dampening, WeightDecay, Alpha, Eps, Rho,
      Beta1, Beta2, LrDecay, InitialAccumulatorValue;
  bool DecoupledWeightDecay = false;
  /// Adam/AdamW's AMSGrad, RMSprop's centered variant, and ascent instead
  /// of descent (every optimizer), as PyTorch's flags of those names.
  bool Amsgrad = false, Centered = false, Maximize = false;
};

struct TrainingConfig {
  Value *Loss = nullptr;
  /// Optimizer steps taken so far and the seed they used (checkpoints).
  int64_t Step = 0;
  uint64_t Seed = 0;
  OptimizerConfig Optimizer;
  double L1 = 0, L2 = 0;
  std::vector<std::string> Metrics;
  int64_t BatchSize = 0;
};

class Graph {
public:
  Graph() = default;
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;
  Graph(Graph &&) = default;
  Graph &operator=(Graph &&) = default;

  std::string Name, Description;
  std::vector<EntryPoint> EntryPoints;
  std::optional<TrainingConfig> Training;

  /// A deep copy: same names, types, data, nodes and entry points.
  /// Without StoredData, stored tensors keep their types and initializers
  /// but not their contents: enough to compile, and no copy of the weights.
  Graph clone(bool StoredData = true) const;

  Value *addValue(std::string Name, Role R, TensorType T);
  /// Adds a node; the outputs' producer becomes this node.
  Node *addNode(OpKind Op, std::string Name, std::vector<Value *> Inputs,
                std::vector<Value *> Outputs);

  Value *findValue(std::string_view Name) const;
  const EntryPoint *findEntry(std::string_view Name) const;

  const std::vector<std::unique_ptr<Value>> &values() const { return Values; }
  const std::vector<std::unique_ptr<Node>> &nodes() const { return Nodes; }

  /// Puts nodes in an order where every node comes after the producers of its
  /// inputs, keeping the file's order where it already is one; fails naming
  /// the nodes on a cycle.
  Status sortTopologically();
  /// Puts the nodes in Order, a permutation of nodes() in which every node
  /// comes after the producers of its inputs; fails otherwise, unchanged.
  Status reorder(const std::vector<const Node *> &Order);

  /// Values with the given role, in id order.
  std::vector<Value *> valuesWithRole(Role R) const;
  /// The nodes the given values depend on, in graph order, and the inputs
  /// and labels they read.
  std::vector<const Node *>
  nodesReaching(const std::vector<const Value *> &Wanted,
                std::vector<const Value *> *Fed = nullptr) const;

private:
  std::vector<std::unique_ptr<Value>> Values;
  std::vector<std::unique_ptr<Node>> Nodes;
};

} // namespace nnc::ir
