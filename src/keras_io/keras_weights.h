// The weight layouts of Keras's HDF5 files, shared by the whole-model files and the weights-only ones:
// * tf.keras 2.x: a group per layer with attribute weight_names and datasets at those names
//   ("dense/kernel:0"), the layer list in attribute layer_names; optimizer_weights likewise.
// * Keras 3: layers/<snake_case class name, numbered>/vars/<i>, optimizer/vars/<i>.
// Reading never changes the model: every value is checked against the model and collected in a
// PendingLoad, which apply() assigns once everything has been read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cairn/model.h"
#include "cairn/random.h"
#include "hdf5.h"

namespace cairn::keras_io_detail {

class PendingLoad {
 public:
  void assign(VariablePtr variable, Tensor value) { variables_.push_back({std::move(variable), std::move(value)}); }
  void assign_slot(VariablePtr variable, std::string slot_name, Tensor value) {
    slots_.push_back({std::move(variable), std::move(slot_name), std::move(value)});
  }
  void set_iterations(int64_t iterations) { iterations_ = iterations; }
  void set_learning_rate(float learning_rate) { learning_rate_ = learning_rate; }
  void set_generator(Layer* layer, GeneratorState state) { generators_.push_back({layer, state}); }
  // Assigns everything; the optimizer state goes to `optimizer` (which must exist when there is some).
  void apply(Optimizer* optimizer) const;

 private:
  struct Slot {
    VariablePtr variable;
    std::string slot_name;
    Tensor value;
  };
  std::vector<std::pair<VariablePtr, Tensor>> variables_;
  std::vector<Slot> slots_;
  std::optional<int64_t> iterations_;
  std::optional<float> learning_rate_;
  std::vector<std::pair<Layer*, GeneratorState>> generators_;
};

// ---- tf.keras 2.x layout

// Attribute layer_names and one group per layer (the file root of a weights-only file, or model_weights).
void write_keras2_layers(h5::Group& group, const std::vector<LayerPtr>& layers);
// Matches the layers with weights by order or by name (options); ShapeError naming the layer and both
// shapes (or weight counts) unless options.skip_mismatch, FormatError for missing groups or datasets.
void read_keras2_layers(const h5::Group& group, const std::vector<LayerPtr>& layers, const LoadWeightsOptions& options,
                        PendingLoad& pending);
// Group optimizer_weights: "Adam/iter:0", then "Adam/<weight>/<slot>:0" slot by slot (Keras 2's order).
// Nothing when the optimizer has no state yet.
void write_keras2_optimizer(h5::Group& root, const Model& model);
// Slots are matched by their names when every name resolves to a weight of the model (the legacy
// optimizers' "Adam/dense/kernel/m:0", tf-keras 2.11+'s "Adam/m/dense/kernel:0"), otherwise by position
// in Keras's order (tf.keras 2.x, or Keras 3's legacy h5 with a learning rate). State that does not fit
// the model's optimizer is skipped with a warning, as Keras does ("Skipping loading optimizer state").
void read_keras2_optimizer(const h5::Group& group, const Model& model, PendingLoad& pending);

// ---- Keras 3 layout

// layers/... and, with include_optimizer and a compiled model, optimizer/vars.
void write_keras3_weights(h5::Group& root, const Model& model, bool include_optimizer);
// Optimizer state that does not fit is skipped with a warning, as by read_keras2_optimizer.
void read_keras3_weights(const h5::Group& root, const Model& model, const LoadWeightsOptions& options,
                         PendingLoad& pending);

// ---- cairn's addition: the random streams of layers that draw random numbers (Dropout), in group
// cairn_generator_states (int64 [seed, counter, position] per layer, at the layer's Keras 3 path, which
// follows the order of the layers, as loading does), which Keras ignores.
void write_generator_states(h5::Group& root, const Model& model);
void read_generator_states(const h5::Group& root, const Model& model, PendingLoad& pending);

}  // namespace cairn::keras_io_detail
