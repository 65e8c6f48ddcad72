#include "frontend/JsonNames.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

namespace nnc::frontend {

namespace {

/// A string token of the document: its decoded text and where it stands
/// (quotes included), under the keys and arrays that lead to it.
struct StringToken {
  std::string Text;
  size_t Begin, End;
};
using Path = std::vector<std::string>; // keys; "[]" for an array element
using Visit = std::function<void(const Path &, const StringToken &)>;

/// Walks a JSON document and calls Visit for every string value (keys are
/// not values). Stops at the first thing that is not JSON.
class Walker {
public:
  Walker(std::string_view S, Visit V) : S(S), V(std::move(V)) {}
  bool document() {
    Path P;
    if (!value(P))
      return false;
    space();
    return I == S.size();
  }

private:
  void space() {
    while (I < S.size() &&
           (S[I] == ' ' || S[I] == '\t' || S[I] == '\n' || S[I] == '\r'))
      ++I;
  }
  bool value(Path &P) {
    space();
    // Deeper than any model, and than FlatBuffers' parser goes (64).
    if (I >= S.size() || P.size() > 64)
      return false;
    if (S[I] == '{')
      return object(P);
    if (S[I] == '[')
      return array(P);
    if (S[I] == '"') {
      StringToken T{"", I, 0};
      if (!string(T.Text))
        return false;
      T.End = I;
      V(P, T);
      return true;
    }
    size_t Start = I; // a number, true, false or null
    while (I < S.size() && S[I] != ',' && S[I] != ']' && S[I] != '}' &&
           S[I] != ' ' && S[I] != '\t' && S[I] != '\n' && S[I] != '\r')
      ++I;
    return I > Start;
  }
  bool object(Path &P) {
    ++I;
    space();
    if (I < S.size() && S[I] == '}')
      return ++I, true;
    while (true) {
      space();
      std::string Key;
      if (I >= S.size() || S[I] != '"' || !string(Key))
        return false;
      space();
      if (I >= S.size() || S[I] != ':')
        return false;
      ++I;
      P.push_back(std::move(Key));
      bool Ok = value(P);
      P.pop_back();
      if (!Ok || !separator('}'))
        return false;
      if (S[I - 1] == '}')
        return true;
    }
  }
  bool array(Path &P) {
    ++I;
    space();
    if (I < S.size() && S[I] == ']')
      return ++I, true;
    P.push_back("[]");
    bool Ok = true;
    while (Ok) {
      Ok = value(P) && separator(']');
      if (Ok && S[I - 1] == ']')
        break;
    }
    P.pop_back();
    return Ok;
  }
  /// ',' or Close, consumed.
  bool separator(char Close) {
    space();
    if (I >= S.size() || (S[I] != ',' && S[I] != Close))
      return false;
    ++I;
    return true;
  }
  /// A string at I, decoded into Out.
  bool string(std::string &Out) {
    ++I;
    while (I < S.size() && S[I] != '"') {
      if (S[I] != '\\') {
        Out += S[I++];
        continue;
      }
      if (++I >= S.size())
        return false;
      char E = S[I++];
      switch (E) {
      case '"':
      case '\\':
      case '/':
        Out += E;
        break;
      case 'b':
        Out += '\b';
        break;
      case 'f':
        Out += '\f';
        break;
      case 'n':
        Out += '\n';
        break;
      case 'r':
        Out += '\r';
        break;
      case 't':
        Out += '\t';
        break;
      case 'u':
        if (!codePoint(Out))
          return false;
        break;
      default:
        return false;
      }
    }
    if (I >= S.size())
      return false;
    ++I;
    return true;
  }
  /// \uXXXX (after the u) as UTF-8; surrogate pairs are not names anyone
  /// writes, and are kept as the parser will report them.
  bool codePoint(std::string &Out) {
    if (I + 4 > S.size())
      return false;
    uint32_t C = 0;
    for (int K = 0; K < 4; ++K) {
      char H = S[I++];
      C = C * 16 + uint32_t(H >= '0' && H <= '9'   ? H - '0'
                            : H >= 'a' && H <= 'f' ? H - 'a' + 10
                            : H >= 'A' && H <= 'F' ? H - 'A' + 10
                                                   : 99);
      if (C > 0xffff)
        return false;
    }
    if (C < 0x80) {
      Out += char(C);
    } else if (C < 0x800) {
      Out += char(0xc0 | (C >> 6));
      Out += char(0x80 | (C & 0x3f));
    } else {
      Out += char(0xe0 | (C >> 12));
      Out += char(0x80 | ((C >> 6) & 0x3f));
      Out += char(0x80 | (C & 0x3f));
    }
    return true;
  }

  std::string_view S;
  Visit V;
  size_t I = 0;
};

bool is(const Path &P, std::initializer_list<std::string_view> Want) {
  if (P.size() != Want.size())
    return false;
  size_t K = 0;
  for (std::string_view W : Want)
    if (P[K++] != W)
      return false;
  return true;
}

/// Whether a string at P stands where the schema has a tensor index.
bool isTensorRef(const Path &P) {
  for (const char *List : {"nodes", "entry_points"})
    for (const char *Field : {"inputs", "outputs"})
      if (is(P, {List, "[]", Field, "[]"}))
        return true;
  return is(P, {"training", "loss"});
}

bool isNumber(const std::string &S) {
  return !S.empty() && S.find_first_not_of("0123456789") == std::string::npos;
}

/// "12:20", the line and column of byte At.
std::string location(std::string_view S, size_t At) {
  size_t Line = 1, Col = 1;
  for (size_t K = 0; K < At && K < S.size(); ++K, ++Col)
    if (S[K] == '\n')
      ++Line, Col = 0;
  return std::to_string(Line) + ":" + std::to_string(Col);
}

} // namespace

Expected<std::string> resolveTensorNames(const std::string &Json,
                                         const std::string &Name) {
  std::map<std::string, int64_t> Index; // name -> index; -1: two tensors
  int64_t Tensors = 0;
  std::vector<StringToken> Refs;
  Walker W(Json, [&](const Path &P, const StringToken &T) {
    if (is(P, {"tensors", "[]", "name"})) {
      auto [It, New] = Index.emplace(T.Text, Tensors);
      if (!New)
        It->second = -1;
      ++Tensors;
    } else if (isTensorRef(P)) {
      Refs.push_back(T);
    }
  });
  if (!W.document() || Refs.empty())
    return Json; // not JSON, or indices only: for the schema parser
  std::string Out;
  size_t Done = 0;
  for (const StringToken &T : Refs) {
    auto It = Index.find(T.Text);
    if (It == Index.end() && isNumber(T.Text))
      continue; // "3": an index in quotes, which the schema parser takes
    if (It == Index.end())
      return error(Name, ":", location(Json, T.Begin), ": '", T.Text,
                   "' is not the name of a tensor of the model (tensors are "
                   "referred to by name or by index)");
    if (It->second < 0)
      return error(Name, ":", location(Json, T.Begin),
                   ": two tensors are "
                   "named '",
                   T.Text, "'; refer to them by index");
    Out.append(Json, Done, T.Begin - Done);
    Out += std::to_string(It->second);
    Done = T.End;
  }
  Out.append(Json, Done, std::string::npos);
  return Out;
}

} // namespace nnc::frontend
