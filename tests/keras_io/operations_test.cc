// Functional models that apply operations to tensors between their layers (cairn/layers/operation.h), as
// Keras 3 (keras.ops, .keras) and tf-keras 2 (tf.* functions, TFOpLambda in .h5) wrote them
// (tests/conformance/generate_operations.py): cairn predicts what Keras predicted within 1e-5, trains the
// same SGD step (gradients through the operations), writes them back in Keras 3's form, and refuses an
// operation it does not have by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "../expect_error.h"
#include "../temp_dir.h"
#include "cairn/config.h"
#include "cairn/keras_io.h"
#include "cairn/layers/operation.h"
#include "cairn/model.h"
#include "cairn/npy.h"
#include "cairn/optimizers.h"

namespace cairn {
namespace {

const std::string kFixtures = std::string(CAIRN_FIXTURES_DIR) + "/";

std::map<std::string, Tensor> load_arrays(const std::string& path) {
  std::map<std::string, Tensor> arrays;
  for (NamedTensor& array : load_npz(path)) arrays.emplace(array.name, std::move(array.tensor));
  return arrays;
}

void expect_near(const Tensor& got, const Tensor& want, double tolerance = 1e-5) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], tolerance) << "element " << i;
}

std::vector<std::shared_ptr<Operation>> operations_of(const Model& model) {
  std::vector<std::shared_ptr<Operation>> ops;
  for (const LayerPtr& layer : model.layers())
    if (auto op = std::dynamic_pointer_cast<Operation>(layer)) ops.push_back(op);
  return ops;
}

struct Fixture {
  std::string file;                 // under tests/fixtures/
  std::vector<std::string> inputs;  // the npz's input arrays, in the model's input order
};

class OperationFixtures : public ::testing::TestWithParam<Fixture> {
 protected:
  Arrays inputs(const std::map<std::string, Tensor>& arrays) const {
    std::vector<Tensor> xs;
    for (const std::string& name : GetParam().inputs) xs.push_back(arrays.at(name));
    return Arrays(xs);
  }
  std::string base() const {
    const std::string& file = GetParam().file;
    return kFixtures + file.substr(0, file.rfind('.'));
  }
};

TEST_P(OperationFixtures, PredictsAsKeras) {
  const std::map<std::string, Tensor> arrays = load_arrays(base() + ".npz");
  const std::shared_ptr<Model> model = load_model(kFixtures + GetParam().file);
  EXPECT_GE(operations_of(*model).size(), 10u);
  expect_near(model->predict(inputs(arrays)), arrays.at("predictions"));
}

// One SGD(0.1) step on the mean squared error: the gradients reach the Dense layers before the
// operations only through them.
TEST_P(OperationFixtures, TrainsTheSameStepAsKeras) {
  const std::map<std::string, Tensor> arrays = load_arrays(base() + ".npz");
  const std::shared_ptr<Model> model = load_model(kFixtures + GetParam().file);
  model->compile({.optimizer = std::make_shared<SGD>(0.1), .loss = "mse"});
  model->train_on_batch(inputs(arrays), arrays.at("targets"));
  expect_near(model->predict(inputs(arrays)), arrays.at("trained_predictions"));
}

// cairn writes the operations in Keras 3's form (checked against Keras 3 by generate_operations.py
// --check) and reads its own file back to the same model.
TEST_P(OperationFixtures, RoundTripsThroughKeras3Files) {
  const std::map<std::string, Tensor> arrays = load_arrays(base() + ".npz");
  const std::shared_ptr<Model> model = load_model(kFixtures + GetParam().file);
  testing::TempDir dir;
  save_model(*model, dir / "model.keras");
  const std::shared_ptr<Model> again = load_model(dir / "model.keras");
  EXPECT_EQ(operations_of(*again).size(), operations_of(*model).size());
  expect_near(again->predict(inputs(arrays)), arrays.at("predictions"));
  const Json config = model_config(*model);
  size_t written = 0;
  for (const Json& entry : config["config"]["layers"])
    if (entry.value("module", "").rfind("keras.src.ops.", 0) == 0) {
      ++written;
      ASSERT_EQ(entry["inbound_nodes"].size(), 1u);
      EXPECT_TRUE(entry["inbound_nodes"][0].contains("args"));
    }
  EXPECT_EQ(written, operations_of(*model).size());
}

const Fixture kFixtureFiles[] = {{"keras3/operations_arithmetic.keras", {"x"}},
                                  {"keras3/operations_attention.keras", {"seq", "ids"}},
                                  {"keras_h5/operations_tf_keras.h5", {"x"}}};

std::string fixture_name(const ::testing::TestParamInfo<Fixture>& info) {
  const std::string& f = info.param.file;
  const size_t slash = f.rfind('/');
  return f.substr(slash + 1, f.rfind('.') - slash - 1);
}

INSTANTIATE_TEST_SUITE_P(Keras, OperationFixtures, ::testing::ValuesIn(kFixtureFiles), fixture_name);

// A functional config of Input((3,)) -> Dense(2) -> `entry`, the entry being the output.
Json config_with(Json entry, bool tf_keras) {
  Json input = {{"class_name", "InputLayer"},
                {"config", {{"batch_input_shape", {nullptr, 3}}, {"dtype", "float32"}, {"name", "x"}}},
                {"name", "x"},
                {"inbound_nodes", Json::array()}};
  Json dense = {{"class_name", "Dense"},
                {"config", {{"name", "dense"}, {"units", 2}, {"kernel_initializer", "ones"}}},
                {"name", "dense"},
                {"inbound_nodes", tf_keras ? Json::parse(R"([[["x", 0, 0, {}]]])")
                                           : Json::parse(R"([{"args": [{"class_name": "__keras_tensor__",
                                               "config": {"shape": [null, 3], "dtype": "float32",
                                               "keras_history": ["x", 0, 0]}}], "kwargs": {}}])")}};
  const std::string name = entry["name"].get<std::string>();
  return {{"class_name", "Functional"},
          {"config", {{"name", "m"},
                      {"layers", {input, dense, entry}},
                      {"input_layers", {{"x", 0, 0}}},
                      {"output_layers", {{name, 0, 0}}}}}};
}

const Json kDenseTensor = Json::parse(
    R"({"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "keras_history": ["dense", 0, 0]}})");

// Keras 3's `2.0 - dense` is numpy's Subtract with the constant first, not the Subtract layer.
TEST(Operations, Keras3ConstantsAmongTheArgs) {
  Json op = {{"module", "keras.src.ops.numpy"},
             {"class_name", "Subtract"},
             {"config", {{"name", "subtract"}}},
             {"registered_name", "Subtract"},
             {"name", "subtract"},
             {"inbound_nodes", {{{"args", {2.0, kDenseTensor}}, {"kwargs", Json::object()}}}}};
  const std::shared_ptr<Model> model = model_from_config(config_with(op, false));
  const auto subtract = std::dynamic_pointer_cast<Operation>(model->get_layer("subtract"));
  ASSERT_TRUE(subtract);
  EXPECT_EQ(subtract->keras_name(), "keras.src.ops.numpy.Subtract");
  // Dense of ones: each output is the sum of the inputs, 6; 2 - 6 = -4.
  expect_near(model->predict(Tensor::from_values({1, 3}, {1, 2, 3})), Tensor::from_values({1, 2}, {-4, -4}));
}

// tf-keras's `2.0 / dense` (TFOpLambda of math.truediv with the constant first) and its kwargs.
TEST(Operations, TfKerasConstantFirstArgumentAndKwargs) {
  Json op = {{"class_name", "TFOpLambda"},
             {"config", {{"name", "tf.math.truediv"}, {"trainable", true}, {"dtype", "float32"},
                         {"function", "math.truediv"}}},
             {"name", "tf.math.truediv"},
             {"inbound_nodes", Json::parse(R"([["_CONSTANT_VALUE", -1, 3.0, {"y": ["dense", 0, 0], "name": null}]])")}};
  const std::shared_ptr<Model> model = model_from_config(config_with(op, true));
  expect_near(model->predict(Tensor::from_values({1, 3}, {1, 2, 3})), Tensor::from_values({1, 2}, {0.5, 0.5}));

  Json slicing = {{"class_name", "SlicingOpLambda"},
                  {"config", {{"name", "tf.__operators__.getitem"}, {"trainable", true}, {"dtype", "float32"},
                              {"function", "__operators__.getitem"}}},
                  {"name", "tf.__operators__.getitem"},
                  {"inbound_nodes", Json::parse(R"([["dense", 0, 0, {"slice_spec": [{"start": null, "stop": null,
                      "step": null}, {"start": 1, "stop": null, "step": null}], "var": null}]])")}};
  const std::shared_ptr<Model> sliced = model_from_config(config_with(slicing, true));
  EXPECT_EQ(sliced->predict(Tensor::from_values({1, 3}, {1, 2, 3})).shape(), (Shape{1, 1}));
}

// An operation outside the table is refused by its name, in both forms; so is an argument it lacks.
TEST(Operations, UnknownOperationsAreRefusedByName) {
  Json einsum = {{"module", "keras.src.ops.numpy"},
                 {"class_name", "Einsum"},
                 {"config", {{"name", "einsum"}, {"subscripts", "ij->ji"}}},
                 {"name", "einsum"},
                 {"inbound_nodes", {{{"args", {kDenseTensor}}, {"kwargs", Json::object()}}}}};
  testing::expect_error_mentioning<FormatError>([&] { model_from_config(config_with(einsum, false)); },
                                               {"keras.src.ops.numpy.Einsum is a Keras operation cairn does not implement"});
  Json bessel = {{"class_name", "TFOpLambda"},
                 {"config", {{"name", "tf.math.bessel_i0"}, {"function", "math.bessel_i0"}}},
                 {"name", "tf.math.bessel_i0"},
                 {"inbound_nodes", Json::parse(R"([["dense", 0, 0, {"name": null}]])")}};
  testing::expect_error_mentioning<FormatError>([&] { model_from_config(config_with(bessel, true)); },
                                               {"tf.math.bessel_i0 (a TFOpLambda layer) is a TensorFlow operation cairn does not implement"});
  Json mean = {{"module", "keras.src.ops.numpy"},
               {"class_name", "Mean"},
               {"config", {{"name", "mean"}, {"axis", 1}, {"keepdims", false}, {"where", nullptr}}},
               {"name", "mean"},
               {"inbound_nodes", {{{"args", {kDenseTensor}}, {"kwargs", Json::object()}}}}};
  testing::expect_error_mentioning<FormatError>([&] { model_from_config(config_with(mean, false)); },
                                               {"where"});
}

OperationValue slice_of(std::optional<int64_t> start, std::optional<int64_t> stop) {
  OperationValue v;
  v.kind = OperationValue::Kind::Slice;
  v.items = {start ? OperationValue::of_int(*start) : OperationValue::none(),
             stop ? OperationValue::of_int(*stop) : OperationValue::none(), OperationValue::none()};
  return v;
}

// numpy's basic indexing: x[..., -1], x[:, None, 1:], x[0] (the batch axis too), on a (2, 3, 4) tensor.
TEST(Operations, GetItemIndexesAsNumpy) {
  const OperationSpec& get_item = *find_operation("keras.src.ops.numpy", "GetItem");
  Tensor x = Tensor::zeros({2, 3, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i);
  OperationValue ellipsis;
  ellipsis.kind = OperationValue::Kind::Ellipsis;
  auto index = [&](OperationValue key) {
    auto op = std::make_shared<Operation>(get_item, std::map<std::string, OperationValue>{
                                                        {"x", OperationValue::of_tensor(0)}, {"key", std::move(key)}}, 1);
    return (*op)(x);
  };
  const Tensor last = index(OperationValue::of_list({ellipsis, OperationValue::of_int(-1)}));
  ASSERT_EQ(last.shape(), (Shape{2, 3}));
  EXPECT_EQ(last.get({1, 2}), 23);
  const Tensor widened = index(OperationValue::of_list({slice_of({}, {}), OperationValue::none(), slice_of(1, {})}));
  ASSERT_EQ(widened.shape(), (Shape{2, 1, 2, 4}));
  EXPECT_EQ(widened.get({1, 0, 0, 0}), 16);
  const Tensor first = index(OperationValue::of_int(0));
  ASSERT_EQ(first.shape(), (Shape{3, 4}));
  EXPECT_EQ(first.get({2, 3}), 11);
  EXPECT_THROW(index(OperationValue::of_list({slice_of({}, {}), OperationValue::of_int(3)})), InvalidArgument);
}

// squeeze(x) with no axis removes the axes of size 1 in the model's shape, never the batch axis, even
// for a batch of one.
TEST(Operations, SqueezeWithoutAxisKeepsTheBatchAxis) {
  auto squeeze = std::make_shared<Operation>(*find_operation("keras.src.ops.numpy", "Squeeze"),
                                             std::map<std::string, OperationValue>{{"x", OperationValue::of_tensor(0)}}, 1);
  SymbolicTensor input = Input({1, 3});
  SymbolicTensor output = (*squeeze)(input);
  EXPECT_EQ(output.shape(), (Shape{-1, 3}));
  Functional model(input, output);
  EXPECT_EQ(model.predict(Tensor::zeros({1, 1, 3})).shape(), (Shape{1, 3}));
}

// Arguments a hostile file could give: refused before anything is read out of range or allocated.
TEST(Operations, OutOfRangeArgumentsAreRefusedBeforeTheyAct) {
  auto call = [](const char* name, std::map<std::string, OperationValue> args) {
    args.emplace("x", OperationValue::of_tensor(0));
    auto op = std::make_shared<Operation>(*find_operation("keras.src.ops.numpy", name), std::move(args), 1);
    return (*op)(Tensor::zeros({2, 3}));
  };
  EXPECT_EQ(call("ExpandDims", {{"axis", OperationValue::of_list({OperationValue::of_int(1), OperationValue::of_int(3)})}})
                .shape(),
            (Shape{2, 1, 3, 1}));
  testing::expect_error_mentioning<InvalidArgument>(
      [&] { call("ExpandDims", {{"axis", OperationValue::of_list({OperationValue::of_int(1), OperationValue::of_int(1)})}}); },
      {"repeats axis 1"});
  testing::expect_error_mentioning<InvalidArgument>(
      [&] { call("ExpandDims", {{"axis", OperationValue::of_int((int64_t{1} << 32) + 1)}}); }, {"out of range"});
  EXPECT_EQ(call("Tile", {{"repeats", OperationValue::of_list({OperationValue::of_int(2), OperationValue::of_int(1)})}})
                .shape(),
            (Shape{4, 3}));
  testing::expect_error_mentioning<InvalidArgument>(
      [&] { call("Tile", {{"repeats", OperationValue::of_list({OperationValue::of_int(1), OperationValue::of_int(2147483647)})}}); },
      {"2^31 elements"});
}

// Every tf-keras function maps onto an entry of the table, with parameters the entry has.
TEST(Operations, EveryTfAliasNamesAnEntry) {
  for (const TfOperationAlias& alias : tf_operation_aliases()) {
    const OperationSpec* spec = find_operation_class(alias.keras3_class);
    ASSERT_TRUE(spec) << alias.function;
    for (const auto& [tf_name, parameter] : alias.parameters) {
      if (parameter.empty()) continue;
      bool known = std::find(spec->call_parameters.begin(), spec->call_parameters.end(), parameter) !=
                   spec->call_parameters.end();
      for (const auto& p : spec->config_parameters) known = known || p.name == parameter;
      EXPECT_TRUE(known) << alias.function << "'s " << tf_name << " -> " << parameter;
    }
  }
}

}  // namespace
}  // namespace cairn
