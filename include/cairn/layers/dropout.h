// Dropout: in training, zeroes each input with probability `rate` and scales the rest by 1/(1-rate);
// the identity at inference. Draws from the layer's seeded stream.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class Dropout : public Layer {
 public:
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras
  explicit Dropout(double rate, std::optional<uint64_t> seed = {}, std::string name = "");
  double rate() const { return rate_; }
  std::optional<uint64_t> seed() const { return seed_; }
  bool draws_random_numbers() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double rate_;
  std::optional<uint64_t> seed_;
};

// The factory of the same style as make_dense, for models written with one kind of call.
inline std::shared_ptr<Dropout> make_dropout(double rate, std::optional<uint64_t> seed = {}, std::string name = "") {
  return std::make_shared<Dropout>(rate, seed, std::move(name));
}

}  // namespace cairn
