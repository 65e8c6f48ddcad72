//===- backend/llvm/AotDispatch.h - One AOT object, several CPUs -*- C++
//-*-===//
//
// An AOT object holds one variant of every entry point per target CPU, each
// compiled for that CPU's instruction sets, and exports one function per
// entry that runs the first variant this CPU supports. The choice is made
// once, by CPUID (backend/kernels/CpuFeatures.cpp); a CPU that supports no
// variant gets NNC_ERR_CPU from every entry instead of an illegal
// instruction. Variants come in the order they are preferred: the one that
// needs the most features first.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class FunctionType;
class Module;
class TargetMachine;
} // namespace llvm

namespace nnc::backend {

struct AotVariant {
  std::string Cpu;   // as LLVM names it: x86-64-v3, znver4, ...
  uint64_t Features; // the CpuFeatures.def rows it needs, as a mask
  std::unique_ptr<llvm::TargetMachine> Machine;
};

/// The variants for a comma-separated list of target CPUs ("" or "host":
/// this machine), most demanding first. Two CPUs that need the same
/// features, or one named twice, are an error: one variant would never run.
Expected<std::vector<AotVariant>> aotVariants(const std::string &CpuList);

/// The name of an entry's variant for Cpu, beside the exported Name.
std::string variantName(const std::string &Name, const std::string &Cpu);

/// Adds to M the exported functions Entries name (each of the given type),
/// which call the chosen variant's function (variantName), and
/// <Prefix>_target_cpu, which returns the chosen CPU's name or null.
void emitDispatch(
    llvm::Module &M, const std::string &Prefix,
    const std::vector<std::pair<std::string, llvm::FunctionType *>> &Entries,
    const std::vector<AotVariant> &Variants);

/// The features of Mask, by LLVM name, space-separated.
std::string featureNames(uint64_t Mask);

} // namespace nnc::backend
