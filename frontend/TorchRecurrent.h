//===- frontend/TorchRecurrent.h - nn.LSTM-style layers in model files -*- C++
//-*-===//
//
// A model file's Rnn, Gru or Lstm node that sets one of PyTorch's module
// options (num_layers, bidirectional, batch_first, bias, dropout,
// nonlinearity) is read as PyTorch's nn.RNN / nn.GRU / nn.LSTM: operands x,
// then each layer's w, r[, b], then h_0[, c_0] [layers x directions, batch,
// hidden] and sequence_lens; outputs y [steps, batch, directions x hidden]
// (batch first with batch_first), h_n[, c_n] [layers x directions, batch,
// hidden]. It becomes one ONNX-form op per layer and the reshapes between.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

namespace nnc::frontend {

/// Whether the attributes of a recurrent node (Rnn, Gru, Lstm) name any of
/// PyTorch's module options.
bool isTorchRecurrent(const ir::Attributes &A);

/// Adds to G the ops that compute Outs from Ins as PyTorch's module does;
/// Where names the node in errors.
Status addTorchRecurrent(ir::Graph &G, ir::OpKind K, const std::string &Name,
                         const std::vector<ir::Value *> &Ins,
                         const std::vector<ir::Value *> &Outs,
                         const ir::Attributes &A);

} // namespace nnc::frontend
