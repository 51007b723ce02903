// Embedding lookup, the LSTM and the GRU; their arithmetic lives in tensor/lstm and tensor/gru.
#include <cstring>
#include <memory>

#include "op_util.h"
#include "cairn/ops.h"
#include "cairn/internal/tensor/gru.h"
#include "cairn/internal/tensor/lstm.h"

namespace cairn::ops {

using detail::maybe_record;
using detail::require_float32;

namespace {

// The ids as int64, checked against [0, vocabulary).
std::vector<int64_t> checked_ids(const Tensor& ids, int64_t vocabulary) {
  std::vector<int64_t> out(static_cast<size_t>(ids.numel()));
  auto check = [&](const auto* p) {
    for (size_t k = 0; k < out.size(); ++k) {
      const int64_t id = static_cast<int64_t>(p[k]);
      if (id < 0 || id >= vocabulary)
        throw InvalidArgument("embedding_lookup: id " + std::to_string(id) + " at flat index " +
                              std::to_string(k) + " is outside the valid range [0, " +
                              std::to_string(vocabulary) + ") of a table with " + std::to_string(vocabulary) +
                              " rows");
      out[k] = id;
    }
  };
  if (ids.dtype() == DType::Int32)
    check(ids.data<int32_t>());
  else if (ids.dtype() == DType::Int64)
    check(ids.data<int64_t>());
  else
    throw InvalidArgument("embedding_lookup: ids must be int32 or int64, got " +
                          std::string(dtype_name(ids.dtype())) + " of shape " + shape_str(ids.shape()));
  return out;
}

// Checks a recurrent layer's x (B,T,I), kernel (I,gates U) and recurrent_kernel (U,gates U); returns U.
int64_t checked_units(const char* op, int gates, const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel) {
  require_float32(x, op);
  require_float32(kernel, op);
  require_float32(recurrent_kernel, op);
  detail::require_rank(x, 3, op, "input (batch, timesteps, features)");
  detail::require_rank(kernel, 2, op, "kernel");
  detail::require_rank(recurrent_kernel, 2, op, "recurrent_kernel");
  const int64_t units = recurrent_kernel.dim(0);
  const std::string g = std::to_string(gates);
  if (recurrent_kernel.dim(1) != gates * units)
    throw ShapeError(std::string(op) + ": recurrent_kernel of shape " + shape_str(recurrent_kernel.shape()) +
                     " must be (units, " + g + " * units)");
  if (kernel.dim(1) != gates * units)
    throw ShapeError(std::string(op) + ": kernel of shape " + shape_str(kernel.shape()) +
                     " does not match recurrent_kernel of shape " + shape_str(recurrent_kernel.shape()) +
                     " (expected " + std::to_string(gates * units) + " columns)");
  if (x.dim(2) != kernel.dim(0))
    throw ShapeError(std::string(op) + ": input of shape " + shape_str(x.shape()) + " does not match kernel of shape " +
                     shape_str(kernel.shape()) + " (last axis must be " + std::to_string(kernel.dim(0)) + ")");
  return units;
}

}  // namespace

Tensor embedding_lookup(const Tensor& table, const Tensor& ids) {
  if (!table.defined() || !ids.defined())
    throw InvalidArgument("embedding_lookup: input tensor is undefined");
  detail::require_rank(table, 2, "embedding_lookup", "table");
  const int64_t vocabulary = table.dim(0), width = table.dim(1);
  std::vector<int64_t> rows = checked_ids(ids, vocabulary);
  Shape out_shape = ids.shape();
  out_shape.push_back(width);
  Tensor y(out_shape, table.dtype());
  const size_t row_bytes = static_cast<size_t>(width) * dtype_size(table.dtype());
  const char* src = static_cast<const char*>(table.raw_data());
  char* dst = static_cast<char*>(y.raw_data());
  for (size_t k = 0; k < rows.size(); ++k)
    std::memcpy(dst + k * row_bytes, src + rows[k] * row_bytes, row_bytes);
  if (table.dtype() == DType::Float32) {
    // The gradient is dense, table-shaped: each looked-up row's gradient is added to its id's row.
    maybe_record({table}, y,
                 [shape = table.shape(), rows = std::move(rows)](const std::vector<Tensor>& g,
                                                                 const std::vector<bool>&) {
                   Tensor grad(shape, DType::Float32);
                   const int64_t width = shape[1];
                   const float* gy = g[0].data<float>();
                   float* gt = grad.data<float>();
                   for (size_t k = 0; k < rows.size(); ++k) {
                     float* __restrict dst = gt + rows[k] * width;
                     const float* __restrict src = gy + static_cast<int64_t>(k) * width;
                     for (int64_t j = 0; j < width; ++j) dst[j] += src[j];
                   }
                   return std::vector<Tensor>{grad};
                 });
  }
  return y;
}

Tensor lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
            bool return_sequences) {
  const int64_t units = checked_units("lstm", 4, x, kernel, recurrent_kernel);
  if (bias.defined()) {
    require_float32(bias, "lstm");
    if (bias.rank() != 1 || bias.dim(0) != 4 * units)
      throw ShapeError("lstm: bias of shape " + shape_str(bias.shape()) +
                       " does not match recurrent_kernel of shape " + shape_str(recurrent_kernel.shape()) +
                       " (expected (" + std::to_string(4 * units) + ",))");
  }

  const kernels::LstmDims dims{x.dim(0), x.dim(1), x.dim(2), units};
  Tensor y = Tensor::uninitialized(return_sequences ? Shape{dims.batch, dims.steps, units} : Shape{dims.batch, units},
                                   DType::Float32);
  std::vector<Tensor> inputs{x, kernel, recurrent_kernel};
  if (bias.defined()) inputs.push_back(bias);
  const bool record = autodiff::should_record(inputs);
  auto trace = record ? std::make_shared<kernels::LstmTrace>() : nullptr;
  kernels::lstm_forward(dims, x.data<float>(), kernel.data<float>(), recurrent_kernel.data<float>(),
                        bias.defined() ? bias.data<float>() : nullptr, return_sequences, y.data<float>(),
                        trace.get());
  if (record) {
    std::vector<Shape> shapes;
    for (const Tensor& t : inputs) shapes.push_back(t.shape());
    autodiff::record(inputs, {y},
                     [trace, kernel, recurrent_kernel, return_sequences, shapes = std::move(shapes)](
                         const std::vector<Tensor>& g, const std::vector<bool>& need) {
                       std::vector<Tensor> grads(shapes.size());
                       for (size_t k = 0; k < grads.size(); ++k)
                         if (need[k]) grads[k] = Tensor::uninitialized(shapes[k], DType::Float32);
                       auto wanted = [&](size_t k) {
                         return k < grads.size() && grads[k].defined() ? grads[k].data<float>() : nullptr;
                       };
                       kernels::lstm_backward(*trace, kernel.data<float>(), recurrent_kernel.data<float>(),
                                              g[0].data<float>(), return_sequences, wanted(0), wanted(1),
                                              wanted(2), wanted(3));
                       return grads;
                     });
  }
  return y;
}

Tensor gru(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
           bool return_sequences) {
  const int64_t units = checked_units("gru", 3, x, kernel, recurrent_kernel);
  if (bias.defined()) {
    require_float32(bias, "gru");
    if (bias.shape() != Shape{2, 3 * units})
      throw ShapeError("gru: bias of shape " + shape_str(bias.shape()) + " does not match recurrent_kernel of shape " +
                       shape_str(recurrent_kernel.shape()) + " (expected (2, " + std::to_string(3 * units) + "))");
  }

  const kernels::GruDims dims{x.dim(0), x.dim(1), x.dim(2), units};
  Tensor y = Tensor::uninitialized(return_sequences ? Shape{dims.batch, dims.steps, units} : Shape{dims.batch, units},
                                   DType::Float32);
  std::vector<Tensor> inputs{x, kernel, recurrent_kernel};
  if (bias.defined()) inputs.push_back(bias);
  const bool record = autodiff::should_record(inputs);
  auto trace = record ? std::make_shared<kernels::GruTrace>() : nullptr;
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  kernels::gru_forward(dims, x.data<float>(), kernel.data<float>(), recurrent_kernel.data<float>(), b,
                       b ? b + 3 * units : nullptr, return_sequences, y.data<float>(), trace.get());
  if (record) {
    std::vector<Shape> shapes;
    for (const Tensor& t : inputs) shapes.push_back(t.shape());
    autodiff::record(inputs, {y},
                     [trace, kernel, recurrent_kernel, return_sequences, units, shapes = std::move(shapes)](
                         const std::vector<Tensor>& g, const std::vector<bool>& need) {
                       std::vector<Tensor> grads(shapes.size());
                       for (size_t k = 0; k < grads.size(); ++k)
                         if (need[k]) grads[k] = Tensor::uninitialized(shapes[k], DType::Float32);
                       auto wanted = [&](size_t k) {
                         return k < grads.size() && grads[k].defined() ? grads[k].data<float>() : nullptr;
                       };
                       float* dbias = wanted(3);
                       kernels::gru_backward(*trace, kernel.data<float>(), recurrent_kernel.data<float>(),
                                             g[0].data<float>(), return_sequences, wanted(0), wanted(1), wanted(2),
                                             dbias, dbias ? dbias + 3 * units : nullptr);
                       return grads;
                     });
  }
  return y;
}

}  // namespace cairn::ops
