// Models, as in Keras: Sequential, functional (Model(inputs, outputs)) and subclassed (derive from
// Model, track named layers, override call). compile / fit / evaluate / predict with Keras defaults.
#pragma once

#include <iostream>
#include <memory>
#include <optional>
#include <string>
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

struct CompileOptions {
  OptimizerSpec optimizer = "rmsprop";
  LossSpec loss;
  std::vector<std::string> metrics;
};

struct FitOptions {
  int64_t batch_size = 32;
  int epochs = 1;
  int verbose = 1;
  std::vector<CallbackPtr> callbacks;
  double validation_split = 0.0;  // the last fraction of x and y, taken before shuffling
  std::optional<std::pair<Tensor, Tensor>> validation_data;
  bool shuffle = true;
  int initial_epoch = 0;
  int64_t steps_per_epoch = 0;  // 0: one pass over the data per epoch
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
  const Loss& loss() const;
  // The metric names given to compile(), e.g. {"accuracy"}.
  const std::vector<std::string>& compiled_metrics() const { return metric_names_; }
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  Logs evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  Tensor predict(const Tensor& x, PredictOptions options = {});
  Logs train_on_batch(const Tensor& x, const Tensor& y);
  Logs test_on_batch(const Tensor& x, const Tensor& y);
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
  // Checks x and y before anything trains. probe_model also runs one sample through the model in
  // inference mode, which checks the input shape and learns the number of outputs.
  void check_fit_arguments(const Tensor& x, const Tensor& y, const char* method, bool probe_model = true);
  void probe(const Tensor& x, const Tensor& y);
  void check_labels(const Tensor& y, const char* method);
  void ensure_metrics(const Tensor& y_true, const Tensor& y_pred);
  // evaluate without its argument checks, for data that has passed them (fit's validation data).
  Logs evaluate_checked(const Tensor& x, const Tensor& y, const EvaluateOptions& options);
  Logs train_step(const Tensor& x, const Tensor& y);
  Logs test_step(const Tensor& x, const Tensor& y);
  Logs current_logs() const;
  // current_logs() over every replica's samples (collective) when data-parallel.
  Logs replicated_logs() const;
  void reset_metrics();
  // The running loss and metric sums of the epoch in progress (name -> (total, count)).
  std::map<std::string, std::pair<double, double>> metric_totals() const;
  void set_metric_totals(const std::map<std::string, std::pair<double, double>>& totals);

  std::vector<std::pair<std::string, LayerPtr>> tracked_;
  std::shared_ptr<Optimizer> optimizer_;
  std::shared_ptr<Loss> loss_;
  std::vector<std::string> metric_names_;
  Mean loss_tracker_{"loss"};
  std::vector<std::unique_ptr<Metric>> metrics_;
  EpochPosition position_;  // of fit's epochs: the batches trained so far, kept after fit ends
  std::optional<TrainingState> resume_state_;
  ReplicaContext* replica_context_ = nullptr;  // of the fit in progress, when data-parallel
  std::vector<CallbackPtr> active_callbacks_;
  int64_t output_classes_ = 0;  // the model's last dimension, learned by probe()
};

// keras.Sequential: a stack of layers, each with one input and one output.
class Sequential : public Model {
 public:
  // input_shape excludes the batch dimension; without it the model builds on its first call.
  explicit Sequential(std::vector<LayerPtr> layers = {}, std::optional<Shape> input_shape = std::nullopt,
                      std::string name = "");
  void add(LayerPtr layer);
  std::vector<std::pair<std::string, LayerPtr>> named_layers() const override;
  bool is_graph_network() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  void build_impl(const Shape& input_shape) override;

 private:
  std::vector<LayerPtr> stack_;
};

// keras.Model(inputs, outputs): any DAG of layer calls between Input()s and one output.
class Functional : public Model {
 public:
  Functional(std::vector<SymbolicTensor> inputs, SymbolicTensor output, std::string name = "");
  Functional(SymbolicTensor input, SymbolicTensor output, std::string name = "")
      : Functional(std::vector<SymbolicTensor>{std::move(input)}, std::move(output), std::move(name)) {}
  std::vector<std::pair<std::string, LayerPtr>> named_layers() const override;
  bool is_graph_network() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override { return output_.shape(); }
  const std::vector<SymbolicTensor>& inputs() const { return inputs_; }
  const SymbolicTensor& output() const { return output_; }
  // For the summary's "Connected to" column: the producing node names of each layer's inputs.
  std::vector<std::string> inbound_names(const Layer& layer) const;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  std::vector<SymbolicTensor> inputs_;
  SymbolicTensor output_;
  std::vector<std::shared_ptr<SymbolicNode>> order_;  // layer nodes, topologically sorted
};

}  // namespace cairn
