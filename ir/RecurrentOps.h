//===- ir/RecurrentOps.h - Rnn, Gru and Lstm nodes' attributes --*- C++ -*-===//
//
// A recurrent node's attributes resolved once (activation names to codes,
// default alphas and betas, the direction), for shape inference, the
// interpreter and the kernels' parameters alike.
//
// Operands, in this order (ONNX's, but with sequence_lens last, so that
// the usual ones come first and the rest can be left out): x, w, r, b,
// initial_h, [initial_c, p,] sequence_lens; initial_c and p are LSTM's.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"
#include "ir/Recurrence.h"

#include <optional>
#include <string_view>

namespace nnc::ir {

/// Operand positions of node N's op (Rnn, Gru or Lstm).
struct RecurrentOperands {
  size_t X = 0, W = 1, R = 2, B = 3;
  std::optional<size_t> Peepholes, InitialH, InitialC, Lengths;
};
RecurrentOperands recurrentOperands(const Node &N);

/// Operand positions of a gradient node (RnnGrad, GruGrad, LstmGrad) past
/// x, w, r and saved (3): those its attributes say it has.
struct RecurrentGradOperands {
  std::optional<size_t> Dy[3]; // of y, y_h, y_c
  std::optional<size_t> Peepholes, Lengths;
};
RecurrentGradOperands recurrentGradOperands(const Node &N);

/// Whether K is Rnn, Gru or Lstm; or one of their gradients.
bool isRecurrent(OpKind K);
bool isRecurrentGrad(OpKind K);
/// The cell of a recurrent op or of its gradient.
recurrent::Cell cellOf(OpKind K);
OpKind recurrentGradOf(OpKind K);
/// Outputs of a recurrent op, not counting what it saves for backward.
size_t recurrentOutputs(OpKind K);

/// An activation's code, by ONNX's name in any case.
std::optional<recurrent::Activation> findActivation(std::string_view Name);

/// N's attributes and sizes (N: a recurrent op or its gradient) as the kernels
/// take them (sizes from x and hidden_size); fails naming the attribute that is
/// wrong.
Expected<std::pair<recurrent::Params, recurrent::Reals>>
recurrentParams(const Node &N);

} // namespace nnc::ir
