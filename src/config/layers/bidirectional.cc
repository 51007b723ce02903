// keras.layers.Bidirectional's config: the merge mode and the forward and backward layers' own configs.
#include "cairn/layers/bidirectional.h"
#include "layer_registry.h"

namespace cairn::config_detail {

namespace {

std::shared_ptr<Recurrent> read_recurrent_entry(ConfigReader& r, const std::string& key) {
  const LayerPtr layer = layer_from_config(r.take_required(key));
  auto recurrent = std::dynamic_pointer_cast<Recurrent>(layer);
  if (!recurrent)
    r.fail(key + " must be a recurrent layer (LSTM, GRU or SimpleRNN), got " + layer->class_name() + " '" +
           layer->name() + "'");
  return recurrent;
}

}  // namespace

LayerClass bidirectional_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const Bidirectional& b = as<Bidirectional>(layer);
    return {{"merge_mode", b.merge_mode() ? Json(*b.merge_mode()) : Json(nullptr)},
            {"layer", layer_config(*b.forward_layer())},
            {"backward_layer", layer_config(*b.backward_layer())}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Bidirectional", name));
    BidirectionalOptions options;
    const Json* merge_mode = r.take("merge_mode");
    if (merge_mode && merge_mode->is_null()) {
      options.merge_mode = std::nullopt;  // two outputs
    } else if (merge_mode) {
      if (!merge_mode->is_string()) r.fail("merge_mode must be a string, got " + show(*merge_mode));
      options.merge_mode = merge_mode->get<std::string>();
    }
    const std::shared_ptr<Recurrent> forward = read_recurrent_entry(r, "layer");
    if (r.has("backward_layer")) options.backward_layer = read_recurrent_entry(r, "backward_layer");
    options.name = name;
    r.finish();
    return std::make_shared<Bidirectional>(forward, options);
  };
  return {"Bidirectional", write, read,
          "LSTM, GRU or SimpleRNN; merge_mode concat, sum, mul, ave and None (two outputs); return_state and "
          "initial_state; masks"};
}

}  // namespace cairn::config_detail
