// The layer contract: every registered layer class, case by case from tests/conformance/layers/ (what
// Keras 3 computes, made by tests/conformance/generate_layers.py), must
//   * read Keras 3's own config of the layer (with its build_config);
//   * compute Keras's forward pass in inference and in training, its gradients of a fixed objective with
//     respect to the inputs and every trainable weight, and its weights after one SGD step (moving
//     statistics included), within 1e-5 (max|got - want| / max(1, max|want|) per array);
//   * pass the numerical gradient check for the inputs and every trainable weight (central differences of
//     step 1e-3; |analytic - numeric| <= 2e-3 + 2e-2 |numeric|), in inference and, for layers that draw
//     no random numbers, in training;
//   * give the same config after a round trip through layer_config / layer_from_config, and the same
//     outputs with the same weights;
//   * come back with the same weights and outputs from every file format: TensorFlow checkpoint, tf.keras
//     .h5 weights, Keras 3 .weights.h5, whole-model .h5 and .keras, layer-path safetensors;
//   * differ between training and inference exactly when the case says so.
// A registered class without a case fails (RegistryIsCovered), as does a layer header that cairn/layers.h
// does not include, and a docs/keras_support.md that is not what the registry generates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cairn/cairn.h"
#include "cairn/config.h"
#include "cairn/npy.h"
#include "cairn/safetensors.h"
#include "gradient_check.h"
#include "temp_dir.h"

namespace cairn {
namespace {

const std::string kCases = std::string(CAIRN_SOURCE_DIR) + "/tests/conformance/layers";
constexpr double kTolerance = 1e-5;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const Json& index() {
  static const Json parsed = parse_json(read_text(kCases + "/index.json"), kCases + "/index.json");
  return parsed;
}

// max|got - want| / max(1, max|want|), as the conformance cases state their tolerance.
double scaled_error(const Tensor& got, const Tensor& want) {
  if (got.shape() != want.shape()) return INFINITY;
  const Tensor g = got.to(DType::Float64), w = want.to(DType::Float64);
  double worst = 0, scale = 1;
  for (int64_t i = 0; i < g.numel(); ++i) {
    worst = std::max(worst, std::abs(g.data<double>()[i] - w.data<double>()[i]));
    scale = std::max(scale, std::abs(w.data<double>()[i]));
  }
  return std::isnan(worst) ? INFINITY : worst / scale;
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  EXPECT_LE(scaled_error(got, want), kTolerance) << what;
}

void expect_equal_bits(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  EXPECT_TRUE(equal_bytes(got, want)) << what;
}

struct Case {
  Json entry;
  std::map<std::string, Tensor> arrays;

  std::string name() const { return entry["name"].get<std::string>(); }
  size_t inputs() const { return entry["inputs"].get<size_t>(); }
  bool has(const std::string& key) const { return arrays.count(key) > 0; }
  const Tensor& array(const std::string& key) const {
    auto it = arrays.find(key);
    if (it == arrays.end()) throw InvalidArgument(name() + ".npz has no array " + key);
    return it->second;
  }
  std::vector<Tensor> xs() const {
    std::vector<Tensor> out;
    for (size_t i = 0; i < inputs(); ++i) out.push_back(array("x" + std::to_string(i)).clone());
    return out;
  }
};

Case load_case(const Json& entry) {
  Case c{entry, {}};
  for (NamedTensor& named : load_npz(kCases + "/" + c.name() + ".npz")) c.arrays[named.name] = named.tensor;
  return c;
}

std::vector<std::string> all_cases() {
  std::vector<std::string> out;
  for (const Json& entry : index()["cases"]) out.push_back(entry["name"].get<std::string>());
  return out;
}

const Json& case_entry(const std::string& name) {
  for (const Json& entry : index()["cases"])
    if (entry["name"] == name) return entry;
  throw InvalidArgument("no case " + name);
}

Tensor call(Layer& layer, const std::vector<Tensor>& xs, bool training) {
  return xs.size() == 1 ? layer(xs[0], training) : layer(xs, training);
}

// The layer of the case, read from Keras 3's config, called once and given the case's weights.
LayerPtr make_layer(const Case& c) {
  LayerPtr layer = layer_from_config(c.entry["config"]);
  call(*layer, c.xs(), false);
  const std::vector<VariablePtr> weights = layer->weights();
  EXPECT_EQ(weights.size(), c.entry["weights"].size()) << "the layer's weights differ from Keras's";
  // Keras 3 names each variable by its tf.keras 2 path ("lstm/lstm_cell/kernel"): keras_weight_paths' names.
  // One exception: Keras 3 puts the wrapped layer's name in a TimeDistributed's paths
  // ("time_distributed/dense/kernel"), tf.keras 2 does not ("time_distributed/kernel").
  const std::vector<Layer::KerasWeightPath> paths = layer->keras_weight_paths();
  const auto* distributed = dynamic_cast<const TimeDistributed*>(layer.get());
  const std::string prefix = layer->name() + "/" + (distributed ? distributed->layer()->name() + "/" : "");
  for (size_t i = 0; i < weights.size() && i < c.entry["weight_paths"].size(); ++i) {
    // And Keras 3's ConvNeXt LayerScale adds its weight without a name ("variable"); tf-keras's is "gamma".
    const std::string keras3_path = c.entry["weight_paths"][i].get<std::string>();
    if (layer->class_name() != "LayerScale" || keras3_path != prefix + "variable")
      EXPECT_EQ(prefix + paths.at(i).keras2, keras3_path) << "weight " << i;
    weights[i]->assign(c.array("w" + std::to_string(i)));
  }
  return layer;
}

// A functional model around the layer, for the file formats.
std::shared_ptr<Functional> wrap(const LayerPtr& layer, const std::vector<Tensor>& xs) {
  std::vector<SymbolicTensor> inputs;
  for (const Tensor& x : xs) inputs.push_back(Input(Shape(x.shape().begin() + 1, x.shape().end())));
  SymbolicTensor output = inputs.size() == 1 ? (*layer)(inputs[0]) : (*layer)(inputs);
  return std::make_shared<Functional>(inputs, output);
}

class LayerContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    clear_session();
    c_ = load_case(case_entry(GetParam()));
  }
  Case c_;
};

TEST_P(LayerContract, ReadsKerasConfigAndMatchesKerasForward) {
  LayerPtr layer = make_layer(c_);
  EXPECT_EQ(layer->class_name(), c_.entry["class_name"].get<std::string>());
  expect_close(call(*layer, c_.xs(), false), c_.array("y_infer"), "inference output");
  if (c_.has("y_train")) expect_close(call(*make_layer(c_), c_.xs(), true), c_.array("y_train"), "training output");
}

TEST_P(LayerContract, MatchesKerasTrainingStep) {
  if (c_.entry["random_in_training"].get<bool>()) GTEST_SKIP() << "draws random numbers in training";
  LayerPtr layer = make_layer(c_);
  std::vector<Tensor> xs = c_.xs();
  const bool float_inputs = !c_.entry["int_inputs"].get<bool>();
  const std::vector<VariablePtr> trainable = layer->trainable_weights();
  std::vector<Tensor> sources;
  if (float_inputs) sources = xs;
  for (const VariablePtr& w : trainable) sources.push_back(w->value());
  std::vector<Tensor> grads;
  {
    GradientTape tape;
    for (const Tensor& x : sources) tape.watch(x);
    Tensor loss = ops::sum(ops::mul(call(*layer, xs, true), c_.array("r")));
    grads = tape.gradient(loss, sources);
  }
  size_t k = 0;
  if (float_inputs)
    for (size_t i = 0; i < xs.size(); ++i, ++k) expect_close(grads[k], c_.array("gx" + std::to_string(i)), "input gradient " + std::to_string(i));
  std::vector<Tensor> weight_grads(grads.begin() + static_cast<long>(k), grads.end());
  for (size_t i = 0; i < weight_grads.size(); ++i)
    expect_close(weight_grads[i], c_.array("gw" + std::to_string(i)), "gradient of " + trainable[i]->name());
  if (!trainable.empty()) SGD(0.1).apply_gradients(weight_grads, trainable);
  const std::vector<VariablePtr> weights = layer->weights();
  for (size_t i = 0; i < weights.size(); ++i)
    expect_close(weights[i]->value(), c_.array("after" + std::to_string(i)), "after the step: " + weights[i]->name());
}

TEST_P(LayerContract, GradientsMatchNumericalDifferences) {
  if (c_.entry["int_inputs"].get<bool>() && c_.entry["weights"].empty()) GTEST_SKIP() << "nothing differentiable";
  const bool deterministic = !c_.entry["random_in_training"].get<bool>();
  for (bool training : {false, true}) {
    if (training && !deterministic) continue;
    SCOPED_TRACE(training ? "training" : "inference");
    LayerPtr layer = make_layer(c_);
    std::vector<Tensor> xs = c_.xs();
    std::vector<Tensor> params;
    if (!c_.entry["int_inputs"].get<bool>()) params = xs;
    for (const VariablePtr& w : layer->trainable_weights()) params.push_back(w->value());
    // Training moves BatchNormalization's statistics at every call; the check compares calls with each other.
    const std::vector<VariablePtr> weights = layer->weights();
    std::vector<Tensor> saved;
    for (const VariablePtr& w : weights) saved.push_back(w->value().clone());
    testing::expect_gradients_match_in_place(
        [&] {
          for (size_t i = 0; i < weights.size(); ++i)
            if (!weights[i]->trainable()) weights[i]->assign(saved[i]);
          return call(*layer, xs, training);
        },
        params, 1e-3, 2e-2, 2e-3);
  }
}

TEST_P(LayerContract, ConfigRoundTrip) {
  LayerPtr layer = make_layer(c_);
  const Json config = layer_config(*layer);
  LayerPtr copy = layer_from_config(config);
  EXPECT_EQ(layer_config(*copy), config);
  call(*copy, c_.xs(), false);
  const std::vector<VariablePtr> a = layer->weights(), b = copy->weights();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) b[i]->assign(a[i]->value());
  expect_equal_bits(call(*copy, c_.xs(), false), call(*layer, c_.xs(), false), "output of the copy");
}

TEST_P(LayerContract, FileFormatsRoundTrip) {
  testing::TempDir dir;
  LayerPtr layer = make_layer(c_);
  const std::vector<Tensor> xs = c_.xs();
  std::shared_ptr<Functional> model = wrap(layer, xs);
  const Tensor want = xs.size() == 1 ? (*model)(xs[0]) : (*model)(xs);
  auto expect_same_model = [&](Model& loaded, const std::string& format) {
    SCOPED_TRACE(format);
    const std::vector<VariablePtr> a = model->weights(), b = loaded.weights();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) expect_equal_bits(b[i]->value(), a[i]->value(), a[i]->name());
    expect_equal_bits(xs.size() == 1 ? loaded(xs[0]) : loaded(xs), want, "output");
  };
  auto fresh = [&] {
    std::shared_ptr<Model> copy = model_from_config(model_config(*model));
    for (const VariablePtr& w : copy->weights()) w->assign(Tensor::zeros(w->shape(), w->dtype()));  // nothing left over
    return copy;
  };
  // Every format needs distinct places: (Keras 3 object, checkpoint name) and tf.keras 2 names.
  std::set<std::string> places, keras2_names;
  for (const Layer::KerasWeightPath& p : layer->keras_weight_paths()) {
    EXPECT_TRUE(places.insert(p.keras3 + "|" + p.checkpoint).second) << "two weights at " << p.keras3 << "/" << p.checkpoint;
    EXPECT_TRUE(keras2_names.insert(p.keras2).second) << "two weights named " << p.keras2;
  }
  for (const std::string& weights_file : {"ckpt/weights", "tf.h5", "keras3.weights.h5"}) {
    model->save_weights(dir / weights_file);
    std::shared_ptr<Model> copy = fresh();
    copy->load_weights(dir / weights_file);
    expect_same_model(*copy, weights_file);
  }
  for (const std::string& model_file : {"model.h5", "model.keras"}) {
    save_model(*model, dir / model_file);
    expect_same_model(*load_model(dir / model_file), model_file);
  }
  // Layer-path safetensors: every weight under "<layer>/<tf.keras 2 name>", the names distinct.
  std::vector<NamedTensor> named;
  const std::vector<Layer::KerasWeightPath> paths = layer->keras_weight_paths();
  ASSERT_EQ(paths.size(), layer->own_weights().size());
  for (size_t i = 0; i < paths.size(); ++i)
    named.push_back({layer->name() + "/" + paths[i].keras2, layer->own_weights()[i].second->value()});
  save_safetensors(dir / "weights.safetensors", named);
  std::shared_ptr<Model> copy = fresh();
  std::map<std::string, Tensor> by_name;
  for (NamedTensor& t : load_safetensors(dir / "weights.safetensors")) by_name[t.name] = t.tensor;
  ASSERT_EQ(by_name.size(), named.size()) << "two weights share a layer path";
  const LayerPtr copied = copy->layers().back();
  for (size_t i = 0; i < paths.size(); ++i)
    copied->own_weights()[i].second->assign(by_name.at(copied->name() + "/" + copied->keras_weight_paths()[i].keras2));
  expect_same_model(*copy, "safetensors");
}

TEST_P(LayerContract, TrainingAndInferenceModes) {
  LayerPtr layer = make_layer(c_);
  const Tensor inference = call(*layer, c_.xs(), false);
  std::vector<Tensor> before;
  for (const VariablePtr& w : layer->weights()) before.push_back(w->value().clone());
  const Tensor training = call(*layer, c_.xs(), true);
  const bool differs = scaled_error(training, inference) > 0;
  EXPECT_EQ(differs, c_.entry["training_differs"].get<bool>()) << "training and inference outputs";
  // Inference never changes a weight.
  call(*layer, c_.xs(), false);
  std::vector<Tensor> after_training;
  for (const VariablePtr& w : layer->weights()) after_training.push_back(w->value().clone());
  call(*layer, c_.xs(), false);
  for (size_t i = 0; i < layer->weights().size(); ++i)
    expect_equal_bits(layer->weights()[i]->value(), after_training[i], "after an inference call");
  // A layer that is not trainable runs as in inference, and its weights stay (Keras's BatchNormalization).
  LayerPtr frozen = make_layer(c_);
  frozen->set_trainable(false);
  if (!c_.entry["random_in_training"].get<bool>())
    expect_equal_bits(call(*frozen, c_.xs(), true), call(*frozen, c_.xs(), false), "frozen layer in training");
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Keras3, LayerContract, ::testing::ValuesIn(all_cases()), case_name);

TEST(LayerRegistry, EveryRegisteredClassHasContractCases) {
  std::set<std::string> covered;
  for (const Json& entry : index()["cases"]) covered.insert(entry["class_name"].get<std::string>());
  for (const std::string& class_name : builtin_layer_class_names())
    EXPECT_TRUE(covered.count(class_name))
        << class_name << " is registered but has no case in tests/conformance/generate_layers.py (CASES)";
}

TEST(LayerRegistry, LayersHeaderIncludesEveryLayerHeader) {
  const std::string all = read_text(std::string(CAIRN_SOURCE_DIR) + "/include/cairn/layers.h");
  for (const auto& file : std::filesystem::directory_iterator(std::string(CAIRN_SOURCE_DIR) + "/include/cairn/layers")) {
    const std::string include = "#include \"cairn/layers/" + file.path().filename().string() + "\"";
    EXPECT_NE(all.find(include), std::string::npos) << "include/cairn/layers.h lacks " << include;
  }
}

TEST(KerasSupport, DocumentIsUpToDate) {
  EXPECT_EQ(read_text(std::string(CAIRN_SOURCE_DIR) + "/docs/keras_support.md"), keras_support_markdown())
      << "docs/keras_support.md is out of date: build/tools/cairn keras-support > docs/keras_support.md";
}

TEST(KerasSupport, EveryRegisteredLayerIsMarkedSupported) {
  std::set<std::string> supported;
  for (const KerasSupportSection& section : keras_support_sections())
    if (section.title == "Layers")
      for (const KerasSupportRow& row : section.rows)
        if (row.supported) supported.insert(row.name);
  for (const std::string& class_name : builtin_layer_class_names()) EXPECT_TRUE(supported.count(class_name)) << class_name;
  EXPECT_EQ(keras_layer_unsupported_reason("Dense"), "");
  EXPECT_NE(keras_layer_unsupported_reason("Conv3D").find("volumetric"), std::string::npos);
}

}  // namespace
}  // namespace cairn
