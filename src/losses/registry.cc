// The losses cairn has, by Keras class name, function name and aliases: adding a loss is its class
// (one file) and one line here.
#include <algorithm>

#include "cairn/losses.h"

namespace cairn {

namespace {
// Keras's classes take `axis`; cairn's losses reduce over the last one only.
void require_last_axis(KeywordArgs& args) {
  const int64_t axis = args.integer("axis", -1);
  if (axis != -1)
    args.fail("axis", "= " + std::to_string(axis) + " is not supported (cairn's losses reduce over the last axis, -1)");
}

template <class L>
std::function<LossPtr(KeywordArgs&)> without_arguments() {
  return [](KeywordArgs&) { return std::make_shared<L>(); };
}
}  // namespace

const std::vector<LossRegistration>& loss_registry() {
  static const std::vector<LossRegistration> registry = {
      {"BinaryCrossentropy", "binary_crossentropy", {"bce", "BCE"},
       [](KeywordArgs& a) {
         require_last_axis(a);
         const bool from_logits = a.boolean("from_logits", false);
         return std::make_shared<BinaryCrossentropy>(from_logits, a.number("label_smoothing", 0.0));
       }},
      {"BinaryFocalCrossentropy", "binary_focal_crossentropy", {},
       [](KeywordArgs& a) {
         require_last_axis(a);
         const bool balancing = a.boolean("apply_class_balancing", false);
         const double alpha = a.number("alpha", 0.25), gamma = a.number("gamma", 2.0);
         const bool from_logits = a.boolean("from_logits", false);
         return std::make_shared<BinaryFocalCrossentropy>(balancing, alpha, gamma, from_logits,
                                                          a.number("label_smoothing", 0.0));
       }},
      {"CategoricalCrossentropy", "categorical_crossentropy", {},
       [](KeywordArgs& a) {
         require_last_axis(a);
         const bool from_logits = a.boolean("from_logits", false);
         return std::make_shared<CategoricalCrossentropy>(from_logits, a.number("label_smoothing", 0.0));
       }},
      {"CategoricalFocalCrossentropy", "categorical_focal_crossentropy", {},
       [](KeywordArgs& a) {
         require_last_axis(a);
         const double alpha = a.number("alpha", 0.25), gamma = a.number("gamma", 2.0);
         const bool from_logits = a.boolean("from_logits", false);
         return std::make_shared<CategoricalFocalCrossentropy>(alpha, gamma, from_logits,
                                                               a.number("label_smoothing", 0.0));
       }},
      {"CategoricalHinge", "categorical_hinge", {}, without_arguments<CategoricalHinge>()},
      {"CosineSimilarity", "cosine_similarity", {},
       [](KeywordArgs& a) {
         require_last_axis(a);
         return std::make_shared<CosineSimilarity>();
       }},
      {"Hinge", "hinge", {}, without_arguments<Hinge>()},
      {"Huber", "huber", {"huber_loss"}, [](KeywordArgs& a) { return std::make_shared<Huber>(a.number("delta", 1.0)); }},
      {"KLDivergence", "kl_divergence", {"kld", "KLD", "kullback_leibler_divergence"},
       without_arguments<KLDivergence>()},
      {"LogCosh", "log_cosh", {"logcosh"}, without_arguments<LogCosh>()},
      {"MeanAbsoluteError", "mean_absolute_error", {"mae", "MAE"}, without_arguments<MeanAbsoluteError>()},
      {"MeanAbsolutePercentageError", "mean_absolute_percentage_error", {"mape", "MAPE"},
       without_arguments<MeanAbsolutePercentageError>()},
      {"MeanSquaredError", "mean_squared_error", {"mse", "MSE"}, without_arguments<MeanSquaredError>()},
      {"MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", {"msle", "MSLE"},
       without_arguments<MeanSquaredLogarithmicError>()},
      {"Poisson", "poisson", {}, without_arguments<Poisson>()},
      {"SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {},
       [](KeywordArgs& a) {
         require_last_axis(a);
         if (a.has("ignore_class") && a.optional_integer("ignore_class"))
           a.fail("ignore_class", "is not supported (cairn's loss counts every class)");
         return std::make_shared<SparseCategoricalCrossentropy>(a.boolean("from_logits", false));
       }},
      {"SquaredHinge", "squared_hinge", {}, without_arguments<SquaredHinge>()},
  };
  return registry;
}

const LossRegistration* find_loss(const std::string& name) {
  for (const LossRegistration& entry : loss_registry()) {
    if (name == entry.class_name || name == entry.function_name) return &entry;
    if (std::find(entry.aliases.begin(), entry.aliases.end(), name) != entry.aliases.end()) return &entry;
  }
  return nullptr;
}

namespace {
[[noreturn]] void unknown_loss(const std::string& name) {
  std::string known;
  for (const LossRegistration& entry : loss_registry()) known += (known.empty() ? "" : ", ") + entry.function_name;
  throw InvalidArgument("unknown loss '" + name + "' (expected one of " + known +
                        ", their Keras class names, or an alias such as 'mse' or 'mae')");
}
}  // namespace

LossPtr get_loss(const std::string& name) {
  KeywordArgs none(name, {});
  return make_loss(name, none);
}

LossPtr make_loss(const std::string& class_name, KeywordArgs& args) {
  const LossRegistration* entry = find_loss(class_name);
  if (!entry) unknown_loss(class_name);
  LossPtr loss = entry->make(args);
  args.finish();
  return loss;
}

}  // namespace cairn
