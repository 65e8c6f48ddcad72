#include "ir/Attributes.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace nnc::ir {

std::string_view attrKindName(AttrKind K) {
  switch (K) {
  case AttrKind::Int:
    return "int";
  case AttrKind::Float:
    return "float";
  case AttrKind::Ints:
    return "ints";
  case AttrKind::Floats:
    return "floats";
  case AttrKind::String:
    return "string";
  }
  return "?";
}

std::string attrValueString(const AttrValue &V) {
  std::ostringstream OS;
  auto List = [&OS](const auto &Xs) {
    OS << "[";
    for (size_t I = 0; I < Xs.size(); ++I)
      OS << (I ? "," : "") << Xs[I];
    OS << "]";
  };
  switch (attrKind(V)) {
  case AttrKind::Int:
    OS << std::get<int64_t>(V);
    break;
  case AttrKind::Float:
    OS << std::get<double>(V);
    break;
  case AttrKind::Ints:
    List(std::get<std::vector<int64_t>>(V));
    break;
  case AttrKind::Floats:
    List(std::get<std::vector<double>>(V));
    break;
  case AttrKind::String:
    OS << '"' << std::get<std::string>(V) << '"';
    break;
  }
  return OS.str();
}

const AttrValue *Attributes::find(std::string_view Name) const {
  auto It = Values.find(Name);
  return It == Values.end() ? nullptr : &It->second;
}

template <typename T> const T &Attributes::get(std::string_view Name) const {
  const AttrValue *V = find(Name);
  if (!V || !std::holds_alternative<T>(*V)) {
    // Unreachable for verified graphs; fail loudly rather than compute garbage.
    std::fprintf(stderr,
                 "nnc internal error: attribute '%.*s' missing or "
                 "mistyped on a verified node\n",
                 int(Name.size()), Name.data());
    std::abort();
  }
  return std::get<T>(*V);
}

int64_t Attributes::getInt(std::string_view N) const { return get<int64_t>(N); }
double Attributes::getFloat(std::string_view N) const { return get<double>(N); }
const std::vector<int64_t> &Attributes::getInts(std::string_view N) const {
  return get<std::vector<int64_t>>(N);
}
const std::vector<double> &Attributes::getFloats(std::string_view N) const {
  return get<std::vector<double>>(N);
}
const std::string &Attributes::getString(std::string_view N) const {
  return get<std::string>(N);
}

} // namespace nnc::ir
