// LSTM: keras.layers.LSTM (gate order i, f, c, o, zero initial state, activation tanh and
// recurrent_activation sigmoid by default; any others run step by step instead of the fused kernel).
// Options and the time loop: cairn/layers/recurrent.h.
#pragma once

#include "cairn/layers/recurrent.h"

namespace cairn {

using LSTMOptions = RecurrentOptions;

class LSTM : public Recurrent {
 public:
  explicit LSTM(int64_t units, LSTMOptions options = {});
  std::shared_ptr<Recurrent> make_like(RecurrentOptions options) const override {
    return std::make_shared<LSTM>(units_, std::move(options));
  }
  int state_count() const override { return 2; }

 protected:
  std::vector<Tensor> step(const Tensor& projected, const std::vector<Tensor>& states,
                           const Tensor& recurrent_input) const override;
  InitializerPtr bias_initializer() const override;
  Tensor fused_call(const Tensor& x) const override;
};

// std::make_shared cannot forward a braced options list; this factory can: make_lstm(64, {.return_sequences = true}).
inline std::shared_ptr<LSTM> make_lstm(int64_t units, LSTMOptions options = {}) {
  return std::make_shared<LSTM>(units, std::move(options));
}

}  // namespace cairn
