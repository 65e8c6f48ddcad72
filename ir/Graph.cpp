#include "ir/Graph.h"

#include <algorithm>
#include <map>
#include <queue>
#include <set>

namespace nnc::ir {

std::string_view roleName(Role R) {
  switch (R) {
  case Role::Activation:
    return "activation";
  case Role::Input:
    return "input";
  case Role::Label:
    return "label";
  case Role::Parameter:
    return "parameter";
  case Role::State:
    return "state";
  case Role::Constant:
    return "constant";
  case Role::Output:
    return "output";
  }
  return "?";
}

std::string_view initSchemeName(Initializer::Scheme S) {
  using K = Initializer::Scheme;
  switch (S) {
  case K::None:
    return "none";
  case K::Zeros:
    return "zeros";
  case K::Constant:
    return "constant";
  case K::Uniform:
    return "uniform";
  case K::GlorotUniform:
    return "glorot_uniform";
  case K::XavierNormal:
    return "xavier_normal";
  case K::HeNormal:
    return "he_normal";
  case K::HeUniform:
    return "he_uniform";
  case K::Orthogonal:
    return "orthogonal";
  }
  return "?";
}

std::string_view optimizerName(OptimizerKind K) {
  switch (K) {
  case OptimizerKind::SGD:
    return "sgd";
  case OptimizerKind::Momentum:
    return "momentum";
  case OptimizerKind::Nesterov:
    return "nesterov";
  case OptimizerKind::Adagrad:
    return "adagrad";
  case OptimizerKind::Adadelta:
    return "adadelta";
  case OptimizerKind::RMSprop:
    return "rmsprop";
  case OptimizerKind::Adam:
    return "adam";
  }
  return "?";
}

std::string Node::describe() const {
  return "node '" + Name + "' (" + std::string(opName()) + ")";
}

Graph Graph::clone(bool StoredData) const {
  Graph C;
  C.Name = Name;
  C.Description = Description;
  std::map<const Value *, Value *> VMap;
  for (const auto &V : Values) {
    Value *N = C.addValue(V->Name, V->Kind, V->Type);
    if (StoredData) {
      *N = *V;
    } else { // every field of Value but Data
      N->Id = V->Id;
      N->DeclaredDims = V->DeclaredDims;
      N->ShapeDeclared = V->ShapeDeclared;
      N->Init = V->Init;
      N->Trainable = V->Trainable;
    }
    N->Producer = nullptr;
    VMap[V.get()] = N;
  }
  auto Map = [&VMap](const std::vector<Value *> &Vs) {
    std::vector<Value *> Out;
    for (Value *V : Vs)
      Out.push_back(V ? VMap.at(V) : nullptr);
    return Out;
  };
  for (const auto &N : Nodes) {
    Node *M = C.addNode(N->Op, N->Name, Map(N->Inputs), Map(N->Outputs));
    M->Version = N->Version;
    M->Attrs = N->Attrs;
    for (size_t I = 0; I < N->Outputs.size(); ++I)
      if (N->Outputs[I] && N->Outputs[I]->Producer == N.get())
        M->Outputs[I]->Producer = M;
  }
  for (const EntryPoint &E : EntryPoints) {
    EntryPoint F{E.Name, Map(E.Inputs), Map(E.Outputs), {}, E.Training};
    for (const Update &U : E.Updates)
      F.Updates.push_back({VMap.at(U.Target), VMap.at(U.NewValue)});
    C.EntryPoints.push_back(std::move(F));
  }
  if (Training) {
    C.Training = Training;
    C.Training->Loss = Training->Loss ? VMap.at(Training->Loss) : nullptr;
  }
  return C;
}

Value *Graph::addValue(std::string Name, Role R, TensorType T) {
  auto V = std::make_unique<Value>();
  V->Id = int(Values.size());
  V->Name = std::move(Name);
  V->Kind = R;
  V->DeclaredDims = T.Dims;
  V->Type = std::move(T);
  Values.push_back(std::move(V));
  return Values.back().get();
}

Node *Graph::addNode(OpKind Op, std::string Name, std::vector<Value *> Inputs,
                     std::vector<Value *> Outputs) {
  auto N = std::make_unique<Node>();
  N->Id = int(Nodes.size());
  N->Name = std::move(Name);
  N->Op = Op;
  N->Inputs = std::move(Inputs);
  N->Outputs = std::move(Outputs);
  for (Value *Out : N->Outputs)
    if (Out && !Out->Producer)
      Out->Producer = N.get();
  Nodes.push_back(std::move(N));
  return Nodes.back().get();
}

Value *Graph::findValue(std::string_view Name) const {
  for (const auto &V : Values)
    if (V->Name == Name)
      return V.get();
  return nullptr;
}

const EntryPoint *Graph::findEntry(std::string_view Name) const {
  for (const EntryPoint &E : EntryPoints)
    if (E.Name == Name)
      return &E;
  return nullptr;
}

std::vector<Value *> Graph::valuesWithRole(Role R) const {
  std::vector<Value *> Out;
  for (const auto &V : Values)
    if (V->Kind == R)
      Out.push_back(V.get());
  return Out;
}

std::vector<const Node *>
Graph::nodesReaching(const std::vector<const Value *> &Wanted,
                     std::vector<const Value *> *Fed) const {
  std::set<const Node *> Needed;
  std::set<const Value *> Seen;
  std::vector<const Value *> Work(Wanted.begin(), Wanted.end());
  while (!Work.empty()) {
    const Value *V = Work.back();
    Work.pop_back();
    if (!Seen.insert(V).second)
      continue;
    if (Fed && (V->Kind == Role::Input || V->Kind == Role::Label))
      Fed->push_back(V);
    if (V->Producer && Needed.insert(V->Producer).second)
      for (const Value *In : V->Producer->Inputs)
        Work.push_back(In);
  }
  std::vector<const Node *> Out;
  for (const auto &N : Nodes)
    if (Needed.count(N.get()))
      Out.push_back(N.get());
  return Out;
}

Status Graph::sortTopologically() {
  // Kahn's algorithm, taking the lowest original position first so a file
  // that is already in order keeps its order.
  std::map<const Node *, size_t> Position;
  for (size_t I = 0; I < Nodes.size(); ++I)
    Position[Nodes[I].get()] = I;
  std::vector<int> Pending(Nodes.size(), 0);
  std::vector<std::vector<size_t>> Consumers(Nodes.size());
  for (size_t I = 0; I < Nodes.size(); ++I)
    for (const Value *In : Nodes[I]->Inputs)
      if (In && In->Producer) {
        ++Pending[I];
        Consumers[Position.at(In->Producer)].push_back(I);
      }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> Ready;
  for (size_t I = 0; I < Nodes.size(); ++I)
    if (Pending[I] == 0)
      Ready.push(I);
  std::vector<size_t> Order;
  while (!Ready.empty()) {
    size_t I = Ready.top();
    Ready.pop();
    Order.push_back(I);
    for (size_t C : Consumers[I])
      if (--Pending[C] == 0)
        Ready.push(C);
  }
  if (Order.size() != Nodes.size()) {
    // Walk back through unfinished producers from one stuck node until a node
    // repeats: that loop is the cycle to report.
    size_t Start = 0;
    while (Pending[Start] == 0)
      ++Start;
    std::vector<size_t> Path;
    std::vector<int> Seen(Nodes.size(), -1);
    size_t Cur = Start;
    while (Seen[Cur] < 0) {
      Seen[Cur] = int(Path.size());
      Path.push_back(Cur);
      for (const Value *In : Nodes[Cur]->Inputs)
        if (In && In->Producer && Pending[Position.at(In->Producer)] > 0) {
          Cur = Position.at(In->Producer);
          break;
        }
    }
    std::string Cycle;
    for (size_t I = size_t(Seen[Cur]); I < Path.size(); ++I)
      Cycle += "'" + Nodes[Path[I]]->Name + "' <- ";
    Cycle += "'" + Nodes[Cur]->Name + "'";
    return error("graph has a cycle: ", Cycle);
  }
  std::vector<std::unique_ptr<Node>> Sorted;
  Sorted.reserve(Nodes.size());
  for (size_t I : Order)
    Sorted.push_back(std::move(Nodes[I]));
  Nodes = std::move(Sorted);
  for (size_t I = 0; I < Nodes.size(); ++I)
    Nodes[I]->Id = int(I);
  return Status::success();
}

Status Graph::reorder(const std::vector<const Node *> &Order) {
  std::map<const Node *, size_t> Position;
  for (size_t I = 0; I < Order.size(); ++I)
    Position[Order[I]] = I;
  if (Order.size() != Nodes.size() || Position.size() != Nodes.size())
    return error("a new node order must hold each of the ", Nodes.size(),
                 " nodes once");
  for (const auto &N : Nodes) {
    auto It = Position.find(N.get());
    if (It == Position.end())
      return error("a new node order leaves out node '", N->Name, "'");
    for (const Value *In : N->Inputs)
      if (In && In->Producer && Position.at(In->Producer) > It->second)
        return error("a new node order puts '", N->Name, "' before '",
                     In->Producer->Name, "', which produces its input '",
                     In->Name, "'");
  }
  std::vector<std::unique_ptr<Node>> Sorted(Nodes.size());
  for (auto &N : Nodes) {
    size_t At = Position.at(N.get());
    Sorted[At] = std::move(N);
    Sorted[At]->Id = int(At);
  }
  Nodes = std::move(Sorted);
  return Status::success();
}

} // namespace nnc::ir
