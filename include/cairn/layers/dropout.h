// Dropout: in training, zeroes each input with probability `rate` and scales the rest by 1/(1-rate);
// the identity at inference. Draws from the layer's seeded stream. With a noise_shape (Keras's: one size
// per input axis, 1 where one draw is shared along the axis, -1 (Keras's None) for the input's own size),
// one keep-or-drop draw covers every element that differs only along the axes of size 1, as EfficientNet's
// Dropout(noise_shape=(None, 1, 1, 1)) drops whole samples.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Dropout : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit Dropout(double rate, std::optional<uint64_t> seed = {}, std::string name = "",
                   std::vector<int64_t> noise_shape = {});
  double rate() const { return rate_; }
  std::optional<uint64_t> seed() const { return seed_; }
  // Empty: one draw per element.
  const std::vector<int64_t>& noise_shape() const { return noise_shape_; }
  bool draws_random_numbers() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  double rate_;
  std::optional<uint64_t> seed_;
  std::vector<int64_t> noise_shape_;
};

// The factory of the same style as make_dense, for models written with one kind of call.
inline std::shared_ptr<Dropout> make_dropout(double rate, std::optional<uint64_t> seed = {}, std::string name = "") {
  return std::make_shared<Dropout>(rate, seed, std::move(name));
}

}  // namespace cairn
