//===- frontend/JsonModel.cpp - FlatBuffers JSON <-> binary ---------------===//
#include "frontend/JsonNames.h"
#include "frontend/ModelIO.h"

#include <flatbuffers/idl.h>

namespace nnc::frontend {

extern const char *const SchemaText;

namespace {

/// A parser that knows the schema. Parsers keep state between documents, so
/// each conversion gets its own.
Expected<std::unique_ptr<flatbuffers::Parser>> makeParser() {
  flatbuffers::IDLOptions Opts;
  Opts.strict_json = true;
  Opts.indent_step = 2;
  auto P = std::make_unique<flatbuffers::Parser>(Opts);
  if (!P->Parse(SchemaText))
    return error("internal error: the built-in schema does not parse: ",
                 P->error_);
  return P;
}

/// FlatBuffers reports "line: col: error: text"; make it one line that
/// reads "line:col: error: text", as compilers print locations.
std::string oneLine(std::string S) {
  size_t Colon = S.find(": ");
  if (Colon != std::string::npos && Colon > 0 &&
      S.find_first_not_of("0123456789") == Colon)
    S.erase(Colon + 1, 1);
  while (!S.empty() && (S.back() == '\n' || S.back() == ' '))
    S.pop_back();
  for (char &C : S)
    if (C == '\n')
      C = ' ';
  return S;
}

} // namespace

Expected<std::vector<uint8_t>> jsonToBinary(const std::string &Json,
                                            const std::string &Name) {
  auto P = makeParser();
  if (!P.ok())
    return P.status();
  flatbuffers::Parser &Parser = **P;
  Expected<std::string> Indexed = resolveTensorNames(Json, Name);
  if (!Indexed.ok())
    return Indexed.status();
  if (!Parser.ParseJson(Indexed->c_str()))
    return error(Name, ":", oneLine(Parser.error_));
  const uint8_t *Buf = Parser.builder_.GetBufferPointer();
  return std::vector<uint8_t>(Buf, Buf + Parser.builder_.GetSize());
}

Expected<std::string> binaryToJson(const std::vector<uint8_t> &Bytes,
                                   const std::string &Name) {
  auto P = makeParser();
  if (!P.ok())
    return P.status();
  std::string Text;
  if (!flatbuffers::GenerateText(**P, Bytes.data(), &Text))
    return error(Name, ": cannot express the model as JSON (a string is not "
                       "valid UTF-8)");
  return Text;
}

} // namespace nnc::frontend
