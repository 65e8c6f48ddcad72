#include "backend/Feed.h"

namespace nnc::backend {

using namespace nnc::ir;

std::vector<int64_t> stridesOf(const Shape &Dims) {
  std::vector<int64_t> S(Dims.size(), 1);
  for (int64_t I = int64_t(Dims.size()) - 2; I >= 0; --I)
    S[size_t(I)] = S[size_t(I) + 1] * Dims[size_t(I) + 1];
  return S;
}

FeedShapes feedShapes(const TensorMap &Inputs) {
  FeedShapes S;
  for (const auto &[Name, T] : Inputs)
    S[Name] = T.Dims;
  return S;
}

FeedShapes feedShapes(const TensorViewMap &Inputs) {
  FeedShapes S;
  for (const auto &[Name, T] : Inputs)
    S[Name] = T.Dims;
  return S;
}

Expected<const EntryPoint *> findEntry(const Graph &G, const std::string &Entry,
                                       const FeedShapes &Inputs) {
  const EntryPoint *E = G.findEntry(Entry);
  if (!E) {
    std::string Known;
    for (const EntryPoint &X : G.EntryPoints)
      Known += (Known.empty() ? "" : ", ") + X.Name;
    return error("no entry point '", Entry, "' (the model has: ", Known, ")");
  }
  for (const auto &[Name, T] : Inputs) {
    bool Taken = false;
    for (const Value *V : E->Inputs)
      Taken |= V->Name == Name;
    if (!Taken)
      return error("entry point '", Entry, "' has no input '", Name, "'");
  }
  return E;
}

Expected<int64_t> feedBatch(const FeedShapes &Inputs,
                            const std::vector<const Value *> &Fed) {
  int64_t Batch = -1;
  const Value *BatchFrom = nullptr;
  for (const Value *V : Fed) {
    auto It = Inputs.find(V->Name);
    if (It == Inputs.end())
      return error("missing input '", V->Name, "' (", dtypeName(V->Type.Elt),
                   shapeString(V->DeclaredDims), ")");
    const Shape &Given = It->second;
    if (Given.size() != V->DeclaredDims.size())
      return error("input '", V->Name, "' has shape ", shapeString(Given),
                   ", expected ", shapeString(V->DeclaredDims));
    if (!V->DeclaredDims.empty() && V->DeclaredDims[0] == -1 &&
        !Given.empty()) {
      if (Batch >= 0 && Given[0] != Batch)
        return error("input '", V->Name, "' has batch size ", Given[0],
                     " but input '", BatchFrom->Name, "' has ", Batch);
      Batch = Given[0];
      BatchFrom = V;
    }
  }
  return Batch < 0 ? 1 : Batch;
}

Status checkFeedShapes(const FeedShapes &Inputs,
                       const std::vector<const Value *> &Fed) {
  for (const Value *V : Fed) {
    const Shape &Given = Inputs.at(V->Name);
    if (Given != V->Type.Dims)
      return error("input '", V->Name, "' has shape ", shapeString(Given),
                   ", expected ", shapeString(V->Type.Dims));
  }
  return Status::success();
}

Status checkFeedShapes(const TensorMap &Inputs,
                       const std::vector<const Value *> &Fed) {
  NNC_TRY(checkFeedShapes(feedShapes(Inputs), Fed));
  for (const Value *V : Fed) {
    const Tensor &T = Inputs.at(V->Name);
    if (size_t(numElements(T.Dims)) != T.Data.size())
      return error("input '", V->Name, "' has ", T.Data.size(),
                   " values for shape ", shapeString(T.Dims));
  }
  return Status::success();
}

} // namespace nnc::backend
