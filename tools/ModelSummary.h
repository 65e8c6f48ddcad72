//===- tools/ModelSummary.h - What nnc info prints of a model -*- C++ -*-===//
//
// A Keras-style summary: one row per layer (node) of an entry point with its
// output shape, parameters and FLOPs, and totals; the optimizer with every
// hyper-parameter as it resolves; a checkpoint's state grouped by what it
// is.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <cstdio>

namespace nnc::tools {

/// What nnc info prints of G (read from Path), written to To.
void printModelSummary(const ir::Graph &G, const std::string &Path,
                       std::FILE *To);

/// 61706 -> "61,706"
std::string grouped(int64_t N);

/// The layers of E, in the order they run, at G's bound shapes.
void printLayers(const ir::Graph &G, const ir::EntryPoint &E, std::FILE *To);

/// "training: loss L, optimizer sgd lr=0.05 momentum=0.9 ...", with every
/// hyper-parameter the optimizer has, as PyTorch's defaults resolve them.
void printTraining(const ir::TrainingConfig &T, std::FILE *To);

/// Stored state that is not a parameter, grouped: BatchNorm running
/// statistics, each optimizer slot, other state; a checkpoint's step.
void printState(const ir::Graph &G, std::FILE *To);

} // namespace nnc::tools
