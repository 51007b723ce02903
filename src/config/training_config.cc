// Optimizer and loss configs and the training_config of a compiled model (tf.keras 2.x's h5 attribute).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

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

// A Keras 3 learning-rate schedule object: {"module", "class_name", "config", "registered_name"}.
Json schedule_config(const LearningRateSchedule& schedule) {
  Json config = {{"name", schedule.class_name()}};
  config.update(config_detail::args_to_json(schedule.get_config()));
  return {{"module", "keras.optimizers.schedules"},
          {"class_name", schedule.class_name()},
          {"config", config},
          {"registered_name", nullptr}};
}

LearningRateSchedulePtr schedule_from_config(const Json& json, const std::string& context) {
  ConfigReader entry(json, context);
  const std::string class_name = entry.string("class_name");
  const Json empty = Json::object();
  const Json* inner = entry.take("config");
  entry.ignore("module");
  entry.ignore("registered_name");
  entry.finish();
  KeywordArgs args(config_detail::clipped(class_name),
                   config_detail::args_from_json(inner && !inner->is_null() ? *inner : empty, context));
  return config_detail::with_format_errors(context, [&] { return make_schedule(class_name, args); });
}

}  // namespace

Json optimizer_config(const Optimizer& optimizer) {
  Json config = {{"name", optimizer.class_name()}};
  if (optimizer.learning_rate_schedule())
    config["learning_rate"] = schedule_config(*optimizer.learning_rate_schedule());
  else
    config["learning_rate"] = float32_value(optimizer.learning_rate());
  // Only the legacy optimizers know "decay": tf-keras's current ones refuse the key, Keras 3 ignores it.
  // A legacy Adagrad or RMSprop always writes it, as Keras did, which is what marks its update rule.
  const auto* adagrad = dynamic_cast<const Adagrad*>(&optimizer);
  const auto* rmsprop = dynamic_cast<const RMSprop*>(&optimizer);
  if (optimizer.decay() != 0 || (adagrad && adagrad->legacy()) || (rmsprop && rmsprop->legacy()))
    config["decay"] = float32_value(optimizer.decay());
  // Keras 3's common options, written when they are used (tf-keras's legacy optimizers refuse the keys).
  const OptimizerCommonOptions& common = optimizer.common_options();
  if (common.weight_decay) config["weight_decay"] = float32_value(*common.weight_decay);
  if (common.clipnorm) config["clipnorm"] = *common.clipnorm;
  if (common.global_clipnorm) config["global_clipnorm"] = *common.global_clipnorm;
  if (common.clipvalue) config["clipvalue"] = *common.clipvalue;
  if (common.use_ema) {
    config["use_ema"] = true;
    config["ema_momentum"] = common.ema_momentum;
    config["ema_overwrite_frequency"] =
        common.ema_overwrite_frequency ? Json(*common.ema_overwrite_frequency) : Json(nullptr);
  }
  // The class's own numbers are float32 hyperparameters, which Keras writes as floats: Keras 3's SGD
  // refuses an integer momentum (0 for 0.0), so they are not written the way integral arguments are.
  const ArgList own = optimizer.get_config();
  const Json others = config_detail::args_to_json(own);
  for (const auto& [key, value] : own) {
    const double* number = std::get_if<double>(&value);
    config[key] = number ? Json(float32_value(*number)) : others.at(key);
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
    const std::string context = "optimizer " + config_detail::clipped(class_name);
    const Json& arguments = inner && !inner->is_null() ? *inner : empty;
    if (!arguments.is_object()) throw FormatError(context + ": config must be an object, got " + show(arguments));
    // A schedule object in place of the learning rate ("lr" in Keras 2.2's configs).
    LearningRateSchedulePtr schedule;
    std::string schedule_key;
    for (const char* key : {"learning_rate", "lr"})
      if (arguments.contains(key) && arguments[key].is_object()) {
        schedule = schedule_from_config(arguments[key], context + ": " + key);
        schedule_key = key;
      }
    std::set<std::string> skip;
    if (!schedule_key.empty()) skip.insert(schedule_key);
    KeywordArgs args(config_detail::clipped(class_name), config_detail::args_from_json(arguments, context, skip));
    OptimizerPtr optimizer = config_detail::with_format_errors("optimizer config", [&] {
      return make_optimizer(class_name, args);
    });
    if (schedule) optimizer->set_learning_rate_schedule(schedule);
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
      throw FormatError("loss config: expected one loss, got one per output (" + show(json) +
                        "), which only a training_config holds");
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

namespace {

Json metrics_config(const std::vector<MetricSpec>& specs) {
  Json metrics = Json::array();
  for (const MetricSpec& spec : specs) {
    // A metric object with a Keras class is written as Keras writes one, with its arguments.
    if (!spec.object || spec.object->class_name().empty()) {
      metrics.push_back(spec.name);
      continue;
    }
    Json config = {{"name", spec.object->name()}};
    config.update(config_detail::args_to_json(spec.object->get_config()));
    metrics.push_back({{"class_name", spec.object->class_name()}, {"config", config}});
  }
  return metrics;
}

}  // namespace

Json training_config(const Model& model) {
  if (!model.compiled())
    throw InvalidArgument("model '" + model.name() + "' has no training_config: it was not compiled");
  const std::vector<std::string>& outputs = model.compiled_output_names();
  const auto& losses = model.compiled_losses();
  const auto& weights = model.compiled_loss_weights();
  auto output_loss_config = [&](size_t output) {
    try {
      return loss_config(*losses[output]);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("model '" + model.name() + "': the loss of output '" + outputs[output] +
                            "' cannot be saved in its training config: " + e.what());
    }
  };
  const bool several = outputs.size() > 1;
  const bool one_loss = std::all_of(losses.begin(), losses.end(), [&](const auto& l) { return l == losses[0]; });
  // Several outputs: by output name, as Keras 3 writes compile's dicts and both Keras generations read them.
  Json loss;
  if (one_loss) {
    loss = output_loss_config(0);
  } else {
    loss = Json::object();
    for (size_t o = 0; o < outputs.size(); ++o)
      if (losses[o]) loss[outputs[o]] = output_loss_config(o);
  }
  Json loss_weights = nullptr;
  if (std::any_of(weights.begin(), weights.end(), [](const auto& w) { return w.has_value(); })) {
    if (!several) {
      loss_weights = Json::array({*weights[0]});
    } else {
      loss_weights = Json::object();
      for (size_t o = 0; o < outputs.size(); ++o)
        if (losses[o]) loss_weights[outputs[o]] = weights[o].value_or(1.0);
    }
  }
  // A single-output model's list; with several outputs a dict by output name (null when empty).
  auto per_output_metrics = [&](const std::vector<std::vector<MetricSpec>>& specs, bool null_when_empty) {
    if (!several) {
      Json list = metrics_config(specs.empty() ? std::vector<MetricSpec>{} : specs[0]);
      return null_when_empty && list.empty() ? Json(nullptr) : list;
    }
    Json by_output = Json::object();
    for (size_t o = 0; o < outputs.size(); ++o)
      if (!specs[o].empty()) by_output[outputs[o]] = metrics_config(specs[o]);
    return by_output.empty() ? Json(nullptr) : by_output;
  };
  return {{"loss", loss},
          {"metrics", per_output_metrics(model.compiled_output_metric_specs(), false)},
          {"weighted_metrics", per_output_metrics(model.compiled_output_weighted_metric_specs(), true)},
          {"loss_weights", loss_weights},
          {"optimizer_config", optimizer_config(model.optimizer())}};
}

namespace {

std::string metric_name_ending(const std::string& name) {
  for (size_t at = name.find('_'); at != std::string::npos; at = name.find('_', at + 1))
    if (is_metric_name(name.substr(at + 1))) return name.substr(at + 1);
  return "";
}

const MetricRegistration* registered_metric_class(const std::string& class_name) {
  for (const MetricRegistration& entry : metric_registry())
    if (entry.class_name == class_name) return &entry;
  return nullptr;
}

// A metric as a string, or as Keras's serialized metric object (MeanMetricWrapper, or a metric class):
// by name when its arguments are its identifier's defaults, otherwise as the object it describes.
// tf-keras names an output's compiled metric "<output>_<metric>" ("flag_accuracy"): with `per_output`,
// the metric is the longest such ending that names one.
MetricSpec read_metric(const Json& metric, ConfigReader& r, bool per_output = false) {
  std::string name;
  if (metric.is_string()) {
    name = metric.get<std::string>();
  } else {
    const std::string class_name = config_detail::string_at(metric, "class_name");
    const Json* config = metric.is_object() && metric.contains("config") ? &metric["config"] : nullptr;
    const std::string given = config ? config_detail::string_at(*config, "name") : "";
    const std::string fn = config ? config_detail::string_at(*config, "fn") : "";
    if (const MetricRegistration* entry = registered_metric_class(class_name); entry && config) {
      const std::string context = "metric " + config_detail::clipped(class_name);
      KeywordArgs args(config_detail::clipped(class_name),
                       config_detail::args_from_json(*config, context, {"name", "dtype"}));
      const std::string metric_name = given.empty() ? to_snake_case(class_name) : given;
      auto made = config_detail::with_format_errors(
          r.context() + ": " + context, [&] { return make_metric_from_config(class_name, metric_name, args); });
      if (entry->names.empty() || make_metric(entry->names.front(), {}, {})->get_config() != made->get_config() ||
          (!given.empty() && !is_metric_name(given)))
        return MetricSpec(std::shared_ptr<Metric>(std::move(made)));
      name = is_metric_name(given) ? given : entry->names.front();
    } else if (is_metric_name(given)) {
      name = given;
    } else if (const std::string ending = per_output ? metric_name_ending(given) : ""; !ending.empty()) {
      name = ending;
    } else if (is_metric_name(fn)) {
      name = fn;
    } else if (!class_name.empty()) {
      name = to_snake_case(class_name);
    }
  }
  if (!is_metric_name(name))
    r.unsupported("metrics", metric,
                  "cairn has accuracy, crossentropy, the registered metrics (auc, precision, recall, "
                  "top_k_categorical_accuracy...) and Keras's loss functions by name");
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
    // One loss, or one per output: a list in the outputs' order or a dict by output name.
    if (loss->is_array()) {
      std::vector<LossSpec> in_order;
      for (const Json& entry : *loss) {
        if (entry.is_null()) r.unsupported("loss", *loss, "every output in a list of losses needs one (name the outputs in a dict)");
        in_order.emplace_back(loss_from_config(entry));
      }
      options.output_losses = in_order;
    } else if (loss->is_object() && !loss->contains("class_name")) {
      std::map<std::string, LossSpec> by_name;
      for (const auto& [output, entry] : loss->items())
        if (!entry.is_null()) by_name.emplace(output, LossSpec(loss_from_config(entry)));
      options.output_losses = by_name;
    } else {
      options.loss = loss_from_config(*loss);
    }
    if (const Json* weights = r.take("loss_weights"); weights && !weights->is_null()) {
      const char* expected = "expected a number, a list of numbers or a dict of numbers by output name";
      if (weights->is_number()) {
        options.loss_weights = std::vector<double>{weights->get<double>()};
      } else if (weights->is_array()) {
        std::vector<double> in_order;
        for (const Json& weight : *weights) {
          if (!weight.is_number()) r.unsupported("loss_weights", *weights, expected);
          in_order.push_back(weight.get<double>());
        }
        options.loss_weights = in_order;
      } else if (weights->is_object()) {
        std::map<std::string, double> by_name;
        for (const auto& [output, weight] : weights->items()) {
          if (!weight.is_number()) r.unsupported("loss_weights", *weights, expected);
          by_name.emplace(output, weight.get<double>());
        }
        options.loss_weights = by_name;
      } else {
        r.unsupported("loss_weights", *weights, expected);
      }
    }
    // A single-output model's list, or one list per output (tf.keras 2.x's compiled metrics; a dict by
    // output name in Keras 3); weighted_metrics the same way.
    auto read_metrics = [&](const char* key, std::vector<MetricSpec>& one, PerOutput<std::vector<MetricSpec>>& each) {
      const Json* metrics = r.take(key);
      if (!metrics || metrics->is_null()) return;
      auto read_list = [&](const Json& list, bool per_output) {
        if (!list.is_array()) r.unsupported(key, *metrics, "expected a list of metrics, or one per output");
        std::vector<MetricSpec> specs;
        for (const Json& metric : list) specs.push_back(read_metric(metric, r, per_output));
        return specs;
      };
      const bool lists = metrics->is_array() && !metrics->empty() &&
                         std::all_of(metrics->begin(), metrics->end(), [](const Json& m) { return m.is_array() || m.is_null(); });
      if (metrics->is_object() && !metrics->contains("class_name")) {
        std::map<std::string, std::vector<MetricSpec>> by_name;
        for (const auto& [output, list] : metrics->items())
          if (!list.is_null()) by_name.emplace(output, read_list(list, true));
        each = by_name;
      } else if (lists && metrics->size() == 1) {
        one = read_list((*metrics)[0], false);
      } else if (lists) {
        std::vector<std::vector<MetricSpec>> in_order;
        for (const Json& list : *metrics) in_order.push_back(list.is_null() ? std::vector<MetricSpec>{} : read_list(list, true));
        each = in_order;
      } else {
        one = read_list(*metrics, false);
      }
    };
    read_metrics("metrics", options.metrics, options.output_metrics);
    read_metrics("weighted_metrics", options.weighted_metrics, options.output_weighted_metrics);
    r.require("sample_weight_mode", {kNull}, "cairn takes no sample weights");
    // Keras 3's execution settings: how the same training runs.
    for (const char* key : {"run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"}) r.ignore(key);
    r.finish();
    return options;
  });
}

}  // namespace cairn
