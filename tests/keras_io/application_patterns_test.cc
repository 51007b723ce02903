// The constructs of keras.applications models and of the transfer-learning models built on them, each in
// a small model that real Keras 3 or tf-keras wrote (tests/fixtures/keras3/pattern_*, keras_h5/pattern_*,
// made by tests/conformance/generate_application_patterns.py): cairn loads each file and predicts what
// Keras predicted, within 1e-5 of the predictions' scale. tests/conformance/check_applications.py checks
// the whole applications the same way (in the oracle environment).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "cairn/keras_io.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/rescaling.h"
#include "cairn/npy.h"

namespace cairn {
namespace {

const std::string kFixtures = std::string(CAIRN_FIXTURES_DIR) + "/";

std::map<std::string, Tensor> load_arrays(const std::string& path) {
  std::map<std::string, Tensor> arrays;
  for (NamedTensor& array : load_npz(path)) arrays.emplace(array.name, std::move(array.tensor));
  return arrays;
}

// Loads `stem` + `extension`, predicts stem.npz's x and compares with its predictions.
std::shared_ptr<Model> expect_predicts_as_keras(const std::string& stem, const std::string& extension) {
  std::map<std::string, Tensor> arrays = load_arrays(kFixtures + stem + ".npz");
  std::shared_ptr<Model> model = load_model(kFixtures + stem + extension);
  const Tensor got = model->predict(arrays.at("x"));
  const Tensor& want = arrays.at("predictions");
  EXPECT_EQ(got.shape(), want.shape());
  if (got.shape() != want.shape()) return model;
  double scale = 1;
  for (float v : want.span<float>()) scale = std::max(scale, static_cast<double>(std::abs(v)));
  for (int64_t i = 0; i < want.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-5 * scale) << stem << ", element " << i;
  return model;
}

// Squeeze-and-excitation (EfficientNet, MobileNetV3): Multiply of (batch, 5, 5, 6) by (batch, 1, 1, 6),
// and Add of (batch, 5, 5, 6) and (batch, 6), which Keras's Merge broadcasts (the lower rank gets axes
// after the batch axis).
TEST(ApplicationPatterns, MergeLayersBroadcastAsKeras) {
  expect_predicts_as_keras("keras3/pattern_squeeze_excite", ".keras");
}

// EfficientNet's Dropout(noise_shape=(None, 1, 1, 1)): read with its noise shape (the identity in
// inference; tests/layers covers the draws in training).
TEST(ApplicationPatterns, DropoutWithNoiseShape) {
  std::shared_ptr<Model> model = expect_predicts_as_keras("keras3/pattern_dropout_noise_shape", ".keras");
  const auto drop = std::dynamic_pointer_cast<Dropout>(model->get_layer("drop"));
  ASSERT_TRUE(drop);
  EXPECT_EQ(drop->noise_shape(), (Shape{-1, 1, 1, 1}));
}

// EfficientNet's preprocessing with ImageNet weights: Rescaling by a list of per-channel scales, and a
// per-channel offset, in both Keras generations' files.
TEST(ApplicationPatterns, RescalingPerChannel) {
  std::shared_ptr<Model> model = expect_predicts_as_keras("keras3/pattern_rescaling_per_channel", ".keras");
  const auto rescaling = std::dynamic_pointer_cast<Rescaling>(model->get_layer("scale_and_offset"));
  ASSERT_TRUE(rescaling);
  EXPECT_EQ(rescaling->scale().to_vector<double>(), (std::vector<double>{0.5, 1.0, 2.0}));
  EXPECT_EQ(rescaling->offset().to_vector<double>(), (std::vector<double>{-1.0, 0.0, 1.0}));
  expect_predicts_as_keras("keras_h5/pattern_rescaling_per_channel_tfkeras", ".h5");
}

// TensorFlow's transfer-learning tutorial: base(inputs, training=False) in a functional model, which
// tf-keras records as the call argument training=False.
TEST(ApplicationPatterns, TfKerasBaseModelCalledWithTrainingFalse) {
  std::shared_ptr<Model> model = expect_predicts_as_keras("keras_h5/pattern_nested_training_false_tfkeras", ".h5");
  EXPECT_FALSE(model->get_layer("base")->trainable());
}

// A nested model in a legacy .h5 (tf-keras's and Keras 3's): its group lists the trainable weights of all
// its layers first, then the non-trainable ones (BatchNormalization's moving statistics, the frozen
// layers' weights), as tf-keras's _legacy_weights orders them.
TEST(ApplicationPatterns, NestedModelWeightsInLegacyH5Order) {
  for (const char* stem : {"keras_h5/pattern_nested_fine_tuned_tfkeras", "keras_h5/pattern_nested_fine_tuned_keras3"}) {
    std::shared_ptr<Model> model = expect_predicts_as_keras(stem, ".h5");
    const auto base = std::dynamic_pointer_cast<Model>(model->get_layer("base"));
    ASSERT_TRUE(base) << stem;
    EXPECT_FALSE(base->get_layer("stem")->trainable()) << stem;
    EXPECT_TRUE(base->get_layer("project")->trainable()) << stem;
  }
}

// Keras 3 numbers the calls of a model nested in a functional model from 0 (tf-keras from 1: the nested
// model's own build is its node 0).
TEST(ApplicationPatterns, Keras3NestedFunctionalCallsCountFromZero) {
  expect_predicts_as_keras("keras3/pattern_nested_functional", ".keras");
}

}  // namespace
}  // namespace cairn
