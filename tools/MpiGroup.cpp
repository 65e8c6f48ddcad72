//===- tools/MpiGroup.cpp - A data-parallel run on MPI --------------------===//
#include "tools/MpiGroup.h"

// The C interface alone: Open MPI's deprecated C++ bindings need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>

namespace nnc::tools {

namespace {

std::string mpiError(int Code) {
  char Text[MPI_MAX_ERROR_STRING];
  int Len = 0;
  MPI_Error_string(Code, Text, &Len);
  return std::string(Text, size_t(Len));
}

class MpiGroup final : public RankGroup {
public:
  MpiGroup(int Rank, int Size) : Rank(Rank), Size(Size) {
    Hook.allreduce_start = &MpiGroup::start;
    Hook.allreduce_wait = &MpiGroup::wait;
    Hook.comm = this;
    Hook.ranks = Size;
  }
  ~MpiGroup() override { MPI_Finalize(); }

  [[noreturn]] void abortAll(int Code) override {
    MPI_Abort(MPI_COMM_WORLD, Code);
    std::exit(Code); // MPI_Abort does not return
  }

  int64_t rank() const override { return Rank; }
  int64_t size() const override { return Size; }

  Status sum(std::vector<double> &Values) override {
    return check(MPI_Allreduce(MPI_IN_PLACE, Values.data(), int(Values.size()),
                               MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
                 "summing over the ranks");
  }

  Status broadcast(std::vector<double> &Values) override {
    return check(MPI_Bcast(Values.data(), int(Values.size()), MPI_DOUBLE, 0,
                           MPI_COMM_WORLD),
                 "broadcasting from rank 0");
  }

  Expected<int64_t> firstDiffering(uint64_t Hash) override {
    std::vector<unsigned long long> All(static_cast<size_t>(Size));
    unsigned long long Mine = Hash;
    NNC_TRY(check(MPI_Allgather(&Mine, 1, MPI_UNSIGNED_LONG_LONG, All.data(), 1,
                                MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD),
                  "comparing the ranks"));
    for (int R = 1; R < Size; ++R)
      if (All[size_t(R)] != All[0])
        return int64_t(R);
    return int64_t(-1);
  }

  const nnc_collective *collective() override { return &Hook; }

  double takeWaitSeconds() override {
    double S = WaitSeconds;
    WaitSeconds = 0;
    return S;
  }

private:
  Status check(int Code, const char *What) const {
    if (Code == MPI_SUCCESS)
      return Status::success();
    return error("rank ", Rank, ": ", What, " failed: ", mpiError(Code));
  }

  static int start(void *Comm, float *Data, int64_t N) {
    auto *G = static_cast<MpiGroup *>(Comm);
    MPI_Request R;
    if (N > INT32_MAX || G->Pending.count(Data) ||
        MPI_Iallreduce(MPI_IN_PLACE, Data, int(N), MPI_FLOAT, MPI_SUM,
                       MPI_COMM_WORLD, &R) != MPI_SUCCESS)
      return 1;
    G->Pending[Data] = R;
    // MPI moves a non-blocking collective on inside MPI calls: let the
    // buckets started earlier progress while this one begins.
    for (auto &[D, Q] : G->Pending) {
      if (G->Finished.count(D))
        continue;
      int Done = 0, Rc = MPI_Test(&Q, &Done, MPI_STATUS_IGNORE);
      if (Done || Rc != MPI_SUCCESS)
        G->Finished[D] = Rc;
    }
    return 0;
  }

  static int wait(void *Comm, float *Data) {
    auto *G = static_cast<MpiGroup *>(Comm);
    auto It = G->Pending.find(Data);
    if (It == G->Pending.end())
      return 1;
    auto Begin = std::chrono::steady_clock::now();
    auto Done = G->Finished.find(Data);
    int Rc = Done != G->Finished.end()
                 ? Done->second
                 : MPI_Wait(&It->second, MPI_STATUS_IGNORE);
    if (Done != G->Finished.end())
      G->Finished.erase(Done);
    G->WaitSeconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - Begin)
            .count();
    G->Pending.erase(It);
    return Rc == MPI_SUCCESS ? 0 : 1;
  }

  int Rank, Size;
  nnc_collective Hook{};
  std::map<const float *, MPI_Request> Pending;
  /// Buckets MPI_Test found finished (or failed), with its return code.
  std::map<const float *, int> Finished;
  double WaitSeconds = 0;
};

} // namespace

bool launchedByMpi() {
  for (const char *Var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(Var))
      return true;
  return false;
}

Expected<std::unique_ptr<RankGroup>> joinMpiWorld() {
  int Provided = 0;
  // The train step calls the collective from the thread that runs it.
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &Provided) !=
      MPI_SUCCESS)
    return error("MPI could not be initialized");
  // Failures come back as codes, which the trainer reports with the rank.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int Rank = 0, Size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &Rank);
  MPI_Comm_size(MPI_COMM_WORLD, &Size);
  return std::unique_ptr<RankGroup>(new MpiGroup(Rank, Size));
}

} // namespace nnc::tools
