//===- frontend/ModelIO.h - Loading and saving model files ------*- C++ -*-===//
//
// The one door between files and the IR. Every error message starts with the
// file's path.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::frontend {

/// The schema version this build reads and writes. From version 2 on, a
/// binary file ends with a checksum (frontend/Checksum.h).
constexpr uint32_t SchemaVersion = 2;
/// Files larger than this are refused before parsing.
constexpr size_t MaxModelBytes = size_t(1) << 31;

/// Loads a .nnc (binary) or .json model and verifies it (ir::verify).
Expected<ir::Graph> loadModel(const std::string &Path);

/// Verifies a binary model in memory. Name prefixes messages; WeightsDir is
/// where a weights_file is looked for.
Expected<ir::Graph> readBinaryModel(const std::vector<uint8_t> &Bytes,
                                    const std::string &Name,
                                    const std::string &WeightsDir);

/// FlatBuffers JSON <-> binary, through the schema compiled into nnc.
Expected<std::vector<uint8_t>> jsonToBinary(const std::string &Json,
                                            const std::string &Name);
Expected<std::string> binaryToJson(const std::vector<uint8_t> &Bytes,
                                   const std::string &Name);

struct SaveOptions {
  /// When set, tensor data goes to this side file (a path relative to the
  /// model's directory) instead of into the model.
  std::string WeightsFile;
};

/// Writes a graph as .nnc or .json (by extension), atomically.
Status saveModel(const ir::Graph &G, const std::string &Path,
                 const SaveOptions &Options = {});
/// The binary form of a graph; data for a side file goes to SideData.
std::vector<uint8_t> serializeModel(const ir::Graph &G,
                                    const SaveOptions &Options,
                                    std::vector<uint8_t> *SideData);

/// Converts between .json and .nnc, keeping the file's content as it is
/// (no defaults added) after checking that it is a valid model.
Status convertModel(const std::string &In, const std::string &Out);

} // namespace nnc::frontend
