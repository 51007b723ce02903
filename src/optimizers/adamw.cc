#include "cairn/optimizers.h"

namespace cairn {

AdamW::AdamW(double learning_rate, double weight_decay, double beta_1, double beta_2, double epsilon, bool amsgrad)
    : Adam("AdamW", learning_rate, beta_1, beta_2, epsilon, amsgrad, /*decay=*/0.0) {
  // Keras 3's AdamW is Adam with the base optimizer's decoupled weight decay, which it requires.
  OptimizerCommonOptions options = common_options();
  options.weight_decay = weight_decay;
  set_common_options(options);
}

}  // namespace cairn
