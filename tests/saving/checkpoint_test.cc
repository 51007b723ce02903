// Object-based checkpoints: TensorFlow 2 keys, round trips, the real TensorFlow file, and restores that
// are all or nothing.
#include "cairn/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "cairn/config.h"
#include "cairn/data.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/model.h"
#include "cairn/npy.h"
#include "cairn/tensor_bundle.h"
#include "checkpoint/proto/trackable_object_graph.pb.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(0);
    dir_ = fs::temp_directory_path() / ("cairn_ckpt_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::shared_ptr<Sequential> mlp(int64_t hidden, bool dropout = false) {
  std::vector<LayerPtr> layers{std::make_shared<Dense>(hidden, DenseOptions{.activation = "relu"})};
  if (dropout) layers.push_back(std::make_shared<Dropout>(0.5));
  layers.push_back(std::make_shared<Dense>(2));
  auto model = std::make_shared<Sequential>(layers, Shape{2});
  model->compile({.optimizer = "adam", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  return model;
}

void train_a_little(Model& model, int steps = 3) {
  LabeledData d = make_moons(16, 0.1, 1);
  for (int i = 0; i < steps; ++i) model.train_on_batch(d.x, d.y);
}

std::set<std::string> keys_of(const std::string& prefix) {
  BundleReader reader(Env::Default(), prefix);
  return {reader.keys().begin(), reader.keys().end()};
}

TEST_F(CheckpointTest, KeysFollowTensorFlowTwoNaming) {
  auto model = mlp(10, /*dropout=*/true);
  train_a_little(*model);
  auto step = std::make_shared<Variable>("step", Tensor::scalar(7, DType::Int64), false);
  Checkpoint ckpt({{"model", model}, {"optimizer", model->optimizer_ptr()}, {"step", step}});
  ckpt.write(path("ck"));
  std::set<std::string> keys = keys_of(path("ck"));
  // tf.keras 2.11+'s optimizer layout: Adam's m and v variable by variable after the step count.
  for (const char* expected : {"model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
                               "model/layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE",
                               "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE",
                               "optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE",
                               "optimizer/_variables/1/.ATTRIBUTES/VARIABLE_VALUE",
                               "optimizer/_variables/8/.ATTRIBUTES/VARIABLE_VALUE",
                               "optimizer/beta_1/.ATTRIBUTES/VARIABLE_VALUE", "step/.ATTRIBUTES/VARIABLE_VALUE",
                               "save_counter/.ATTRIBUTES/VARIABLE_VALUE", "model/layer-1/.ATTRIBUTES/GENERATOR_STATE",
                               "_CHECKPOINTABLE_OBJECT_GRAPH"})
    EXPECT_TRUE(keys.count(expected)) << expected;
  EXPECT_EQ(keys.size(), 4 + 8 + 5 + 1 + 1 + 1 + 1u);
  const Adam& adam = dynamic_cast<const Adam&>(model->optimizer());
  BundleReader reader(Env::Default(), path("ck"));
  EXPECT_TRUE(equal_bytes(reader.read("optimizer/_variables/1/.ATTRIBUTES/VARIABLE_VALUE"),
                          adam.get_slot(*model->weights()[0], "m")->value()));
  EXPECT_TRUE(equal_bytes(reader.read("optimizer/_variables/2/.ATTRIBUTES/VARIABLE_VALUE"),
                          adam.get_slot(*model->weights()[0], "v")->value()));
  EXPECT_TRUE(equal_bytes(reader.read("optimizer/_variables/8/.ATTRIBUTES/VARIABLE_VALUE"),
                          adam.get_slot(*model->weights()[3], "v")->value()));

  // The object graph names every key but cairn's own state (the Dropout's generator and the
  // hyperparameters Keras keeps in its config), which TensorFlow's objects do not have.
  proto::TrackableObjectGraph graph;
  ASSERT_TRUE(graph.ParseFromString(reader.read_string("_CHECKPOINTABLE_OBJECT_GRAPH")));
  std::set<std::string> graph_keys;
  int slot_refs = 0;
  for (const auto& node : graph.nodes()) {
    for (const auto& a : node.attributes()) graph_keys.insert(a.checkpoint_key());
    slot_refs += node.slot_variables_size();
  }
  for (const char* beside : {"_CHECKPOINTABLE_OBJECT_GRAPH", "model/layer-1/.ATTRIBUTES/GENERATOR_STATE",
                             "optimizer/beta_1/.ATTRIBUTES/VARIABLE_VALUE", "optimizer/beta_2/.ATTRIBUTES/VARIABLE_VALUE",
                             "optimizer/decay/.ATTRIBUTES/VARIABLE_VALUE"})
    EXPECT_EQ(keys.erase(beside), 1u) << beside;
  EXPECT_EQ(graph_keys, keys);
  EXPECT_EQ(slot_refs, 0);
}

TEST_F(CheckpointTest, SubclassedModelsUseAttributeNames) {
  class Net : public Model {
   public:
    Net() : Model("net", "Net") { l1 = track("l1", std::make_shared<Dense>(3)); }
    std::shared_ptr<Dense> l1;

   protected:
    Tensor call(const Tensor& x, bool training) override { return (*l1)(x, training); }
  };
  auto net = std::make_shared<Net>();
  (*net)(Tensor::ones({1, 2}));
  Checkpoint({{"net", net}}).write(path("sub"));
  EXPECT_TRUE(keys_of(path("sub")).count("net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
}

TEST_F(CheckpointTest, RoundTripRestoresWeightsSlotsCountersAndGenerators) {
  auto model = mlp(10, /*dropout=*/true);
  train_a_little(*model);
  auto step = std::make_shared<Variable>("step", Tensor::scalar(42, DType::Int64), false);
  Checkpoint saved({{"model", model}, {"optimizer", model->optimizer_ptr()}, {"step", step}});
  saved.write(path("ck"));
  auto expected = saved.values();

  set_random_seed(99);
  auto fresh = mlp(10, /*dropout=*/true);
  auto fresh_step = std::make_shared<Variable>("step", Tensor::scalar(0, DType::Int64), false);
  Checkpoint restored({{"model", fresh}, {"optimizer", fresh->optimizer_ptr()}, {"step", fresh_step}});
  restored.restore(path("ck")).assert_consumed();
  auto got = restored.values();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, expected[i].first);
    EXPECT_TRUE(equal_bytes(got[i].second, expected[i].second)) << got[i].first;
  }
  EXPECT_EQ(fresh_step->value().item(), 42);
  // Both continue identically, dropout draws included.
  train_a_little(*model, 2);
  train_a_little(*fresh, 2);
  for (size_t i = 0; i < model->weights().size(); ++i)
    EXPECT_TRUE(equal_bytes(model->weights()[i]->value(), fresh->weights()[i]->value()));
}

TEST_F(CheckpointTest, ChangedArchitectureFailsNamingKeyAndShapesAndChangesNothing) {
  auto model = mlp(10);
  Checkpoint({{"model", model}}).write(path("ck"));
  auto wider = mlp(20);
  auto before = Checkpoint({{"model", wider}}).values();  // handles: keep copies to compare
  for (auto& [key, value] : before) value = value.clone();
  try {
    Checkpoint({{"model", wider}}).restore(path("ck"));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(2, 10) in the checkpoint"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(2, 20) in the model"), std::string::npos) << msg;
  }
  auto after = Checkpoint({{"model", wider}}).values();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(equal_bytes(before[i].second, after[i].second));
}

TEST_F(CheckpointTest, DamagedDataIsDetectedAndChangesNothing) {
  auto model = mlp(4);
  Checkpoint({{"model", model}}).write(path("ck"));
  const std::string data = bundle_data_path(path("ck"));
  {
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    char c;
    f.read(&c, 1);
    f.seekp(10);
    c ^= 0x40;
    f.write(&c, 1);
  }
  auto other = mlp(4);
  auto before = Checkpoint({{"model", other}}).values();  // handles: keep copies to compare
  for (auto& [key, value] : before) value = value.clone();
  EXPECT_THROW(Checkpoint({{"model", other}}).restore(path("ck")), FormatError);
  auto after = Checkpoint({{"model", other}}).values();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(equal_bytes(before[i].second, after[i].second));
}

// Restores stage every value before assigning any: damage in the last value read must leave the values
// read before it (variables, optimizer slots, counters, generators) exactly as they were.
TEST_F(CheckpointTest, DamageInTheLastValueChangesNothing) {
  auto model = mlp(6, /*dropout=*/true);
  train_a_little(*model);
  Checkpoint saved({{"model", model}, {"optimizer", model->optimizer_ptr()}});
  saved.write(path("ck"));
  const std::string last_key = saved.values().back().first;
  const BundleEntryInfo last = BundleReader(Env::Default(), path("ck")).info(last_key);
  ASSERT_GT(last.size, 0u);
  {
    std::fstream f(bundle_data_path(path("ck")), std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(last.offset + last.size - 1);
    f.seekg(at);
    char c;
    f.read(&c, 1);
    c ^= 0x20;
    f.seekp(at);
    f.write(&c, 1);
  }
  set_random_seed(7);
  auto other = mlp(6, /*dropout=*/true);
  train_a_little(*other, 1);
  Checkpoint target({{"model", other}, {"optimizer", other->optimizer_ptr()}});
  auto before = target.values();  // handles to the variables' values: copies are what is compared
  for (auto& [key, value] : before) value = value.clone();
  try {
    target.restore(path("ck"));
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(last_key), std::string::npos) << e.what();
  }
  auto after = target.values();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(equal_bytes(before[i].second, after[i].second)) << before[i].first;
}

TEST_F(CheckpointTest, ReadsTheRealTensorFlowCheckpointIntoAnEquivalentModel) {
  const std::string fixture = std::string(CAIRN_FIXTURES_DIR) + "/tf_checkpoint/variables";
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(5, DenseOptions{.activation = "relu"}), std::make_shared<Dense>(5),
                            std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid"})},
      Shape{5});
  auto adam = std::make_shared<Adam>();
  RestoreStatus status = Checkpoint({{"", model}, {"optimizer", adam}}).restore(fixture);
  status.assert_existing_objects_matched();
  // Only the SavedModel's metric variables have no object here.
  EXPECT_EQ(status.unused_keys().size(), 4u);
  BundleReader reader(Env::Default(), fixture);
  EXPECT_TRUE(equal_bytes(model->weights()[0]->value(), reader.read("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE")));
  EXPECT_TRUE(equal_bytes(adam->get_slot(*model->weights()[5], "v")->value(),
                          reader.read("layer_with_weights-2/bias/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE")));
  EXPECT_EQ(adam->iterations()->value().item(), reader.read("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE").item());
}

// Checkpoints that cairn wrote before it took tf.keras 2.11's optimizer layout (tests/saving/old_cairn,
// run directories made by `cairn convert` from two conformance cases' model.h5): hyperparameters as the
// optimizer's children, slots beside their variables, a Dropout's generator state in the graph. Every
// value is still read, into the state Keras saved (the case's data.npz).
TEST_F(CheckpointTest, ReadsCairnsCheckpointsOfTheLegacyLayout) {
  const std::string source = CAIRN_SOURCE_DIR;
  for (const std::string name : {"tf_keras-optimizer_adam", "tf_keras-dropout"}) {
    SCOPED_TRACE(name);
    const std::string run = source + "/tests/saving/old_cairn/" + name + "/";
    auto read = [](const std::string& file) {
      std::ifstream in(file);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    std::shared_ptr<Model> model = model_from_json(read(run + "model.json"));
    model->compile(compile_options_from_training_config(Json::parse(read(run + "training_config.json"))));
    Checkpoint({{"", model}, {"optimizer", model->optimizer_ptr()}}).restore(run + "ckpt").assert_consumed();
    std::map<std::string, Tensor> keras;
    for (NamedTensor& array : load_npz(source + "/tests/conformance/cases/" + name + "/data.npz"))
      keras.emplace(array.name, array.tensor);
    auto npz_key = [](const char* prefix, size_t i) { return prefix + std::string(i < 10 ? "0" : "") + std::to_string(i); };
    const std::vector<VariablePtr> weights = model->weights();
    ASSERT_EQ(weights.size(), 4u);
    for (size_t i = 0; i < weights.size(); ++i)
      EXPECT_TRUE(equal_bytes(weights[i]->value(), keras.at(npz_key("weight_", i)))) << weights[i]->name();
    const Optimizer& optimizer = model->optimizer();
    EXPECT_EQ(optimizer.iteration_count(), keras.at("optimizer_00").item());
    if (name != "tf_keras-optimizer_adam") continue;  // SGD without momentum has no slots
    const auto order = optimizer.keras_slot_order(model->trainable_weights());
    ASSERT_EQ(order.size(), 8u);
    for (size_t i = 0; i < order.size(); ++i)
      EXPECT_TRUE(equal_bytes(optimizer.get_slot(*order[i].first, order[i].second)->value(),
                              keras.at(npz_key("optimizer_", i + 1))))
          << order[i].first->name() << "/" << order[i].second;
  }
}

TEST_F(CheckpointTest, SaveNumbersCheckpointsAndLatestCheckpointFindsThem) {
  auto model = mlp(3);
  Checkpoint ckpt({{"model", model}});
  EXPECT_EQ(ckpt.save(path("ckpt")), path("ckpt-1"));
  EXPECT_EQ(ckpt.save(path("ckpt")), path("ckpt-2"));
  EXPECT_EQ(latest_checkpoint(dir_.string()), path("ckpt-2"));
  EXPECT_EQ(ckpt.save_counter()->value().item(), 2);
}

TEST_F(CheckpointTest, SaveWeightsAndLoadWeightsLikeKeras) {
  auto model = mlp(6);
  train_a_little(*model);
  model->save_weights(path("cp.ckpt"));
  EXPECT_TRUE(keys_of(path("cp.ckpt")).count("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  EXPECT_EQ(latest_checkpoint(dir_.string()), path("cp.ckpt"));
  auto fresh = mlp(6);
  LabeledData d = make_moons(8, 0.1, 3);
  EXPECT_FALSE(allclose(fresh->predict(d.x), model->predict(d.x)));
  fresh->load_weights(dir_.string());
  EXPECT_TRUE(equal_bytes(fresh->predict(d.x), model->predict(d.x)));
}

TEST_F(CheckpointTest, DuplicateOrReservedNamesAreRejected) {
  auto v = std::make_shared<Variable>("v", Tensor::scalar(1), false);
  EXPECT_THROW(Checkpoint({{"a", v}, {"a", v}}), InvalidArgument);
  EXPECT_THROW(Checkpoint({{"save_counter", v}}), InvalidArgument);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_F(CheckpointTest, RestoringIntoAnUnbuiltModelAppliesTheValuesWhenItIsBuilt) {
  auto trained = mlp(6);
  train_a_little(*trained);
  Checkpoint({{"model", trained}}).write(path("ck"));

  // No input shape: the layers have no weights until the first call.
  auto later = std::make_shared<Sequential>(std::vector<LayerPtr>{
      std::make_shared<Dense>(6, DenseOptions{.activation = "relu"}), std::make_shared<Dense>(2)});
  ASSERT_TRUE(later->weights().empty());
  RestoreStatus status = Checkpoint({{"model", later}}).restore(path("ck"));
  EXPECT_TRUE(status.unused_keys().empty());
  LabeledData d = make_moons(8, 0.1, 3);
  EXPECT_TRUE(equal_bytes(later->predict(d.x), trained->predict(d.x)));

  // A deferred value with the wrong shape fails when the layer is built, naming the key.
  auto wrong = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(7), std::make_shared<Dense>(2)});
  Checkpoint({{"model", wrong}}).restore(path("ck"));
  try {
    wrong->predict(d.x);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cairn
