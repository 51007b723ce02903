// Optimizer and loss configs and the training_config of a compiled model (tf.keras 2.x's h5 attribute).
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cairn/error.h"
#include "cairn/metrics.h"
#include "cairn/internal/config/config_reader.h"
#include "keyword_args_json.h"

namespace cairn {

using config_detail::ConfigReader;
using config_detail::show;

namespace {

// The shortest decimal that reads back as the same float32: optimizers hold their hyperparameters in
// float32 variables, and 0.001 reads better (and as Keras writes it before training) than
// 0.0010000000474974513, while reading either gives the same variable.
double float32_value(double value) {
  const float f = static_cast<float>(value);
  if (!std::isfinite(f)) return value;
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(f));
    if (std::strtof(text, nullptr) == f) return std::strtod(text, nullptr);
  }
  return static_cast<double>(f);
}

const Json kNull = nullptr;

// Options of Keras optimizers that cairn's do not have; Keras writes them as null / false when unused.
void read_common_optimizer_keys(ConfigReader& r) {
  r.ignore("name");  // only a prefix of Keras's variable names
  for (const char* key : {"clipnorm", "clipvalue", "global_clipnorm", "loss_scale_factor"})
    r.require(key, {kNull}, "cairn's optimizers have no " + std::string(key));
  r.require("weight_decay", {kNull, 0}, "cairn's optimizers have no weight decay");
  r.require("gradient_accumulation_steps", {kNull, 1}, "cairn's optimizers apply every gradient");
  const bool use_ema = r.boolean("use_ema", false);
  if (use_ema) r.unsupported("use_ema", true, "cairn's optimizers keep no moving average of the weights");
  // How Keras 2.11+ and Keras 3 run the same update (XLA), and the settings of the moving average that is
  // off.
  for (const char* key : {"ema_momentum", "ema_overwrite_frequency", "jit_compile"}) r.ignore(key);
}

// Whether the config is of a legacy optimizer (TF 2.0-2.10's, tf.keras.optimizers.legacy, Keras 2.2's),
// whose Adagrad and RMSprop add epsilon after the square root: tf.keras 2.11+ says so in
// "is_legacy_optimizer"; without it, only the legacy generations write "decay" (or Keras 2.2's "lr").
bool read_is_legacy(ConfigReader& r) {
  if (r.has("is_legacy_optimizer")) return r.boolean("is_legacy_optimizer", false);
  return r.has("decay") || r.has("lr");
}

double read_learning_rate(ConfigReader& r, double fallback) {
  for (const char* key : {"learning_rate", "lr"}) {  // "lr": Keras 2.2 and older
    if (!r.has(key)) continue;
    if (const Json* value = r.take(key); value->is_object())
      r.unsupported(key, *value, "cairn's optimizers take a constant learning rate, not a schedule");
    return r.number(key, fallback);
  }
  return fallback;
}

}  // namespace

Json optimizer_config(const Optimizer& optimizer) {
  Json config = {{"name", optimizer.class_name()}, {"learning_rate", float32_value(optimizer.learning_rate())}};
  // Only the legacy optimizers know "decay": tf-keras's current ones refuse the key, Keras 3 ignores it.
  // A legacy Adagrad or RMSprop always writes it, as Keras did, which is what marks its update rule.
  const auto* adagrad = dynamic_cast<const Adagrad*>(&optimizer);
  const auto* rmsprop = dynamic_cast<const RMSprop*>(&optimizer);
  if (optimizer.decay() != 0 || (adagrad && adagrad->legacy()) || (rmsprop && rmsprop->legacy()))
    config["decay"] = float32_value(optimizer.decay());
  if (const auto* sgd = dynamic_cast<const SGD*>(&optimizer)) {
    config["momentum"] = float32_value(sgd->momentum());
    config["nesterov"] = sgd->nesterov();
  } else if (const auto* adam = dynamic_cast<const Adam*>(&optimizer)) {
    config["beta_1"] = float32_value(adam->beta_1());
    config["beta_2"] = float32_value(adam->beta_2());
    config["epsilon"] = adam->epsilon();
    config["amsgrad"] = adam->amsgrad();
  } else if (adagrad) {
    config["initial_accumulator_value"] = adagrad->initial_accumulator_value();
    config["epsilon"] = adagrad->epsilon();
  } else if (rmsprop) {
    config["rho"] = float32_value(rmsprop->rho());
    config["momentum"] = float32_value(rmsprop->momentum());
    config["epsilon"] = rmsprop->epsilon();
    config["centered"] = rmsprop->centered();
  } else {
    throw InvalidArgument("optimizer '" + optimizer.class_name() + "' has no Keras config");
  }
  return {{"class_name", optimizer.class_name()}, {"config", config}};
}

OptimizerPtr optimizer_from_config(const Json& json) {
  return config_detail::guard_json("optimizer config", [&]() -> OptimizerPtr {
    if (json.is_string()) {
      try {
        return get_optimizer(json.get<std::string>());
      } catch (const InvalidArgument& e) {
        throw FormatError("optimizer config: " + config_detail::clip_message(e.what()));
      }
    }
    ConfigReader entry(json, "optimizer config");
    std::string class_name = entry.string("class_name");
    const Json empty = Json::object();
    const Json* inner = entry.take("config");
    entry.ignore("module");
    entry.ignore("registered_name");
    entry.finish();
    // tf.keras 2.11 to 2.15 write their optimizers as registered "Custom>" objects.
    if (class_name.rfind("Custom>", 0) == 0) class_name = class_name.substr(7);
    ConfigReader r(inner && !inner->is_null() ? *inner : empty, "optimizer " + config_detail::clipped(class_name));
    read_common_optimizer_keys(r);
    const bool legacy = read_is_legacy(r);
    OptimizerPtr optimizer;
    try {
      if (class_name == "SGD") {
        const double lr = read_learning_rate(r, 0.01);
        const double momentum = r.number("momentum", 0.0);
        const bool nesterov = r.boolean("nesterov", false);
        optimizer = std::make_shared<SGD>(lr, momentum, nesterov, r.number("decay", 0.0));
      } else if (class_name == "Adam") {
        const double lr = read_learning_rate(r, 0.001);
        const double beta_1 = r.number("beta_1", 0.9), beta_2 = r.number("beta_2", 0.999);
        const double epsilon = r.number("epsilon", 1e-7);
        const bool amsgrad = r.boolean("amsgrad", false);
        optimizer = std::make_shared<Adam>(lr, beta_1, beta_2, epsilon, amsgrad, r.number("decay", 0.0));
      } else if (class_name == "Adagrad") {
        const double lr = read_learning_rate(r, 0.001);
        const double initial = r.number("initial_accumulator_value", 0.1);
        const double epsilon = r.number("epsilon", 1e-7);
        optimizer = std::make_shared<Adagrad>(lr, initial, epsilon, r.number("decay", 0.0), legacy);
      } else if (class_name == "RMSprop") {
        const double lr = read_learning_rate(r, 0.001);
        const double rho = r.number("rho", 0.9), momentum = r.number("momentum", 0.0);
        const double epsilon = r.number("epsilon", 1e-7);
        const bool centered = r.boolean("centered", false);
        optimizer = std::make_shared<RMSprop>(lr, rho, momentum, epsilon, centered, r.number("decay", 0.0), legacy);
      } else {
        throw FormatError("Unknown optimizer: " + config_detail::quote_name(class_name) + ". cairn has SGD, Adam, Adagrad and RMSprop");
      }
    } catch (const InvalidArgument& e) {
      throw FormatError(r.context() + ": " + config_detail::clip_message(e.what()));
    }
    r.finish();
    return optimizer;
  });
}

Json loss_config(const Loss& loss) {
  // "sum_over_batch_size" is what tf.keras's "auto" meant outside a distribution strategy, and the one
  // spelling both tf-keras and Keras 3 (which refuses "auto") accept.
  if (!find_loss(loss.class_name())) throw InvalidArgument("loss '" + loss.class_name() + "' has no Keras config");
  Json config = {{"reduction", "sum_over_batch_size"}, {"name", loss.name()}};
  config.update(config_detail::args_to_json(loss.get_config()));
  return {{"class_name", loss.class_name()}, {"config", config}};
}

LossPtr loss_from_config(const Json& json) {
  return config_detail::guard_json("loss config", [&]() -> LossPtr {
    auto by_name = [](const std::string& name) {
      try {
        return get_loss(name);
      } catch (const InvalidArgument& e) {
        throw FormatError("loss config: " + config_detail::clip_message(e.what()));
      }
    };
    if (json.is_string()) return by_name(json.get<std::string>());
    if (json.is_array() || (json.is_object() && !json.contains("class_name")))
      throw FormatError("loss config: one loss per output (" + show(json) +
                        ") is not supported; cairn's models have one output");
    ConfigReader entry(json, "loss config");
    const std::string class_name = entry.string("class_name");
    const Json empty = Json::object();
    const Json* inner = entry.take("config");
    entry.ignore("module");
    entry.ignore("registered_name");
    entry.finish();
    // Keras 3 writes a loss function as {"class_name": "function", "config": "mean_squared_error"}.
    if (class_name == "function") {
      if (!inner || !inner->is_string()) entry.fail("a function loss needs its name as config");
      return by_name(inner->get<std::string>());
    }
    const std::string context = "loss " + config_detail::clipped(class_name);
    const Json& arguments = inner && !inner->is_null() ? *inner : empty;
    ConfigReader r(arguments, context);
    r.require("reduction", {kNull, "auto", "sum_over_batch_size"}, "cairn's losses average over the batch");
    r.ignore("name");  // a display name
    r.ignore("fn");    // tf-keras repeats the function the class wraps
    if (const Json* dtype = r.take("dtype"); dtype && !config_detail::is_float32_dtype(*dtype))
      r.unsupported("dtype", *dtype, "cairn's losses compute in float32");
    if (!find_loss(class_name)) {
      std::string known;
      for (const LossRegistration& loss : loss_registry()) known += (known.empty() ? "" : ", ") + loss.class_name;
      throw FormatError("Unknown loss: " + config_detail::quote_name(class_name) + ". cairn has " + known);
    }
    KeywordArgs args(context, config_detail::args_from_json(arguments, context,
                                                            {"reduction", "name", "fn", "dtype"}));
    return config_detail::with_format_errors("loss config", [&] { return make_loss(class_name, args); });
  });
}

Json training_config(const Model& model) {
  if (!model.compiled())
    throw InvalidArgument("model '" + model.name() + "' has no training_config: it was not compiled");
  Json metrics = Json::array();
  for (const std::string& name : model.compiled_metrics()) metrics.push_back(name);
  return {{"loss", loss_config(model.loss())},
          {"metrics", metrics},
          {"weighted_metrics", nullptr},
          {"loss_weights", nullptr},
          {"optimizer_config", optimizer_config(model.optimizer())}};
}

namespace {

// A metric as a string, or as Keras's serialized metric object (MeanMetricWrapper, or a metric class).
std::string read_metric(const Json& metric, ConfigReader& r) {
  std::string name;
  if (metric.is_string()) {
    name = metric.get<std::string>();
  } else {
    const std::string class_name = config_detail::string_at(metric, "class_name");
    const Json* config = metric.is_object() && metric.contains("config") ? &metric["config"] : nullptr;
    const std::string given = config ? config_detail::string_at(*config, "name") : "";
    const std::string fn = config ? config_detail::string_at(*config, "fn") : "";
    if (is_metric_name(given)) name = given;
    else if (is_metric_name(fn)) name = fn;
    else if (!class_name.empty()) name = to_snake_case(class_name);
  }
  if (!is_metric_name(name))
    r.unsupported("metrics", metric,
                  "cairn has accuracy, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy, mae, mse");
  return name;
}

}  // namespace

CompileOptions compile_options_from_training_config(const Json& json) {
  return config_detail::guard_json("training_config", [&] {
    ConfigReader r(json, "training_config");
    CompileOptions options;
    const Json* optimizer = r.take("optimizer_config");
    if (const Json* keras3 = r.take("optimizer"); !optimizer) optimizer = keras3;  // Keras 3's compile_config
    if (!optimizer || optimizer->is_null()) r.fail("optimizer_config is missing");
    options.optimizer = optimizer_from_config(*optimizer);
    const Json* loss = r.take("loss");
    if (!loss || loss->is_null()) r.fail("loss is missing; cairn's compile needs a loss");
    options.loss = loss_from_config(*loss);
    if (const Json* metrics = r.take("metrics"); metrics && !metrics->is_null()) {
      const Json* list = metrics;
      // One list per output (tf.keras 2.x's compiled metrics): cairn's models have one.
      if (list->is_array() && list->size() == 1 && (*list)[0].is_array()) list = &(*list)[0];
      if (!list->is_array()) r.unsupported("metrics", *metrics, "expected a list of metrics");
      for (const Json& metric : *list) options.metrics.push_back(read_metric(metric, r));
    }
    r.require("weighted_metrics", {kNull, Json::array()}, "cairn's metrics take no sample weights");
    r.require("loss_weights", {kNull}, "cairn's models have one loss");
    r.require("sample_weight_mode", {kNull}, "cairn takes no sample weights");
    // Keras 3's execution settings: how the same training runs.
    for (const char* key : {"run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"}) r.ignore(key);
    r.finish();
    return options;
  });
}

}  // namespace cairn
