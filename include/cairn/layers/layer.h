// Layer: the module base class. A layer owns named Variables, builds them from the first input shape
// it sees, and maps a tensor to a tensor. Keras names: layers get automatic names "dense", "dense_1"...
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/initializers.h"
#include "cairn/random.h"
#include "cairn/tensor.h"
#include "cairn/variable.h"

namespace cairn {

class Layer;
struct SymbolicNode;

// A placeholder for a tensor in a functional model under construction: it knows its shape (batch
// dimension -1) and the layer call that produces it. Made by Input() and by calling layers on it. A call of
// a layer with several outputs (LSTM(return_state=True): output, h, c) is one node; each of its outputs
// is a SymbolicTensor naming the node and its output_index (Keras's tensor_index).
class SymbolicTensor {
 public:
  SymbolicTensor() = default;
  explicit SymbolicTensor(std::shared_ptr<SymbolicNode> node, size_t output_index = 0)
      : node_(std::move(node)), output_index_(output_index) {}
  const Shape& shape() const;
  const std::shared_ptr<SymbolicNode>& node() const { return node_; }
  // Which of the node's outputs this is: 0 but for the later outputs of a layer with several.
  size_t output_index() const { return output_index_; }

 private:
  std::shared_ptr<SymbolicNode> node_;
  size_t output_index_ = 0;
};

struct SymbolicNode {
  std::shared_ptr<Layer> layer;  // null for a model input
  std::vector<SymbolicTensor> inputs;
  std::vector<Shape> output_shapes;  // one per output of the call (a model input has one)
  std::string name;  // the input's name, or the layer's
};

// keras.Input: a model input of `shape` (without the batch dimension).
SymbolicTensor Input(const Shape& shape, const std::string& name = "");

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  // `class_name` is Keras's ("Dense"); an empty `name` gets the next automatic name for the class.
  Layer(std::string class_name, std::string name, std::optional<uint64_t> seed = {});
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }

  // Builds on the first call, checks the input against what the layer accepts, then calls call().
  Tensor operator()(const Tensor& x, bool training = false);
  // With the input's mask (Keras's compute_mask): the output and the output's mask. A mask is a float32
  // tensor of the input's leading dimensions, (batch, timesteps) for sequences, 1 at the steps that count
  // and 0 at padding; undefined means no mask.
  // Embedding(mask_zero) and Masking make one, the recurrent layers honour it, and Sequential and
  // functional models hand each layer's output mask to the next layer through this call.
  struct MaskedOutput {
    Tensor output;
    Tensor mask;
  };
  MaskedOutput operator()(const Tensor& x, const Tensor& mask, bool training);
  // Layers that take several tensors (Concatenate, Add) override call_multi; others take exactly one.
  Tensor operator()(const std::vector<Tensor>& xs, bool training = false);
  // Several inputs with their masks (one per input, undefined where an input has none): the output and
  // its mask, which merge layers compute from the inputs' masks (Keras's compute_mask of a list).
  MaskedOutput operator()(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training);
  // Functional API: records this layer's call in the graph (the layer must be owned by a shared_ptr).
  // The result is the call's first output (for a layer with several, call_all_outputs gives them all).
  SymbolicTensor operator()(const SymbolicTensor& x);
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs);

  // Layers with several outputs, as Keras returns a list of them: a recurrent layer with return_state
  // (the output, then the final states: h, or h and c for LSTM), Bidirectional with merge_mode None
  // (forward and backward outputs) or return_state (the output(s), the forward states, then the backward
  // ones), a functional model with several outputs. The calls above give the first output; these give
  // every one, in Keras's order (one for the other layers):
  //   std::vector<SymbolicTensor> outs = lstm->call_all_outputs(x);   // out, h, c = LSTM(...)(x)
  //   auto y = decoder_lstm->call_all_outputs({x, outs[1], outs[2]}); // Keras's initial_state=[h, c]
  // The inputs are as for the calls above; recurrent layers take their initial states (Keras's
  // initial_state) as inputs after the sequence.
  std::vector<SymbolicTensor> call_all_outputs(const SymbolicTensor& x);
  std::vector<SymbolicTensor> call_all_outputs(const std::vector<SymbolicTensor>& xs);
  std::vector<Tensor> call_all_outputs(const Tensor& x, bool training = false);
  std::vector<Tensor> call_all_outputs(const std::vector<Tensor>& xs, bool training = false);
  // With each input's mask (undefined where an input has none), as models call layers: every output
  // with its own mask.
  std::vector<MaskedOutput> call_all_outputs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                             bool training);
  // How many outputs a call has: 1 but for the layers above.
  virtual size_t output_count() const { return 1; }
  // The shapes of every output for these input shapes (batch dimension passes through).
  virtual std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const {
    return {compute_output_shape(input_shapes)};
  }
  // Creates the weights for inputs of this shape (the batch dimension may be -1). Idempotent.
  void build(const Shape& input_shape);
  bool built() const { return built_; }
  const Shape& built_input_shape() const { return input_shape_; }
  // The output shape for an input shape (batch dimension passes through, -1 meaning unknown).
  virtual Shape compute_output_shape(const Shape& input_shape) const = 0;
  virtual Shape compute_output_shape(const std::vector<Shape>& input_shapes) const;
  // The shape of the last output (batch dimension -1), for summary(); empty before the first call.
  const Shape& last_output_shape() const { return last_output_shape_; }

  // Keras order: the order in which weights were created (models: their layers' weights in order).
  virtual std::vector<VariablePtr> weights() const { return weights_; }
  // This layer's own weights with their short names ("kernel", "bias"), in creation order.
  const std::vector<std::pair<std::string, VariablePtr>>& own_weights() const { return own_weights_; }
  // Where each of own_weights() sits in Keras's files, relative to the layer, in the same order. The
  // default is the short name at the layer itself; recurrent layers keep theirs in a cell. Every file
  // format (TensorFlow checkpoints, .h5, .keras, layer-path safetensors) reads its names from here.
  struct KerasWeightPath {
    std::string checkpoint;  // object path in TensorFlow checkpoints: "kernel"
    std::string keras2;      // tf.keras 2 weight name after "<layer name>/": "kernel", "lstm_cell/kernel"
    std::string keras3;      // Keras 3 object below the layer's path whose vars/ hold it: "", "cell"
    // The object below the layer in TensorFlow checkpoints, when it is not `keras3`: tracked attribute
    // names, as tf-keras's MultiHeadAttention's "_query_dense" (Keras 3's files drop the underscore).
    std::string checkpoint_object = {};
  };
  virtual std::vector<KerasWeightPath> keras_weight_paths() const;
  // Re-draws this layer's weights from their initializers, after rewinding its random stream to where it
  // started: the values the layer's first build gave them.
  virtual void reset_weights();
  // True for layers that draw random numbers while training (Dropout): their generator's state is part
  // of a checkpoint, so that a resumed run draws the same numbers.
  virtual bool draws_random_numbers() const { return false; }
  // True for layers that pass their input's mask on unchanged (Keras's supports_masking): Dense, Dropout,
  // activations, recurrent layers with return_sequences; the others end it unless they compute their own
  // (compute_mask). Model configs read it to tell which layers' inputs carry a mask.
  virtual bool supports_masking() const { return false; }
  // True for layers that Keras calls with each input as an argument of its own (mha(query, value, key))
  // rather than with one list of them (Add()([a, b])): Keras 3's configs record their calls so.
  virtual bool takes_inputs_as_arguments() const { return false; }
  virtual std::vector<VariablePtr> trainable_weights() const;
  virtual std::vector<VariablePtr> non_trainable_weights() const;
  bool trainable() const { return trainable_; }
  void set_trainable(bool trainable);
  int64_t count_params() const;

  // Values for weights this layer has not created yet (a checkpoint restored before the layer was
  // built): each is checked against the weight's shape and assigned when add_weight creates it, as
  // TensorFlow's deferred restoration does. Keyed by the weight's short name; `key` names the source.
  struct DeferredValue {
    std::string key;
    Tensor value;
  };
  void defer_restore(std::map<std::string, DeferredValue> values) { deferred_ = std::move(values); }

  // The layer's random stream (initializers, dropout); part of the state an exact resume restores.
  Generator& generator() { return generator_; }
  const Generator& generator() const { return generator_; }

 protected:
  virtual void build_impl(const Shape& input_shape) {}
  virtual Tensor call(const Tensor& x, bool training) = 0;
  // call() given the input's mask: layers that use masks (the recurrent layers) override it.
  virtual Tensor call_with_mask(const Tensor& x, const Tensor& mask, bool training) { return call(x, training); }
  // The output's mask (Keras's compute_mask): the input's for layers that keep the timesteps as they are
  // (supports_masking), none for the others.
  virtual Tensor compute_mask(const Tensor& x, const Tensor& mask) const { return supports_masking() ? mask : Tensor(); }
  virtual Tensor call_multi(const std::vector<Tensor>& xs, bool training);
  // call_multi given each input's mask (MultiHeadAttention's query and value masks); the masks'
  // shapes are checked. By default the masks are not used.
  virtual Tensor call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) {
    return call_multi(xs, training);
  }
  // The output's mask from several inputs' masks: none by default (Dot); merge layers combine them.
  virtual Tensor compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const { return Tensor(); }
  virtual void build_multi(const std::vector<Shape>& input_shapes);
  // A layer with several outputs overrides this and compute_output_shapes: every output of one call on
  // `xs` (the layer is built; `masks` has one per input, undefined for none). The default is the one
  // output of call_with_mask (one input) or call_multi_with_masks (several).
  virtual std::vector<Tensor> call_all_outputs_impl(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                    bool training);
  // The mask of each of `output_count` outputs: compute_mask's (compute_mask_multi's for several inputs)
  // for the first, none for the others (a recurrent layer's states).
  virtual std::vector<Tensor> compute_output_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                                   size_t output_count) const;
  // Throws ShapeError in Keras's words when x cannot be fed to this layer.
  virtual void check_input(const Shape& input_shape) const {}
  // Initializers draw float32; another `dtype` (Normalization's int64 count) gets their values converted.
  VariablePtr add_weight(const std::string& name, const Shape& shape, const InitializerPtr& initializer,
                         bool trainable = true, DType dtype = DType::Float32);
  // A wrapper's (Bidirectional's) weights are those of the layers it wraps: each of `inner`'s own weights
  // becomes one of this layer's, named "<prefix>/<short name>", so that every file format finds it through
  // this layer's keras_weight_paths(). Call after `inner` is built.
  void adopt_weights(const Layer& inner, const std::string& prefix);
  // keras_weight_paths of a recurrent layer, whose weights belong to its cell: checkpoints flat (tf-keras's
  // "cell" object is read as the layer's own), "<cell_name>/kernel" in tf.keras 2, "cell" in Keras 3.
  std::vector<KerasWeightPath> weight_paths_in_cell(const std::string& cell_name) const;
  // 'Input 0 of layer "dense" is incompatible with the layer: <detail>' as a ShapeError.
  [[noreturn]] void incompatible_input(const std::string& detail) const;

 private:
  // Both call operators: checks x, builds on the first call, runs call (call_with_mask given a mask).
  Tensor checked_call(const Tensor& x, const Tensor& mask, bool training);

  std::string class_name_;
  std::string name_;
  Generator generator_;
  GeneratorState initial_generator_state_;
  std::vector<VariablePtr> weights_;
  std::vector<InitializerPtr> initializers_;  // of own_weights_, in the same order
  std::vector<std::pair<std::string, VariablePtr>> own_weights_;
  std::map<std::string, DeferredValue> deferred_;
  Shape input_shape_;
  Shape last_output_shape_;
  bool built_ = false;
  bool trainable_ = true;
};

using LayerPtr = std::shared_ptr<Layer>;

// "Dense" -> "dense", "MaxPool2D" -> "max_pool2d", as Keras derives default names.
std::string to_snake_case(const std::string& class_name);
// The next unused automatic name for a prefix: "dense", then "dense_1", "dense_2"...
std::string unique_layer_name(const std::string& prefix);
// Forgets the automatic names given so far, like keras.backend.clear_session().
void clear_session();

}  // namespace cairn
