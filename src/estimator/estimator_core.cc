// The estimators' shared loops: restore the latest checkpoint of the model directory, then train (with
// TensorFlow's run hooks, run_hooks.h), evaluate or predict.
#include "estimator_core.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "cairn/autodiff.h"
#include "cairn/data.h"
#include "cairn/error.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/ops.h"
#include "cairn/random.h"
#include "cairn/summary.h"
#include "run_hooks.h"

namespace cairn {
namespace {

constexpr const char* kCheckpointName = "model.ckpt";

// TF2's event file suffix ".<pid>.<n>.v2": each writer of the process gets its own file, even when
// two start within the same second.
std::string unique_filename_suffix() {
  static std::atomic<int64_t> writers{0};
  return "." + std::to_string(getpid()) + "." + std::to_string(++writers) + ".v2";
}

std::string make_temporary_model_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cairn_estimator_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw IOError("cannot create a temporary directory " + pattern);
  return pattern;
}

// The batches of a Dataset: the rows of all epochs as one stream (each epoch shuffled on its own when
// asked), cut into batches of batch_size.
class BatchStream {
 public:
  BatchStream(const Dataset& dataset, uint64_t seed)
      : dataset_(dataset), rows_(dataset.x.dim(0)), shuffler_(seed) {
    start_epoch();
  }

  std::optional<LabeledData> next() {
    std::vector<int64_t> rows;
    while (static_cast<int64_t>(rows.size()) < dataset_.batch_size) {
      if (position_ == rows_) {
        ++epoch_;
        if (dataset_.num_epochs && epoch_ >= *dataset_.num_epochs) break;
        start_epoch();
      }
      rows.push_back(order_[position_++]);
    }
    if (rows.empty()) return std::nullopt;
    LabeledData batch{ops::gather_rows(dataset_.x, rows), Tensor()};
    if (dataset_.y.defined()) batch.y = ops::gather_rows(dataset_.y, rows);
    return batch;
  }

 private:
  void start_epoch() {
    position_ = 0;
    if (dataset_.shuffle) {
      order_ = shuffler_.fork(static_cast<uint64_t>(epoch_)).permutation(rows_);
    } else if (order_.empty()) {
      for (int64_t i = 0; i < rows_; ++i) order_.push_back(i);
    }
  }

  const Dataset& dataset_;
  int64_t rows_;
  Generator shuffler_;
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  std::vector<int64_t> order_;
};

void check_positive(const char* what, std::optional<int64_t> value) {
  if (value && *value <= 0)
    throw InvalidArgument("Must specify " + std::string(what) + " > 0, given: " + std::to_string(*value));
}

}  // namespace

double EvaluationTotals::metric(const std::string& name) const {
  for (const auto& [key, value] : metrics)
    if (key == name) return value;
  throw InvalidArgument("no evaluation metric named " + name);
}

// ---- the network

DNNNetwork::DNNNetwork(int64_t n_features, const std::vector<int64_t>& hidden_units, int64_t logits_dimension,
                       const std::string& activation, std::optional<double> dropout,
                       std::optional<uint64_t> seed)
    : Model("dnn", "DNNModel") {
  // Each layer draws from its own stream of the run's seed, so one seed fixes the whole network.
  uint64_t stream = 0;
  auto layer_seed = [&]() -> std::optional<uint64_t> {
    if (!seed) return std::nullopt;
    return Generator(*seed).fork(stream++).next_u64();
  };
  int64_t width = n_features;
  for (size_t i = 0; i < hidden_units.size(); ++i) {
    const std::string name = "hiddenlayer_" + std::to_string(i);
    auto dense = track(name, std::make_shared<Dense>(hidden_units[i],
                                                      DenseOptions{.activation = activation, .name = name,
                                                                   .seed = layer_seed()}));
    dense->build({-1, width});
    width = hidden_units[i];
    stack_.push_back(dense);
    if (dropout && *dropout > 0) {
      const std::string dropout_name = "dropout_" + std::to_string(i);
      stack_.push_back(track(dropout_name, std::make_shared<Dropout>(*dropout, layer_seed(), dropout_name)));
    }
  }
  auto logits = track("logits", std::make_shared<Dense>(logits_dimension,
                                                         DenseOptions{.name = "logits", .seed = layer_seed()}));
  logits->build({-1, width});
  stack_.push_back(logits);
}

Tensor DNNNetwork::call(const Tensor& x, bool training) {
  Tensor h = x;
  for (const auto& layer : stack_) h = (*layer)(h, training);
  return h;
}

// ---- the estimator

Estimator::Estimator(EstimatorSpec spec) : spec_(std::move(spec)) {
  const std::string& owner = spec_.class_name;
  const RunConfig& config = spec_.config;
  if (spec_.n_features <= 0) throw InvalidArgument(owner + ": give feature_columns or a positive n_features");
  for (int64_t units : spec_.hidden_units)
    if (units <= 0) throw InvalidArgument(owner + ": hidden_units must be positive, got " + std::to_string(units));
  if (!ops::is_activation_name(spec_.activation))
    throw InvalidArgument(owner + ": unknown activation '" + spec_.activation + "'");
  if (spec_.dropout && !(*spec_.dropout >= 0 && *spec_.dropout < 1))
    throw InvalidArgument(owner + ": dropout must be in [0, 1), got " + std::to_string(*spec_.dropout));
  if (config.save_checkpoints_secs && !(*config.save_checkpoints_secs > 0))
    throw InvalidArgument(owner + ": save_checkpoints_secs must be positive");
  if (config.save_checkpoints_steps && *config.save_checkpoints_steps <= 0)
    throw InvalidArgument(owner + ": save_checkpoints_steps must be positive");
  if (config.keep_checkpoint_max < 0) throw InvalidArgument(owner + ": keep_checkpoint_max must not be negative");
  if (!(config.keep_checkpoint_every_n_hours > 0))
    throw InvalidArgument(owner + ": keep_checkpoint_every_n_hours must be positive");
  if (config.log_step_count_steps <= 0) throw InvalidArgument(owner + ": log_step_count_steps must be positive");

  if (spec_.model_dir.empty()) {
    spec_.model_dir = make_temporary_model_dir();
    log() << "WARNING: Using temporary folder as model directory: " << spec_.model_dir << std::endl;
  }
  if (!spec_.optimizer) spec_.optimizer = std::make_shared<Adagrad>(0.05);
  network_ = std::make_shared<DNNNetwork>(spec_.n_features, spec_.hidden_units, spec_.head->logits_dimension(),
                                          spec_.activation, spec_.dropout, config.tf_random_seed);
  global_step_variable_ = std::make_shared<Variable>("global_step", Tensor::scalar(0, DType::Int64), false);
  checkpoint_ = std::make_unique<Checkpoint>(std::vector<CheckpointItem>{
      {"dnn", network_}, {"optimizer", spec_.optimizer}, {"global_step", global_step_variable_}});
}

std::ostream& Estimator::log() const {
  return spec_.config.log_output ? *spec_.config.log_output : std::cout;
}

std::optional<std::string> Estimator::latest_checkpoint() const {
  return cairn::latest_checkpoint(spec_.model_dir);
}

Dataset Estimator::checked_input(const InputFn& input_fn, bool with_labels, const char* method) const {
  const std::string where = spec_.class_name + "." + method + ": ";
  if (!input_fn) throw InvalidArgument(where + "input_fn is empty");
  Dataset dataset = input_fn();
  const Tensor& x = dataset.x;
  if (!x.defined()) throw InvalidArgument(where + "the input_fn's dataset has no features (x)");
  if (x.dtype() != DType::Float32)
    throw InvalidArgument(where + "features must be float32, got " + std::string(dtype_name(x.dtype())));
  if (x.rank() != 2 || x.dim(1) != spec_.n_features)
    throw ShapeError(where + "features of shape " + shape_str(x.shape()) + " do not fit the model, which takes (n, " +
                     std::to_string(spec_.n_features) + ")");
  if (x.dim(0) == 0) throw InvalidArgument(where + "the dataset has no examples");
  if (dataset.batch_size <= 0)
    throw InvalidArgument(where + "batch_size must be positive, got " + std::to_string(dataset.batch_size));
  if (dataset.num_epochs && *dataset.num_epochs <= 0)
    throw InvalidArgument(where + "num_epochs must be positive or nullopt, got " + std::to_string(*dataset.num_epochs));
  if (!with_labels) {
    dataset.y = Tensor();
    return dataset;
  }
  if (!dataset.y.defined()) throw InvalidArgument(where + "the input_fn's dataset has no labels (y)");
  if (dataset.y.rank() == 0 || dataset.y.dim(0) != x.dim(0))
    throw ShapeError(where + "labels of shape " + shape_str(dataset.y.shape()) + " for features of shape " +
                     shape_str(x.shape()));
  dataset.y = spec_.head->prepare_labels(dataset.y, spec_.class_name);
  return dataset;
}

uint64_t Estimator::shuffle_seed(const Dataset& dataset) const {
  if (dataset.seed) return *dataset.seed;
  // A fixed run seed still gives each train call its own order: TensorFlow's graph is rebuilt per
  // call, but repeating the first batches after every restart would skew training.
  if (spec_.config.tf_random_seed)
    return Generator(*spec_.config.tf_random_seed).fork(static_cast<uint64_t>(state_.global_step) + 1).next_u64();
  return next_seed();
}

std::optional<std::string> Estimator::restore(CheckpointManager* manager) {
  std::optional<std::string> restored;
  try {
    restored = manager ? manager->restore_latest()
                       : restore_latest_checkpoint(*checkpoint_, spec_.model_dir, kCheckpointName);
  } catch (const ShapeError& e) {
    throw ShapeError(spec_.class_name + ": the checkpoint in " + spec_.model_dir +
                     " does not fit this model (were hidden_units, the classes or the features changed?): " +
                     e.what());
  }
  if (restored) {
    state_.global_step = global_step_variable_->value().data<int64_t>()[0];
    log() << "INFO: Restoring parameters from " << *restored << std::endl;
  }
  return restored;
}

void Estimator::save(CheckpointManager& manager) {
  log() << "INFO: Saving checkpoints for " << state_.global_step << " into " << spec_.model_dir << "/"
        << kCheckpointName << "." << std::endl;
  global_step_variable_->mutable_value().data<int64_t>()[0] = state_.global_step;
  manager.save(state_.global_step);
}

double Estimator::train_step(const LabeledData& batch) {
  const std::vector<VariablePtr> variables = network_->trainable_weights();
  GradientTape tape;
  Tensor loss = ops::mean(spec_.head->losses((*network_)(batch.x, /*training=*/true), batch.y));
  std::vector<Tensor> gradients = tape.gradient(loss, variables);
  spec_.optimizer->apply_gradients(gradients, variables);
  ++state_.global_step;
  return loss.item();
}

void Estimator::train(const InputFn& input_fn, TrainSteps steps, const std::vector<SessionRunHookPtr>& hooks) {
  if (steps.steps && steps.max_steps) throw InvalidArgument("Can not provide both steps and max_steps.");
  check_positive("steps", steps.steps);
  check_positive("max_steps", steps.max_steps);
  const RunConfig& config = spec_.config;

  Env::Default().create_dirs(spec_.model_dir);
  CheckpointManagerOptions manager_options;
  manager_options.checkpoint_name = kCheckpointName;
  manager_options.max_to_keep = config.keep_checkpoint_max > 0 ? std::optional<int>(config.keep_checkpoint_max)
                                                               : std::nullopt;
  manager_options.keep_checkpoint_every_n_hours = config.keep_checkpoint_every_n_hours;
  CheckpointManager manager(*checkpoint_, spec_.model_dir, manager_options);
  const std::optional<std::string> restored = restore(&manager);

  const int64_t first_step = state_.global_step;
  if (steps.max_steps && first_step >= *steps.max_steps) {
    log() << "INFO: Skipping training since max_steps has already saved." << std::endl;
    return;
  }
  Dataset dataset = checked_input(input_fn, /*with_labels=*/true, "train");
  if (!steps.steps && !steps.max_steps && !dataset.num_epochs)
    throw InvalidArgument(spec_.class_name + ".train: the input repeats forever; give steps or max_steps");
  BatchStream batches(dataset, shuffle_seed(dataset));

  // The caller's hooks first, then the estimator's, as TensorFlow's Estimator.train orders them.
  EventFileWriter events(spec_.model_dir, Env::Default(), unique_filename_suffix());
  std::vector<SessionRunHookPtr> all_hooks = hooks;
  if (steps.steps || steps.max_steps)
    all_hooks.push_back(std::make_shared<StopAtStepHook>(steps.steps, steps.max_steps));
  all_hooks.push_back(std::make_shared<LoggingTensorHook>(log(), config.log_step_count_steps));
  all_hooks.push_back(std::make_shared<SummarySaverHook>(events, config.log_step_count_steps));
  all_hooks.push_back(std::make_shared<StepCounterHook>(log(), events, config.log_step_count_steps));
  // Saving by steps replaces saving by time (TensorFlow's RunConfig allows only one of them).
  const int64_t save_steps = config.save_checkpoints_steps.value_or(0);
  const double save_secs = save_steps ? 0.0 : config.save_checkpoints_secs.value_or(0.0);
  const std::string first_checkpoint = std::string(kCheckpointName) + "-" + std::to_string(first_step);
  const bool restored_first_step = restored && restored->substr(restored->find_last_of('/') + 1) == first_checkpoint;
  all_hooks.push_back(std::make_shared<CheckpointSaverHook>(
      [&] { save(manager); }, save_steps, save_secs, restored_first_step ? std::optional(first_step) : std::nullopt));

  RunContext context(state_);
  for (const auto& hook : all_hooks) hook->begin(context);
  double loss = 0;
  while (!context.stop_requested()) {
    std::optional<LabeledData> batch = batches.next();
    if (!batch) break;
    for (const auto& hook : all_hooks) hook->before_run(context);
    loss = train_step(*batch);
    for (const auto& hook : all_hooks) hook->after_run(context, {.loss = loss});
  }
  for (const auto& hook : all_hooks) hook->end(context);
  events.close();
  log() << "INFO: Loss for final step: " << float_text(loss) << "." << std::endl;
}

EvaluationTotals Estimator::evaluate(const InputFn& input_fn, std::optional<int64_t> steps,
                                     const std::string& name) {
  check_positive("steps", steps);
  Dataset dataset = checked_input(input_fn, /*with_labels=*/true, "evaluate");
  if (!steps && !dataset.num_epochs)
    throw InvalidArgument(spec_.class_name + ".evaluate: the input repeats forever; give steps");
  if (!restore(nullptr))
    log() << "WARNING: Could not find trained model in model_dir: " << spec_.model_dir
          << ", running initialization to evaluate." << std::endl;

  BatchStream batches(dataset, shuffle_seed(dataset));
  double loss_sum = 0, batch_loss_sum = 0;
  int64_t loss_count = 0, batch_count = 0, correct = 0, examples = 0;
  {
    autodiff::NoGradGuard no_grad;
    for (int64_t batch_index = 0; !steps || batch_index < *steps; ++batch_index) {
      std::optional<LabeledData> batch = batches.next();
      if (!batch) break;
      Tensor logits = (*network_)(batch->x, /*training=*/false);
      Tensor losses = spec_.head->losses(logits, batch->y);
      const double batch_sum = ops::sum(losses).item();
      loss_sum += batch_sum;
      loss_count += losses.numel();
      batch_loss_sum += batch_sum / static_cast<double>(losses.numel());
      ++batch_count;
      correct += spec_.head->correct(logits, batch->y);
      examples += batch->x.dim(0);
    }
  }
  EvaluationTotals totals;
  totals.global_step = state_.global_step;
  if (spec_.head->reports_accuracy())
    totals.metrics.emplace_back("accuracy", static_cast<double>(correct) / static_cast<double>(examples));
  totals.metrics.emplace_back("average_loss", loss_sum / static_cast<double>(loss_count));
  totals.metrics.emplace_back("loss", batch_loss_sum / static_cast<double>(batch_count));

  // TensorFlow's line: the result dict with its keys sorted.
  std::vector<std::pair<std::string, std::string>> entries{{"global_step", std::to_string(totals.global_step)}};
  for (const auto& [key, value] : totals.metrics) entries.emplace_back(key, float_text(value));
  std::sort(entries.begin(), entries.end());
  std::string summary;
  for (const auto& [key, text] : entries) summary += (summary.empty() ? "" : ", ") + key + " = " + text;
  log() << "INFO: Saving dict for global step " << totals.global_step << ": " << summary << std::endl;
  EventFileWriter events(spec_.model_dir + "/" + (name.empty() ? "eval" : "eval_" + name), Env::Default(),
                         unique_filename_suffix());
  for (const auto& [key, value] : totals.metrics) events.add_scalar(key, value, totals.global_step);
  events.close();
  return totals;
}

Tensor Estimator::predict(const InputFn& input_fn) {
  Dataset dataset = checked_input(input_fn, /*with_labels=*/false, "predict");
  if (!dataset.num_epochs) throw InvalidArgument(spec_.class_name + ".predict: the input repeats forever");
  if (!restore(nullptr))
    log() << "WARNING: Could not find trained model in model_dir: " << spec_.model_dir
          << ", running initialization to predict." << std::endl;
  BatchStream batches(dataset, shuffle_seed(dataset));
  std::vector<Tensor> outputs;
  autodiff::NoGradGuard no_grad;
  while (std::optional<LabeledData> batch = batches.next()) outputs.push_back((*network_)(batch->x, false));
  return ops::concat(outputs, 0);
}

}  // namespace cairn
