// Every registered optimizer, with a learning-rate schedule, the moving average and clipping, resumes
// exactly from a TensorFlow checkpoint: the optimizer rebuilt from its Keras config (as a resumed run
// rebuilds it), the state restored, and two more steps give the bits of an uninterrupted run.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "cairn/checkpoint.h"
#include "cairn/config.h"
#include "cairn/data.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"
#include "cairn/tensor_bundle.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<Sequential> compiled_mlp(OptimizerPtr optimizer) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(6, DenseOptions{.activation = "gelu"}), std::make_shared<Dense>(2)},
      Shape{2});
  model->compile({.optimizer = std::move(optimizer), .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  return model;
}

void train(Model& model, int steps) {
  LabeledData d = make_moons(16, 0.1, 1);
  for (int i = 0; i < steps; ++i) model.train_on_batch(d.x, d.y);
}

std::vector<OptimizerPtr> optimizers_under_test() {
  std::vector<OptimizerPtr> all;
  for (const OptimizerRegistration& entry : optimizer_registry()) {
    OptimizerPtr optimizer = get_optimizer(entry.class_name);
    optimizer->set_learning_rate_schedule(std::make_shared<CosineDecay>(0.05, 10, 0.1, 0.1, 2));
    OptimizerCommonOptions options = optimizer->common_options();
    options.use_ema = true;
    options.ema_momentum = 0.8;
    options.clipnorm = 1.0;
    optimizer->set_common_options(options);
    all.push_back(optimizer);
  }
  return all;
}

TEST(OptimizerCheckpoint, EveryOptimizerResumesBitIdentically) {
  const fs::path dir = fs::temp_directory_path() / ("cairn_optimizer_ckpt_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const OptimizerPtr& optimizer : optimizers_under_test()) {
    SCOPED_TRACE(optimizer->class_name());
    set_random_seed(3);
    auto model = compiled_mlp(optimizer);
    train(*model, 3);
    const std::string prefix = (dir / optimizer->class_name()).string();
    Checkpoint({{"model", model}, {"optimizer", model->optimizer_ptr()}}).write(prefix);

    // The resumed run: its optimizer from the Keras config the run wrote, its state from the checkpoint.
    set_random_seed(4);
    auto resumed = compiled_mlp(optimizer_from_config(optimizer_config(*optimizer)));
    Checkpoint({{"model", resumed}, {"optimizer", resumed->optimizer_ptr()}}).restore(prefix).assert_consumed();
    EXPECT_EQ(resumed->optimizer().iteration_count(), 3);
    EXPECT_DOUBLE_EQ(resumed->optimizer().current_learning_rate(), optimizer->current_learning_rate());

    train(*model, 2);
    train(*resumed, 2);
    for (size_t i = 0; i < model->weights().size(); ++i)
      EXPECT_TRUE(equal_bytes(model->weights()[i]->value(), resumed->weights()[i]->value()))
          << model->weights()[i]->name();
    for (const OptimizerSlot& slot : model->optimizer().slots())
      EXPECT_TRUE(equal_bytes(slot.slot->value(), resumed->optimizer().slots().at(&slot - &model->optimizer().slots()[0]).slot->value()))
          << slot.slot->name();

    // Every slot, the moving averages included, is in the file (Keras 3's layout: by position).
    BundleReader reader(Env::Default(), prefix);
    size_t slot_keys = 0;
    for (const std::string& key : reader.keys()) slot_keys += key.rfind("optimizer/_variables/", 0) == 0;
    EXPECT_EQ(slot_keys, model->optimizer().slots().size());
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cairn
