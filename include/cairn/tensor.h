// Tensor: a handle to a dense, contiguous, row-major array with a dtype and a shape.
//
// Copying a Tensor copies the handle, not the data (as in TensorFlow and PyTorch); clone() copies the
// data. The handle's identity is what GradientTape records, so ops always return new tensors and only
// Variable::assign and the optimizers write into an existing buffer.
#pragma once

#include <cstring>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cairn/allocation_budget.h"
#include "cairn/dtype.h"
#include "cairn/error.h"
#include "cairn/shape.h"

namespace cairn {

// 64-byte aligned bytes; the unit of sharing between tensors with different shapes (reshape).
class Buffer {
 public:
  enum class Fill { zeros, none };
  // Zero-filled unless `fill` is none; `charge` holds the bytes against the allocation budgets in force
  // until the buffer dies.
  explicit Buffer(size_t bytes, BudgetCharge charge = {}, Fill fill = Fill::zeros);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_;
  size_t size_;
  BudgetCharge charge_;
};

struct TensorImpl {
  DType dtype = DType::Float32;
  Shape shape;
  std::shared_ptr<Buffer> buffer;
  // Set on the value of a trainable Variable: a GradientTape watches such tensors by itself,
  // like TensorFlow's watch_accessed_variables.
  bool watched_by_default = false;
};

class Tensor {
 public:
  Tensor() = default;  // undefined: no dtype, no shape, no data
  // Zero-filled. ShapeError for a negative dimension or a size that overflows 64 bits;
  // ResourceLimitError past an allocation budget in force (allocation_budget.h).
  explicit Tensor(Shape shape, DType dtype = DType::Float32);

  static Tensor zeros(Shape shape, DType dtype = DType::Float32) { return Tensor(std::move(shape), dtype); }
  // Values left unset, for the output of a kernel that writes every element: zero-filling a buffer that
  // is overwritten anyway cost 6.6-12% of a CNN training step. Anything else must use the constructor.
  static Tensor uninitialized(Shape shape, DType dtype = DType::Float32);
  static Tensor ones(Shape shape, DType dtype = DType::Float32);
  static Tensor full(Shape shape, double value, DType dtype = DType::Float32);
  static Tensor scalar(double value, DType dtype = DType::Float32);
  template <class T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values);
  // Like from_vector but the values are given as doubles and converted to dtype.
  static Tensor from_values(Shape shape, std::initializer_list<double> values, DType dtype = DType::Float32);

  bool defined() const { return impl_ != nullptr; }
  DType dtype() const { return impl().dtype; }
  const Shape& shape() const { return impl().shape; }
  int rank() const { return static_cast<int>(impl().shape.size()); }
  int64_t dim(int axis) const;  // negative axes count from the end
  int64_t numel() const { return num_elements(impl().shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  void* raw_data() { return impl().buffer->data(); }
  const void* raw_data() const { return impl().buffer->data(); }
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  template <class T>
  std::span<T> span() { return {data<T>(), static_cast<size_t>(numel())}; }
  template <class T>
  std::span<const T> span() const { return {data<T>(), static_cast<size_t>(numel())}; }
  template <class T>
  std::vector<T> to_vector() const { auto s = span<T>(); return {s.begin(), s.end()}; }

  // Element at a multi-index, read as double whatever the dtype (for tests and printing).
  double get(std::initializer_list<int64_t> index) const;
  void set(std::initializer_list<int64_t> index, double value);
  // The value of a one-element tensor as double.
  double item() const;

  Tensor clone() const;                 // deep copy
  Tensor to(DType dtype) const;         // converted copy (a clone when dtype is the same)
  Tensor reshape(Shape shape) const;    // shares the buffer; one dimension may be -1
  void copy_from(const Tensor& other);  // same shape and dtype required; writes into this buffer
  void fill(double value);

  // True when both handles point to the same tensor.
  bool same_as(const Tensor& other) const { return impl_ == other.impl_; }
  const TensorImpl* id() const { return impl_.get(); }
  TensorImpl& impl();
  const TensorImpl& impl() const;

  std::string to_string() const;  // numpy-like, elided beyond 6 elements per axis

 private:
  Tensor(Shape shape, DType dtype, Buffer::Fill fill);

  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Comparison helpers (mostly for tests).
bool equal_bytes(const Tensor& a, const Tensor& b);  // same dtype, shape and bytes
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);
double max_abs_diff(const Tensor& a, const Tensor& b);

// ---- inline template definitions

template <class T>
T* Tensor::data() {
  if (dtype() != dtype_of<T>)
    throw InvalidArgument("tensor of dtype " + std::string(dtype_name(dtype())) + " read as " +
                          std::string(dtype_name(dtype_of<T>)));
  return static_cast<T*>(raw_data());
}

template <class T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

template <class T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  Tensor t(std::move(shape), dtype_of<T>);
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw ShapeError("from_vector: " + std::to_string(values.size()) + " values for shape " +
                     shape_str(t.shape()));
  if constexpr (std::is_same_v<T, bool>) {
    for (size_t i = 0; i < values.size(); ++i) t.data<bool>()[i] = values[i];
  } else if (!values.empty()) {
    std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  }
  return t;
}

}  // namespace cairn
