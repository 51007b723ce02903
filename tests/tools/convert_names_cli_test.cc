// `cairn convert` to .safetensors and .npz under Keras's layer paths (weights only by default, the
// optimizer's variables with --with-optimizer) and, with --keys checkpoint, under the checkpoint's keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cairn/config.h"
#include "cairn/env.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/lstm.h"
#include "cairn/model.h"
#include "cairn/npy.h"
#include "cairn/safetensors.h"
#include "cairn/tensor_bundle.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::contains;

// The checkpoint key of a weight of the trained moons_mlp (dense: layer_with_weights-0, dense_1: -1), or
// of its Adam slot: tf.keras 2.11+'s optimizer/_variables/N, m and v variable by variable after the step
// count, in the order of the model's weights (kernel, bias).
std::string checkpoint_key(const std::string& layer_path, const std::string& slot = "") {
  if (!slot.empty()) {
    const std::vector<std::string> order = {"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"};
    const size_t index = std::find(order.begin(), order.end(), layer_path) - order.begin();
    return "optimizer/_variables/" + std::to_string(1 + 2 * index + (slot == "v")) + "/.ATTRIBUTES/VARIABLE_VALUE";
  }
  const std::string object = std::string(layer_path.starts_with("dense_1/") ? "layer_with_weights-1/"
                                                                            : "layer_with_weights-0/") +
                             layer_path.substr(layer_path.find('/') + 1);
  return object + "/.ATTRIBUTES/VARIABLE_VALUE";
}

const std::vector<std::string> kWeights = {"dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel"};

void expect_same_values(const Tensor& actual, const Tensor& expected, const std::string& key) {
  ASSERT_EQ(actual.dtype(), expected.dtype()) << key;
  ASSERT_EQ(actual.shape(), expected.shape()) << key;
  EXPECT_EQ(actual.nbytes(), expected.nbytes()) << key;
  EXPECT_TRUE(std::equal(static_cast<const char*>(actual.raw_data()),
                         static_cast<const char*>(actual.raw_data()) + actual.nbytes(),
                         static_cast<const char*>(expected.raw_data())))
      << key;
}

std::vector<std::string> sorted(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

class ConvertNamesCli : public testing::CliFixture {
 protected:
  // One epoch of moons_mlp with Adam, whose m and v slots the checkpoint holds.
  void SetUp() override {
    const CliResult trained = cairn({"train", "--model", "moons_mlp", "--optimizer", "adam", "--data", "moons",
                                     "--epochs", "1", "--verbose", "0", "--checkpoint-dir", path("run")});
    ASSERT_EQ(trained.status, 0) << trained.err;
  }
  Tensor from_checkpoint(const std::string& key) const {
    return BundleReader(Env::Default(), path("run/final")).read(key);
  }
};

TEST_F(ConvertNamesCli, SafetensorsGetsTheWeightsUnderLayerPaths) {
  const CliResult converted = cairn({"convert", path("run"), path("w.safetensors")});
  ASSERT_EQ(converted.status, 0) << converted.err;
  EXPECT_EQ(converted.out, "converted 4 tensors from " + path("run") + " to " + path("w.safetensors") +
                               " under layer paths (weights only)\n");
  const SafetensorsFile file(path("w.safetensors"));
  EXPECT_EQ(sorted(file.keys()), kWeights);
  for (const std::string& key : kWeights)
    expect_same_values(file.read(key), from_checkpoint(checkpoint_key(key)), key);
  for (const auto& [name, text] : file.metadata())  // no object graph of string tensors either
    EXPECT_FALSE(name.starts_with("cairn.string_tensor:")) << name;

  // --weights-only says the same explicitly, and an .npz file takes it too.
  ASSERT_EQ(cairn({"convert", path("run/final"), path("w.npz"), "--weights-only"}).status, 0);
  std::map<std::string, Tensor> arrays;
  for (NamedTensor& array : load_npz(path("w.npz"))) arrays.emplace(array.name, array.tensor);
  ASSERT_EQ(arrays.size(), kWeights.size());
  for (const std::string& key : kWeights) expect_same_values(arrays.at(key), file.read(key), key);
}

TEST_F(ConvertNamesCli, WithOptimizerAddsItsVariablesUnderKerasLikeNames) {
  const CliResult converted = cairn({"convert", path("run"), path("o.safetensors"), "--with-optimizer"});
  ASSERT_EQ(converted.status, 0) << converted.err;
  EXPECT_TRUE(contains(converted.out, "converted 17 tensors ") &&
              contains(converted.out, "(weights and optimizer)"))
      << converted.out;
  std::vector<std::string> expected = kWeights;
  for (const char* hyperparameter : {"beta_1", "beta_2", "decay", "iter", "learning_rate"})
    expected.push_back(std::string("optimizer/adam/") + hyperparameter);
  for (const std::string& weight : kWeights)
    for (const char* slot : {"m", "v"}) expected.push_back("optimizer/adam/" + weight + "/" + slot);
  const SafetensorsFile file(path("o.safetensors"));
  EXPECT_EQ(sorted(file.keys()), sorted(expected));
  for (const std::string& weight : kWeights) {
    expect_same_values(file.read(weight), from_checkpoint(checkpoint_key(weight)), weight);
    for (const char* slot : {"m", "v"})
      expect_same_values(file.read("optimizer/adam/" + weight + "/" + slot),
                         from_checkpoint(checkpoint_key(weight, slot)), weight + "/" + slot);
  }
  expect_same_values(file.read("optimizer/adam/iter"),
                     from_checkpoint("optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"), "iter");
  EXPECT_GT(file.read("optimizer/adam/iter").data<int64_t>()[0], 0);
}

TEST_F(ConvertNamesCli, CheckpointKeysOnRequestRoundTrip) {
  const CliResult raw = cairn({"convert", path("run"), path("raw.safetensors"), "--keys", "checkpoint"});
  ASSERT_EQ(raw.status, 0) << raw.err;
  const SafetensorsFile file(path("raw.safetensors"));
  EXPECT_EQ(file.keys().size(), 17u);  // every number; the object graph rides in __metadata__
  EXPECT_TRUE(std::count(file.keys().begin(), file.keys().end(), checkpoint_key("dense/kernel", "m")) == 1);
  ASSERT_EQ(cairn({"convert", path("raw.safetensors"), path("back")}).status, 0);
  const CliResult same = cairn({"diff", path("run/final"), path("back")});
  EXPECT_EQ(same.out, "identical: 18 tensors\n");
  EXPECT_EQ(same.status, 0);
}

TEST_F(ConvertNamesCli, LayerPathFilesConvertUnderTheSameNames) {
  ASSERT_EQ(cairn({"convert", path("run"), path("w.safetensors")}).status, 0);
  // Between array files and into a checkpoint the keys stay: a name-keyed checkpoint of the weights.
  ASSERT_EQ(cairn({"convert", path("w.safetensors"), path("again.safetensors")}).status, 0);
  EXPECT_EQ(sorted(SafetensorsFile(path("again.safetensors")).keys()), kWeights);
  ASSERT_EQ(cairn({"convert", path("w.safetensors"), path("named")}).status, 0);
  BundleReader named(Env::Default(), path("named"));
  EXPECT_EQ(named.keys(), kWeights);
  for (const std::string& key : kWeights)
    expect_same_values(named.read(key), from_checkpoint(checkpoint_key(key)), key);
  // A Keras file of the run gives the same names and values.
  ASSERT_EQ(cairn({"convert", path("run"), path("m.keras")}).status, 0);
  ASSERT_EQ(cairn({"convert", path("m.keras"), path("k.safetensors")}).status, 0);
  const CliResult diff = cairn({"diff", path("w.safetensors"), path("k.safetensors")});
  EXPECT_EQ(diff.out, "identical: 4 tensors\n");
}

TEST_F(ConvertNamesCli, LayerPathFilesComeBackIntoTheModelWithItsConfig) {
  ASSERT_EQ(cairn({"convert", path("run"), path("o.safetensors"), "--with-optimizer"}).status, 0);
  const CliResult back = cairn({"convert", path("o.safetensors"), path("back/"), "--model", path("run/model.json")});
  ASSERT_EQ(back.status, 0) << back.err;
  EXPECT_EQ(back.out, "converted the weights of " + path("o.safetensors") + " to " + path("back/ckpt") + "\n");
  // The model's checkpoint of the weights (the optimizer's variables are not restored), in a run directory.
  EXPECT_TRUE(fs::exists(path("back/model.json")));
  BundleReader restored(Env::Default(), path("back/ckpt"));
  for (const std::string& key : kWeights)
    expect_same_values(restored.read(checkpoint_key(key)), from_checkpoint(checkpoint_key(key)), key);
  EXPECT_FALSE(restored.contains(checkpoint_key("dense/kernel", "m")));
  const CliResult evaluated = cairn({"evaluate", path("back"), "--data", "moons", "--loss",
                                     "sparse_categorical_crossentropy", "--metrics", "accuracy", "--json"});
  const CliResult original = cairn({"evaluate", path("run"), "--data", "moons", "--json"});
  ASSERT_EQ(evaluated.status, 0) << evaluated.err;
  const Json a = Json::parse(evaluated.out), b = Json::parse(original.out);
  EXPECT_EQ(a["loss"], b["loss"]);
  EXPECT_EQ(a["accuracy"], b["accuracy"]);
  ASSERT_EQ(cairn({"convert", path("o.safetensors"), path("m.keras"), "--model", path("run/model.json")}).status, 0);
  const CliResult from_keras = cairn({"convert", path("m.keras"), path("k.safetensors")});
  ASSERT_EQ(from_keras.status, 0) << from_keras.err;
  EXPECT_EQ(cairn({"diff", path("k.safetensors"), path("o.safetensors")}).status, 1);  // no optimizer in k
  EXPECT_EQ(sorted(SafetensorsFile(path("k.safetensors")).keys()), kWeights);

  // What does not fit the model is refused, naming the file and the key; nothing is written.
  ASSERT_EQ(cairn({"convert", path("run"), path("raw.safetensors"), "--keys", "checkpoint"}).status, 0);
  const Tensor kernel = SafetensorsFile(path("o.safetensors")).read("dense/kernel");
  save_safetensors(path("wrong_shape.safetensors"),
                   {{"dense/kernel", kernel.reshape({20, 1})}, {"dense/bias", Tensor({10})},
                    {"dense_1/kernel", Tensor({10, 2})}, {"dense_1/bias", Tensor({2})}});
  save_safetensors(path("extra.safetensors"), {{"dense/kernel", kernel}, {"dense/bias", Tensor({10})},
                                               {"dense_1/kernel", Tensor({10, 2})}, {"dense_1/bias", Tensor({2})},
                                               {"dense_2/kernel", Tensor({2, 2})}});
  for (const auto& [file, parts] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"raw.safetensors", {"no tensor 'dense/kernel'"}},
           {"wrong_shape.safetensors", {"'dense/kernel' has shape (20, 1)", "(2, 10)"}},
           {"extra.safetensors", {"'dense_2/kernel' is no weight of the model"}}}) {
    const CliResult refused = cairn({"convert", path(file), path("refused"), "--model", path("run/model.json")});
    EXPECT_EQ(refused.status, 1) << file;
    EXPECT_TRUE(contains(refused.err, path(file))) << refused.err;
    for (const std::string& part : parts) EXPECT_TRUE(contains(refused.err, part)) << refused.err;
    EXPECT_FALSE(fs::exists(path("refused.index"))) << file;
  }
}

TEST_F(ConvertNamesCli, RefusesWhatLayerPathsCannotDo) {
  auto expect_refused = [&](const std::vector<std::string>& args, int status,
                            const std::vector<std::string>& parts) {
    const CliResult run = cairn(args);
    EXPECT_EQ(run.status, status) << args.back();
    for (const std::string& part : parts) EXPECT_TRUE(contains(run.err, part)) << run.err;
    EXPECT_FALSE(fs::exists(path("out.safetensors")));
  };
  expect_refused({"convert", path("run"), path("ckpt"), "--weights-only"}, 2, {"not " + path("ckpt")});
  expect_refused({"convert", path("run"), path("m.h5"), "--with-optimizer"}, 2, {"not " + path("m.h5")});
  expect_refused({"convert", path("run"), path("out.safetensors"), "--keys", "names"}, 2, {"\"names\""});
  expect_refused({"convert", path("run"), path("out.safetensors"), "--keys", "checkpoint", "--with-optimizer"}, 2,
                 {"--keys checkpoint", "--with-optimizer"});
  expect_refused({"convert", path("run"), path("out.safetensors"), "--weights-only", "--with-optimizer"}, 2,
                 {"not both"});
  ASSERT_EQ(cairn({"convert", path("run"), path("w.npz")}).status, 0);
  expect_refused({"convert", path("w.npz"), path("out.safetensors"), "--weights-only"}, 2,
                 {path("w.npz"), "not a model"});
  // A checkpoint away from its model.json: the names are unknown; --model or --keys checkpoint help.
  fs::create_directories(path("lone"));
  for (const char* suffix : {".index", ".data-00000-of-00001"})
    fs::copy_file(path("run/final") + suffix, path("lone/final") + suffix);
  expect_refused({"convert", path("lone/final"), path("out.safetensors")}, 1,
                 {path("lone/final") + ": layer-path names need the model: " + path("lone/model.json"), "--model FILE",
                  "--keys checkpoint"});
  const CliResult given =
      cairn({"convert", path("lone/final"), path("given.safetensors"), "--model", path("run/model.json")});
  ASSERT_EQ(given.status, 0) << given.err;
  EXPECT_EQ(sorted(SafetensorsFile(path("given.safetensors")).keys()), kWeights);
  // Without its training config the run's model is not compiled: there is no optimizer to write.
  fs::remove(path("run/training_config.json"));
  expect_refused({"convert", path("run"), path("out.safetensors"), "--with-optimizer"}, 2,
                 {path("run/final") + " holds no optimizer state"});
}

using ConvertLayerPathsCli = testing::CliFixture;

// An LSTM's weights belong to its cell in Keras ("lstm/lstm_cell/kernel"), as in its .h5 weight names.
TEST_F(ConvertLayerPathsCli, AnLstmsWeightsAreUnderItsCell) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Embedding>(10, 4), std::make_shared<LSTM>(3), std::make_shared<Dense>(1)},
      Shape{5});
  fs::create_directories(path("run"));
  model->save_weights(path("run/final"));
  std::ofstream(path("run/model.json")) << model_to_json(*model);
  const std::vector<LayerPtr> layers = model->layers();
  const std::string embedding = layers[0]->name(), lstm = layers[1]->name(), dense = layers[2]->name();
  const std::map<std::string, VariablePtr> expected = {
      {embedding + "/embeddings", layers[0]->own_weights()[0].second},
      {lstm + "/lstm_cell/kernel", layers[1]->own_weights()[0].second},
      {lstm + "/lstm_cell/recurrent_kernel", layers[1]->own_weights()[1].second},
      {lstm + "/lstm_cell/bias", layers[1]->own_weights()[2].second},
      {dense + "/kernel", layers[2]->own_weights()[0].second},
      {dense + "/bias", layers[2]->own_weights()[1].second}};

  const CliResult converted = cairn({"convert", path("run"), path("w.safetensors")});
  ASSERT_EQ(converted.status, 0) << converted.err;
  const SafetensorsFile file(path("w.safetensors"));
  std::vector<std::string> keys;
  for (const auto& [key, variable] : expected) keys.push_back(key);
  EXPECT_EQ(sorted(file.keys()), keys);
  for (const auto& [key, variable] : expected) expect_same_values(file.read(key), variable->value(), key);
}

}  // namespace
}  // namespace cairn
