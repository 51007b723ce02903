#include "cairn/layers/spatial_reshaping.h"

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

std::string amounts_str(const std::vector<std::array<int, 2>>& amounts) {
  std::string out;
  for (const auto& a : amounts) out += (out.empty() ? "(" : ", (") + std::to_string(a[0]) + ", " + std::to_string(a[1]) + ")";
  return out;
}

// x with `before` and `after` zeros along `axis` (zeros need no gradient; concat passes x's through).
Tensor pad_axis(const Tensor& x, int axis, int before, int after) {
  std::vector<Tensor> parts;
  Shape zeros_shape = x.shape();
  if (before > 0) {
    zeros_shape[axis] = before;
    parts.push_back(Tensor(zeros_shape, DType::Float32));
  }
  parts.push_back(x);
  if (after > 0) {
    zeros_shape[axis] = after;
    parts.push_back(Tensor(zeros_shape, DType::Float32));
  }
  return parts.size() == 1 ? x : ops::concat(parts, axis);
}

// Each position along `axis` repeated `times` times, in place (nearest-neighbour upsampling).
Tensor repeat_axis(const Tensor& x, int axis, int times) {
  if (times == 1) return x;
  Shape expanded = x.shape();
  expanded.insert(expanded.begin() + axis + 1, 1);
  const Tensor column = ops::reshape(x, expanded);
  Shape out = x.shape();
  out[axis] *= times;
  return ops::reshape(ops::concat(std::vector<Tensor>(static_cast<size_t>(times), column), axis + 1), out);
}

}  // namespace

SpatialReshaping::SpatialReshaping(std::string class_name, std::string name, Kind kind,
                                   std::vector<std::array<int, 2>> amounts)
    : Layer(std::move(class_name), std::move(name)), kind_(kind), amounts_(std::move(amounts)) {
  const char* argument = kind_ == Kind::Pad ? "padding" : kind_ == Kind::Crop ? "cropping" : "size";
  for (const auto& a : amounts_)
    if (kind_ == Kind::Repeat ? a[0] < 1 : (a[0] < 0 || a[1] < 0))
      throw InvalidArgument(this->class_name() + ": the `" + argument + "` argument must be " +
                            (kind_ == Kind::Repeat ? "positive" : "non-negative") + ", got " + amounts_str(amounts_));
}

void SpatialReshaping::check_input(const Shape& input_shape) const {
  const size_t rank = amounts_.size() + 2;
  if (input_shape.size() != rank)
    incompatible_input("expected ndim=" + std::to_string(rank) + ", found ndim=" + std::to_string(input_shape.size()) +
                       ". Full shape received: " + shape_str(input_shape));
  if (kind_ == Kind::Crop)
    for (size_t i = 0; i < amounts_.size(); ++i) {
      const int64_t size = input_shape[i + 1];
      if (size >= 0 && amounts_[i][0] + amounts_[i][1] >= size)
        incompatible_input("cropping " + amounts_str(amounts_) + " leaves nothing of an input of shape " +
                           shape_str(input_shape));
    }
}

Shape SpatialReshaping::compute_output_shape(const Shape& input_shape) const {
  Shape out = input_shape;
  for (size_t i = 0; i < amounts_.size(); ++i) {
    int64_t& d = out[i + 1];
    if (d < 0) continue;
    if (kind_ == Kind::Pad) d += amounts_[i][0] + amounts_[i][1];
    if (kind_ == Kind::Crop) d -= amounts_[i][0] + amounts_[i][1];
    if (kind_ == Kind::Repeat) d *= amounts_[i][0];
  }
  return out;
}

Tensor SpatialReshaping::call(const Tensor& x, bool) {
  Tensor y = x;
  for (size_t i = 0; i < amounts_.size(); ++i) {
    const int axis = static_cast<int>(i) + 1;
    const auto [first, second] = amounts_[i];
    if (kind_ == Kind::Pad) y = pad_axis(y, axis, first, second);
    if (kind_ == Kind::Crop) y = ops::slice(y, axis, first, y.dim(axis) - second);
    if (kind_ == Kind::Repeat) y = repeat_axis(y, axis, first);
  }
  return y;
}

ZeroPadding1D::ZeroPadding1D(std::array<int, 2> padding, std::string name)
    : SpatialReshaping("ZeroPadding1D", std::move(name), Kind::Pad, {padding}) {}
ZeroPadding2D::ZeroPadding2D(std::array<std::array<int, 2>, 2> padding, std::string name)
    : SpatialReshaping("ZeroPadding2D", std::move(name), Kind::Pad, {padding[0], padding[1]}) {}
Cropping1D::Cropping1D(std::array<int, 2> cropping, std::string name)
    : SpatialReshaping("Cropping1D", std::move(name), Kind::Crop, {cropping}) {}
Cropping2D::Cropping2D(std::array<std::array<int, 2>, 2> cropping, std::string name)
    : SpatialReshaping("Cropping2D", std::move(name), Kind::Crop, {cropping[0], cropping[1]}) {}
UpSampling1D::UpSampling1D(int size, std::string name)
    : SpatialReshaping("UpSampling1D", std::move(name), Kind::Repeat, {{size, size}}) {}
UpSampling2D::UpSampling2D(std::array<int, 2> size, std::string name)
    : SpatialReshaping("UpSampling2D", std::move(name), Kind::Repeat, {{size[0], size[0]}, {size[1], size[1]}}) {}

}  // namespace cairn
