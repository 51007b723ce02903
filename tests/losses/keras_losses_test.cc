// Every registered loss against Keras 3: the value and the gradient with respect to y_pred on the inputs
// of tests/conformance/vocabulary/losses.npz (within testing::kKerasTolerance), the numerical gradient,
// the registry's names and aliases, and the config arguments round trip.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "cairn/autodiff.h"
#include "cairn/losses.h"
#include "cairn/ops.h"
#include "expect_error.h"
#include "gradient_check.h"
#include "keras_vocabulary.h"

namespace cairn {
namespace {

using testing::KerasVocabulary;

const KerasVocabulary& oracle() {
  static const KerasVocabulary vocabulary("losses");
  return vocabulary;
}

// The cases generate_vocabulary.py computed, with the same arguments.
std::map<std::string, LossPtr> keras_cases() {
  return {
      {"mean_absolute_error", get_loss("mae")},
      {"mean_absolute_percentage_error", get_loss("mape")},
      {"mean_squared_logarithmic_error", get_loss("msle")},
      {"mean_squared_error", get_loss("mse")},
      {"huber", get_loss("huber")},
      {"huber_delta_0.5", std::make_shared<Huber>(0.5)},
      {"log_cosh", get_loss("log_cosh")},
      {"kl_divergence", get_loss("kld")},
      {"poisson", get_loss("poisson")},
      {"hinge", get_loss("hinge")},
      {"hinge_signs", get_loss("hinge")},
      {"squared_hinge", get_loss("squared_hinge")},
      {"categorical_hinge", get_loss("categorical_hinge")},
      {"cosine_similarity", get_loss("cosine_similarity")},
      {"categorical_crossentropy_smoothing", std::make_shared<CategoricalCrossentropy>(false, 0.1)},
      {"categorical_crossentropy_logits_smoothing", std::make_shared<CategoricalCrossentropy>(true, 0.2)},
      {"binary_crossentropy_smoothing", std::make_shared<BinaryCrossentropy>(false, 0.1)},
      {"binary_crossentropy_logits_smoothing", std::make_shared<BinaryCrossentropy>(true, 0.2)},
      {"categorical_focal_crossentropy", get_loss("categorical_focal_crossentropy")},
      {"categorical_focal_crossentropy_args", std::make_shared<CategoricalFocalCrossentropy>(0.5, 1.5, true, 0.1)},
      {"binary_focal_crossentropy", get_loss("binary_focal_crossentropy")},
      {"binary_focal_crossentropy_args", std::make_shared<BinaryFocalCrossentropy>(true, 0.3, 3.0, true, 0.1)},
  };
}

TEST(KerasLosses, ValuesAndGradientsMatchKeras) {
  for (const auto& [name, loss] : keras_cases()) {
    SCOPED_TRACE(name);
    const Tensor& y_true = oracle().at(name + ".y_true");
    Tensor y_pred = oracle().at(name + ".y_pred").clone();
    GradientTape tape;
    tape.watch(y_pred);
    Tensor value = (*loss)(y_true, y_pred);
    testing::expect_keras_close(value, oracle().at(name + ".loss"), name + " value");
    testing::expect_keras_close(tape.gradient(value, {y_pred})[0], oracle().at(name + ".grad"), name + " gradient");
  }
}

TEST(KerasLosses, EveryRegisteredLossIsCheckedAgainstKeras) {
  std::set<std::string> checked;
  for (const auto& [name, loss] : keras_cases()) checked.insert(loss->class_name());
  for (const LossRegistration& entry : loss_registry()) {
    if (entry.class_name == "SparseCategoricalCrossentropy") continue;  // tests/conformance's loss cases
    EXPECT_TRUE(checked.count(entry.class_name)) << entry.class_name << " has no Keras case";
  }
}

TEST(KerasLosses, GradientsMatchCentralDifferences) {
  for (const auto& [name, loss] : keras_cases()) {
    SCOPED_TRACE(name);
    const Tensor& y_true = oracle().at(name + ".y_true");
    // Small steps: the inputs of the probability losses sit near their clipping bounds.
    testing::expect_gradients_match([&](const std::vector<Tensor>& in) { return (*loss)(y_true, in[0]); },
                                    {oracle().at(name + ".y_pred").clone()}, 1e-3, 3e-2, 3e-3);
  }
}

TEST(KerasLosses, KerasIdentifiersAndAliasesResolve) {
  const std::map<std::string, std::string> expected = {
      {"mae", "MeanAbsoluteError"},        {"MAE", "MeanAbsoluteError"},
      {"mse", "MeanSquaredError"},         {"mape", "MeanAbsolutePercentageError"},
      {"msle", "MeanSquaredLogarithmicError"}, {"kld", "KLDivergence"},
      {"bce", "BinaryCrossentropy"},       {"huber", "Huber"},
      {"Huber", "Huber"},                  {"logcosh", "LogCosh"},
      {"categorical_hinge", "CategoricalHinge"}, {"BinaryFocalCrossentropy", "BinaryFocalCrossentropy"}};
  for (const auto& [name, class_name] : expected) EXPECT_EQ(get_loss(name)->class_name(), class_name) << name;
  EXPECT_EQ(get_loss("huber")->name(), "huber_loss");  // Keras's default display name
  testing::expect_error_mentioning<InvalidArgument>([] { get_loss("hubber"); }, {"unknown loss 'hubber'", "huber"});
}

TEST(KerasLosses, ConfigArgumentsRoundTrip) {
  for (const auto& [name, loss] : keras_cases()) {
    KeywordArgs args(loss->class_name(), loss->get_config());
    LossPtr copy = make_loss(loss->class_name(), args);
    EXPECT_EQ(copy->get_config(), loss->get_config()) << name;
  }
  KeywordArgs bad("Huber", {{"delta", 1.0}, {"reduce", true}});
  testing::expect_error_mentioning<InvalidArgument>([&] { make_loss("Huber", bad); }, {"Huber", "reduce"});
  KeywordArgs axis("CosineSimilarity", {{"axis", 0.0}});
  testing::expect_error_mentioning<InvalidArgument>([&] { make_loss("CosineSimilarity", axis); }, {"axis", "0"});
  EXPECT_THROW(CategoricalCrossentropy(false, 1.5), InvalidArgument);
}

}  // namespace
}  // namespace cairn
