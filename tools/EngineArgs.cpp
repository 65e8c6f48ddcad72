#include "tools/EngineArgs.h"

namespace nnc::tools {

std::vector<OptionSpec> withEngineOptions(std::vector<OptionSpec> Options,
                                          unsigned Groups) {
  auto Add = [&](unsigned Group, OptionSpec O) {
    if (Groups & Group)
      Options.push_back(std::move(O));
  };
  Add(ChooseEngine, {"--engine", "NAME",
                     "jit (default: compiled with LLVM) or interp (the "
                     "reference interpreter)"});
  Add(CompiledCode,
      {"--threads", "N",
       "threads for compiled kernels (default: the CPUs this process may "
       "use, after its affinity mask and cgroup CPU quota)"});
  Add(CompiledCode, {"--target-cpu", "CPU",
                     "compile for this CPU instead of the host (x86-64-v3, "
                     "znver4, ...); with compile --aot a list, "
                     "x86-64-v3,x86-64-v4: one object that runs the best "
                     "variant the CPU it runs on supports"});
  Add(NoFuse, {"--no-fuse", "", "fuse nothing (compare with --fuse)"});
  Add(FuseList, {"--fuse", "LIST",
                 "only these fusions: conv-bn, conv-act, elementwise "
                 "(default: all)"});
  Add(CompiledCode, {"--cache-dir", "DIR",
                     "keep compiled machine code here between runs (default: "
                     "$XDG_CACHE_HOME/nnc, else ~/.cache/nnc)"});
  Add(CompiledCode,
      {"--no-cache", "", "compile everything afresh; keep nothing"});
  Add(CompiledCode,
      {"--max-memory", "SIZE",
       "refuse to compile what needs more memory than this (bytes, or with "
       "K, M, G, T; default: physical memory)"});
  Add(CheckNumerics,
      {"--check-numerics", "",
       "stop at the first kernel (interp: node) whose result holds NaN or "
       "infinity, naming it and the tensor (slower)"});
  Add(VerboseOutput, {"-v", "", "print compile times and memory plans"});
  return Options;
}

Expected<uint64_t> parseByteSize(const std::string &Text) {
  size_t End = 0;
  double V = 0;
  try {
    V = std::stod(Text, &End);
  } catch (const std::exception &) {
    End = 0;
  }
  std::string Unit = Text.substr(End);
  double Scale = Unit.empty()  ? 1
                 : Unit == "K" ? 0x1p10
                 : Unit == "M" ? 0x1p20
                 : Unit == "G" ? 0x1p30
                 : Unit == "T" ? 0x1p40
                               : 0;
  if (End == 0 || Scale == 0 || !(V * Scale >= 1 && V * Scale < 0x1p63))
    return usageError("--max-memory needs a size such as 8G, 512M or a byte ",
                      "count, found '", Text, "'");
  return uint64_t(V * Scale);
}

Expected<backend::EngineOptions> engineOptions(const Args &A,
                                               bool CpuListAllowed) {
  backend::EngineOptions O;
  Expected<backend::EngineKind> K =
      backend::parseEngineKind(A.get("--engine", "jit"));
  if (!K.ok())
    return K.status();
  O.Kind = *K;
  if (O.Kind == backend::EngineKind::Interp)
    for (const char *Compiled : {"--threads", "--target-cpu", "--no-fuse",
                                 "--fuse", "--cache-dir", "--no-cache"})
      if (A.has(Compiled))
        return usageError(Compiled, " applies to compiled code; --engine "
                                    "interp runs the reference interpreter");
  O.CheckNumerics = A.has("--check-numerics");
  Expected<int64_t> Threads = A.getInt("--threads", 0);
  if (!Threads.ok())
    return Threads.status();
  if (*Threads < 0 || *Threads > 1024)
    return usageError("--threads must be between 0 (the CPUs this process ",
                      "may use) and 1024, found ", *Threads);
  O.Threads = *Threads;
  O.TargetCpu = A.get("--target-cpu", "");
  if (!CpuListAllowed && O.TargetCpu.find(',') != std::string::npos)
    return usageError("--target-cpu '", O.TargetCpu,
                      "': code compiled to run here needs one CPU; lists "
                      "are for nnc compile --aot");
  O.setFuse(!A.has("--no-fuse"));
  if (A.has("--fuse")) {
    // Only the fusions named.
    O.setFuse(false);
    std::string List = A.get("--fuse") + ",";
    for (size_t At = 0, Comma;
         (Comma = List.find(',', At)) != std::string::npos; At = Comma + 1) {
      std::string F = List.substr(At, Comma - At);
      if (F == "elementwise")
        O.FuseElementwise = true;
      else if (F == "conv-bn")
        O.FuseConvBn = true;
      else if (F == "conv-act")
        O.FuseConvAct = true;
      else if (!F.empty())
        return usageError("--fuse: unknown fusion '", F,
                          "' (expected conv-bn, conv-act, elementwise)");
    }
  }
  if (A.has("--no-cache") && A.has("--cache-dir"))
    return usageError("--no-cache and --cache-dir contradict each other");
  if (!A.has("--no-cache"))
    O.CacheDir = A.get("--cache-dir", backend::defaultCompileCacheDir());
  if (A.has("--cache-dir") && O.CacheDir.empty())
    return usageError("--cache-dir needs a folder");
  O.Verbose = A.has("-v");
  if (A.has("--max-memory")) {
    Expected<uint64_t> Bytes = parseByteSize(A.get("--max-memory"));
    if (!Bytes.ok())
      return Bytes.status();
    O.MaxMemory = *Bytes;
  }
  return O;
}

Expected<std::unique_ptr<backend::Engine>> createEngine(const Args &A,
                                                        ir::Graph &G) {
  Expected<backend::EngineOptions> O = engineOptions(A);
  if (!O.ok())
    return O.status();
  return backend::createEngine(G, *O);
}

} // namespace nnc::tools
