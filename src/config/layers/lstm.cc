// keras.layers.LSTM's config.
#include "cairn/layers/lstm.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass lstm_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const LSTM& l = as<LSTM>(layer);
    const LSTMOptions& o = l.options();
    return {{"return_sequences", o.return_sequences},
            {"return_state", false},
            {"go_backwards", false},
            {"stateful", false},
            {"unroll", false},
            {"units", l.units()},
            {"activation", "tanh"},
            {"recurrent_activation", "sigmoid"},
            {"use_bias", o.use_bias},
            {"kernel_initializer", initializer_config(*o.kernel_initializer)},
            {"recurrent_initializer", initializer_config(*o.recurrent_initializer)},
            {"bias_initializer", initializer_config(*o.bias_initializer)},
            {"unit_forget_bias", o.unit_forget_bias},
            {"kernel_regularizer", nullptr},
            {"recurrent_regularizer", nullptr},
            {"bias_regularizer", nullptr},
            {"activity_regularizer", nullptr},
            {"kernel_constraint", nullptr},
            {"recurrent_constraint", nullptr},
            {"bias_constraint", nullptr},
            {"dropout", 0.0},
            {"recurrent_dropout", 0.0},
            {"implementation", 2}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("LSTM", name));
    const int64_t units = r.dimension("units");
    LSTMOptions options;
    options.return_sequences = r.boolean("return_sequences", false);
    r.require("return_state", {false}, "cairn's LSTM returns only its output");
    r.require("go_backwards", {false}, "cairn's LSTM runs forward in time");
    r.require("stateful", {false}, "cairn's LSTM keeps no state between batches");
    r.require("time_major", {false}, "cairn's LSTM takes (batch, timesteps, features)");
    r.require("activation", {"tanh"}, "cairn's LSTM uses tanh");
    r.require("recurrent_activation", {"sigmoid"}, "cairn's LSTM uses sigmoid");
    options.use_bias = r.boolean("use_bias", true);
    options.kernel_initializer = r.initializer("kernel_initializer", options.kernel_initializer);
    options.recurrent_initializer = r.initializer("recurrent_initializer", options.recurrent_initializer);
    options.bias_initializer = r.initializer("bias_initializer", options.bias_initializer);
    options.unit_forget_bias = r.boolean("unit_forget_bias", true);
    require_null(r, {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                     "recurrent_constraint", "bias_constraint"});
    r.require("dropout", {0}, "cairn's LSTM has no input dropout");
    r.require("recurrent_dropout", {0}, "cairn's LSTM has no recurrent dropout");
    // These choose how Keras computes the same function (loop unrolling, fused kernels, the seed of the
    // dropout that must be 0, outputs under masks that cairn does not have).
    for (const char* same_result : {"implementation", "unroll", "use_cudnn", "seed", "zero_output_for_mask"})
      r.ignore(same_result);
    options.name = name;
    r.finish();
    return std::make_shared<LSTM>(units, options);
  };
  return {"LSTM", write, read,
          "tanh and sigmoid, return_sequences; no return_state, go_backwards, stateful, dropout or masking"};
}

}  // namespace cairn::config_detail
