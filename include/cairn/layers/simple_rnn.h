// SimpleRNN: keras.layers.SimpleRNN, h_t = activation(x_t kernel + h_{t-1} recurrent_kernel + bias) from a
// zero state. Options and the time loop: cairn/layers/recurrent.h.
#pragma once

#include "cairn/layers/recurrent.h"

namespace cairn {

using SimpleRNNOptions = RecurrentOptions;

class SimpleRNN : public Recurrent {
 public:
  explicit SimpleRNN(int64_t units, SimpleRNNOptions options = {});
  std::shared_ptr<Recurrent> make_like(RecurrentOptions options) const override {
    return std::make_shared<SimpleRNN>(units_, std::move(options));
  }

 protected:
  std::vector<Tensor> step(const Tensor& projected, const std::vector<Tensor>& states,
                           const Tensor& recurrent_input) const override;
};

inline std::shared_ptr<SimpleRNN> make_simple_rnn(int64_t units, SimpleRNNOptions options = {}) {
  return std::make_shared<SimpleRNN>(units, std::move(options));
}

}  // namespace cairn
