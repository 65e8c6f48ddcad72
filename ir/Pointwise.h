//===- ir/Pointwise.h - The pointwise table, seen from the host -*- C++ -*-===//
//
// How ir/PointwiseOps.def's rows relate to OpKinds and to nodes'
// attributes. The math itself is in ir/PointwiseMath.h.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Attributes.h"
#include "ir/OpTable.h"
#include "ir/PointwiseMath.h"

#include <array>
#include <optional>
#include <string_view>

namespace nnc::ir {

using pointwise::Unary;

/// The table's row for an op kind; nullopt when K is not a pointwise unary
/// op of the table.
std::optional<Unary> unaryOf(OpKind K);
OpKind opKindOf(Unary U);
const pointwise::UnaryInfo &unaryInfo(Unary U);
/// By the op's name, as UnaryGrad's 'op' attribute gives it.
std::optional<Unary> unaryNamed(std::string_view Name);
/// The op's attributes as its math reads them (A[0], A[1]); 0 for none.
std::array<double, 2> unaryAttrs(Unary U, const Attributes &A);
/// Every attribute of every row, each once, with the first row's default:
/// what a UnaryGrad node carries from the op it differentiates.
std::vector<AttrSpec> unaryAttrUnion();
/// Whether a UnaryGrad of op Op reads attribute Attr: 'op' and the named
/// op's own attributes; the rest of the union only holds defaults.
bool unaryGradReads(std::string_view Op, std::string_view Attr);

} // namespace nnc::ir
