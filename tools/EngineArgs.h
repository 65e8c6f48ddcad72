//===- tools/EngineArgs.h - Options choosing what runs a model --*- C++ -*-===//
#pragma once

#include "backend/Engine.h"
#include "tools/Args.h"

namespace nnc::tools {

/// Options plus --engine, --threads, --target-cpu, --no-fuse, --fuse,
/// --cache-dir, --no-cache, --max-memory and -v.
std::vector<OptionSpec> withEngineOptions(std::vector<OptionSpec> Options);

Expected<backend::EngineOptions> engineOptions(const Args &A);

/// "8G", "512M", "64K", "1T" or a byte count.
Expected<uint64_t> parseByteSize(const std::string &Text);

/// The engine the command line asks for, running G.
Expected<std::unique_ptr<backend::Engine>> createEngine(const Args &A,
                                                        ir::Graph &G);

} // namespace nnc::tools
