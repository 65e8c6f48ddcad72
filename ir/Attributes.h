//===- ir/Attributes.h - Named, typed node attributes -----------*- C++ -*-===//
//
// Nodes carry attributes as a small name -> value map (ONNX-style) rather than
// one options struct per op: the op table declares which names each op takes,
// their kinds and defaults, and the verifier fills the defaults in, so passes
// always see a complete set.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nnc::ir {

enum class AttrKind : uint8_t { Int, Float, Ints, Floats, String };

using AttrValue = std::variant<int64_t, double, std::vector<int64_t>,
                               std::vector<double>, std::string>;

inline AttrKind attrKind(const AttrValue &V) {
  return static_cast<AttrKind>(V.index());
}
std::string_view attrKindName(AttrKind K);
std::string attrValueString(const AttrValue &V);

class Attributes {
public:
  using Map = std::map<std::string, AttrValue, std::less<>>;

  void set(std::string Name, AttrValue V) {
    Values[std::move(Name)] = std::move(V);
  }
  bool has(std::string_view Name) const { return Values.count(Name) != 0; }
  const AttrValue *find(std::string_view Name) const;

  // Getters for verified nodes: the verifier has checked kinds and filled in
  // defaults, so a missing or mistyped attribute here is a compiler bug.
  int64_t getInt(std::string_view Name) const;
  double getFloat(std::string_view Name) const;
  const std::vector<int64_t> &getInts(std::string_view Name) const;
  const std::vector<double> &getFloats(std::string_view Name) const;
  const std::string &getString(std::string_view Name) const;

  Map::const_iterator begin() const { return Values.begin(); }
  Map::const_iterator end() const { return Values.end(); }
  size_t size() const { return Values.size(); }

private:
  template <typename T> const T &get(std::string_view Name) const;
  Map Values;
};

} // namespace nnc::ir
