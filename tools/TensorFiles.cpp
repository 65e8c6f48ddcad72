#include "tools/TensorFiles.h"

#include "frontend/FileIO.h"
#include "frontend/onnx/Onnx.h"
#include "ir/Initializers.h"
#include "runtime/Idx.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace nnc::tools {

using namespace nnc::ir;
using backend::Tensor;

namespace {

const char NpyMagic[] = "\x93NUMPY";

std::optional<DType> npyDType(const std::string &Descr) {
  if (Descr == "<f4")
    return DType::F32;
  if (Descr == "<f8")
    return DType::F64;
  if (Descr == "<i4")
    return DType::I32;
  if (Descr == "<i8")
    return DType::I64;
  if (Descr == "|u1")
    return DType::U8;
  if (Descr == "|b1")
    return DType::Bool;
  return std::nullopt;
}

const char *npyDescr(DType T) {
  switch (T) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::U8:
    return "|u1";
  case DType::Bool:
    return "|b1";
  }
  return "";
}

/// The text after 'Key': in a .npy header dict, up to the next comma or
/// closing bracket at depth 0.
std::optional<std::string> headerField(const std::string &H,
                                       const std::string &Key) {
  size_t P = H.find("'" + Key + "'");
  if (P == std::string::npos)
    return std::nullopt;
  P = H.find(':', P);
  if (P == std::string::npos)
    return std::nullopt;
  ++P;
  while (P < H.size() && H[P] == ' ')
    ++P;
  size_t End = P;
  int Depth = 0;
  while (End < H.size() && (Depth > 0 || (H[End] != ',' && H[End] != '}'))) {
    Depth += H[End] == '(' ? 1 : H[End] == ')' ? -1 : 0;
    ++End;
  }
  return H.substr(P, End - P);
}

/// Reshapes flat data into Target's declared shape, the batch taken from the
/// element count.
Expected<Tensor> fitTo(std::vector<double> Data, DType Elt, const Value &Target,
                       std::optional<int64_t> Limit, const std::string &Path) {
  Shape Dims = Target.DeclaredDims;
  bool Batched = !Dims.empty() && Dims[0] == -1;
  int64_t PerExample = 1;
  for (size_t I = Batched ? 1 : 0; I < Dims.size(); ++I)
    PerExample *= Dims[I];
  int64_t Total = int64_t(Data.size());
  if (!Batched) {
    if (Total != PerExample)
      return error(Path, ": has ", Total, " values, tensor '", Target.Name,
                   "' ", shapeString(Dims), " needs ", PerExample);
    return Tensor(Elt, Dims, std::move(Data));
  }
  if (PerExample == 0 || Total % PerExample != 0 || Total == 0)
    return error(Path, ": has ", Total, " values, not a whole number of '",
                 Target.Name, "' examples of ", PerExample, " values ",
                 shapeString(Dims));
  int64_t Batch = Total / PerExample;
  if (Limit && *Limit < Batch)
    Batch = *Limit;
  Data.resize(size_t(Batch * PerExample));
  Dims[0] = Batch;
  return Tensor(Elt, Dims, std::move(Data));
}

} // namespace

Expected<Tensor> parseNpy(const std::vector<uint8_t> &Bytes,
                          const std::string &Name) {
  if (Bytes.size() < 10 || std::memcmp(Bytes.data(), NpyMagic, 6) != 0)
    return error(Name, ": not a .npy file (bad magic)");
  uint8_t Major = Bytes[6];
  size_t HeaderLen, Start;
  if (Major == 1) {
    HeaderLen = Bytes[8] | size_t(Bytes[9]) << 8;
    Start = 10;
  } else if ((Major == 2 || Major == 3) && Bytes.size() >= 12) {
    HeaderLen = Bytes[8] | size_t(Bytes[9]) << 8 | size_t(Bytes[10]) << 16 |
                size_t(Bytes[11]) << 24;
    Start = 12;
  } else {
    return error(Name, ": unsupported .npy version ", int(Major));
  }
  if (Bytes.size() < Start + HeaderLen)
    return error(Name, ": truncated .npy header");
  std::string H(Bytes.begin() + std::ptrdiff_t(Start),
                Bytes.begin() + std::ptrdiff_t(Start + HeaderLen));
  auto Descr = headerField(H, "descr");
  auto Fortran = headerField(H, "fortran_order");
  auto ShapeText = headerField(H, "shape");
  if (!Descr || !ShapeText)
    return error(Name, ": .npy header lacks descr or shape");
  std::string D = Descr->substr(1, Descr->size() >= 2 ? Descr->size() - 2 : 0);
  std::optional<DType> Elt = npyDType(D);
  if (!Elt)
    return error(Name, ": unsupported .npy dtype '", D,
                 "' (expected <f4, <f8, <i4, <i8, |u1 or |b1)");
  if (Fortran && *Fortran == "True")
    return error(Name, ": Fortran-ordered .npy arrays are not supported");
  Shape Dims;
  for (size_t P = 0; P < ShapeText->size();) {
    if (!isdigit(static_cast<unsigned char>((*ShapeText)[P]))) {
      ++P;
      continue;
    }
    size_t End = P;
    while (End < ShapeText->size() &&
           isdigit(static_cast<unsigned char>((*ShapeText)[End])))
      ++End;
    int64_t D = 0;
    auto [Ptr, Err] =
        std::from_chars(ShapeText->data() + P, ShapeText->data() + End, D);
    if (Err != std::errc() || D > (int64_t(1) << 40))
      return error(Name, ": bad .npy shape ", *ShapeText);
    Dims.push_back(D);
    P = End;
  }
  std::optional<int64_t> Count = checkedNumElements(Dims);
  if (!Count)
    return error(Name, ": .npy shape ", shapeString(Dims), " is too large");
  size_t DataStart = Start + HeaderLen;
  size_t Want = size_t(*Count) * dtypeSize(*Elt);
  if (Bytes.size() - DataStart != Want)
    return error(Name, ": .npy data has ", Bytes.size() - DataStart,
                 " bytes, shape ", shapeString(Dims), " needs ", Want);
  std::vector<uint8_t> Raw(Bytes.begin() + std::ptrdiff_t(DataStart),
                           Bytes.end());
  return Tensor(*Elt, Dims, decode(Raw, *Elt));
}

Expected<Tensor> readTensorFile(const std::string &Path, const Value &Target,
                                std::optional<int64_t> Limit) {
  DType Want = Target.Type.Elt;
  if (runtime::looksLikeIdx(Path)) {
    runtime::IdxArray A;
    std::string Err;
    if (!runtime::readIdx(Path, A, Err))
      return Status::failure(Err);
    if (A.Unsigned8 && isFloat(Want))
      for (double &V : A.Values)
        V /= 255.0;
    return fitTo(std::move(A.Values), Want, Target, Limit, Path);
  }
  if (frontend::extensionOf(Path) == "pb") { // an ONNX TensorProto
    Expected<frontend::OnnxTensor> T = frontend::readOnnxTensor(Path);
    if (!T.ok())
      return T.status();
    if (isFloat(Want) != isFloat(T->Elt))
      return error(Path, ": holds ", dtypeName(T->Elt), " data, tensor '",
                   Target.Name, "' is ", dtypeName(Want));
    return fitTo(decode(T->Raw, T->Elt), Want, Target, Limit, Path);
  }
  Expected<std::vector<uint8_t>> Bytes = frontend::readFile(Path);
  if (!Bytes.ok())
    return Bytes.status();
  if (frontend::extensionOf(Path) == "npy") {
    Expected<Tensor> T = parseNpy(*Bytes, Path);
    if (!T.ok())
      return T.status();
    if (isFloat(Want) != isFloat(T->Elt))
      return error(Path, ": holds ", dtypeName(T->Elt), " data, tensor '",
                   Target.Name, "' is ", dtypeName(Want));
    return fitTo(std::move(T->Data), Want, Target, Limit, Path);
  }
  size_t Elt = dtypeSize(Want);
  if (Bytes->size() % Elt != 0)
    return error(Path, ": ", Bytes->size(), " bytes is not a whole number of ",
                 dtypeName(Want), " values for tensor '", Target.Name, "'");
  return fitTo(decode(*Bytes, Want), Want, Target, Limit, Path);
}

void warnIfNonFinite(const std::string &File, const std::string &Name,
                     const Tensor &T) {
  size_t Count = 0, First = 0;
  for (size_t I = T.Data.size(); I-- > 0;)
    if (!std::isfinite(T.Data[I])) {
      ++Count;
      First = I;
    }
  if (Count == 0)
    return;
  double V = T.Data[First];
  std::fprintf(stderr,
               "warning: %s: input '%s' holds %s at element %zu (%zu "
               "non-finite values in all)\n",
               File.c_str(), Name.c_str(),
               std::isnan(V) ? "NaN" : (V > 0 ? "+inf" : "-inf"), First, Count);
}

Status writeTensorFile(const std::string &Path, const Tensor &T, bool Npy) {
  std::vector<uint8_t> Data = encode(T.Data, T.Elt);
  if (!Npy)
    return frontend::writeFileAtomically(Path, Data.data(), Data.size());
  std::string Dict = "{'descr': '" + std::string(npyDescr(T.Elt)) +
                     "', 'fortran_order': False, 'shape': (";
  for (int64_t D : T.Dims)
    Dict += std::to_string(D) + ",";
  if (T.Dims.size() > 1)
    Dict.pop_back();
  Dict += "), }";
  // Pad so the data starts on a 64-byte boundary; the header ends in '\n'.
  size_t Total = 10 + Dict.size() + 1;
  Dict.append((64 - Total % 64) % 64, ' ');
  Dict += '\n';
  std::vector<uint8_t> Out(NpyMagic, NpyMagic + 6);
  Out.push_back(1);
  Out.push_back(0);
  Out.push_back(uint8_t(Dict.size() & 0xff));
  Out.push_back(uint8_t(Dict.size() >> 8));
  Out.insert(Out.end(), Dict.begin(), Dict.end());
  Out.insert(Out.end(), Data.begin(), Data.end());
  return frontend::writeFileAtomically(Path, Out.data(), Out.size());
}

} // namespace nnc::tools
