//===- passes/StepObserver.h - Watching a pipeline's steps ------*- C++ -*-===//
//
// A pipeline calls its observer after each named step with what that step
// left, so that a tool can print it (nnc dump --print-after), verify it or
// time the steps without the pipeline knowing which.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <functional>
#include <iosfwd>
#include <string_view>

namespace nnc::passes {

struct KernelProgram;

/// What a step left. Graph steps fill Graph; an entry's steps also name
/// the Entry and, from fusion to the memory plan, its Kernels; the code
/// steps (codegen on) fill Code, which writes the code as text only when
/// an observer asks.
struct StepResult {
  const ir::Graph &Graph;
  const ir::EntryPoint *Entry = nullptr;
  const KernelProgram *Kernels = nullptr;
  std::function<void(std::ostream &)> Code;
};

class StepObserver {
public:
  virtual ~StepObserver() = default;
  /// Before the pipeline's first step.
  virtual void started() {}
  /// After step Step; an error stops the pipeline with it.
  virtual Status after(std::string_view Step, const StepResult &R) = 0;
  /// Whether the steps asked for have run: a pipeline may then end early
  /// with what it has.
  virtual bool stopped() const { return false; }
};

/// Whether Obs wants no more steps.
inline bool stopped(const StepObserver *Obs) { return Obs && Obs->stopped(); }

/// Obs->after(Step, R), or nothing without an observer.
inline Status observe(StepObserver *Obs, std::string_view Step,
                      const StepResult &R) {
  return Obs ? Obs->after(Step, R) : Status::success();
}
inline Status observe(StepObserver *Obs, std::string_view Step,
                      const ir::Graph &G) {
  return observe(Obs, Step, StepResult{G});
}

} // namespace nnc::passes
