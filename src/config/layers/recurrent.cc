// keras.layers.LSTM's, GRU's and SimpleRNN's configs: one writer and one reader for the keys they share
// (cairn/layers/recurrent.h), and the few that belong to one class.
#include "cairn/layers/gru.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/simple_rnn.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

Json write_recurrent(const Recurrent& layer) {
  const RecurrentOptions& o = layer.options();
  const std::string& class_name = layer.class_name();
  // tf.keras 2's keys (which Keras 3 reads too); Keras 3's zero_output_for_mask and seed when they matter.
  Json config = {{"return_sequences", o.return_sequences}, {"return_state", o.return_state},
                 {"go_backwards", o.go_backwards},         {"stateful", false},
                 {"unroll", false}};
  if (o.zero_output_for_mask) config["zero_output_for_mask"] = true;
  config["units"] = layer.units();
  config["activation"] = activation_name(o.activation);
  if (class_name != "SimpleRNN") config["recurrent_activation"] = activation_name(o.recurrent_activation);
  config["use_bias"] = o.use_bias;
  config["kernel_initializer"] = initializer_config(*o.kernel_initializer);
  config["recurrent_initializer"] = initializer_config(*o.recurrent_initializer);
  config["bias_initializer"] = initializer_config(*o.bias_initializer);
  if (class_name == "LSTM") config["unit_forget_bias"] = o.unit_forget_bias;
  for (const char* key : {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
                          "kernel_constraint", "recurrent_constraint", "bias_constraint"})
    config[key] = nullptr;
  config["dropout"] = o.dropout;
  config["recurrent_dropout"] = o.recurrent_dropout;
  if (class_name == "LSTM") config["implementation"] = 2;
  if (class_name == "GRU") config["reset_after"] = o.reset_after;
  if (o.seed) config["seed"] = *o.seed;
  return config;
}

// The units and options of a config of `class_name`; the caller constructs the layer.
std::pair<int64_t, RecurrentOptions> read_recurrent(const std::string& class_name, const std::string& name,
                                                    const Json& config) {
  ConfigReader r(config, describe(class_name, name));
  const int64_t units = r.dimension("units");
  RecurrentOptions o;
  o.return_sequences = r.boolean("return_sequences", false);
  o.return_state = r.boolean("return_state", false);
  o.go_backwards = r.boolean("go_backwards", false);
  o.zero_output_for_mask = r.boolean("zero_output_for_mask", false);
  r.require("stateful", {false}, "cairn's " + class_name + " keeps no state between batches");
  r.require("time_major", {false}, "cairn's " + class_name + " takes (batch, timesteps, features)");
  o.activation = r.activation("activation", "tanh");
  if (class_name != "SimpleRNN") o.recurrent_activation = r.activation("recurrent_activation", "sigmoid");
  o.use_bias = r.boolean("use_bias", true);
  o.kernel_initializer = r.initializer("kernel_initializer", o.kernel_initializer);
  o.recurrent_initializer = r.initializer("recurrent_initializer", o.recurrent_initializer);
  o.bias_initializer = r.initializer("bias_initializer", o.bias_initializer);
  if (class_name == "LSTM") o.unit_forget_bias = r.boolean("unit_forget_bias", true);
  if (class_name == "GRU") o.reset_after = r.boolean("reset_after", true);
  require_null(r, {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                   "recurrent_constraint", "bias_constraint"});
  o.dropout = r.number("dropout", 0.0);
  o.recurrent_dropout = r.number("recurrent_dropout", 0.0);
  o.seed = r.seed("seed");
  // How Keras computes the same function: unrolled loops, fused kernels.
  for (const char* same_result : {"implementation", "unroll", "use_cudnn"}) r.ignore(same_result);
  o.name = name;
  r.finish();
  return {units, o};
}

template <class L>
LayerClass recurrent_class(const std::string& class_name, const std::string& support) {
  auto write = [](const Layer& layer) { return write_recurrent(as<L>(layer)); };
  auto read = [class_name](const std::string& name, const Json& config) -> LayerPtr {
    auto [units, options] = read_recurrent(class_name, name, config);
    return std::make_shared<L>(units, options);
  };
  return {class_name, write, read, support};
}

const char* const kShared =
    "return_sequences, return_state (the states are outputs: call_all_outputs), initial_state (inputs after the "
    "sequence), go_backwards, masks, dropout and recurrent_dropout; no stateful";

}  // namespace

LayerClass lstm_layer_class() {
  return recurrent_class<LSTM>("LSTM", std::string("any activations (tanh and sigmoid fused), ") + kShared);
}
LayerClass gru_layer_class() {
  return recurrent_class<GRU>("GRU", std::string("reset_after true or false, any activations, ") + kShared);
}
LayerClass simple_rnn_layer_class() {
  return recurrent_class<SimpleRNN>("SimpleRNN", std::string("any activation, ") + kShared);
}

}  // namespace cairn::config_detail
