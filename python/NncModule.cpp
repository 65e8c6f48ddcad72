//===- python/NncModule.cpp - nnc from Python (pybind11) ------------------===//
//
// The native half of the nnc package: models loaded and saved by the same
// code as the nnc tool, entry points compiled by the same engines, optimizer
// steps by the same StepSession as nnc step, and the CLI itself. Errors
// become nnc.Error carrying nnc's one-line message.
//
//===----------------------------------------------------------------------===//
#include "backend/Engine.h"
#include "frontend/ModelIO.h"
#include "frontend/onnx/Onnx.h"
#include "ir/Initializers.h"
#include "passes/AttachLoss.h"
#include "tools/Commands.h"
#include "tools/EngineArgs.h"
#include "tools/ModelSummary.h"
#include "tools/OptimizerArgs.h"
#include "tools/StepSession.h"

#include <cstdio>
#include <optional>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;
using namespace nnc;

namespace {

struct NncError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T> T take(Expected<T> E) {
  if (!E.ok())
    throw NncError(E.status().message());
  return std::move(*E);
}
void check(const Status &S) {
  if (!S.ok())
    throw NncError(S.message());
}

/// Input V as a C-contiguous array of its compiled type: Object itself
/// when it already is one (no copy), else a converted copy. Float inputs
/// must be float32 (a silent conversion from float64 would round); labels
/// may be of any integer type.
py::array compiledArray(const ir::Value &V, const py::handle &Object) {
  if (!py::isinstance<py::array>(Object))
    throw NncError("input '" + V.Name + "' must be a NumPy array, found " +
                   std::string(py::str(Object.get_type().attr("__name__"))));
  auto Given = py::reinterpret_borrow<py::array>(Object);
  char Kind = Given.dtype().kind();
  if (V.Type.Elt == ir::DType::I64) {
    if (Kind != 'i' && Kind != 'u')
      throw NncError("input '" + V.Name +
                     "' holds class labels and must be "
                     "an integer array, found " +
                     std::string(py::str(Given.dtype())));
    return py::array_t<int64_t, py::array::c_style |
                                    py::array::forcecast>::ensure(Object);
  }
  if (!Given.dtype().is(py::dtype::of<float>()))
    throw NncError("input '" + V.Name + "' must be float32, found " +
                   std::string(py::str(Given.dtype())) +
                   " (convert it with .astype(numpy.float32))");
  return py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(
      Object);
}

backend::TensorView toView(const ir::Value &V, const py::array &A) {
  backend::TensorView T;
  T.Elt = V.Type.Elt;
  T.Dims.assign(A.shape(), A.shape() + A.ndim());
  T.Data = A.data();
  return T;
}

backend::Tensor toTensor(const ir::Value &V, const py::handle &Object) {
  py::array A = compiledArray(V, Object);
  backend::Tensor T;
  T.Elt = V.Type.Elt;
  T.Dims.assign(A.shape(), A.shape() + A.ndim());
  if (T.Elt == ir::DType::I64)
    T.Data.assign(static_cast<const int64_t *>(A.data()),
                  static_cast<const int64_t *>(A.data()) + A.size());
  else
    T.Data.assign(static_cast<const float *>(A.data()),
                  static_cast<const float *>(A.data()) + A.size());
  return T;
}

py::array toArray(const backend::Tensor &T) {
  std::vector<py::ssize_t> Shape(T.Dims.begin(), T.Dims.end());
  if (T.Elt == ir::DType::I64) {
    py::array_t<int64_t> A(Shape);
    std::copy(T.Data.begin(), T.Data.end(), A.mutable_data());
    return A;
  }
  py::array_t<float> A(Shape);
  std::copy(T.Data.begin(), T.Data.end(), A.mutable_data());
  return A;
}

/// The input of entry E a keyword argument names.
const ir::Value &inputNamed(const ir::EntryPoint &E, const std::string &Name) {
  for (const ir::Value *In : E.Inputs)
    if (In->Name == Name)
      return *In;
  std::string Known;
  for (const ir::Value *In : E.Inputs)
    Known += (Known.empty() ? "" : ", ") + In->Name;
  throw NncError("entry point '" + E.Name + "' has no input '" + Name +
                 "' (its inputs: " + Known + ")");
}

/// Keyword arguments as the tensors of entry E's inputs.
backend::TensorMap feed(const ir::EntryPoint &E, const py::kwargs &Inputs) {
  backend::TensorMap Map;
  for (const auto &[Key, Value] : Inputs) {
    std::string Name = py::cast<std::string>(Key);
    Map[Name] = toTensor(inputNamed(E, Name), Value);
  }
  return Map;
}

py::dict arrays(const backend::TensorMap &Map) {
  py::dict D;
  for (const auto &[Name, T] : Map)
    D[py::str(Name)] = toArray(T);
  return D;
}

struct Model {
  std::shared_ptr<ir::Graph> G;
  std::string Path;
};

/// An entry point compiled by an engine; the engine keeps the graph.
struct Function {
  std::shared_ptr<ir::Graph> G;
  std::unique_ptr<backend::Engine> Engine;
  std::string Entry;
  /// Where the last call read each input from.
  std::map<std::string, uintptr_t> LastRead;

  /// Runs on the caller's arrays where they lie (a contiguous array of
  /// the compiled type is not copied), into NumPy arrays made for the
  /// outputs.
  py::dict call(const py::kwargs &Inputs) {
    const ir::EntryPoint *E = G->findEntry(Entry);
    std::vector<py::array> Held; // alive until the run ends
    backend::TensorViewMap Views;
    for (const auto &[Key, Value] : Inputs) {
      std::string Name = py::cast<std::string>(Key);
      const ir::Value &V = inputNamed(*E, Name);
      Held.push_back(compiledArray(V, Value));
      Views[Name] = toView(V, Held.back());
    }
    py::dict Out;
    auto Allocate = [&](const std::string &Name, ir::DType Elt,
                        const ir::Shape &Dims) -> void * {
      py::gil_scoped_acquire Locked;
      std::vector<py::ssize_t> Shape(Dims.begin(), Dims.end());
      py::array A = Elt == ir::DType::I64
                        ? py::array(py::array_t<int64_t>(Shape))
                        : py::array(py::array_t<float>(Shape));
      Out[py::str(Name)] = A;
      return A.mutable_data();
    };
    Expected<std::map<std::string, const void *>> Read =
        std::map<std::string, const void *>{};
    {
      py::gil_scoped_release Unlocked;
      Read = Engine->runInPlace(Entry, Views, Allocate);
    }
    LastRead.clear();
    for (const auto &[Name, Address] : take(std::move(Read)))
      LastRead[Name] = reinterpret_cast<uintptr_t>(Address);
    return Out;
  }
};

struct Trainer {
  std::unique_ptr<tools::StepSession> Session;
  std::shared_ptr<ir::Graph> Base; // the model trained, for save()
  /// The model with the trained parameters and the optimizer's state.
  void save(const std::string &Path) {
    ir::Graph C =
        tools::withTrainedValues(*Base, Session->graph(), Session->engine());
    check(frontend::saveModel(C, Path));
  }
  double step(const py::kwargs &Inputs) {
    const ir::EntryPoint *E = Session->graph().findEntry("train_step");
    backend::TensorMap In = feed(*E, Inputs);
    backend::TensorMap Out;
    {
      py::gil_scoped_release Unlocked;
      Out = take(Session->step(std::move(In)));
    }
    return Out.at(Session->trainStep().Loss->Name).Data[0];
  }
};

backend::EngineOptions engine(const std::string &Kind, int64_t Threads,
                              bool Fuse) {
  backend::EngineOptions O;
  O.Kind = take(backend::parseEngineKind(Kind));
  O.Threads = Threads;
  O.setFuse(Fuse);
  O.CacheDir = backend::defaultCompileCacheDir();
  return O;
}

/// Entry E of model X, compiled for every batch size it is called with;
/// with Batch, for that one now (so that the first call does not wait and
/// a model that cannot run at it fails here).
std::unique_ptr<Function> compileEntry(const Model &X, const std::string &Entry,
                                       const std::string &Kind, int64_t Threads,
                                       bool Fuse,
                                       std::optional<int64_t> Batch) {
  const ir::EntryPoint *E = X.G->findEntry(Entry);
  if (!E)
    throw NncError("no entry point '" + Entry + "'");
  auto F = std::make_unique<Function>();
  F->G = X.G;
  F->Entry = Entry;
  F->Engine = take(backend::createEngine(*X.G, engine(Kind, Threads, Fuse)));
  if (Batch) {
    if (*Batch < 1)
      throw NncError("batch must be at least 1, found " +
                     std::to_string(*Batch));
    backend::TensorMap Zeros;
    for (const ir::Value *V : E->Inputs) {
      ir::Shape Dims = V->DeclaredDims;
      for (int64_t &D : Dims)
        D = D == -1 ? *Batch : D;
      Zeros[V->Name] = backend::Tensor(V->Type.Elt, Dims);
    }
    py::gil_scoped_release Unlocked;
    take(F->Engine->prepare(Entry, Zeros));
  }
  return F;
}

/// Model's train step for an optimizer named as torch.optim names it.
std::unique_ptr<Trainer>
makeTrainer(const Model &X, std::string Loss, const std::string &Optimizer,
            const std::string &Hparams, bool BatchStatistics,
            const std::string &Kind, int64_t Threads,
            const std::string &AttachLoss, const std::string &Output) {
  ir::OptimizerConfig OC;
  check(tools::setOptimizer(Optimizer, OC));
  check(tools::applyHparams(Hparams, OC));
  ir::Graph G = X.G->clone();
  if (!AttachLoss.empty()) { // as nnc train --loss KIND does
    check(
        passes::attachLoss(G, take(passes::parseLoss(AttachLoss)), Output, OC));
    Loss = G.Training->Loss->Name;
  }
  if (Loss.empty() && G.Training)
    Loss = G.Training->Loss->Name;
  if (Loss.empty())
    throw NncError("the model has no training table: name its "
                   "loss, trainer(loss=NAME), or attach one, "
                   "trainer(attach_loss=\"softmax-ce\")");
  auto T = std::make_unique<Trainer>();
  T->Base = X.G;
  T->Session = take(tools::StepSession::create(
      std::move(G), Loss, OC, BatchStatistics, engine(Kind, Threads, true)));
  return T;
}

/// nnc info's text of a model.
std::string summary(const Model &X) {
  char *Text = nullptr;
  size_t Size = 0;
  std::FILE *To = open_memstream(&Text, &Size);
  if (!To)
    throw NncError("summary: out of memory");
  tools::printModelSummary(*X.G, X.Path, To);
  std::fclose(To);
  std::string S(Text, Size);
  std::free(Text);
  return S;
}

/// The nnc command line with Args (after "nnc").
int runMain(std::vector<std::string> Args) {
  Args.insert(Args.begin(), "nnc");
  std::vector<char *> Argv;
  for (std::string &A : Args)
    Argv.push_back(A.data());
  Argv.push_back(nullptr);
  py::gil_scoped_release Unlocked;
  int Rc = tools::runCli(int(Args.size()), Argv.data());
  std::fflush(stdout);
  return Rc;
}

} // namespace

PYBIND11_MODULE(_nnc, M) {
  M.doc() = "nnc: a static compiler for neural networks (native part)";
  py::register_exception<NncError>(M, "Error", PyExc_RuntimeError);

  py::class_<Model>(M, "Model")
      .def_property_readonly("name", [](const Model &X) { return X.G->Name; })
      .def_property_readonly("path", [](const Model &X) { return X.Path; })
      .def_property_readonly("entry_points",
                             [](const Model &X) {
                               std::vector<std::string> Names;
                               for (const ir::EntryPoint &E : X.G->EntryPoints)
                                 Names.push_back(E.Name);
                               return Names;
                             })
      .def("save",
           [](const Model &X, const std::string &Path) {
             check(frontend::saveModel(*X.G, Path));
           })
      .def("summary", &summary)
      .def("compile", &compileEntry, py::arg("entry") = "infer",
           py::arg("engine") = "jit", py::arg("threads") = 0,
           py::arg("fuse") = true, py::arg("batch") = py::none())
      .def("_trainer", &makeTrainer, py::arg("loss") = "",
           py::arg("optimizer") = "sgd", py::arg("hparams") = "{}",
           py::arg("batch_statistics") = true, py::arg("engine") = "jit",
           py::arg("threads") = 0, py::arg("attach_loss") = "",
           py::arg("output") = "");

  py::class_<Function>(M, "Function")
      .def_readonly("entry", &Function::Entry)
      .def("__call__", &Function::call)
      .def_readonly("_last_read", &Function::LastRead,
                    "where the last call read each input: the caller's "
                    "array itself when it was used without a copy");

  py::class_<Trainer>(M, "Trainer")
      .def("step", &Trainer::step)
      .def("save", &Trainer::save, py::arg("path"))
      .def_property_readonly(
          "steps", [](const Trainer &T) { return T.Session->steps(); })
      .def("parameters",
           [](Trainer &T) { return arrays(T.Session->parameters()); });

  M.def(
      "load",
      [](const std::string &Path) {
        return Model{
            std::make_shared<ir::Graph>(take(frontend::loadModel(Path))), Path};
      },
      py::arg("path"));
  M.def(
      "_load_onnx",
      [](py::bytes Bytes, const std::string &Name) {
        std::string Raw = Bytes;
        std::vector<uint8_t> Data(Raw.begin(), Raw.end());
        return Model{
            std::make_shared<ir::Graph>(take(frontend::importOnnx(Data, Name))),
            Name};
      },
      py::arg("data"), py::arg("name"));
  M.def("main", &runMain, py::arg("args"));
}
