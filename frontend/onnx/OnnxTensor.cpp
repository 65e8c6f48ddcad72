//===- frontend/onnx/OnnxTensor.cpp - TensorProto -> raw data -------------===//
#include "frontend/FileIO.h"
#include "frontend/onnx/OnnxInternal.h"
#include "ir/Initializers.h"

#include <cstring>

namespace nnc::frontend {
namespace onnx_import {

Expected<OnnxTensor> convertTensor(const onnx::TensorProto &T) {
  OnnxTensor Out;
  Out.Name = T.name();
  switch (T.data_type()) {
  case onnx::TensorProto::FLOAT:
    Out.Elt = ir::DType::F32;
    break;
  case onnx::TensorProto::DOUBLE:
    Out.Elt = ir::DType::F64;
    break;
  case onnx::TensorProto::INT32:
    Out.Elt = ir::DType::I32;
    break;
  case onnx::TensorProto::INT64:
    Out.Elt = ir::DType::I64;
    break;
  case onnx::TensorProto::UINT8:
    Out.Elt = ir::DType::U8;
    break;
  case onnx::TensorProto::BOOL:
    Out.Elt = ir::DType::Bool;
    break;
  default:
    return error("tensor '", T.name(), "': data type ",
                 onnx::TensorProto::DataType_Name(T.data_type()),
                 " is not supported");
  }
  if (T.has_data_location() && T.data_location() == onnx::TensorProto::EXTERNAL)
    return error("tensor '", T.name(), "': external data is not supported");
  Out.Dims.assign(T.dims().begin(), T.dims().end());
  std::optional<int64_t> Count = ir::checkedNumElements(Out.Dims);
  if (!Count)
    return error("tensor '", T.name(), "': bad shape ",
                 ir::shapeString(Out.Dims));
  size_t Bytes = size_t(*Count) * ir::dtypeSize(Out.Elt);
  if (T.has_raw_data()) {
    if (T.raw_data().size() != Bytes)
      return error("tensor '", T.name(), "': raw_data has ",
                   T.raw_data().size(), " bytes, shape ",
                   ir::shapeString(Out.Dims), " needs ", Bytes);
    Out.Raw.assign(T.raw_data().begin(), T.raw_data().end());
    return Out;
  }
  std::vector<double> Values;
  switch (T.data_type()) {
  case onnx::TensorProto::FLOAT:
    Values.assign(T.float_data().begin(), T.float_data().end());
    break;
  case onnx::TensorProto::DOUBLE:
    Values.assign(T.double_data().begin(), T.double_data().end());
    break;
  case onnx::TensorProto::INT64:
    Values.assign(T.int64_data().begin(), T.int64_data().end());
    break;
  default: // INT32, UINT8, BOOL all travel in int32_data
    Values.assign(T.int32_data().begin(), T.int32_data().end());
  }
  if (int64_t(Values.size()) != *Count)
    return error("tensor '", T.name(), "' has ", Values.size(),
                 " values, shape ", ir::shapeString(Out.Dims), " needs ",
                 *Count);
  Out.Raw = ir::encode(Values, Out.Elt);
  return Out;
}

} // namespace onnx_import

Expected<OnnxTensor> readOnnxTensor(const std::string &Path) {
  Expected<std::vector<uint8_t>> Bytes = readFile(Path);
  if (!Bytes.ok())
    return Bytes.status();
  onnx::TensorProto T;
  if (!T.ParseFromArray(Bytes->data(), int(Bytes->size())))
    return error(Path, ": not a valid ONNX TensorProto");
  Expected<OnnxTensor> Out = onnx_import::convertTensor(T);
  if (!Out.ok())
    return Out.status().withPrefix(Path);
  return Out;
}

} // namespace nnc::frontend
