//===- tools/EngineArgs.h - Options choosing what runs a model --*- C++ -*-===//
#pragma once

#include "backend/Engine.h"
#include "tools/Args.h"

namespace nnc::tools {

/// The engine options a command takes: a command declares only those it
/// uses, so any other is an unknown option (exit 2), not silently ignored.
enum EngineOptionGroup : unsigned {
  ChooseEngine = 1,   // --engine
  CompiledCode = 2,   // --threads, --target-cpu, --cache-dir, --no-cache,
                      // --max-memory
  NoFuse = 4,         // --no-fuse
  FuseList = 8,       // --fuse LIST
  CheckNumerics = 16, // --check-numerics
  VerboseOutput = 32, // -v
  AllEngineOptions = 63,
};

/// Options plus the engine options of the groups given.
std::vector<OptionSpec> withEngineOptions(std::vector<OptionSpec> Options,
                                          unsigned Groups = AllEngineOptions);

/// The engine options given. Options for compiled code with --engine
/// interp are usage errors, and so is a list of target CPUs unless
/// CpuListAllowed (an AOT object holds a variant per CPU; code compiled to
/// run here needs one).
Expected<backend::EngineOptions> engineOptions(const Args &A,
                                               bool CpuListAllowed = false);

/// "8G", "512M", "64K", "1T" or a byte count.
Expected<uint64_t> parseByteSize(const std::string &Text);

/// The engine the command line asks for, running G.
Expected<std::unique_ptr<backend::Engine>> createEngine(const Args &A,
                                                        ir::Graph &G);

} // namespace nnc::tools
