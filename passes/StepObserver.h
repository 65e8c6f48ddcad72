//===- passes/StepObserver.h - Watching a pipeline's steps ------*- C++ -*-===//
//
// A pipeline calls its observer after each named step with the graph as
// that step left it, so that a tool can print it (nnc dump --print-after),
// verify it or time the steps without the pipeline knowing which.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <string_view>

namespace nnc::passes {

class StepObserver {
public:
  virtual ~StepObserver() = default;
  /// Before the pipeline's first step.
  virtual void started() {}
  /// After step Step; an error stops the pipeline with it.
  virtual Status after(std::string_view Step, const ir::Graph &G) = 0;
};

/// Obs->after(Step, G), or nothing without an observer.
inline Status observe(StepObserver *Obs, std::string_view Step,
                      const ir::Graph &G) {
  return Obs ? Obs->after(Step, G) : Status::success();
}

} // namespace nnc::passes
