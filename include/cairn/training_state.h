// Where a training run is, as one object: fit and Estimator::train keep it current while they train,
// and what saves a run so that it continues exactly (BackupAndRestore, the estimator's checkpoints)
// saves it and puts it back. The weights, the optimizer's slots and the random generators of the layers
// are saved with the model and the optimizer; this is the rest.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cairn/epoch_iterator.h"

namespace cairn {

struct TrainingState {
  // Batches trained over all runs: TensorFlow's global_step; in fit, the optimizer's iterations.
  int64_t global_step = 0;
  // fit's epoch in progress, the batches of it already trained and the place in the data. (An Estimator
  // reads its input afresh with each train call, as TensorFlow's input_fn is, and leaves this at zero.)
  EpochPosition position;
  // fit's loss and metric states of the epoch in progress, by log key: Metric::state(), e.g. {total, count}
  // of the means, AUC's confusion counts per threshold. Every state is a vector of sums.
  std::map<std::string, std::vector<double>> metric_states;
};

}  // namespace cairn
