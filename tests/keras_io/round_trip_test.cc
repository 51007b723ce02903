// save_model / load_model round trips through .h5 and .keras for every layer kind and optimizer: the
// loaded model predicts the same bits, and its next training steps equal the original's bit for bit.
#include <gtest/gtest.h>

#include <tuple>

#include "cairn/config.h"
#include "cairn/data.h"
#include "cairn/keras_io.h"
#include "cairn/saving_callbacks.h"
#include "cairn/zip.h"
#include "keras_io/test_models.h"
#include "temp_dir.h"

namespace cairn {
namespace {

using testing::ModelKind;
using testing::OptimizerKind;

class RoundTrip : public ::testing::TestWithParam<std::tuple<ModelKind, OptimizerKind, std::string>> {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(11);
  }
  testing::TempDir dir_;
};

TEST_P(RoundTrip, PredictionsAndNextTrainingStepsAreBitIdentical) {
  const auto [kind, optimizer, extension] = GetParam();
  auto model = testing::make_model(kind);
  model->compile({.optimizer = testing::make_optimizer(optimizer), .loss = "sparse_categorical_crossentropy",
                  .metrics = {"accuracy"}});
  for (uint64_t step = 0; step < 3; ++step) {
    auto [x, y] = testing::make_batch(kind, 100 + step);
    model->train_on_batch(x, y);
  }
  const auto [x, y] = testing::make_batch(kind, 7);
  const Tensor before = model->predict(x);

  const std::string path = dir_ / ("model" + extension);
  save_model(*model, path);
  std::shared_ptr<Model> loaded = load_model(path);

  EXPECT_EQ(loaded->name(), model->name());
  EXPECT_TRUE(equal_bytes(loaded->predict(x), before));
  testing::expect_same_weights(*model, *loaded);
  testing::expect_same_optimizer_state(*model, *loaded);
  EXPECT_EQ(loaded->compiled_metrics(), model->compiled_metrics());

  for (uint64_t step = 0; step < 2; ++step) {
    auto [bx, by] = testing::make_batch(kind, 200 + step);
    const Logs original_logs = model->train_on_batch(bx, by);
    const Logs loaded_logs = loaded->train_on_batch(bx, by);
    EXPECT_EQ(original_logs, loaded_logs);
    testing::expect_same_weights(*model, *loaded);
  }
  testing::expect_same_optimizer_state(*model, *loaded);
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, RoundTrip,
    ::testing::Combine(::testing::Values(ModelKind::Dense, ModelKind::Conv, ModelKind::Recurrent,
                                         ModelKind::Functional),
                       ::testing::Values(OptimizerKind::SGDMomentum, OptimizerKind::Adam, OptimizerKind::Adagrad,
                                         OptimizerKind::RMSprop),
                       ::testing::Values(std::string(".h5"), std::string(".keras"))),
    [](const auto& info) {
      const std::string& extension = std::get<2>(info.param);
      return testing::kind_name(std::get<0>(info.param)) + "_" + testing::kind_name(std::get<1>(info.param)) + "_" +
             extension.substr(1);
    });

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// ModelCheckpoint(save_weights_only = false) writes whole models that load_model reads back.
TEST(ModelCheckpointWholeModel, WritesKerasFilesThatLoadModelReads) {
  clear_session();
  set_random_seed(5);
  testing::TempDir dir;
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(6, DenseOptions{.activation = "relu"}), std::make_shared<Dense>(2)},
      Shape{2});
  model->compile({.optimizer = "adam", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  LabeledData d = make_moons(40, 0.1, 1);
  auto checkpoint = std::make_shared<ModelCheckpoint>(dir.file("model-{epoch:02d}.keras"), ModelCheckpointOptions{});
  model->fit(d.x, d.y, {.batch_size = 10, .epochs = 2, .verbose = 0, .callbacks = {checkpoint}});
  std::shared_ptr<Model> loaded = load_model(dir.file("model-02.keras"));
  EXPECT_TRUE(equal_bytes(loaded->predict(d.x), model->predict(d.x)));
  EXPECT_EQ(loaded->optimizer().iterations()->value().item(), 8.0);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

Json keras_file_config(const std::string& path) {
  for (const ZipEntry& entry : read_zip(path))
    if (entry.name == "config.json") return Json::parse(std::string(entry.data.begin(), entry.data.end()));
  ADD_FAILURE() << path << " has no config.json";
  return {};
}

// Keras 3 and tf-keras locate every object of a .keras config by its module ("Could not locate class
// 'Sequential'" without one) and refuse tf.keras 2.x's loss reduction "auto" and LSTM time_major.
TEST(KerasFileConfig, NamesTheModuleOfEveryObjectAsKerasReadsIt) {
  testing::TempDir dir;
  for (ModelKind kind : {ModelKind::Dense, ModelKind::Recurrent, ModelKind::Functional}) {
    clear_session();
    auto model = testing::make_model(kind);
    model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    const std::string path = dir / (testing::kind_name(kind) + ".keras");
    save_model(*model, path);
    const Json config = keras_file_config(path);
    SCOPED_TRACE(config.dump());
    EXPECT_EQ(config["module"], "keras");
    EXPECT_TRUE(config["registered_name"].is_null());
    EXPECT_EQ(config["class_name"], kind == ModelKind::Functional ? "Model" : "Sequential");
    for (const Json& layer : config["config"]["layers"]) {
      EXPECT_EQ(layer["module"], "keras.layers");
      EXPECT_FALSE(layer["config"].contains("time_major"));
      if (layer["config"].contains("kernel_initializer")) {
        EXPECT_EQ(layer["config"]["kernel_initializer"]["module"], "keras.initializers");
      }
    }
    const Json& compile = config["compile_config"];
    EXPECT_EQ(compile["optimizer"]["module"], "keras.optimizers");
    EXPECT_FALSE(compile["optimizer"]["config"].contains("decay"));
    EXPECT_EQ(compile["loss"]["module"], "keras.losses");
    EXPECT_EQ(compile["loss"]["config"]["reduction"], "sum_over_batch_size");
    EXPECT_EQ(load_model(path)->layers().size(), model->layers().size());
  }
}

}  // namespace
}  // namespace cairn
