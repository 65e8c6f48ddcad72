//===- backend/interp/Tensor.h - Host tensors of the interpreter -*- C++
//-*-===//
//
// The interpreter computes on the engines' host tensors (backend/Tensor.h).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/Tensor.h"

namespace nnc::interp {

using backend::stridesOf;
using backend::Tensor;

} // namespace nnc::interp
