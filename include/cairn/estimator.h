// Premade estimators, as tf.estimator's DNNClassifier and DNNRegressor: a model directory is the whole
// state, and every train / evaluate / predict call starts from its latest checkpoint.
//
//   DNNClassifier classifier({.feature_columns = {"SepalLength", "SepalWidth", "PetalLength", "PetalWidth"},
//                             .hidden_units = {10, 10}, .n_classes = 3, .model_dir = "models/iris"});
//   auto input_fn = [](const Tensor& x, const Tensor& y, bool training) {
//     // Shuffle and repeat if you are in training mode.
//     return Dataset{.x = x, .y = y, .batch_size = 256, .shuffle = training,
//                    .num_epochs = training ? std::nullopt : std::optional<int64_t>(1)};
//   };
//   classifier.train([&] { return input_fn(train.x, train.y, true); }, {.steps = 5000});
//   ClassifierEvaluation result = classifier.evaluate([&] { return input_fn(test.x, test.y, false); });
//
// Training restores the latest checkpoint of model_dir (falling back to an older one, with a warning on
// stderr, when it is damaged), then runs its steps with TensorFlow's run hooks, which save
// model.ckpt-<global step> when it starts (unless it just restored that very checkpoint), on its
// schedule and when it ends, log to stdout in TensorFlow's words and write TensorBoard scalars into
// model_dir; train takes hooks of your own too (SessionRunHook). Checkpoints hold the network under
// "dnn" (layers "hiddenlayer_<i>" and "logits"), the optimizer and "global_step".
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/optimizers.h"
#include "cairn/tensor.h"
#include "cairn/training_state.h"

namespace cairn {

// tf.estimator.RunConfig's checkpoint and logging settings.
struct RunConfig {
  // Save a checkpoint every this many seconds. As in TensorFlow the two are exclusive: when
  // save_checkpoints_steps is set, save_checkpoints_secs is ignored. With neither, checkpoints are saved
  // only when a train call starts and ends.
  std::optional<double> save_checkpoints_secs = 600;
  std::optional<int64_t> save_checkpoints_steps;
  int keep_checkpoint_max = 5;  // the newest checkpoints kept; 0 keeps all
  // Of the checkpoints that keep_checkpoint_max deletes, keep one every this many hours.
  double keep_checkpoint_every_n_hours = 10000;
  // Log the loss and global_step/sec (stdout and TensorBoard) every this many steps.
  int64_t log_step_count_steps = 100;
  // Seeds the initial weights, dropout and the shuffling of datasets without a seed of their own; when
  // absent they come from cairn's global seed (set_random_seed).
  std::optional<uint64_t> tf_random_seed;
  // Where the INFO lines go; std::cout when null.
  std::ostream* log_output = nullptr;
};

// What an input function returns: in-memory examples read in batches, as the TensorFlow tutorial's
// tf.data pipeline `Dataset.from_tensor_slices((x, y)).shuffle(n).repeat(num_epochs).batch(batch_size)`:
// the epochs form one stream of rows, each epoch in a fresh random order when `shuffle`, and batches are
// cut from that stream (so a batch may span two epochs; only the very last batch may be smaller).
struct Dataset {
  Tensor x;  // float32 (n, features)
  Tensor y;  // labels (n,): class ids (integers) for classifiers, numbers for regressors; unused by predict
  int64_t batch_size = 128;
  bool shuffle = false;
  std::optional<int64_t> num_epochs = 1;  // nullopt repeats forever
  std::optional<uint64_t> seed;           // of the shuffle; see RunConfig::tf_random_seed otherwise
};

// Called once by each train, evaluate and predict, like TensorFlow's input_fn.
using InputFn = std::function<Dataset()>;

// How long train runs: `steps` more steps, or until the global step reaches `max_steps` (at most one of
// the two); with neither, until the input ends.
struct TrainSteps {
  std::optional<int64_t> steps;
  std::optional<int64_t> max_steps;
};

// What a run hook sees of the training loop: where training is, and a way to end it.
class RunContext {
 public:
  explicit RunContext(const TrainingState& state) : state_(state) {}
  // state().global_step counts the steps trained: in before_run, those before the step about to run;
  // in after_run, those including it.
  const TrainingState& state() const { return state_; }
  // Ends training after the step in progress (every hook still gets its after_run, then end). Requested
  // in begin, no step runs.
  void request_stop() { stop_requested_ = true; }
  bool stop_requested() const { return stop_requested_; }

 private:
  const TrainingState& state_;
  bool stop_requested_ = false;
};

// What one training step computed.
struct RunValues {
  double loss = 0;  // the batch's mean loss
};

// tf.estimator.SessionRunHook: train calls begin once, after restoring the latest checkpoint and before
// the first step (TensorFlow's begin and after_create_session), before_run and after_run around every
// step, and end once after the last step, whether the steps, the input or a hook ended training (not
// when something threw). The estimator's own hooks do its logging, TensorBoard scalars, step limit and
// checkpoints; the hooks given to train run before them, in their order.
class SessionRunHook {
 public:
  virtual ~SessionRunHook() = default;
  virtual void begin(RunContext& context) {}
  virtual void before_run(RunContext& context) {}
  virtual void after_run(RunContext& context, const RunValues& values) {}
  virtual void end(RunContext& context) {}
};
using SessionRunHookPtr = std::shared_ptr<SessionRunHook>;

struct DNNClassifierOptions {
  // Names of the numeric input columns; the input is a float32 (n, feature_columns.size()) tensor.
  // Alternatively n_features gives the width alone.
  std::vector<std::string> feature_columns;
  int64_t n_features = 0;
  std::vector<int64_t> hidden_units;
  int n_classes = 2;  // 2: one logit and the sigmoid cross-entropy, as TensorFlow's binary head
  // Empty: a fresh temporary directory, announced on the log output.
  std::string model_dir;
  OptimizerPtr optimizer;  // Adagrad(learning_rate = 0.05) when null, TensorFlow's default
  std::string activation = "relu";
  std::optional<double> dropout;  // the probability of dropping a hidden unit while training
  RunConfig config;
};

struct DNNRegressorOptions {
  std::vector<std::string> feature_columns;
  int64_t n_features = 0;
  std::vector<int64_t> hidden_units;
  int64_t label_dimension = 1;  // y is (n,) when 1, else (n, label_dimension)
  std::string model_dir;
  OptimizerPtr optimizer;
  std::string activation = "relu";
  std::optional<double> dropout;
  RunConfig config;
};

// The metrics of one evaluation, as TensorFlow's dict. loss is the mean of the batches' mean losses,
// average_loss the mean loss per example.
struct ClassifierEvaluation {
  double accuracy = 0;
  double average_loss = 0;
  double loss = 0;
  int64_t global_step = 0;
};

struct RegressorEvaluation {
  double average_loss = 0;  // the mean squared error per example
  double loss = 0;
  int64_t global_step = 0;
};

// One example's prediction ("class_ids", "probabilities" and "logits" in TensorFlow's dict).
struct ClassPrediction {
  int64_t class_id = 0;
  std::vector<float> probabilities;  // n_classes values
  std::vector<float> logits;         // n_classes values (one for a binary classifier)
};

class Estimator;

class DNNClassifier {
 public:
  // InvalidArgument for inconsistent options (no features, units <= 0, n_classes < 2, unknown activation,
  // dropout outside [0, 1), bad RunConfig values).
  explicit DNNClassifier(DNNClassifierOptions options);
  ~DNNClassifier();
  DNNClassifier(DNNClassifier&&) noexcept;
  DNNClassifier& operator=(DNNClassifier&&) noexcept;

  // Restores the latest checkpoint of model_dir, then trains on the batches of input_fn(), running
  // `hooks` around every step. A checkpoint that does not fit the network (hidden_units changed) is a
  // ShapeError naming the key and both shapes. InvalidArgument when both steps and max_steps are given,
  // when one is not positive, or when neither is given for an input that repeats forever.
  void train(const InputFn& input_fn, TrainSteps steps = {}, const std::vector<SessionRunHookPtr>& hooks = {});
  // Restores the latest checkpoint and evaluates on `steps` batches (all when nullopt); writes the
  // metrics as TensorBoard scalars at the global step into model_dir/eval (eval_<name> when named).
  ClassifierEvaluation evaluate(const InputFn& input_fn, std::optional<int64_t> steps = std::nullopt,
                                const std::string& name = "");
  // Restores the latest checkpoint and predicts every example of input_fn() (which must end).
  std::vector<ClassPrediction> predict(const InputFn& input_fn);

  const std::string& model_dir() const;
  // The checkpoint a call would restore now (the newest one recorded in model_dir), or nullopt.
  std::optional<std::string> latest_checkpoint() const;

 private:
  std::unique_ptr<Estimator> estimator_;
};

class DNNRegressor {
 public:
  explicit DNNRegressor(DNNRegressorOptions options);
  ~DNNRegressor();
  DNNRegressor(DNNRegressor&&) noexcept;
  DNNRegressor& operator=(DNNRegressor&&) noexcept;

  void train(const InputFn& input_fn, TrainSteps steps = {}, const std::vector<SessionRunHookPtr>& hooks = {});
  RegressorEvaluation evaluate(const InputFn& input_fn, std::optional<int64_t> steps = std::nullopt,
                               const std::string& name = "");
  // One vector of label_dimension values per example ("predictions" in TensorFlow's dict).
  std::vector<std::vector<float>> predict(const InputFn& input_fn);

  const std::string& model_dir() const;
  std::optional<std::string> latest_checkpoint() const;

 private:
  std::unique_ptr<Estimator> estimator_;
};

}  // namespace cairn
