// The configs of keras.layers.ReLU, LeakyReLU, ELU, Softmax and PReLU.
#include <limits>

#include "cairn/layers/activation_layers.h"
#include "layer_registry.h"

namespace cairn::config_detail {

LayerClass relu_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const ReLUOptions& o = as<ReLU>(layer).options();
    return {{"max_value", o.max_value ? Json(*o.max_value) : Json(nullptr)},
            {"negative_slope", o.negative_slope},
            {"threshold", 0.0}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("ReLU", name));
    ReLUOptions o;
    if (const Json* max_value = r.take("max_value"); max_value && !max_value->is_null()) {
      if (!max_value->is_number()) r.fail("max_value must be a number or null, got " + show(*max_value));
      o.max_value = max_value->get<double>();
    }
    o.negative_slope = r.number("negative_slope", 0.0);
    if (r.number("threshold", 0.0) != 0.0)
      r.unsupported("threshold", config["threshold"], "cairn's ReLU has threshold 0");
    o.name = name;
    r.finish();
    return std::make_shared<ReLU>(o);
  };
  return {"ReLU", write, read, "max_value and negative_slope; threshold 0 only"};
}

LayerClass leaky_relu_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"negative_slope", as<LeakyReLU>(layer).negative_slope()}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("LeakyReLU", name));
    // tf.keras names the slope alpha (default 0.3, as Keras 3's negative_slope).
    const double slope = r.has("alpha") ? r.number("alpha") : r.number("negative_slope", 0.3);
    r.finish();
    return std::make_shared<LeakyReLU>(slope, name);
  };
  return {"LeakyReLU", write, read, "negative_slope (tf.keras's alpha)"};
}

LayerClass elu_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"alpha", as<ELU>(layer).alpha()}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("ELU", name));
    const double alpha = r.number("alpha", 1.0);
    r.finish();
    return std::make_shared<ELU>(alpha, name);
  };
  return {"ELU", write, read, "all arguments"};
}

LayerClass softmax_layer_class() {
  auto write = [](const Layer& layer) -> Json { return {{"axis", as<Softmax>(layer).axis()}}; };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("Softmax", name));
    const Json* axis = r.take("axis");
    if (axis && axis->is_array() && axis->size() == 1) axis = &(*axis)[0];
    if (axis && !axis->is_null() && !axis->is_number_integer())
      r.unsupported("axis", *axis, "cairn's Softmax takes one axis");
    const int value = axis && !axis->is_null() ? static_cast<int>(axis->get<int64_t>()) : -1;
    r.finish();
    return std::make_shared<Softmax>(value, name);
  };
  return {"Softmax", write, read, "one axis; a mask (broadcast from the last axis, as Keras's mask argument) leaves the masked entries out: 0 in the output"};
}

LayerClass prelu_layer_class() {
  auto write = [](const Layer& layer) -> Json {
    const PReLUOptions& o = as<PReLU>(layer).options();
    Json shared = nullptr;
    if (!o.shared_axes.empty()) {
      shared = Json::array();
      for (int axis : o.shared_axes) shared.push_back(axis);
    }
    return {{"alpha_initializer", initializer_config(*o.alpha_initializer)},
            {"alpha_regularizer", nullptr},
            {"alpha_constraint", nullptr},
            {"shared_axes", shared}};
  };
  auto read = [](const std::string& name, const Json& config) -> LayerPtr {
    ConfigReader r(config, describe("PReLU", name));
    PReLUOptions o;
    o.alpha_initializer = r.initializer("alpha_initializer", o.alpha_initializer);
    require_null(r, {"alpha_regularizer", "alpha_constraint"});
    if (const Json* shared = r.take("shared_axes"); shared && !shared->is_null()) {
      const Json& axes = unwrap_tuple(*shared);
      if (axes.is_number_integer()) {
        o.shared_axes.push_back(static_cast<int>(axes.get<int64_t>()));
      } else {
        if (!axes.is_array() || axes.size() > 32) r.fail("shared_axes must be null or a list of axes, got " + show(*shared));
        for (const Json& axis : axes) {
          if (!axis.is_number_integer() || axis.get<int64_t>() < 1 || axis.get<int64_t>() > 32)
            r.fail("shared_axes must list 1-based axes, got " + show(*shared));
          o.shared_axes.push_back(static_cast<int>(axis.get<int64_t>()));
        }
      }
    }
    o.name = name;
    r.finish();
    return std::make_shared<PReLU>(o);
  };
  return {"PReLU", write, read, "alpha_initializer and shared_axes; no regularizer or constraint"};
}

}  // namespace cairn::config_detail
