// Activations, initializers, optimizers, schedules, losses and metrics of Keras 3.15, supported (found in
// cairn's registries) or not (with the reason). A registered name is supported whatever the catalogues
// below say, so adding one to a registry needs no edit here.
#include "vocabulary_support.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "cairn/initializers.h"
#include "cairn/losses.h"
#include "cairn/metrics.h"
#include "cairn/ops.h"
#include "cairn/optimizers.h"

namespace cairn::config_detail {

namespace {

constexpr const char* kNotYet = "not implemented yet";

// Keras's names (the catalogue: name -> reason it is not supported) and cairn's (name -> note), as rows.
KerasSupportSection section(std::string title, std::string intro, const std::map<std::string, std::string>& catalogue,
                            const std::map<std::string, std::string>& supported) {
  KerasSupportSection result{std::move(title), std::move(intro), {}};
  std::set<std::string> names;
  for (const auto& [name, reason] : catalogue) names.insert(name);
  for (const auto& [name, note] : supported) names.insert(name);
  for (const std::string& name : names) {
    auto it = supported.find(name);
    if (it != supported.end()) result.rows.push_back({name, true, it->second});
    else result.rows.push_back({name, false, catalogue.at(name).empty() ? kNotYet : catalogue.at(name)});
  }
  return result;
}

KerasSupportSection activations() {
  const std::map<std::string, std::string> keras = {
      {"glu", "halves the last axis (a gated linear unit): not implemented yet"},
      {"sparse_sigmoid", ""},
      {"sparsemax", ""},
      {"threshold", "its threshold and default_value have no defaults, so its name alone does not define it"}};
  std::map<std::string, std::string> ours;
  for (const std::string& name : ops::activation_names()) ours[name] = "";
  ours["gelu"] = "exact by name, as Keras's string; the tanh approximation as ops::gelu(x, true)";
  ours["leaky_relu"] = "negative_slope 0.2 by name (ops::leaky_relu takes another)";
  ours["hard_sigmoid"] = "Keras 3's relu6(x + 3) / 6";
  return section("Activations",
                 "`keras.activations` by name, in every layer's `activation` and the Activation layer; each has its "
                 "gradient, checked numerically and against Keras 3's values and gradients "
                 "(tests/autodiff/activations_test.cc).",
                 keras, ours);
}

KerasSupportSection initializers() {
  const std::map<std::string, std::string> keras = {
      {"STFT", "builds short-time Fourier transform kernels for signal processing; not implemented yet"}};
  std::map<std::string, std::string> ours;
  for (const InitializerRegistration& entry : initializer_registry()) {
    std::string names;
    for (const std::string& identifier : entry.identifiers) names += (names.empty() ? "" : ", ") + ("`" + identifier + "`");
    ours[entry.class_name] = names;
  }
  return section("Initializers",
                 "`keras.initializers` classes (and their string identifiers), with Keras's arguments and defaults; "
                 "a seeded initializer gives the same values at every call, as in Keras 3. Distributions are "
                 "checked by their moments (tests/layers/initializers_test.cc); cairn's random stream is its own, so "
                 "the values are not Keras's.",
                 keras, ours);
}

KerasSupportSection optimizers() {
  const std::map<std::string, std::string> keras = {
      {"Adafactor", ""},
      {"Lamb", ""},
      {"Muon", ""},
      {"ScheduleFreeAdamW", ""},
      {"LossScaleOptimizer", "mixed precision: cairn trains in float32 and scales no loss"},
      {"MultiOptimizer", "one optimizer per variable group: not implemented yet"}};
  std::map<std::string, std::string> ours;
  for (const OptimizerRegistration& entry : optimizer_registry()) ours[entry.class_name] = "";
  ours["SGD"] = "momentum, nesterov";
  ours["Adam"] = "amsgrad";
  ours["Adagrad"] = "Keras 3's rule; the legacy one for legacy configs";
  ours["RMSprop"] = "Keras 3's rule; the legacy one for legacy configs";
  return section("Optimizers",
                 "`keras.optimizers` with Keras's arguments, the common options (clipnorm, clipvalue, "
                 "global_clipnorm, weight_decay, use_ema, ema_momentum, ema_overwrite_frequency) and a learning-rate "
                 "schedule; every slot is saved in checkpoints so a resumed run continues exactly. Three steps of "
                 "each are checked against Keras 3 (tests/optimizers/keras_optimizers_test.cc). Not supported: "
                 "loss_scale_factor, gradient_accumulation_steps other than 1.",
                 keras, ours);
}

KerasSupportSection schedules() {
  std::map<std::string, std::string> ours;
  for (const ScheduleRegistration& entry : schedule_registry()) ours[entry.class_name] = "";
  ours["CosineDecay"] = "with warmup_target and warmup_steps";
  return section("Learning-rate schedules",
                 "`keras.optimizers.schedules`, written into optimizer configs as Keras 3 objects and driven by the "
                 "optimizer's saved step count; values checked against Keras 3 over 1000 steps.",
                 {}, ours);
}

KerasSupportSection losses() {
  const std::map<std::string, std::string> keras = {
      {"CTC", "connectionist temporal classification: not implemented yet"},
      {"CategoricalGeneralizedCrossEntropy", ""},
      {"Circle", ""},
      {"Dice", ""},
      {"Tversky", ""}};
  std::map<std::string, std::string> ours;
  for (const LossRegistration& entry : loss_registry()) {
    std::string names = "`" + entry.function_name + "`";
    for (const std::string& alias : entry.aliases) names += ", `" + alias + "`";
    ours[entry.class_name] = names;
  }
  ours["CategoricalCrossentropy"] += "; label_smoothing";
  ours["BinaryCrossentropy"] += "; label_smoothing";
  ours["SparseCategoricalCrossentropy"] += "; no ignore_class";
  return section("Losses",
                 "`keras.losses` classes and their function names and aliases, with Keras's arguments (reduction "
                 "sum_over_batch_size, the last axis); values and gradients checked against Keras 3 "
                 "(tests/losses/keras_losses_test.cc).",
                 keras, ours);
}

KerasSupportSection metrics() {
  constexpr const char* kByName = "by its loss function's name, as the mean of the loss";
  const std::map<std::string, std::string> keras = {
      {"Accuracy", "exact equality of values; \"accuracy\" resolves to the binary, categorical or sparse class"},
      {"BinaryIoU", ""}, {"ConcordanceCorrelation", ""},
      {"CosineSimilarity", "Keras's metric is the similarity (the loss is its negative): not implemented yet"},
      {"FBetaScore", "not implemented yet (F1Score is)"}, {"FalseNegatives", ""}, {"FalsePositives", ""},
      {"IoU", ""}, {"OneHotIoU", ""}, {"OneHotMeanIoU", ""}, {"PearsonCorrelation", ""},
      {"PrecisionAtRecall", ""}, {"R2Score", ""}, {"RecallAtPrecision", ""}, {"SensitivityAtSpecificity", ""},
      {"SpecificityAtSensitivity", ""}, {"Sum", ""}, {"TrueNegatives", ""}, {"TruePositives", ""}};
  std::map<std::string, std::string> ours = {
      {"BinaryAccuracy", "`binary_accuracy`, `accuracy`, `acc`"},
      {"CategoricalAccuracy", "`categorical_accuracy`, `accuracy`, `acc`"},
      {"SparseCategoricalAccuracy", "`sparse_categorical_accuracy`, `accuracy`, `acc`"},
      {"BinaryCrossentropy", std::string(kByName) + "; `crossentropy`, `ce`"},
      {"CategoricalCrossentropy", std::string(kByName) + "; `crossentropy`, `ce`"},
      {"SparseCategoricalCrossentropy", std::string(kByName) + "; `crossentropy`, `ce`"},
      {"CategoricalHinge", kByName}, {"Hinge", kByName}, {"SquaredHinge", kByName}, {"KLDivergence", kByName},
      {"Poisson", kByName}, {"MeanAbsolutePercentageError", kByName}, {"MeanSquaredLogarithmicError", kByName},
      {"LogCoshError", std::string(kByName) + " (`log_cosh`)"}};
  for (const MetricRegistration& entry : metric_registry()) {
    std::string names;
    for (const std::string& identifier : entry.names) names += (names.empty() ? "" : ", ") + ("`" + identifier + "`");
    ours[entry.class_name] =
        names.empty() ? "as a C++ object (it needs arguments, and compile takes metrics by name)" : names;
  }
  ours["F1Score"] = "as a C++ object; average micro, macro or weighted (None gives one value per class, which a log "
                    "cannot hold)";
  ours["Precision"] = "`precision`; one threshold, no top_k or class_id";
  ours["Recall"] = "`recall`; one threshold, no top_k or class_id";
  ours["AUC"] = "`auc`; ROC and PR, interpolation; its counts are its state";
  return section("Metrics",
                 "`keras.metrics` classes and the names compile takes; results checked against Keras 3 "
                 "(tests/training/keras_metrics_test.cc). Each metric's whole state (AUC's counts per threshold, "
                 "MeanIoU's confusion matrix) is Metric::state().",
                 keras, ours);
}

}  // namespace

std::vector<KerasSupportSection> vocabulary_support_sections() {
  return {activations(), initializers(), optimizers(), schedules(), losses(), metrics()};
}

}  // namespace cairn::config_detail
