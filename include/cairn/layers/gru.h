// GRU: keras.layers.GRU (gates z, r, h in that order, zero initial state), with Keras 3's default
// reset_after = true (the reset gate applies after the recurrent product, bias (2, 3 units): input and
// recurrent rows) or tf.keras 1's reset_after = false (bias (3 units)). Options and the time loop:
// cairn/layers/recurrent.h.
#pragma once

#include "cairn/layers/recurrent.h"

namespace cairn {

using GRUOptions = RecurrentOptions;

class GRU : public Recurrent {
 public:
  explicit GRU(int64_t units, GRUOptions options = {});
  std::shared_ptr<Recurrent> make_like(RecurrentOptions options) const override {
    return std::make_shared<GRU>(units_, std::move(options));
  }

 protected:
  std::vector<Tensor> step(const Tensor& projected, const std::vector<Tensor>& states,
                           const Tensor& recurrent_input) const override;
  Shape bias_shape() const override;
  Tensor input_bias() const override;
  // ops::gru for Keras 3's default cell (reset_after, tanh, sigmoid).
  Tensor fused_call(const Tensor& x) const override;
};

inline std::shared_ptr<GRU> make_gru(int64_t units, GRUOptions options = {}) {
  return std::make_shared<GRU>(units, std::move(options));
}

}  // namespace cairn
