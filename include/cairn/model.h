// Models, as in Keras: Sequential, functional (Model(inputs, outputs)) and subclassed (derive from
// Model, track named layers, override call). compile / fit / evaluate / predict with Keras defaults.
#pragma once

#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/layers/layer.h"
#include "cairn/losses.h"
#include "cairn/metrics.h"
#include "cairn/optimizers.h"
#include "cairn/training_state.h"
#include "cairn/replica_context.h"

namespace cairn {

// An optimizer given by Keras string shortcut ("adam") or as an object.
struct OptimizerSpec {
  OptimizerSpec() = default;
  OptimizerSpec(const char* name) : name(name) {}
  OptimizerSpec(std::string name) : name(std::move(name)) {}
  template <class O>
  OptimizerSpec(std::shared_ptr<O> optimizer) : object(std::move(optimizer)) {}
  std::string name;
  std::shared_ptr<Optimizer> object;
};

// A loss given by Keras string shortcut ("sparse_categorical_crossentropy") or as an object.
struct LossSpec {
  LossSpec() = default;
  LossSpec(const char* name) : name(name) {}
  LossSpec(std::string name) : name(std::move(name)) {}
  template <class L>
  LossSpec(std::shared_ptr<L> loss) : object(std::move(loss)) {}
  std::string name;
  std::shared_ptr<Loss> object;
};

// A metric given by Keras string identifier ("accuracy", "auc") or as an object with its arguments
// (std::make_shared<AUC>(50, "PR", "pr_auc")), whose name is its log key.
struct MetricSpec {
  MetricSpec(const char* name) : name(name) {}
  MetricSpec(std::string name) : name(std::move(name)) {}
  template <class M>
  MetricSpec(std::shared_ptr<M> metric) : name(metric ? metric->name() : ""), object(std::move(metric)) {}
  std::string name;
  std::shared_ptr<Metric> object;
};

// Something given per output of a model, as Keras's list or dict arguments of compile: in the order of
// the outputs ({"binary_crossentropy", "mse"}) or by output layer name ({{"flag", 0.5}, {"score", 2.0}}).
template <class T>
class PerOutput {
 public:
  PerOutput() = default;
  // (Not for lists of metrics, where {{"flag", {"accuracy"}}} would read both ways: write those by name.)
  PerOutput(std::initializer_list<T> in_order)
    requires(!std::is_same_v<T, std::vector<MetricSpec>>)
      : in_order_(in_order) {}
  PerOutput(std::initializer_list<std::pair<const std::string, T>> by_name) : by_name_(by_name) {}
  PerOutput(std::vector<T> in_order) : in_order_(std::move(in_order)) {}
  PerOutput(std::map<std::string, T> by_name) : by_name_(std::move(by_name)) {}
  bool empty() const { return in_order_.empty() && by_name_.empty(); }
  const std::vector<T>& in_order() const { return in_order_; }
  const std::map<std::string, T>& by_name() const { return by_name_; }

 private:
  std::vector<T> in_order_;
  std::map<std::string, T> by_name_;
};

struct CompileOptions {
  OptimizerSpec optimizer = "rmsprop";
  LossSpec loss;  // the loss of every output
  // Instead of `loss`: one loss per output (Keras's list or dict `loss`).
  PerOutput<LossSpec> output_losses;
  // The total loss is the sum over outputs of loss_weight * loss (1 each when not given).
  PerOutput<double> loss_weights;
  // The metrics of a single-output model.
  std::vector<MetricSpec> metrics;
  // The metrics of each output of a model with several, logged as "<output>_<metric>" (Keras's dict
  // `metrics`, or a list of lists: std::vector<std::vector<MetricSpec>>{{"accuracy"}, {"mae"}}).
  PerOutput<std::vector<MetricSpec>> output_metrics;
  // Keras's weighted_metrics: metrics weighted by fit's sample_weight (or class_weight) and evaluate's,
  // a single-output model's, or each output's as output_metrics. Logged as the others, under
  // "weighted_<metric>" when `metrics` already has that name.
  std::vector<MetricSpec> weighted_metrics;
  PerOutput<std::vector<MetricSpec>> output_weighted_metrics;
};

// Keras's validation_freq: an integer n (validate after every n-th epoch: 2 validates after epochs 2, 4,
// 6...) or the epochs after which to validate, counted from 1 as Keras counts them ({1, 2, 10}).
class ValidationFreq {
 public:
  ValidationFreq(int every = 1) : every_(every) {}
  ValidationFreq(std::initializer_list<int> epochs) : epochs_(epochs), listed_(true) {}
  ValidationFreq(std::vector<int> epochs) : epochs_(std::move(epochs)), listed_(true) {}
  // Whether validation runs after `epoch` (0-based, as fit's epoch indices). InvalidArgument for an
  // integer below 1 or a listed epoch below 1 (which would never validate).
  bool validates_after(int epoch) const;
  void check() const;

 private:
  int every_ = 1;
  std::vector<int> epochs_;
  bool listed_ = false;
};

// x, y or sample_weight of fit / evaluate / predict: one array, a list in the order of the model's
// inputs (outputs), or a map by the names of its Input()s (output layers), as Keras's nested structures.
// All arrays of one call have the same number of samples (their first dimension).
class Arrays {
 public:
  Arrays() = default;
  Arrays(Tensor array) { if (array.defined()) in_order_.push_back(std::move(array)); }
  Arrays(std::initializer_list<Tensor> in_order) : in_order_(in_order) {}
  Arrays(std::vector<Tensor> in_order) : in_order_(std::move(in_order)) {}
  Arrays(std::initializer_list<std::pair<const std::string, Tensor>> by_name) : by_name_(by_name) {}
  Arrays(std::map<std::string, Tensor> by_name) : by_name_(std::move(by_name)) {}
  bool empty() const { return in_order_.empty() && by_name_.empty(); }
  const std::vector<Tensor>& in_order() const { return in_order_; }
  const std::map<std::string, Tensor>& by_name() const { return by_name_; }

 private:
  std::vector<Tensor> in_order_;
  std::map<std::string, Tensor> by_name_;
};

struct FitOptions {
  int64_t batch_size = 32;
  int epochs = 1;
  int verbose = 1;
  std::vector<CallbackPtr> callbacks;
  double validation_split = 0.0;  // the last fraction of x, y and sample_weight, taken before shuffling
  std::optional<std::pair<Arrays, Arrays>> validation_data;
  Arrays validation_sample_weight;  // Keras's third element of validation_data
  bool shuffle = true;
  // Per-sample weights of the loss (one array for every output, or one per output): each sample's loss
  // is multiplied by its weight, and the batch's loss is the sum over the batch size (Keras's
  // "sum_over_batch_size"). Metrics are not weighted (as Keras's `metrics`).
  Arrays sample_weight;
  // Class index -> weight, for a single-output model and instead of sample_weight: each sample weighs
  // its class's weight (1 for classes not given); the class is the label, or the argmax of one-hot labels.
  std::map<int64_t, double> class_weight;
  int initial_epoch = 0;
  int64_t steps_per_epoch = 0;  // 0: one pass over the data per epoch
  // Validation runs after every validation_freq-th epoch or after the epochs listed (ValidationFreq), in
  // batches of validation_batch_size (batch_size when 0).
  ValidationFreq validation_freq = 1;
  int64_t validation_batch_size = 0;
  std::optional<uint64_t> seed;  // shuffling seed; from next_seed() when absent
  std::ostream* output = nullptr;  // progress output; std::cout when null
  // Data-parallel training (cairn/replica_context.h; MultiWorkerMirroredStrategy in cairn/distributed.h):
  // batch_size is then the global batch, each replica trains on its equal part of every batch, gradients
  // and the logged loss and metrics are reduced across replicas, and only replica 0 shows progress.
  std::shared_ptr<ReplicaContext> replica_context;
};

struct EvaluateOptions {
  int64_t batch_size = 32;
  // 1 or 2: one result line when done, as Keras prints it ("4/4 - 0s 1ms/step - accuracy: 0.8750 -
  // loss: 0.3343"). 0 by default, unlike Keras's "auto", so that library calls stay quiet.
  int verbose = 0;
  std::vector<CallbackPtr> callbacks;
  std::ostream* output = nullptr;  // where the result line goes; std::cout when null
  Arrays sample_weight;            // as fit's
};

struct PredictOptions {
  int64_t batch_size = 32;
};

// How load_weights matches the layers of an HDF5 weights file to the model's (Keras's keyword arguments).
struct LoadWeightsOptions {
  bool by_name = false;        // by layer name instead of by order (tf.keras 2.x's ".h5" layout only)
  bool skip_mismatch = false;  // skip, with a warning on stderr, layers whose weights do not fit
};

class Model : public Layer {
 public:
  explicit Model(std::string name = "", std::string class_name = "Model");

  // ---- structure
  // Subclassed models register their layers under attribute names (used as checkpoint names).
  template <class L>
  std::shared_ptr<L> track(const std::string& attribute, std::shared_ptr<L> layer) {
    track_layer(attribute, layer);
    return layer;
  }
  // Named children in order: attribute names for subclassed models, layer names otherwise.
  virtual std::vector<std::pair<std::string, LayerPtr>> named_layers() const { return tracked_; }
  std::vector<LayerPtr> layers() const;
  LayerPtr get_layer(const std::string& name) const;
  // Sequential and functional models: checkpoints name layers by position (layer_with_weights-N).
  virtual bool is_graph_network() const { return false; }
  std::vector<VariablePtr> weights() const override;
  std::vector<VariablePtr> trainable_weights() const override;
  std::vector<VariablePtr> non_trainable_weights() const override;
  // Re-draws every weight from its initializer as the freshly built model did, from the seeds its layers
  // were made with (TF1's global_variables_initializer): the weights become exactly those of a new model
  // built the same way after the same set_random_seed. The optimizer's state is kept; compile again for
  // a fresh optimizer.
  void reset_weights() override;
  // Prints the Keras summary table.
  void summary(std::ostream& out = std::cout) const;
  Shape compute_output_shape(const Shape& input_shape) const override;

  // ---- training
  void compile(CompileOptions options);
  bool compiled() const { return optimizer_ != nullptr; }
  Optimizer& optimizer() const;
  const std::shared_ptr<Optimizer>& optimizer_ptr() const { return optimizer_; }
  // The loss of a single-output model (of the first output otherwise).
  const Loss& loss() const;
  // The metric names given to compile() for a single-output model, e.g. {"accuracy"}.
  const std::vector<std::string>& compiled_metrics() const { return metric_names_; }
  // The metrics given to compile() for a single-output model, as given (names or objects).
  const std::vector<MetricSpec>& compiled_metric_specs() const { return metric_specs_.empty() ? no_metrics_ : metric_specs_[0]; }
  // What compile() made of each output, in the order of compiled_output_names() (a model's outputs when
  // it was compiled): its loss (null: the output has none), loss weight (none: not multiplied) and metrics.
  const std::vector<std::string>& compiled_output_names() const { return compiled_output_names_; }
  const std::vector<std::shared_ptr<Loss>>& compiled_losses() const { return losses_; }
  const std::vector<std::optional<double>>& compiled_loss_weights() const { return loss_weights_; }
  const std::vector<std::vector<MetricSpec>>& compiled_output_metric_specs() const { return metric_specs_; }
  // compile's weighted_metrics (Keras's), per output as compiled_output_metric_specs.
  const std::vector<std::vector<MetricSpec>>& compiled_output_weighted_metric_specs() const { return weighted_metric_specs_; }
  // The names x and y may be keyed by: the Input()s' and the output layers' of a functional model
  // (a Sequential's output is its last layer's); empty when the model's inputs have no names.
  virtual std::vector<std::string> input_names() const { return {}; }
  virtual std::vector<std::string> output_names() const { return {name()}; }
  // The model on a list of inputs, in the order of input_names(): every output, in order.
  virtual std::vector<Tensor> call_outputs(const std::vector<Tensor>& inputs, bool training);
  // call_outputs with each output's mask (undefined for none), as Keras attaches them to a model's outputs:
  // fit leaves the masked steps out of the losses and metrics. Sequential and functional models give the
  // masks their layers compute; other models none.
  virtual std::vector<MaskedOutput> call_outputs_with_masks(const std::vector<Tensor>& inputs, bool training);
  History fit(const Arrays& x, const Arrays& y, FitOptions options = {});
  Logs evaluate(const Arrays& x, const Arrays& y, EvaluateOptions options = {});
  // The output of a single-output model (InvalidArgument for several: predict_outputs).
  Tensor predict(const Arrays& x, PredictOptions options = {});
  std::vector<Tensor> predict_outputs(const Arrays& x, PredictOptions options = {});
  Logs train_on_batch(const Arrays& x, const Arrays& y, const Arrays& sample_weight = {});
  Logs test_on_batch(const Arrays& x, const Arrays& y, const Arrays& sample_weight = {});
  // Set by callbacks (EarlyStopping, TerminateOnNaN) to end fit after the current batch or epoch.
  bool stop_training = false;

  // ---- weights files (defined in the saving module; Keras's HDF5 formats in the keras_io module)
  // Keras's save_weights in the TensorFlow format: PATH.index + PATH.data-00000-of-00001 with the model
  // as the root object (and its optimizer, once compiled and trained), and the directory's
  // `checkpoint` state file pointing at PATH. Atomic: a failed save leaves the previous files.
  // PATH ending ".h5" or ".hdf5": tf.keras 2.x's weights-only HDF5 file (layer groups at the root, with
  // weight_names); ".weights.h5": Keras 3's (layers/<name>/vars/<i>, and the optimizer's variables once
  // compiled). Both are written atomically too; ".keras" is for save_model (keras_io.h).
  void save_weights(const std::string& path);
  // Restores weights (and optimizer state when present) from PATH or from a directory's latest
  // checkpoint. All or nothing: a ShapeError names the key and both shapes and changes nothing.
  // HDF5 files (".h5", ".hdf5", and the weights inside a ".keras" zip) match the layers that have
  // weights by order, or by name with options.by_name (tf.keras 2.x's layout only); a ShapeError names
  // the layer and both shapes unless options.skip_mismatch skips that layer with a warning. Both options
  // are InvalidArguments for TensorFlow checkpoints, as in Keras.
  void load_weights(const std::string& path, const LoadWeightsOptions& options = {});

  // ---- where fit is (BackupAndRestore saves it and resumes from it)
  // Current at every callback of a fit in progress; after fit, where it ended (also by an exception).
  // position.step counts the batches of the epoch trained: in on_train_batch_begin not yet the batch about
  // to train, in on_train_batch_end that batch too.
  TrainingState training_state() const;
  // Called in on_train_begin (by BackupAndRestore): this fit continues from `state` (its epoch, step,
  // data order and position, and the running metric sums) instead of starting at initial_epoch. Its
  // global_step is not used: the optimizer's iterations are restored with the optimizer.
  void resume_from(TrainingState state);
  // The callbacks of the fit in progress (BackupAndRestore saves the others' state).
  const std::vector<CallbackPtr>& active_callbacks() const { return active_callbacks_; }

 protected:
  void track_layer(const std::string& attribute, LayerPtr layer);
  Tensor call(const Tensor& x, bool training) override;

 private:
  // x, y and sample weights as lists in the model's order, every array with the same number of samples.
  struct Data {
    std::vector<Tensor> x, y, sample_weight;  // sample_weight: one per output, or undefined
    int64_t samples() const;
    Data rows(int64_t begin, int64_t end) const;
    Data rows(const std::vector<int64_t>& indices) const;
  };
  std::vector<Tensor> flatten(const Arrays& arrays, const std::vector<std::string>& names, size_t count,
                              const char* what, const char* method) const;
  Data resolve(const Arrays& x, const Arrays& y, const Arrays& sample_weight, const char* method) const;
  // Checks the data before anything trains. probe_model also runs one sample through the model in
  // inference mode, which checks the input shapes and learns the outputs' shapes.
  void check_fit_arguments(const Data& data, const char* method, bool probe_model = true);
  void probe(const Data& data);
  void check_labels(const Data& data, const char* method);
  void ensure_metrics(const std::vector<Tensor>& y_true, const std::vector<Tensor>& y_pred);
  // The total loss (each output's, weighted by its loss weight), and each output's unweighted loss. An
  // output's mask leaves its masked steps out, as Keras's.
  Tensor total_loss(const Data& batch, const std::vector<MaskedOutput>& y_pred, std::vector<Tensor>& output_losses) const;
  void update_metrics(const Data& batch, const std::vector<MaskedOutput>& y_pred, const std::vector<Tensor>& output_losses,
                      const Tensor& loss_value);
  void update_compiled_metrics(const Data& batch, const std::vector<MaskedOutput>& y_pred);
  // evaluate without its argument checks, for data that has passed them (fit's validation data).
  Logs evaluate_checked(const Data& data, const EvaluateOptions& options);
  Logs train_step(const Data& batch);
  Logs test_step(const Data& batch);
  Logs current_logs() const;
  void reset_metrics();
  // Every metric with its log key: the loss trackers ("loss", "<output>_loss") and compile's metrics.
  std::vector<std::pair<std::string, Metric*>> tracked_metrics() const;
  // The state of every metric of the epoch in progress, by log key (Metric::state()).
  std::map<std::string, std::vector<double>> metric_states() const;
  void set_metric_states(const std::map<std::string, std::vector<double>>& states);

  std::vector<std::pair<std::string, LayerPtr>> tracked_;
  std::shared_ptr<Optimizer> optimizer_;
  // Per output, in the order of output_names(): its loss, loss weight (none: not multiplied) and metrics.
  std::vector<std::string> compiled_output_names_;
  std::vector<std::shared_ptr<Loss>> losses_;
  std::vector<std::optional<double>> loss_weights_;
  std::vector<std::vector<MetricSpec>> metric_specs_;
  std::vector<std::vector<MetricSpec>> weighted_metric_specs_;
  std::vector<std::string> metric_names_;
  inline static const std::vector<MetricSpec> no_metrics_{};
  Mean loss_tracker_{"loss"};
  std::vector<std::unique_ptr<Mean>> output_loss_trackers_;  // "<output>_loss", with several outputs
  struct CompiledMetric {
    std::string log_name;
    size_t output;
    std::shared_ptr<Metric> metric;
    bool weighted = false;  // one of weighted_metrics: takes the batch's sample weights
  };
  std::vector<CompiledMetric> metrics_;
  bool metrics_built_ = false;
  EpochPosition position_;  // of fit's epochs: the batches trained so far, kept after fit ends
  std::optional<TrainingState> resume_state_;
  ReplicaContext* replica_context_ = nullptr;  // of the fit in progress, when data-parallel
  std::vector<CallbackPtr> active_callbacks_;
  std::vector<int64_t> output_classes_;  // each output's last dimension, learned by probe()
};

// keras.Sequential: a stack of layers, each with one input and one output.
class Sequential : public Model {
 public:
  // input_shape excludes the batch dimension; without it the model builds on its first call.
  explicit Sequential(std::vector<LayerPtr> layers = {}, std::optional<Shape> input_shape = std::nullopt,
                      std::string name = "");
  void add(LayerPtr layer);
  std::vector<std::pair<std::string, LayerPtr>> named_layers() const override;
  std::vector<std::string> output_names() const override;
  bool is_graph_network() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<MaskedOutput> call_outputs_with_masks(const std::vector<Tensor>& inputs, bool training) override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void build_impl(const Shape& input_shape) override;

 private:
  MaskedOutput run_with_mask(const Tensor& x, bool training);
  std::vector<LayerPtr> stack_;
};

// keras.Model(inputs, outputs): any DAG of layer calls between Input()s and one or several outputs.
class Functional : public Model {
 public:
  Functional(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs, std::string name = "");
  Functional(std::vector<SymbolicTensor> inputs, SymbolicTensor output, std::string name = "")
      : Functional(std::move(inputs), std::vector<SymbolicTensor>{std::move(output)}, std::move(name)) {}
  Functional(SymbolicTensor input, SymbolicTensor output, std::string name = "")
      : Functional(std::vector<SymbolicTensor>{std::move(input)}, std::move(output), std::move(name)) {}
  std::vector<std::pair<std::string, LayerPtr>> named_layers() const override;
  bool is_graph_network() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override { return outputs_[0].shape(); }
  const std::vector<SymbolicTensor>& inputs() const { return inputs_; }
  // The first output (the only one of most models).
  const SymbolicTensor& output() const { return outputs_[0]; }
  const std::vector<SymbolicTensor>& outputs() const { return outputs_; }
  std::vector<std::string> input_names() const override;
  std::vector<std::string> output_names() const override;
  std::vector<Tensor> call_outputs(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<MaskedOutput> call_outputs_with_masks(const std::vector<Tensor>& inputs, bool training) override;
  // For the summary's "Connected to" column: each input of each call of the layer as Keras 3 shows it,
  // "<layer>[<node index>][<tensor index>]".
  std::vector<std::string> inbound_names(const Layer& layer) const;
  // As a layer in another model, a functional model with several outputs gives them all (call_all_outputs).
  size_t output_count() const override { return outputs_.size(); }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;

 protected:
  // As a layer (model(x)), a functional model gives its one output; InvalidArgument with several.
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  void check_input(const Shape& input_shape) const override;
  std::vector<Tensor> call_all_outputs_impl(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                            bool training) override {
    return run(xs, training);
  }

 private:
  std::vector<Tensor> run(const std::vector<Tensor>& xs, bool training);
  std::vector<MaskedOutput> run_with_masks(const std::vector<Tensor>& xs, bool training);
  std::vector<SymbolicTensor> inputs_;
  std::vector<SymbolicTensor> outputs_;
  std::vector<std::shared_ptr<SymbolicNode>> order_;  // layer nodes, topologically sorted
};

}  // namespace cairn
