// The machinery shared by the premade estimators: the network, the model directory's checkpoints, the
// train / evaluate / predict loops. What differs between classifier and regressor is their Head.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cairn/checkpoint.h"
#include "cairn/checkpoint_manager.h"
#include "cairn/data.h"
#include "cairn/estimator.h"
#include "cairn/model.h"

namespace cairn {

// The loss, labels and metrics of an estimator (TensorFlow's "head").
class Head {
 public:
  virtual ~Head() = default;
  // The width of the logits layer.
  virtual int64_t logits_dimension() const = 0;
  // All labels of a dataset, checked and converted to the form losses() takes; `owner` names the
  // estimator in errors.
  virtual Tensor prepare_labels(const Tensor& y, const std::string& owner) const = 0;
  // The unreduced, differentiable losses of a batch; their mean is the batch's loss.
  virtual Tensor losses(const Tensor& logits, const Tensor& labels) const = 0;
  // How many examples of a batch are classified right (0 for regressors).
  virtual int64_t correct(const Tensor& logits, const Tensor& labels) const { return 0; }
  virtual bool reports_accuracy() const { return false; }
};

// An evaluation's metrics by TensorFlow's names, sorted by name, and the global step evaluated.
struct EvaluationTotals {
  std::vector<std::pair<std::string, double>> metrics;
  int64_t global_step = 0;
  double metric(const std::string& name) const;
};

struct EstimatorSpec {
  std::string class_name;  // "DNNClassifier", for messages
  int64_t n_features = 0;
  std::vector<int64_t> hidden_units;
  std::string model_dir;
  OptimizerPtr optimizer;
  std::string activation;
  std::optional<double> dropout;
  RunConfig config;
  std::unique_ptr<Head> head;
};

// Hidden Dense layers "hiddenlayer_<i>" (each followed by Dropout while training, when asked) and the
// Dense "logits" layer, tracked under those names so that checkpoint keys read like TensorFlow's.
class DNNNetwork : public Model {
 public:
  DNNNetwork(int64_t n_features, const std::vector<int64_t>& hidden_units, int64_t logits_dimension,
             const std::string& activation, std::optional<double> dropout, std::optional<uint64_t> seed);

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::vector<LayerPtr> stack_;
};

class Estimator {
 public:
  explicit Estimator(EstimatorSpec spec);

  void train(const InputFn& input_fn, TrainSteps steps, const std::vector<SessionRunHookPtr>& hooks);
  EvaluationTotals evaluate(const InputFn& input_fn, std::optional<int64_t> steps, const std::string& name);
  // The logits of every example, (n, logits_dimension).
  Tensor predict(const InputFn& input_fn);

  const std::string& model_dir() const { return spec_.model_dir; }
  std::optional<std::string> latest_checkpoint() const;

 private:
  std::ostream& log() const;
  // A dataset from input_fn, checked against the network (labels prepared when `with_labels`).
  Dataset checked_input(const InputFn& input_fn, bool with_labels, const char* method) const;
  uint64_t shuffle_seed(const Dataset& dataset) const;
  // Restores the latest checkpoint (through `manager` when given) into the network, the optimizer and
  // state_; nullopt when there is none.
  std::optional<std::string> restore(CheckpointManager* manager);
  // Saves the network, the optimizer and state_ as the checkpoint of state_.global_step.
  void save(CheckpointManager& manager);
  // One step on a batch; returns its mean loss.
  double train_step(const LabeledData& batch);

  EstimatorSpec spec_;
  std::shared_ptr<DNNNetwork> network_;
  TrainingState state_;
  VariablePtr global_step_variable_;  // state_.global_step as the checkpoint holds it, "global_step"
  std::unique_ptr<Checkpoint> checkpoint_;
};

}  // namespace cairn
