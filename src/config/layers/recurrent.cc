// keras.layers.GRU's and keras.layers.SimpleRNN's configs.
#include "cairn/layers/gru.h"
#include "cairn/layers/simple_rnn.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

// The keys of Keras's RNN base class and its cells' regularizers, constraints and dropouts, which cairn
// has in their default form only.
Json rnn_keys(bool return_sequences, bool go_backwards) {
  return {{"return_sequences", return_sequences}, {"return_state", false}, {"go_backwards", go_backwards},
          {"stateful", false}, {"unroll", false}};
}
void read_rnn_keys(ConfigReader& r, const std::string& class_name, bool& return_sequences, bool& go_backwards) {
  return_sequences = r.boolean("return_sequences", false);
  go_backwards = r.boolean("go_backwards", false);
  r.require("return_state", {false}, "cairn's " + class_name + " returns only its output");
  r.require("stateful", {false}, "cairn's " + class_name + " keeps no state between batches");
  r.require("time_major", {false}, "cairn's " + class_name + " takes (batch, timesteps, features)");
  require_null(r, {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                   "recurrent_constraint", "bias_constraint"});
  r.require("dropout", {0}, "cairn's " + class_name + " has no input dropout");
  r.require("recurrent_dropout", {0}, "cairn's " + class_name + " has no recurrent dropout");
  // How Keras computes the same function (unrolled loops, fused kernels, the seed of the dropout that must
  // be 0, outputs under masks that cairn does not have).
  for (const char* same_result : {"implementation", "unroll", "use_cudnn", "seed", "zero_output_for_mask"})
    r.ignore(same_result);
}
Json null_regularizers() {
  return {{"kernel_regularizer", nullptr},   {"recurrent_regularizer", nullptr}, {"bias_regularizer", nullptr},
          {"activity_regularizer", nullptr}, {"kernel_constraint", nullptr},     {"recurrent_constraint", nullptr},
          {"bias_constraint", nullptr},      {"dropout", 0.0},                   {"recurrent_dropout", 0.0}};
}

}  // namespace

LayerClass gru_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const GRU& g = as<GRU>(layer);
    const GRUOptions& o = g.options();
    Json config = rnn_keys(o.return_sequences, o.go_backwards);
    config.update(Json{{"units", g.units()},
                       {"activation", activation_name(o.activation)},
                       {"recurrent_activation", activation_name(o.recurrent_activation)},
                       {"use_bias", o.use_bias},
                       {"kernel_initializer", initializer_config(*o.kernel_initializer)},
                       {"recurrent_initializer", initializer_config(*o.recurrent_initializer)},
                       {"bias_initializer", initializer_config(*o.bias_initializer)}});
    config.update(null_regularizers());
    config["reset_after"] = o.reset_after;
    return config;
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("GRU", name));
    const int64_t units = r.dimension("units");
    GRUOptions o;
    read_rnn_keys(r, "GRU", o.return_sequences, o.go_backwards);
    o.activation = r.activation("activation", "tanh");
    o.recurrent_activation = r.activation("recurrent_activation", "sigmoid");
    o.use_bias = r.boolean("use_bias", true);
    o.kernel_initializer = r.initializer("kernel_initializer", o.kernel_initializer);
    o.recurrent_initializer = r.initializer("recurrent_initializer", o.recurrent_initializer);
    o.bias_initializer = r.initializer("bias_initializer", o.bias_initializer);
    o.reset_after = r.boolean("reset_after", true);
    o.name = name;
    r.finish();
    return std::make_shared<GRU>(units, o);
  };
  return {"GRU", write, read,
          "reset_after true or false, any activations, return_sequences, go_backwards; no return_state, stateful, "
          "dropout or masking"};
}

LayerClass simple_rnn_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const SimpleRNN& s = as<SimpleRNN>(layer);
    const SimpleRNNOptions& o = s.options();
    Json config = rnn_keys(o.return_sequences, o.go_backwards);
    config.update(Json{{"units", s.units()},
                       {"activation", activation_name(o.activation)},
                       {"use_bias", o.use_bias},
                       {"kernel_initializer", initializer_config(*o.kernel_initializer)},
                       {"recurrent_initializer", initializer_config(*o.recurrent_initializer)},
                       {"bias_initializer", initializer_config(*o.bias_initializer)}});
    config.update(null_regularizers());
    return config;
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("SimpleRNN", name));
    const int64_t units = r.dimension("units");
    SimpleRNNOptions o;
    read_rnn_keys(r, "SimpleRNN", o.return_sequences, o.go_backwards);
    o.activation = r.activation("activation", "tanh");
    o.use_bias = r.boolean("use_bias", true);
    o.kernel_initializer = r.initializer("kernel_initializer", o.kernel_initializer);
    o.recurrent_initializer = r.initializer("recurrent_initializer", o.recurrent_initializer);
    o.bias_initializer = r.initializer("bias_initializer", o.bias_initializer);
    o.name = name;
    r.finish();
    return std::make_shared<SimpleRNN>(units, o);
  };
  return {"SimpleRNN", write, read,
          "any activation, return_sequences, go_backwards; no return_state, stateful, dropout or masking"};
}

}  // namespace cairn::config_detail
