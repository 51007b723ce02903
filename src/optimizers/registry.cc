// The optimizers cairn has, by Keras class name: adding one is its class (one file) and one line here.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "cairn/optimizers.h"

namespace cairn {

namespace {

// "learning_rate", or Keras 2.2's "lr".
double learning_rate(KeywordArgs& a, double fallback) {
  if (!a.has("learning_rate") && a.has("lr")) return a.number("lr", fallback);
  return a.number("learning_rate", fallback);
}

// The legacy optimizers' inverse time decay (TF 2.0-2.10, Keras 2.2); Keras 2.11+ and Keras 3 have none.
double decay(KeywordArgs& a) { return a.number("decay", 0.0); }

// Whether a config is of a legacy optimizer (TF 2.0-2.10's, tf.keras.optimizers.legacy, Keras 2.2's),
// whose Adagrad and RMSprop add epsilon after the square root: tf.keras 2.11+ says so in
// "is_legacy_optimizer"; without it, only the legacy generations write "decay" (or Keras 2.2's "lr").
bool is_legacy(KeywordArgs& a) {
  if (a.has("is_legacy_optimizer")) return a.boolean("is_legacy_optimizer", false);
  return a.has("decay") || a.has("lr");
}

}  // namespace

const std::vector<OptimizerRegistration>& optimizer_registry() {
  static const std::vector<OptimizerRegistration> registry = {
      {"Adadelta",
       [](KeywordArgs& a) {
         const double lr = learning_rate(a, 0.001);
         return std::make_shared<Adadelta>(lr, a.number("rho", 0.95), a.number("epsilon", 1e-7));
       }},
      {"Adagrad",
       [](KeywordArgs& a) {
         const bool legacy = is_legacy(a);
         const double lr = learning_rate(a, 0.001);
         const double initial = a.number("initial_accumulator_value", 0.1), epsilon = a.number("epsilon", 1e-7);
         return std::make_shared<Adagrad>(lr, initial, epsilon, decay(a), legacy);
       }},
      {"Adam",
       [](KeywordArgs& a) {
         const double lr = learning_rate(a, 0.001);
         const double beta_1 = a.number("beta_1", 0.9), beta_2 = a.number("beta_2", 0.999);
         const double epsilon = a.number("epsilon", 1e-7);
         const bool amsgrad = a.boolean("amsgrad", false);
         return std::make_shared<Adam>(lr, beta_1, beta_2, epsilon, amsgrad, decay(a));
       }},
      {"AdamW",
       [](KeywordArgs& a) {
         const double lr = learning_rate(a, 0.001), weight_decay = a.number("weight_decay", 0.004);
         const double beta_1 = a.number("beta_1", 0.9), beta_2 = a.number("beta_2", 0.999);
         const double epsilon = a.number("epsilon", 1e-7);
         return std::make_shared<AdamW>(lr, weight_decay, beta_1, beta_2, epsilon, a.boolean("amsgrad", false));
       }},
      {"Adamax",
       [](KeywordArgs& a) {
         const double lr = learning_rate(a, 0.001);
         const double beta_1 = a.number("beta_1", 0.9), beta_2 = a.number("beta_2", 0.999);
         return std::make_shared<Adamax>(lr, beta_1, beta_2, a.number("epsilon", 1e-7));
       }},
      {"Ftrl",
       [](KeywordArgs& a) {
         const double lr = learning_rate(a, 0.001), power = a.number("learning_rate_power", -0.5);
         const double initial = a.number("initial_accumulator_value", 0.1);
         const double l1 = a.number("l1_regularization_strength", 0.0);
         const double l2 = a.number("l2_regularization_strength", 0.0);
         const double shrinkage = a.number("l2_shrinkage_regularization_strength", 0.0);
         return std::make_shared<Ftrl>(lr, power, initial, l1, l2, shrinkage, a.number("beta", 0.0));
       }},
      {"Lion",
       [](KeywordArgs& a) {
         const double lr = learning_rate(a, 0.001);
         return std::make_shared<Lion>(lr, a.number("beta_1", 0.9), a.number("beta_2", 0.99));
       }},
      {"Nadam",
       [](KeywordArgs& a) {
         const double lr = learning_rate(a, 0.001);
         const double beta_1 = a.number("beta_1", 0.9), beta_2 = a.number("beta_2", 0.999);
         return std::make_shared<Nadam>(lr, beta_1, beta_2, a.number("epsilon", 1e-7));
       }},
      {"RMSprop",
       [](KeywordArgs& a) {
         const bool legacy = is_legacy(a);
         const double lr = learning_rate(a, 0.001);
         const double rho = a.number("rho", 0.9), momentum = a.number("momentum", 0.0);
         const double epsilon = a.number("epsilon", 1e-7);
         const bool centered = a.boolean("centered", false);
         return std::make_shared<RMSprop>(lr, rho, momentum, epsilon, centered, decay(a), legacy);
       }},
      {"SGD",
       [](KeywordArgs& a) {
         const double lr = learning_rate(a, 0.01), momentum = a.number("momentum", 0.0);
         const bool nesterov = a.boolean("nesterov", false);
         return std::make_shared<SGD>(lr, momentum, nesterov, decay(a));
       }},
  };
  return registry;
}

namespace {
std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string known_optimizers() {
  std::string known;
  for (const OptimizerRegistration& entry : optimizer_registry())
    known += (known.empty() ? "" : ", ") + entry.class_name;
  return known;
}
}  // namespace

OptimizerPtr get_optimizer(const std::string& name) {
  for (const OptimizerRegistration& entry : optimizer_registry()) {
    if (lower(entry.class_name) != lower(name)) continue;
    KeywordArgs none(entry.class_name, {});
    return entry.make(none);
  }
  throw InvalidArgument("unknown optimizer '" + name + "' (expected one of " + lower(known_optimizers()) + ")");
}

OptimizerPtr make_optimizer(const std::string& class_name, KeywordArgs& args) {
  const auto& registry = optimizer_registry();
  auto entry = std::find_if(registry.begin(), registry.end(),
                            [&](const OptimizerRegistration& e) { return e.class_name == class_name; });
  if (entry == registry.end())
    throw InvalidArgument("Unknown optimizer: '" + class_name + "'. cairn has " + known_optimizers());
  OptimizerPtr optimizer = entry->make(args);
  OptimizerCommonOptions options = optimizer->common_options();
  options.clipnorm = args.optional_number("clipnorm");
  options.clipvalue = args.optional_number("clipvalue");
  options.global_clipnorm = args.optional_number("global_clipnorm");
  // AdamW's own default stays unless the config gives one; 0 means none, as Keras writes it.
  if (args.has("weight_decay") && class_name != "AdamW") options.weight_decay = args.optional_number("weight_decay");
  if (options.weight_decay == 0.0 && class_name != "AdamW") options.weight_decay.reset();
  options.use_ema = args.boolean("use_ema", false);
  options.ema_momentum = args.number("ema_momentum", 0.99);
  options.ema_overwrite_frequency = args.optional_integer("ema_overwrite_frequency", 1);
  optimizer->set_common_options(options);
  if (args.optional_number("loss_scale_factor"))
    args.fail("loss_scale_factor", "is not supported (cairn trains in float32 and scales no loss)");
  if (args.integer("gradient_accumulation_steps", 1) != 1)
    args.fail("gradient_accumulation_steps", "is not supported (cairn's optimizers apply every gradient)");
  // A display name, how Keras runs the same update (XLA), and which generation wrote the config.
  for (const char* key : {"name", "jit_compile", "is_legacy_optimizer"}) args.ignore(key);
  args.finish();
  return optimizer;
}

}  // namespace cairn
