#include "tools/DataFeed.h"

#include "ir/Initializers.h"

#include <algorithm>

namespace nnc::tools {

using namespace nnc::ir;
using backend::Tensor;

namespace {

Shape exampleDims(const Value *V) {
  return Shape(V->DeclaredDims.begin() + 1, V->DeclaredDims.end());
}

} // namespace

Expected<DataBinding> bindData(const Graph &G, const Value *Loss,
                               const runtime::Dataset *D) {
  DataBinding B;
  std::vector<const Value *> Fed;
  G.nodesReaching({Loss}, &Fed);
  for (const Value *V : Fed) {
    const Value *&Slot = V->Kind == Role::Label ? B.Target : B.Features;
    if (Slot)
      return error("minibatches feed models with one input and one label; "
                   "the loss needs '",
                   Slot->Name, "' and '", V->Name, "'");
    if (V->DeclaredDims.empty() || V->DeclaredDims[0] != -1)
      return error("tensor '", V->Name,
                   "' needs a batch dimension (-1) to be fed minibatches");
    Slot = V;
  }
  if (!B.Features || !B.Target)
    return error("the loss must depend on one input and one label");
  if (!D)
    return B;
  int64_t Want = numElements(exampleDims(B.Features));
  if (D->exampleSize() != Want)
    return error("the data has examples of ", D->exampleSize(),
                 " values, input '", B.Features->Name, "' ",
                 shapeString(B.Features->DeclaredDims), " takes ", Want);
  if (numElements(exampleDims(B.Target)) != 1)
    return error("label '", B.Target->Name, "' ",
                 shapeString(B.Target->DeclaredDims),
                 " must hold one value per example");
  if (isInteger(B.Target->Type.Elt) && D->NumClasses == 0)
    return error("label '", B.Target->Name,
                 "' takes class indices, but the data's targets are not "
                 "non-negative integers");
  return B;
}

void feedBatch(const DataBinding &B, const runtime::Dataset &D,
               const std::vector<int64_t> &Order, int64_t Begin, int64_t Count,
               const runtime::Augmentation &Aug, uint64_t AugSeed,
               backend::TensorMap &Feed) {
  std::vector<double> X, Y;
  runtime::fillBatch(D, Order, Begin, Count, Aug, AugSeed, X, Y);
  Shape XDims = exampleDims(B.Features), YDims = exampleDims(B.Target);
  XDims.insert(XDims.begin(), Count);
  YDims.insert(YDims.begin(), Count);
  Feed[B.Features->Name] = Tensor(B.Features->Type.Elt, XDims, std::move(X));
  Feed[B.Target->Name] = Tensor(B.Target->Type.Elt, YDims, std::move(Y));
}

int64_t evalBatchSize(int64_t Count, int64_t Batch) {
  // A batch in [Batch / 2, Batch] that divides the set, if there is one:
  // no smaller last batch, so the JIT compiles one batch size, not two.
  for (int64_t B2 = Batch; B2 >= (Batch + 1) / 2 && B2 > 0; --B2)
    if (Count % B2 == 0)
      return B2;
  return Batch;
}

Status compileEvaluation(const Graph &G, backend::Engine &I, int64_t Count,
                         int64_t Batch) {
  if (!G.Training || !G.Training->Loss)
    return error("the model has no training table naming its loss");
  const Value *Loss = G.Training->Loss;
  Expected<DataBinding> B = bindData(G, Loss);
  if (!B.ok())
    return B.status();
  Batch = std::min(evalBatchSize(Count, Batch), Count);
  if (Batch < 1)
    return Status::success();
  // One batch of zeros (class 0 for every label) through what evaluate()
  // runs: the same entry at the same batch size, so it is compiled.
  backend::TensorMap Feed;
  for (const Value *V : {B->Features, B->Target}) {
    Shape Dims = exampleDims(V);
    Dims.insert(Dims.begin(), Batch);
    Feed[V->Name] = Tensor(V->Type.Elt, Dims);
  }
  Expected<backend::TensorMap> Out =
      I.evaluate({Loss, Loss->Producer->Inputs[0]}, Feed);
  return Out.status();
}

Expected<EvalResult> evaluate(const Graph &G, backend::Engine &I,
                              const runtime::Dataset &D, int64_t Batch) {
  if (!G.Training || !G.Training->Loss)
    return error("the model has no training table naming its loss");
  const Value *Loss = G.Training->Loss;
  Expected<DataBinding> B = bindData(G, Loss, &D);
  if (!B.ok())
    return B.status();
  const Node *LossNode = Loss->Producer;
  const Value *Pred = LossNode->Inputs[0];
  OpKind LossOp = LossNode->Op;
  // Class scores (logits or log-probabilities): the prediction is the argmax.
  bool Softmax =
      LossOp == OpKind::SoftmaxCrossEntropy || LossOp == OpKind::NllLoss;
  EvalResult R;
  R.HasAccuracy = LossOp != OpKind::MseLoss;
  R.Classes = Softmax ? Pred->Type.Dims[1] : 2;
  R.Confusion.assign(size_t(R.Classes * R.Classes), 0);
  Batch = evalBatchSize(D.Count, Batch);
  std::vector<int64_t> Order = runtime::epochOrder(D.Count, 0, 0, false);
  for (int64_t Begin = 0; Begin < D.Count; Begin += Batch) {
    int64_t Count = std::min(Batch, D.Count - Begin);
    backend::TensorMap Feed;
    feedBatch(*B, D, Order, Begin, Count, {}, 0, Feed);
    Expected<backend::TensorMap> Out = I.evaluate({Loss, Pred}, Feed);
    if (!Out.ok())
      return Out.status();
    R.Loss += Out->at(Loss->Name).Data[0] * double(Count);
    R.Count += Count;
    if (!R.HasAccuracy)
      continue;
    const Tensor &P = Out->at(Pred->Name);
    const Tensor &Y = Feed.at(B->Target->Name);
    int64_t Width = P.numElements() / Count;
    // BceLoss reads probabilities, BceWithLogitsLoss logits.
    double Threshold = LossOp == OpKind::BceLoss ? 0.5 : 0.0;
    for (int64_t Row = 0; Row < Count; ++Row) {
      const double *Z = P.Data.data() + Row * Width;
      double Label = Y.Data[size_t(Row)];
      int64_t Guess = Softmax ? std::max_element(Z, Z + Width) - Z
                              : int64_t(Z[0] > Threshold);
      int64_t Truth = Softmax ? int64_t(Label) : int64_t(Label > 0.5);
      if (Truth < 0 || Truth >= R.Classes)
        return error("label ", Label, " is outside [0, ", R.Classes, ")");
      R.Correct += Guess == Truth;
      R.Predictions.push_back(Guess);
      ++R.Confusion[size_t(Truth * R.Classes + Guess)];
    }
  }
  R.Loss /= double(R.Count);
  return R;
}

Status loadData(const std::string &Spec, runtime::Dataset &Train,
                runtime::Dataset &Test, int64_t LimitTrain, int64_t LimitTest) {
  size_t Colon = Spec.find(':');
  std::string Kind = Spec.substr(0, Colon);
  std::string Arg = Colon == std::string::npos ? "" : Spec.substr(Colon + 1);
  std::string Err;
  Train = runtime::Dataset();
  Test = runtime::Dataset();
  if (Kind == "fashion-mnist" || Kind == "mnist" || Kind == "idx") {
    std::string Dir = Arg;
    if (Dir.empty() && Kind == "fashion-mnist")
      Dir = "/usr/share/datasets/fashion-mnist";
    if (Dir.empty())
      return usageError("--data ", Kind, ":DIR needs a directory");
    if (!runtime::loadIdxDataset(Dir, true, Train, Err) ||
        !runtime::loadIdxDataset(Dir, false, Test, Err))
      return error(Err, Kind == "fashion-mnist" && Arg.empty()
                            ? " (install Debian's dataset-fashion-mnist, or "
                              "pass --data fashion-mnist:DIR)"
                            : "");
    if (Kind == "fashion-mnist") // the data set's own labels, in order
      Train.ClassNames = Test.ClassNames = {
          "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  } else if (Kind == "csv") {
    std::string TrainPath = Arg.substr(0, Arg.find(','));
    if (TrainPath.empty())
      return usageError("--data csv:TRAIN[,TEST] needs a file");
    if (!runtime::loadCsv(TrainPath, Train, Err))
      return Status::failure(Err);
    if (size_t Comma = Arg.find(',');
        Comma != std::string::npos &&
        !runtime::loadCsv(Arg.substr(Comma + 1), Test, Err))
      return Status::failure(Err);
  } else {
    return usageError(
        "unknown --data '", Spec,
        "' (fashion-mnist[:DIR], mnist:DIR, idx:DIR, csv:TRAIN[,TEST])");
  }
  Train.truncate(LimitTrain);
  Test.truncate(LimitTest);
  return Status::success();
}

backend::TensorMap randomInputs(const EntryPoint &E, int64_t Batch) {
  backend::TensorMap In;
  SplitMix64 Rng(1);
  for (const Value *V : E.Inputs) {
    Shape Dims = V->DeclaredDims;
    if (!Dims.empty() && Dims[0] == -1)
      Dims[0] = Batch;
    Tensor T(V->Type.Elt, Dims);
    for (double &X : T.Data)
      X = isInteger(V->Type.Elt) ? double(Rng.next() % 2) : Rng.uniform();
    In[V->Name] = std::move(T);
  }
  if (In.count("train.lr")) {
    In["train.lr"].Data = {1e-3};
    In["train.weight_decay"].Data = {0};
    In["train.step"].Data = {1};
  }
  return In;
}

} // namespace nnc::tools
