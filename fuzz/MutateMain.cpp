//===- fuzz/MutateMain.cpp - The mutation campaign ---------------------===//
//
// nnc_mutate makes COUNT damaged copies of the seed files (fuzz/Mutator.h),
// spread evenly over the readers, and passes each to its fuzz target. It
// fails when any input ends in a signal or a sanitizer report, takes longer
// than the time limit, leaks, or is refused with anything but one line that
// starts with the file's path. Inputs run in child processes, a batch each,
// so that a crash names its input and the rest still run.
//
//   nnc_mutate SEED_DIR [--count N] [--seed S] [--jobs J] [--timeout SEC]
//              [--keep DIR] [--only INDEX]
//
// SEED_DIR holds one folder of valid files per target (scripts/fuzz_seeds.py
// makes them). --keep writes each failing input there; --only runs one input
// in this process, to debug it.
//
//===----------------------------------------------------------------------===//
#include "frontend/Checksum.h"
#include "fuzz/FuzzTargets.h"
#include "fuzz/Mutator.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace nnc::fuzz;

namespace {

struct Options {
  std::string SeedDir, KeepDir;
  int64_t Count = 10000, Jobs = 2, Only = -1;
  uint64_t Seed = 1;
  int TimeoutSeconds = 10;
};

/// One target's seeds. Binary models are kept without their checksum
/// trailer, and most of their mutations are sealed again, so that damage
/// reaches the FlatBuffers verifier and what comes after it, not only the
/// checksum.
struct Corpus {
  const FuzzTarget *Target;
  std::vector<Bytes> Seeds;
  bool Text = false, Sealed = false;
};

Bytes readBytes(const fs::path &P) {
  std::ifstream In(P, std::ios::binary);
  return {std::istreambuf_iterator<char>(In), std::istreambuf_iterator<char>()};
}

std::vector<Corpus> loadCorpora(const std::string &Dir) {
  std::vector<Corpus> All;
  for (const FuzzTarget &T : fuzzTargets()) {
    Corpus C{&T, {}, false, false};
    std::string Name = T.Name;
    C.Text = Name == "json" || Name == "csv";
    C.Sealed = Name == "model" || Name == "checkpoint";
    std::vector<fs::path> Files;
    if (fs::is_directory(fs::path(Dir) / Name))
      for (const fs::directory_entry &E :
           fs::directory_iterator(fs::path(Dir) / Name))
        Files.push_back(E.path());
    std::sort(Files.begin(), Files.end()); // the same inputs on every machine
    for (const fs::path &P : Files) {
      Bytes B = readBytes(P);
      bool HasTrailer = false;
      if (C.Sealed &&
          !nnc::frontend::stripChecksum(B, P.string(), HasTrailer).ok())
        continue;
      C.Seeds.push_back(std::move(B));
    }
    if (C.Seeds.empty()) {
      std::fprintf(stderr, "error: %s: no seed files for target '%s'\n",
                   Dir.c_str(), T.Name);
      std::exit(2);
    }
    All.push_back(std::move(C));
  }
  return All;
}

/// Input Index of the campaign: its target, and its bytes.
std::pair<const Corpus *, Bytes> input(const std::vector<Corpus> &All,
                                       uint64_t Seed, int64_t Index) {
  const Corpus &C = All[size_t(Index) % All.size()];
  Random R(Seed * 0x9e3779b97f4a7c15ULL ^ uint64_t(Index));
  Bytes B = mutate(C.Seeds, C.Text, R);
  if (C.Sealed && !R.oneIn(4))
    nnc::frontend::appendChecksum(B);
  return {&C, std::move(B)};
}

/// The rule every refusal follows; empty when it does.
std::string ruleBroken(const FuzzOutcome &O) {
  if (O.Accepted)
    return "";
  if (O.Error.empty())
    return "refused without a message";
  if (O.Error.find('\n') != std::string::npos)
    return "a message of several lines: " + O.Error;
  if (O.Error.rfind(O.Path, 0) != 0)
    return "a message that does not start with " + O.Path + ": " + O.Error;
  return "";
}

/// The child's side: runs inputs [Begin, End), reporting on Fd
/// "start I", "rule I", "accepted I" lines and "done" at the end.
[[noreturn]] void runBatch(const std::vector<Corpus> &All, const Options &O,
                           int64_t Begin, int64_t End, int Fd) {
  auto say = [Fd](const std::string &Line) {
    std::string L = Line + "\n";
    if (::write(Fd, L.data(), L.size()) != ssize_t(L.size()))
      std::_Exit(3);
  };
  for (int64_t I = Begin; I < End; ++I) {
    say("start " + std::to_string(I));
    auto [C, B] = input(All, O.Seed, I);
    FuzzOutcome Out = C->Target->Run(B.data(), B.size());
    std::string Broken = ruleBroken(Out);
    if (!Broken.empty()) {
      std::fprintf(stderr, "input %lld (%s): %s\n", (long long)I,
                   C->Target->Name, Broken.c_str());
      say("rule " + std::to_string(I));
    } else if (Out.Accepted) {
      say("accepted " + std::to_string(I));
    }
  }
  say("done");
  std::exit(0); // a normal exit: LeakSanitizer checks the batch here
}

struct Child {
  pid_t Pid = 0;
  int Fd = -1;
  int64_t End = 0, Started = -1;
  bool Done = false, Hung = false;
  std::string Pending; // a partial line
  time_t LastHeard = 0;
};

struct Campaign {
  const std::vector<Corpus> &All;
  const Options &O;
  std::vector<std::pair<int64_t, int64_t>> Batches; // still to run
  std::vector<Child> Running;
  std::vector<std::string> Failures;
  int64_t Accepted = 0;

  void start(int64_t Begin, int64_t End) {
    int P[2];
    if (::pipe(P) != 0) {
      std::perror("nnc_mutate: pipe");
      std::exit(1);
    }
    std::fflush(nullptr);
    pid_t Pid = ::fork();
    if (Pid < 0) {
      std::perror("nnc_mutate: fork");
      std::exit(1);
    }
    if (Pid == 0) {
      ::close(P[0]);
      runBatch(All, O, Begin, End, P[1]);
    }
    ::close(P[1]);
    Child C;
    C.Pid = Pid;
    C.Fd = P[0];
    C.End = End;
    C.LastHeard = ::time(nullptr);
    Running.push_back(C);
  }

  void fail(int64_t Index, const std::string &What) {
    auto [C, B] = input(All, O.Seed, Index);
    std::string Line = "input " + std::to_string(Index) + " (" +
                       C->Target->Name + "): " + What;
    if (!O.KeepDir.empty()) {
      fs::create_directories(O.KeepDir);
      std::string Path =
          O.KeepDir + "/" + C->Target->Name + "-" + std::to_string(Index);
      std::ofstream(Path, std::ios::binary)
          .write(reinterpret_cast<const char *>(B.data()),
                 std::streamsize(B.size()));
      Line += " (kept as " + Path + ")";
    }
    Failures.push_back(Line);
    std::fprintf(stderr, "FAILED %s\n", Line.c_str());
  }

  void hear(Child &C, const std::string &Line) {
    C.LastHeard = ::time(nullptr);
    if (Line == "done")
      C.Done = true;
    else if (Line.rfind("start ", 0) == 0)
      C.Started = std::stoll(Line.substr(6));
    else if (Line.rfind("accepted ", 0) == 0)
      ++Accepted;
    else if (Line.rfind("rule ", 0) == 0)
      fail(std::stoll(Line.substr(5)), "refused against the message rule");
  }

  /// Reads what C said; false at end of file.
  bool read(Child &C) {
    char Buf[4096];
    ssize_t N = ::read(C.Fd, Buf, sizeof Buf);
    if (N <= 0)
      return N < 0 && errno == EINTR;
    C.Pending.append(Buf, size_t(N));
    for (size_t Eol; (Eol = C.Pending.find('\n')) != std::string::npos;) {
      std::string Line = C.Pending.substr(0, Eol);
      C.Pending.erase(0, Eol + 1);
      hear(C, Line);
    }
    return true;
  }

  /// C's pipe closed: how it ended, and where the rest of its batch goes.
  void finish(Child &C) {
    ::close(C.Fd);
    int Status = 0;
    ::waitpid(C.Pid, &Status, 0);
    bool Clean = WIFEXITED(Status) && WEXITSTATUS(Status) == 0;
    if (C.Done && Clean)
      return;
    std::string How =
        C.Hung ? "no result after " + std::to_string(O.TimeoutSeconds) + " s"
        : WIFSIGNALED(Status)
            ? std::string("signal ") + strsignal(WTERMSIG(Status)) +
                  " (a sanitizer report is above when it aborted)"
            : "exit status " + std::to_string(WEXITSTATUS(Status));
    if (C.Done) { // after its last input: LeakSanitizer, at exit
      Failures.push_back("a batch ending at input " +
                         std::to_string(C.End - 1) + " exited with " + How);
      std::fprintf(stderr, "FAILED %s\n", Failures.back().c_str());
      return;
    }
    if (C.Started < 0) { // before its first input
      Failures.push_back("a child process exited with " + How);
      std::fprintf(stderr, "FAILED %s\n", Failures.back().c_str());
      return;
    }
    fail(C.Started, How);
    if (C.Started + 1 < C.End)
      Batches.push_back({C.Started + 1, C.End});
  }

  void run() {
    for (int64_t B = O.Count; B > 0; B -= 250)
      Batches.push_back({std::max<int64_t>(0, B - 250), B});
    while (!Batches.empty() || !Running.empty()) {
      while (!Batches.empty() && int64_t(Running.size()) < O.Jobs) {
        auto [Begin, End] = Batches.back();
        Batches.pop_back();
        start(Begin, End);
      }
      std::vector<pollfd> Fds;
      for (const Child &C : Running)
        Fds.push_back({C.Fd, POLLIN, 0});
      ::poll(Fds.data(), Fds.size(), 1000);
      time_t Now = ::time(nullptr);
      for (size_t I = Running.size(); I-- > 0;) {
        Child &C = Running[I];
        bool Open = true;
        if (Fds[I].revents & (POLLIN | POLLHUP | POLLERR))
          Open = read(C);
        else if (Now - C.LastHeard > O.TimeoutSeconds && !C.Hung) {
          C.Hung = true;
          ::kill(C.Pid, SIGKILL);
        }
        if (!Open) {
          finish(C);
          Running.erase(Running.begin() + long(I));
        }
      }
    }
  }
};

[[noreturn]] void usage(const std::string &Why) {
  std::fprintf(stderr,
               "error: %s\nusage: nnc_mutate SEED_DIR [--count N] [--seed S] "
               "[--jobs J] [--timeout SEC] [--keep DIR] [--only INDEX]\n",
               Why.c_str());
  std::exit(2);
}

Options parse(int Argc, char **Argv) {
  Options O;
  for (int I = 1; I < Argc; ++I) {
    std::string A = Argv[I];
    if (A[0] != '-') {
      O.SeedDir = A;
      continue;
    }
    if (I + 1 >= Argc)
      usage(A + " needs a value");
    std::string V = Argv[++I];
    char *End = nullptr;
    long long N = std::strtoll(V.c_str(), &End, 10);
    bool Number = !V.empty() && *End == 0 && N >= 0;
    if (A == "--keep")
      O.KeepDir = V;
    else if (!Number)
      usage(A + " takes a whole number, found '" + V + "'");
    else if (A == "--count")
      O.Count = N;
    else if (A == "--seed")
      O.Seed = uint64_t(N);
    else if (A == "--jobs")
      O.Jobs = std::max<long long>(1, N);
    else if (A == "--timeout")
      O.TimeoutSeconds = int(std::max<long long>(1, N));
    else if (A == "--only")
      O.Only = N;
    else
      usage("unknown option " + A);
  }
  if (O.SeedDir.empty())
    usage("no seed folder given");
  return O;
}

} // namespace

int main(int Argc, char **Argv) {
  Options O = parse(Argc, Argv);
  std::vector<Corpus> All = loadCorpora(O.SeedDir);
  if (O.Only >= 0) {
    auto [C, B] = input(All, O.Seed, O.Only);
    FuzzOutcome Out = C->Target->Run(B.data(), B.size());
    std::printf("input %lld (%s, %zu bytes): %s\n", (long long)O.Only,
                C->Target->Name, B.size(),
                Out.Accepted ? "accepted" : Out.Error.c_str());
    return ruleBroken(Out).empty() ? 0 : 1;
  }
  Campaign Run{All, O, {}, {}, {}, 0};
  Run.run();
  std::printf("mutation campaign: %lld inputs (seed %llu) over",
              (long long)O.Count, (unsigned long long)O.Seed);
  for (const Corpus &C : All)
    std::printf(" %s (%zu seeds)", C.Target->Name, C.Seeds.size());
  std::printf("; %lld accepted, the rest refused; %zu failures\n",
              (long long)Run.Accepted, Run.Failures.size());
  for (const std::string &F : Run.Failures)
    std::printf("  %s\n", F.c_str());
  return Run.Failures.empty() ? 0 : 1;
}
