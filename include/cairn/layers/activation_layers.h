// The activation layers with arguments of their own, as keras.layers' ReLU, LeakyReLU, ELU, Softmax and
// PReLU (whose alpha is a weight). The Activation layer (activation.h) applies an activation by name.
#pragma once

#include <optional>

#include "cairn/layers/layer.h"

namespace cairn {

// ReLU(max_value, negative_slope): min(max_value, x >= 0 ? x : negative_slope x). Keras's threshold is 0.
struct ReLUOptions {
  std::optional<double> max_value;
  double negative_slope = 0.0;
  std::string name;
};

class ReLU : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit ReLU(ReLUOptions options = {});
  const ReLUOptions& options() const { return options_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ReLUOptions options_;
};

// LeakyReLU(negative_slope = 0.3, Keras 3's default): x >= 0 ? x : negative_slope x.
class LeakyReLU : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit LeakyReLU(double negative_slope = 0.3, std::string name = "");
  double negative_slope() const { return negative_slope_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double negative_slope_;
};

// ELU(alpha = 1): x > 0 ? x : alpha (exp(x) - 1).
class ELU : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit ELU(double alpha = 1.0, std::string name = "");
  double alpha() const { return alpha_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double alpha_;
};

// Softmax(axis = -1). Given a mask (Keras's mask argument: broadcast to the input from the right, as
// numpy), the entries where it is 0 become -1e9 before the softmax and 0 after it, as Keras 3's; the
// mask passes on.
class Softmax : public Layer {
 public:
  explicit Softmax(int axis = -1, std::string name = "");
  int axis() const { return axis_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  bool supports_masking() const override { return true; }

 protected:
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_with_mask(const Tensor& x, const Tensor& mask, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int axis_;
};

// PReLU: x >= 0 ? x : alpha x, with alpha a trainable weight of the input's shape without the batch axis
// (size 1 along shared_axes, 1-based as in Keras).
struct PReLUOptions {
  InitializerPtr alpha_initializer = zeros();
  std::vector<int> shared_axes;
  std::string name;
};

class PReLU : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit PReLU(PReLUOptions options = {});
  const PReLUOptions& options() const { return options_; }
  const VariablePtr& alpha() const { return alpha_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  PReLUOptions options_;
  VariablePtr alpha_;
};

}  // namespace cairn
