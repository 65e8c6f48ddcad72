#include "ir/OpTable.h"

#include "ir/Graph.h"
#include "ir/ops/OpHelpers.h"

#include <cstdio>
#include <cstdlib>

namespace nnc::ir {
namespace ops {
void registerElementwiseOps();
void registerActivationOps();
void registerContractionOps();
void registerPoolingOps();
void registerNormalizationOps();
void registerRecurrentOps();
void registerLayoutOps();
void registerLossOps();
void registerTrainingOps();
void registerGradientOps();
void registerOptimizerOps();
void registerCollectiveOps();
} // namespace ops

namespace {

const char *const KindNames[] = {
#define NNC_OP(Kind, Family) #Kind,
#include "ir/Ops.def"
};

std::vector<OpInfo> *Building = nullptr;

std::vector<OpInfo> buildTable() {
  std::vector<OpInfo> Table(NumOpKinds);
  Building = &Table;
  ops::registerElementwiseOps();
  ops::registerActivationOps();
  ops::registerContractionOps();
  ops::registerPoolingOps();
  ops::registerNormalizationOps();
  ops::registerRecurrentOps();
  ops::registerLayoutOps();
  ops::registerLossOps();
  ops::registerTrainingOps();
  ops::registerGradientOps();
  ops::registerOptimizerOps();
  ops::registerCollectiveOps();
  Building = nullptr;
  for (size_t I = 0; I < NumOpKinds; ++I) {
    if (!Table[I].Infer) {
      std::fprintf(stderr, "nnc internal error: op %s has no definition\n",
                   KindNames[I]);
      std::abort();
    }
  }
  return Table;
}

} // namespace

void ops::define(OpInfo Info) {
  size_t I = size_t(Info.Kind);
  Info.Name = KindNames[I];
  (*Building)[I] = std::move(Info);
}

const std::vector<OpInfo> &allOps() {
  static const std::vector<OpInfo> Table = buildTable();
  return Table;
}

const OpInfo &opInfo(OpKind K) { return allOps()[size_t(K)]; }

std::string_view opName(OpKind K) { return KindNames[size_t(K)]; }

const OpInfo *findOp(std::string_view Name) {
  for (const OpInfo &I : allOps())
    if (I.Name == Name)
      return &I;
  return nullptr;
}

const AttrSpec *OpInfo::findAttr(std::string_view AttrName) const {
  for (const AttrSpec &A : Attrs)
    if (A.Name == AttrName)
      return &A;
  return nullptr;
}

} // namespace nnc::ir
