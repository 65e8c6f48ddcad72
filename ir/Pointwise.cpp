//===- ir/Pointwise.cpp - The pointwise table, seen from the host ---------===//
#include "ir/Pointwise.h"

namespace nnc::ir {

std::optional<Unary> unaryOf(OpKind K) {
  switch (K) {
#define NNC_UNARY(Kind, A0, D0, A1, D1, Epi, Onnx, OnnxAttrs)                  \
  case OpKind::Kind:                                                           \
    return Unary::Kind;
#include "ir/PointwiseOps.def"
  default: // every other op: not in the table
    return std::nullopt;
  }
}

OpKind opKindOf(Unary U) {
  static const OpKind Kinds[] = {
#define NNC_UNARY(Kind, A0, D0, A1, D1, Epi, Onnx, OnnxAttrs) OpKind::Kind,
#include "ir/PointwiseOps.def"
  };
  return Kinds[int64_t(U)];
}

const pointwise::UnaryInfo &unaryInfo(Unary U) {
  return pointwise::UnaryTable[int64_t(U)];
}

std::optional<Unary> unaryNamed(std::string_view Name) {
  for (int64_t I = 0; I < pointwise::NumUnary; ++I)
    if (Name == pointwise::UnaryTable[I].Name)
      return Unary(I);
  return std::nullopt;
}

std::array<double, 2> unaryAttrs(Unary U, const Attributes &A) {
  std::array<double, 2> R = {0, 0};
  for (int I = 0; I < 2; ++I)
    if (*unaryInfo(U).Attrs[I])
      R[I] = A.getFloat(unaryInfo(U).Attrs[I]);
  return R;
}

std::vector<AttrSpec> unaryAttrUnion() {
  std::vector<AttrSpec> Specs;
  for (const pointwise::UnaryInfo &Row : pointwise::UnaryTable)
    for (int I = 0; I < 2; ++I) {
      std::string_view Name = Row.Attrs[I];
      bool Seen = Name.empty();
      for (const AttrSpec &S : Specs)
        Seen |= S.Name == Name;
      if (!Seen)
        Specs.push_back({std::string(Name), Row.Defaults[I]});
    }
  return Specs;
}

bool unaryGradReads(std::string_view Op, std::string_view Attr) {
  if (Attr == "op")
    return true;
  if (Op == "Dropout")
    return Attr == "ratio" || Attr == "seed";
  std::optional<Unary> U = unaryNamed(Op);
  if (!U) // the verifier names the unknown op; show all there is
    return true;
  const pointwise::UnaryInfo &I = unaryInfo(*U);
  return Attr == I.Attrs[0] || Attr == I.Attrs[1];
}

} // namespace nnc::ir
