//===- tools/TensorFiles.h - Tensors in and out of files --------*- C++ -*-===//
//
// nnc run reads inputs as .npy, ONNX TensorProto (.pb), IDX (MNIST-style,
// gzipped or not) or raw little-endian data of the tensor's dtype, and writes
// outputs as raw (.bin) or .npy.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "backend/interp/Tensor.h"
#include "ir/Graph.h"

#include <optional>

namespace nnc::tools {

/// Reads a file meant for tensor Target. The batch size comes from the file;
/// Limit keeps only the first examples. Unsigned-byte IDX data feeding a
/// floating-point tensor is scaled to [0, 1], as torchvision's ToTensor does.
Expected<backend::Tensor> readTensorFile(const std::string &Path,
                                         const ir::Value &Target,
                                         std::optional<int64_t> Limit);

/// Says on stderr, as a warning, that input Name read from File holds NaN
/// or infinity (the first and how many), if it does: such data would
/// otherwise vanish silently through ReLU or max-pooling.
void warnIfNonFinite(const std::string &File, const std::string &Name,
                     const backend::Tensor &T);

/// Writes raw little-endian data of the tensor's dtype, or .npy.
Status writeTensorFile(const std::string &Path, const backend::Tensor &T,
                       bool Npy);

/// Parses a .npy file's bytes.
Expected<backend::Tensor> parseNpy(const std::vector<uint8_t> &Bytes,
                                   const std::string &Name);

} // namespace nnc::tools
