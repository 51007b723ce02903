// Files real Keras versions wrote (tests/fixtures/keras_h5), and the layouts of Keras 3's legacy h5
// writer (variable-length string lists, weight names without ":0", the learning rate in the optimizer).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/keras_io.h"
#include "cairn/npy.h"
#include "keras_io/hdf5.h"
#include "keras_io/test_models.h"
#include "temp_dir.h"

namespace cairn {
namespace {

std::string fixture(const std::string& name) { return std::string(CAIRN_FIXTURES_DIR) + "/keras_h5/" + name; }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Tensor npz_array(const std::vector<NamedTensor>& arrays, const std::string& name) {
  for (const NamedTensor& a : arrays)
    if (a.name == name) return a.tensor;
  ADD_FAILURE() << "no array " << name;
  return {};
}

class Fixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(5);
  }
  testing::TempDir dir_;
};

// A tf.keras 2.2.4 whole model with a stateful GRU, whose input fixes the batch size (1): refused by name.
TEST_F(Fixtures, StatefulGruModelIsRefusedByName) {
  const std::string path = fixture("frugally_deep_temp_stateful_tfkeras224.h5");
  try {
    load_model(path);
    FAIL() << "expected a FormatError";
  } catch (const FormatError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("InputLayer 'input_1': batch_input_shape = [1,3,1] is not supported"), std::string::npos)
        << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
  }
}

// kotlindl's tf.keras 2.4 LSTM: model_from_json + load_weights (by layer order: the file's layer names
// differ from the JSON's) predicts what the independent NumPy forward pass of lstm_reference.py does.
TEST_F(Fixtures, KotlindlLstmMatchesNumpyReference) {
  auto model = model_from_json(read_text(fixture("kotlindl_lstm_model.json")));
  model->load_weights(fixture("kotlindl_lstm_weights_only.h5"));
  const auto reference =
      load_npz(std::string(CAIRN_SOURCE_DIR) + "/tests/keras_io/testdata/kotlindl_lstm_reference.npz");
  const Tensor x = npz_array(reference, "x");
  const Tensor expected = npz_array(reference, "y");
  ASSERT_EQ(x.shape(), (Shape{2, 40, 41}));
  const Tensor y = model->predict(x);
  ASSERT_EQ(y.shape(), expected.shape());
  EXPECT_LT(max_abs_diff(y.to(DType::Float64), expected), 1e-5);
  // Not a coincidence of near-uniform outputs: the reference puts 0.85 on its top class.
  EXPECT_GT(expected.get({0, 0}), 0.8);
}

// by_name matches nothing in that file (lstm_9... against lstm_3...), so nothing changes.
TEST_F(Fixtures, KotlindlByNameMatchesNoLayer) {
  auto model = model_from_json(read_text(fixture("kotlindl_lstm_model.json")));
  std::vector<Tensor> before;
  for (const VariablePtr& w : model->weights()) before.push_back(w->value().clone());
  model->load_weights(fixture("kotlindl_lstm_weights_only.h5"), {.by_name = true});
  const auto after = model->weights();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(equal_bytes(before[i], after[i]->value()));
}

// ---- Keras 3's legacy h5 writer, reproduced with the HDF5 C API: string lists as variable-length
// strings, weight names without ":0" and nested under the model's name, and optimizer variables
// "adam/iteration", "adam/learning_rate", then momentum and velocity per variable.

void set_vlen_string_list(const h5::Group& group, const std::string& name, const std::vector<std::string>& values) {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const hsize_t dims[1] = {values.size()};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t attribute = H5Acreate2(group.id(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<const char*> pointers;
  for (const std::string& v : values) pointers.push_back(v.c_str());
  EXPECT_GE(H5Awrite(attribute, type, pointers.data()), 0);
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
}

Tensor filled(const Shape& shape, float start) {
  Tensor t(shape);
  float v = start;
  for (float& x : t.span<float>()) x = (v += 0.25f);
  return t;
}

TEST_F(Fixtures, ReadsKeras3LegacyH5) {
  auto source = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(4, DenseOptions{.name = "dense"}),
                            std::make_shared<Dense>(2, DenseOptions{.name = "dense_1"})},
      Shape{3}, "sequential");
  const Json config = model_config(*source);
  const std::string path = dir_ / "keras3_legacy.h5";
  const std::vector<std::pair<std::string, Shape>> weights = {
      {"sequential/dense/kernel", {3, 4}}, {"sequential/dense/bias", {4}},
      {"sequential/dense_1/kernel", {4, 2}}, {"sequential/dense_1/bias", {2}}};
  {
    auto lock = h5::lock();
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    root.set_string_attribute("keras_version", "3.11.3");
    root.set_string_attribute("backend", "tensorflow");
    root.set_string_attribute("model_config", config.dump());
    root.set_string_attribute(
        "training_config",
        R"({"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam",
            "learning_rate": 0.004, "weight_decay": null, "clipnorm": null, "global_clipnorm": null,
            "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null,
            "loss_scale_factor": null, "gradient_accumulation_steps": null, "beta_1": 0.9, "beta_2": 0.999,
            "epsilon": 1e-07, "amsgrad": false}, "registered_name": null},
            "loss": "sparse_categorical_crossentropy", "loss_weights": null, "metrics": ["accuracy"],
            "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false})");
    h5::Group model_weights = root.create_group("model_weights");
    set_vlen_string_list(model_weights, "layer_names", {"dense", "dense_1"});
    for (int layer = 0; layer < 2; ++layer) {
      h5::Group group = model_weights.create_group(layer == 0 ? "dense" : "dense_1");
      set_vlen_string_list(group, "weight_names", {weights[2 * layer].first, weights[2 * layer + 1].first});
      for (int k = 0; k < 2; ++k) {
        const auto& [name, shape] = weights[2 * layer + k];
        group.write_dataset(name, filled(shape, static_cast<float>(2 * layer + k)));
      }
    }
    root.create_group("top_level_model_weights");  // Keras 3 writes it; readers skip it
    std::vector<std::string> optimizer_names = {"adam/iteration", "adam/learning_rate"};
    h5::Group optimizer = root.create_group("optimizer_weights");
    optimizer.write_dataset("adam/iteration", Tensor::from_vector<int64_t>({}, {17}));
    optimizer.write_dataset("adam/learning_rate", Tensor::scalar(0.002));
    for (size_t i = 0; i < weights.size(); ++i) {
      std::string flat = weights[i].first;
      std::replace(flat.begin(), flat.end(), '/', '_');
      for (const char* slot : {"momentum", "velocity"}) {
        optimizer_names.push_back("adam/" + flat + "_" + slot);
        optimizer.write_dataset(optimizer_names.back(), filled(weights[i].second, 10.f * static_cast<float>(i) +
                                                                                     (slot[0] == 'm' ? 1.f : 5.f)));
      }
    }
    set_vlen_string_list(optimizer, "weight_names", optimizer_names);
    const std::vector<uint8_t> bytes = file.image();
    write_file_atomically(Env::Default(), path,
                          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  auto model = load_model(path);
  ASSERT_TRUE(model->compiled());
  const auto model_weights = model->weights();
  ASSERT_EQ(model_weights.size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(equal_bytes(model_weights[i]->value(), filled(weights[i].second, static_cast<float>(i)))) << i;
  const Optimizer& optimizer = model->optimizer();
  EXPECT_EQ(optimizer.class_name(), "Adam");
  EXPECT_EQ(optimizer.iteration_count(), 17);
  EXPECT_EQ(optimizer.learning_rate(), static_cast<double>(0.002f));  // the variable's, not the config's
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(equal_bytes(optimizer.get_slot(*model_weights[i], "m")->value(),
                            filled(weights[i].second, 10.f * static_cast<float>(i) + 1.f)));
    EXPECT_TRUE(equal_bytes(optimizer.get_slot(*model_weights[i], "v")->value(),
                            filled(weights[i].second, 10.f * static_cast<float>(i) + 5.f)));
  }
}

// tf-keras 2.11+ names the slots "Adam/m/<layer>/<weight>:0", m and v variable by variable, and its SGD
// keeps an "m" slot even without momentum; optimizer state that fits nothing is skipped with Keras's
// warning while the model loads.
TEST_F(Fixtures, ReadsTfKerasOptimizerSlotsByNameAndSkipsStateThatDoesNotFit) {
  auto source = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(2, DenseOptions{.name = "dense"})}, Shape{3}, "sequential");
  const std::vector<std::pair<std::string, Shape>> weights = {{"dense/kernel", {3, 2}}, {"dense/bias", {2}}};
  auto write = [&](const std::string& path, const std::string& optimizer_config,
                   const std::vector<std::string>& slot_names) {
    auto lock = h5::lock();
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    root.set_string_attribute("model_config", model_config(*source).dump());
    root.set_string_attribute("training_config", R"({"loss": "mse", "metrics": [], "optimizer_config": )" +
                                                     optimizer_config + "}");
    h5::Group model_weights = root.create_group("model_weights");
    set_vlen_string_list(model_weights, "layer_names", {"dense"});
    h5::Group layer = model_weights.create_group("dense");
    set_vlen_string_list(layer, "weight_names", {"dense/kernel:0", "dense/bias:0"});
    for (size_t i = 0; i < weights.size(); ++i) layer.write_dataset(weights[i].first + ":0", filled(weights[i].second, i));
    h5::Group optimizer = root.create_group("optimizer_weights");
    std::vector<std::string> names = {"iteration:0"};
    optimizer.write_dataset("iteration:0", Tensor::from_vector<int64_t>({}, {4}));
    for (const auto& [weight, shape] : weights)
      for (const std::string& slot : slot_names) {
        names.push_back(slot + "/" + weight + ":0");
        optimizer.write_dataset(names.back(), filled(shape, slot.back() == 'v' ? 20.f : 10.f));
      }
    set_vlen_string_list(optimizer, "weight_names", names);
    const std::vector<uint8_t> bytes = file.image();
    write_file_atomically(Env::Default(), path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  };

  const std::string adam_path = dir_ / "adam.h5";
  write(adam_path, R"({"class_name": "Adam", "config": {"learning_rate": 0.01, "is_legacy_optimizer": false}})",
        {"Adam/m", "Adam/v"});
  auto adam = load_model(adam_path);
  const auto adam_weights = adam->weights();
  EXPECT_EQ(adam->optimizer().iteration_count(), 4);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(equal_bytes(adam->optimizer().get_slot(*adam_weights[i], "m")->value(), filled(weights[i].second, 10.f)));
    EXPECT_TRUE(equal_bytes(adam->optimizer().get_slot(*adam_weights[i], "v")->value(), filled(weights[i].second, 20.f)));
  }

  const std::string sgd_path = dir_ / "sgd.h5";
  write(sgd_path, R"({"class_name": "SGD", "config": {"learning_rate": 0.01, "momentum": 0.0}})", {"SGD/m"});
  EXPECT_EQ(load_model(sgd_path)->optimizer().iteration_count(), 4);  // the inert slots are left out

  // Adam's slots for an RMSprop: the weights load, the optimizer starts afresh, and stderr says why.
  const std::string mismatch_path = dir_ / "mismatch.h5";
  write(mismatch_path, R"({"class_name": "RMSprop", "config": {"learning_rate": 0.01}})", {"Adam/m", "Adam/v"});
  ::testing::internal::CaptureStderr();
  auto rmsprop = load_model(mismatch_path);
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("Skipping loading optimizer state"), std::string::npos) << warning;
  EXPECT_EQ(rmsprop->optimizer().iteration_count(), 0);
  EXPECT_TRUE(equal_bytes(rmsprop->weights()[0]->value(), filled(weights[0].second, 0)));
}

// tf-keras 2.15 on Windows joined the group names before "vars" with backslashes: layers\dense/vars/0.
TEST_F(Fixtures, ReadsKeras3WeightsWithWindowsSeparators) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(4), std::make_shared<Dense>(2)}, Shape{3});
  const std::string path = dir_ / "windows.weights.h5";
  {
    auto lock = h5::lock();
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    root.create_group("vars");
    const std::vector<std::pair<std::string, Shape>> weights = {
        {"layers\\dense/vars/0", {3, 4}}, {"layers\\dense/vars/1", {4}},
        {"layers\\dense_1/vars/0", {4, 2}}, {"layers\\dense_1/vars/1", {2}}};
    for (size_t i = 0; i < weights.size(); ++i)
      root.write_dataset(weights[i].first, filled(weights[i].second, static_cast<float>(i)));
    EXPECT_FALSE(root.has("layers"));
    const std::vector<uint8_t> bytes = file.image();
    write_file_atomically(Env::Default(), path,
                          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  model->load_weights(path);
  const auto loaded = model->weights();
  const std::vector<Shape> shapes = {{3, 4}, {4}, {4, 2}, {2}};
  for (size_t i = 0; i < loaded.size(); ++i)
    EXPECT_TRUE(equal_bytes(loaded[i]->value(), filled(shapes[i], static_cast<float>(i)))) << i;
}

}  // namespace
}  // namespace cairn
