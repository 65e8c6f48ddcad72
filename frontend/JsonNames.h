//===- frontend/JsonNames.h - Tensors referred to by name in JSON -*- C++
//-*-===//
//
// The format joins nodes, entry points and the training loss to tensors by
// index, which is what a program writes; a person writes names. A JSON
// model may use either: a string where the schema has a tensor index
// (nodes' and entry points' inputs and outputs, training.loss) is the name
// of one of the model's tensors, replaced by its index before the schema
// parser reads the text. nnc convert then writes indices.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Status.h"

#include <string>

namespace nnc::frontend {

/// Json with every tensor name in an index field replaced by that tensor's
/// index. Name prefixes errors ("model.json:12:20: ..."). Text that is not
/// well-formed JSON is returned as it is, for the schema parser to report.
Expected<std::string> resolveTensorNames(const std::string &Json,
                                         const std::string &Name);

} // namespace nnc::frontend
