// keras.layers' ZeroPadding1D/2D, Cropping1D/2D and UpSampling1D/2D (nearest): zeros added around, rows
// and columns cut from, or each position repeated along the steps of (batch, steps, channels) or the rows
// and columns of channels-last images (batch, rows, cols, channels).
#pragma once

#include <array>

#include "cairn/layers/layer.h"

namespace cairn {

// The shared shape logic: `axes` spatial axes (1 or 2), each with an amount before and after (padding,
// cropping) or a factor (upsampling).
class SpatialReshaping : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  enum class Kind { Pad, Crop, Repeat };
  // For Repeat, `amounts[i][0]` is the factor of spatial axis i.
  SpatialReshaping(std::string class_name, std::string name, Kind kind, std::vector<std::array<int, 2>> amounts);
  const std::vector<std::array<int, 2>>& amounts() const { return amounts_; }
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  Kind kind_;
  std::vector<std::array<int, 2>> amounts_;
};

// ZeroPadding1D(padding): `padding` = {left, right} zero steps.
class ZeroPadding1D : public SpatialReshaping {
 public:
  explicit ZeroPadding1D(std::array<int, 2> padding = {1, 1}, std::string name = "");
  std::array<int, 2> padding() const { return amounts()[0]; }
};

// ZeroPadding2D(padding): {{top, bottom}, {left, right}} zero rows and columns.
class ZeroPadding2D : public SpatialReshaping {
 public:
  explicit ZeroPadding2D(std::array<std::array<int, 2>, 2> padding = {{{1, 1}, {1, 1}}}, std::string name = "");
  std::array<std::array<int, 2>, 2> padding() const { return {amounts()[0], amounts()[1]}; }
};

// Cropping1D(cropping): {start, end} steps removed.
class Cropping1D : public SpatialReshaping {
 public:
  explicit Cropping1D(std::array<int, 2> cropping = {1, 1}, std::string name = "");
  std::array<int, 2> cropping() const { return amounts()[0]; }
};

// Cropping2D(cropping): {{top, bottom}, {left, right}} rows and columns removed.
class Cropping2D : public SpatialReshaping {
 public:
  explicit Cropping2D(std::array<std::array<int, 2>, 2> cropping = {{{0, 0}, {0, 0}}}, std::string name = "");
  std::array<std::array<int, 2>, 2> cropping() const { return {amounts()[0], amounts()[1]}; }
};

// UpSampling1D(size): each step repeated `size` times.
class UpSampling1D : public SpatialReshaping {
 public:
  explicit UpSampling1D(int size = 2, std::string name = "");
  int size() const { return amounts()[0][0]; }
};

// UpSampling2D(size), nearest: each row repeated size[0] times, each column size[1] times.
class UpSampling2D : public SpatialReshaping {
 public:
  explicit UpSampling2D(std::array<int, 2> size = {2, 2}, std::string name = "");
  std::array<int, 2> size() const { return {amounts()[0][0], amounts()[1][0]}; }
};

}  // namespace cairn
