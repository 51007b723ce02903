#include "cairn/tensor.h"

#include <cmath>
#include <malloc.h>

#include <cstdlib>
#include <iomanip>
#include <new>
#include <ostream>
#include <sstream>

#include "cairn/internal/tensor/buffer_cache.h"

namespace cairn {

namespace {
// Training allocates and frees the same large buffers every step. By default glibc serves them with
// mmap and returns them to the system on free, so every step pays page faults again (measured: ~15%
// of a CNN step). Keeping them in the heap trades returned memory for speed, as PyTorch's allocators do.
const bool heap_keeps_large_buffers = [] {
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1024 << 20);
  return true;
}();

void check_shape(const Shape& shape) {
  for (int64_t d : shape)
    if (d < 0) throw ShapeError("negative dimension in shape " + shape_str(shape));
}

template <class T>
double load_as_double(const void* p, int64_t i) {
  return static_cast<double>(static_cast<const T*>(p)[i]);
}

double element_as_double(const Tensor& t, int64_t i) {
  return visit_dtype(t.dtype(), [&](auto tag) { return load_as_double<decltype(tag)>(t.raw_data(), i); });
}

void store_double(Tensor& t, int64_t i, double v) {
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    static_cast<T*>(t.raw_data())[i] = static_cast<T>(v);
  });
}

int64_t flat_index(const Shape& shape, std::initializer_list<int64_t> index) {
  if (index.size() != shape.size())
    throw InvalidArgument("index of rank " + std::to_string(index.size()) + " for tensor of shape " + shape_str(shape));
  int64_t flat = 0;
  size_t axis = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape[axis])
      throw InvalidArgument("index " + std::to_string(i) + " out of range for axis " + std::to_string(axis) +
                            " of shape " + shape_str(shape));
    flat = flat * shape[axis] + i;
    ++axis;
  }
  return flat;
}
}  // namespace

Buffer::Buffer(size_t bytes, BudgetCharge charge, Fill fill)
    : data_(kernels::allocate_buffer(bytes)), size_(bytes), charge_(std::move(charge)) {
  if (fill == Fill::zeros) std::memset(data_, 0, bytes);
}

Buffer::~Buffer() { kernels::release_buffer(data_, size_); }

Tensor::Tensor(Shape shape, DType dtype) : Tensor(std::move(shape), dtype, Buffer::Fill::zeros) {}

Tensor Tensor::uninitialized(Shape shape, DType dtype) { return Tensor(std::move(shape), dtype, Buffer::Fill::none); }

Tensor::Tensor(Shape shape, DType dtype, Buffer::Fill fill) : impl_(std::make_shared<TensorImpl>()) {
  check_shape(shape);
  uint64_t bytes;
  if (__builtin_mul_overflow(static_cast<uint64_t>(num_elements(shape)), dtype_size(dtype), &bytes))
    throw ShapeError("a " + std::string(dtype_name(dtype)) + " tensor of shape " + shape_str(shape) +
                     " has more bytes than a 64-bit size can hold");
  BudgetCharge charge = charge_allocation(
      bytes, [&] { return "a " + std::string(dtype_name(dtype)) + " tensor of shape " + shape_str(shape); });
  impl_->dtype = dtype;
  impl_->shape = std::move(shape);
  impl_->buffer = std::make_shared<Buffer>(static_cast<size_t>(bytes), std::move(charge), fill);
}

Tensor Tensor::ones(Shape shape, DType dtype) { return full(std::move(shape), 1.0, dtype); }

Tensor Tensor::full(Shape shape, double value, DType dtype) {
  Tensor t = uninitialized(std::move(shape), dtype);
  t.fill(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::from_values(Shape shape, std::initializer_list<double> values, DType dtype) {
  Tensor t(std::move(shape), dtype);
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw ShapeError("from_values: " + std::to_string(values.size()) + " values for shape " + shape_str(t.shape()));
  int64_t i = 0;
  for (double v : values) store_double(t, i++, v);
  return t;
}

TensorImpl& Tensor::impl() {
  if (!impl_) throw InvalidArgument("use of an undefined tensor");
  return *impl_;
}

const TensorImpl& Tensor::impl() const {
  if (!impl_) throw InvalidArgument("use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::dim(int axis) const { return shape()[normalize_axis(axis, rank(), "Tensor::dim")]; }

double Tensor::get(std::initializer_list<int64_t> index) const { return element_as_double(*this, flat_index(shape(), index)); }

void Tensor::set(std::initializer_list<int64_t> index, double value) { store_double(*this, flat_index(shape(), index), value); }

double Tensor::item() const {
  if (numel() != 1) throw ShapeError("item() on a tensor of shape " + shape_str(shape()) + ", expected one element");
  return element_as_double(*this, 0);
}

Tensor Tensor::clone() const {
  Tensor t = uninitialized(shape(), dtype());
  if (nbytes()) std::memcpy(t.raw_data(), raw_data(), nbytes());
  return t;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return clone();
  Tensor t = uninitialized(shape(), target);
  const int64_t n = numel();
  visit_dtype(dtype(), [&](auto src_tag) {
    using S = decltype(src_tag);
    visit_dtype(target, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      const S* src = data<S>();
      D* dst = t.data<D>();
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
    });
  });
  return t;
}

Tensor Tensor::reshape(Shape new_shape) const {
  int64_t known = 1;
  int inferred = -1;
  for (size_t i = 0; i < new_shape.size(); ++i) {
    if (new_shape[i] == -1) {
      if (inferred >= 0) throw InvalidArgument("reshape: more than one -1 in " + shape_str(new_shape));
      inferred = static_cast<int>(i);
    } else if (__builtin_mul_overflow(known, new_shape[i], &known)) {
      throw ShapeError("reshape: shape " + shape_str(new_shape) + " has more elements than a 64-bit count can hold");
    }
  }
  if (inferred >= 0) {
    if (known == 0 || numel() % known != 0)
      throw ShapeError("reshape: cannot reshape " + shape_str(shape()) + " into " + shape_str(new_shape));
    new_shape[inferred] = numel() / known;
  }
  check_shape(new_shape);
  if (num_elements(new_shape) != numel())
    throw ShapeError("reshape: cannot reshape " + shape_str(shape()) + " (" + std::to_string(numel()) +
                     " elements) into " + shape_str(new_shape));
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->dtype = dtype();
  t.impl_->shape = std::move(new_shape);
  t.impl_->buffer = impl().buffer;
  return t;
}

void Tensor::copy_from(const Tensor& other) {
  if (other.shape() != shape() || other.dtype() != dtype())
    throw ShapeError("copy_from: source " + shape_str(other.shape()) + " " + std::string(dtype_name(other.dtype())) +
                     " does not match destination " + shape_str(shape()) + " " + std::string(dtype_name(dtype())));
  if (nbytes() && raw_data() != other.raw_data()) std::memcpy(raw_data(), other.raw_data(), nbytes());
}

void Tensor::fill(double value) {
  const int64_t n = numel();
  if (dtype() == DType::Float32) {
    float* p = data<float>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(value);
    return;
  }
  for (int64_t i = 0; i < n; ++i) store_double(*this, i, value);
}

namespace {
void print_recursive(std::ostream& os, const Tensor& t, int axis, int64_t offset, int64_t stride_product) {
  const int64_t n = t.shape()[axis];
  const int64_t stride = stride_product / n;
  const bool elide = n > 6;
  os << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (elide && i == 3) {
      os << "...";
      i = n - 3;
      os << (axis + 1 == t.rank() ? ", " : ",\n");
    }
    if (axis + 1 == t.rank()) {
      os << element_as_double(t, offset + i);
    } else {
      print_recursive(os, t, axis + 1, offset + i * stride, stride);
    }
    if (i + 1 < n) os << (axis + 1 == t.rank() ? ", " : ",\n");
  }
  os << ']';
}
}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream os;
  os << std::setprecision(6);
  os << "Tensor(";
  if (rank() == 0)
    os << element_as_double(*this, 0);
  else if (numel() == 0)
    os << "[]";
  else
    print_recursive(os, *this, 0, 0, numel());
  os << ", shape=" << shape_str(shape()) << ", dtype=" << dtype_name(dtype()) << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

bool equal_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = element_as_double(a, i), y = element_as_double(b, i);
    if (std::isnan(x) || std::isnan(y) || std::abs(x - y) > atol + rtol * std::abs(y)) return false;
  }
  return true;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape())
    throw ShapeError("max_abs_diff: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " differ");
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) worst = std::max(worst, std::abs(element_as_double(a, i) - element_as_double(b, i)));
  return worst;
}

}  // namespace cairn
