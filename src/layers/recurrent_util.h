// The time loop shared by the recurrent layers that are written as a cell step (GRU, SimpleRNN): the
// inputs' projection is computed for every step at once, then the cell runs step by step on the tape.
#pragma once

#include <functional>

#include "cairn/ops.h"

namespace cairn::detail {

// h_t = step(projected_t, h_{t-1}) from h_0 = 0 over the steps of `projected` (batch, steps, features),
// backwards with go_backwards. The last h (batch, units), or every h (batch, steps, units) in the order
// processed, as Keras returns them.
inline Tensor run_recurrence(const Tensor& projected, int64_t units, bool return_sequences, bool go_backwards,
                             const std::function<Tensor(const Tensor& x_t, const Tensor& h)>& step) {
  const int64_t batch = projected.dim(0), steps = projected.dim(1), features = projected.dim(2);
  const Tensor time_major = ops::permute(projected, {1, 0, 2});
  Tensor h(Shape{batch, units}, DType::Float32);
  std::vector<Tensor> outputs;
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t t = go_backwards ? steps - 1 - i : i;
    h = step(ops::reshape(ops::slice(time_major, 0, t, t + 1), {batch, features}), h);
    if (return_sequences) outputs.push_back(ops::reshape(h, {1, batch, units}));
  }
  if (!return_sequences) return h;
  return ops::permute(ops::concat(outputs, 0), {1, 0, 2});
}

}  // namespace cairn::detail
