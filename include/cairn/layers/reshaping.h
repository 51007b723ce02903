// keras.layers.Reshape, Permute and RepeatVector: layers that move a sample's values without computing.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

// Reshape(target_shape): each sample to target_shape (without the batch axis; one entry may be -1).
class Reshape : public Layer {
 public:
  explicit Reshape(Shape target_shape, std::string name = "");
  const Shape& target_shape() const { return target_shape_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  Shape target_shape_;
};

// Permute(dims): reorders a sample's axes; dims are 1-based (the batch axis stays first), as in Keras.
class Permute : public Layer {
 public:
  explicit Permute(std::vector<int> dims, std::string name = "");
  const std::vector<int>& dims() const { return dims_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  std::vector<int> dims_;
};

// RepeatVector(n): (batch, features) -> (batch, n, features).
class RepeatVector : public Layer {
 public:
  explicit RepeatVector(int64_t n, std::string name = "");
  int64_t n() const { return n_; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int64_t n_;
};

}  // namespace cairn
