#include "cairn/layers/simple_rnn.h"

#include "cairn/ops.h"

namespace cairn {

SimpleRNN::SimpleRNN(int64_t units, SimpleRNNOptions options)
    : Recurrent("SimpleRNN", "simple_rnn_cell", 1, units, std::move(options)) {}

std::vector<Tensor> SimpleRNN::step(const Tensor& projected, const std::vector<Tensor>&,
                                    const Tensor& recurrent_input) const {
  return {ops::activation(ops::add(projected, ops::matmul(recurrent_input, recurrent_kernel_->value())),
                          options_.activation)};
}

}  // namespace cairn
