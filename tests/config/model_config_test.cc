// Model configs: the real tf.keras file, Sequential and functional round trips (same predictions with the
// same weights), shared layers, nested models, Keras 3 layouts and errors.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/layers/activation.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/flatten.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/max_pooling2d.h"
#include "cairn/layers/merge.h"

namespace cairn {
namespace {

class ModelConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(3);
  }
};

std::string fixture_text() {
  std::ifstream in(std::string(CAIRN_FIXTURES_DIR) + "/keras_h5/kotlindl_lstm_model.json");
  EXPECT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  Tensor t(shape);
  for (float& v : t.span<float>()) v = gen.uniform(-1.f, 1.f);
  return t;
}

// Gives `to` the weights of `from` (same architecture, so the same weight order).
void copy_weights(const Model& from, const Model& to) {
  const auto source = from.weights(), target = to.weights();
  ASSERT_EQ(source.size(), target.size());
  for (size_t i = 0; i < source.size(); ++i) target[i]->assign(source[i]->value().clone());
}

TEST_F(ModelConfig, ReadsTheTfKerasLstmModel) {
  auto model = model_from_json(fixture_text());
  auto sequential = std::dynamic_pointer_cast<Sequential>(model);
  ASSERT_TRUE(sequential);
  EXPECT_EQ(model->name(), "sequential_1");
  EXPECT_EQ(model->built_input_shape(), (Shape{-1, 40, 41}));  // from the InputLayer's batch_input_shape

  const std::vector<LayerPtr> layers = model->layers();
  std::vector<std::string> classes;
  for (const auto& l : layers) classes.push_back(l->class_name());
  EXPECT_EQ(classes, (std::vector<std::string>{"LSTM", "Dropout", "LSTM", "Dropout", "LSTM", "Dropout", "Dense",
                                               "Activation"}));
  for (int i : {0, 2, 4}) {
    auto lstm = std::dynamic_pointer_cast<LSTM>(layers[i]);
    EXPECT_EQ(lstm->units(), 64);
    EXPECT_EQ(lstm->return_sequences(), i != 4);
    EXPECT_EQ(lstm->kernel()->shape(), (Shape{i == 0 ? 41 : 64, 256}));
    EXPECT_EQ(lstm->recurrent_kernel()->shape(), (Shape{64, 256}));
  }
  EXPECT_EQ(layers[0]->name(), "lstm_3");
  EXPECT_EQ(std::dynamic_pointer_cast<Dropout>(layers[1])->rate(), 0.2);
  EXPECT_EQ(std::dynamic_pointer_cast<Dense>(layers[6])->units(), 41);
  EXPECT_EQ(std::dynamic_pointer_cast<Activation>(layers[7])->activation(), "softmax");
  EXPECT_EQ(model->count_params(), 3 * 4 * 64 + 41 * 256 + 2 * 64 * 256 + 2 * 4 * 64 * 64 + 64 * 256 + 64 * 41 + 41);

  const Tensor y = model->predict(random_tensor({3, 40, 41}, 1));
  ASSERT_EQ(y.shape(), (Shape{3, 41}));
  for (int row = 0; row < 3; ++row) {
    double sum = 0;
    for (int c = 0; c < 41; ++c) sum += y.data<float>()[row * 41 + c];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

// Written again, the model gives tf.keras's JSON back, key for key (the LSTMs' copies of the model's
// batch_input_shape aside, which tf.keras writes for a layer given input_shape and cairn does not keep, and
// time_major: false, which Keras 3 refuses and tf.keras takes as its default).
TEST_F(ModelConfig, WritesTheTfKerasLstmModelBack) {
  Json expected = Json::parse(fixture_text());
  for (Json& layer : expected["config"]["layers"])
    if (layer["class_name"] == "LSTM") {
      layer["config"].erase("batch_input_shape");
      layer["config"].erase("time_major");
    }
  EXPECT_EQ(Json::parse(model_to_json(*model_from_json(fixture_text()))), expected);
}

TEST_F(ModelConfig, SequentialRoundTripPredictsBitIdentically) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{
          std::make_shared<Conv2D>(4, std::array<int, 2>{3, 3}, Conv2DOptions{.padding = "same", .activation = "relu"}),
          std::make_shared<MaxPooling2D>(),
          std::make_shared<Flatten>(),
          std::make_shared<Dense>(6, DenseOptions{.activation = "tanh"}),
          std::make_shared<Dropout>(0.5, 4),
          std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"}),
      },
      Shape{8, 8, 2}, "classifier");
  const Json config = model_config(*model);
  EXPECT_EQ(config["config"]["layers"][0].dump(),
            R"({"class_name":"InputLayer","config":{"batch_input_shape":[null,8,8,2],"dtype":"float32",)"
            R"("sparse":false,"ragged":false,"name":"conv2d_input"}})");

  auto back = model_from_config(config);
  EXPECT_EQ(model_config(*back), config);
  EXPECT_EQ(back->name(), "classifier");
  copy_weights(*model, *back);
  const Tensor x = random_tensor({5, 8, 8, 2}, 2);
  EXPECT_TRUE(equal_bytes(model->predict(x), back->predict(x)));

  // The compact text is Keras's to_json: the config plus the version stamps.
  const Json text = Json::parse(model_to_json(*model));
  EXPECT_EQ(text["keras_version"], kKerasVersion);
  EXPECT_EQ(text["backend"], "tensorflow");
  EXPECT_EQ(model_to_json(*model_from_json(model_to_json(*model, 2)), 2), model_to_json(*model, 2));
}

TEST_F(ModelConfig, UnbuiltSequentialHasNoInputLayer) {
  Sequential model({std::make_shared<Dense>(2)});
  const Json config = model_config(model);
  ASSERT_EQ(config["config"]["layers"].size(), 1u);
  auto back = model_from_config(config);
  EXPECT_FALSE(back->built());
  EXPECT_EQ(model_config(*back), config);
}

TEST_F(ModelConfig, FunctionalWithTwoInputsAndASharedLayerRoundTrips) {
  SymbolicTensor a = Input({4}, "a"), b = Input({4}, "b");
  auto shared = std::make_shared<Dense>(3, DenseOptions{.activation = "relu"});
  SymbolicTensor ha = (*shared)(a), hb = (*shared)(b);
  SymbolicTensor joined = (*std::make_shared<Concatenate>())(std::vector<SymbolicTensor>{ha, hb});
  SymbolicTensor summed = (*std::make_shared<Add>())(std::vector<SymbolicTensor>{ha, hb});
  SymbolicTensor both = (*std::make_shared<Concatenate>())(std::vector<SymbolicTensor>{joined, summed});
  SymbolicTensor out = (*std::make_shared<Dense>(2))(both);
  auto model = std::make_shared<Functional>(std::vector<SymbolicTensor>{a, b}, out, "two_inputs");

  const Json config = model_config(*model);
  EXPECT_EQ(config["class_name"], "Functional");
  const Json& layers = config["config"]["layers"];
  EXPECT_EQ(layers[0].dump(),
            R"({"class_name":"InputLayer","config":{"batch_input_shape":[null,4],"dtype":"float32","sparse":false,)"
            R"("ragged":false,"name":"a"},"name":"a","inbound_nodes":[]})");
  // The shared layer has two nodes, and the merge layers take its node 0 and node 1.
  const Json* dense = nullptr;
  const Json* add = nullptr;
  for (const Json& l : layers) {
    if (l["name"] == shared->name()) dense = &l;
    if (l["class_name"] == "Add") add = &l;
  }
  ASSERT_TRUE(dense && add);
  EXPECT_EQ((*dense)["inbound_nodes"].dump(), R"([[["a",0,0,{}]],[["b",0,0,{}]]])");
  EXPECT_EQ((*add)["inbound_nodes"].dump(), R"([[["dense",0,0,{}],["dense",1,0,{}]]])");
  EXPECT_EQ(config["config"]["input_layers"].dump(), R"([["a",0,0],["b",0,0]])");
  EXPECT_EQ(config["config"]["output_layers"].dump(), R"([["dense_1",0,0]])");

  auto back = model_from_config(config);
  EXPECT_EQ(model_config(*back), config);
  EXPECT_EQ(back->weights().size(), 4u);  // the shared Dense once, and the head
  copy_weights(*model, *back);
  const Tensor xa = random_tensor({6, 4}, 3), xb = random_tensor({6, 4}, 4);
  EXPECT_TRUE(equal_bytes((*model)(std::vector<Tensor>{xa, xb}), (*back)(std::vector<Tensor>{xa, xb})));
}

// A layer shared at two depths, A(B(A(x))): its second call needs a layer listed after it, so reading
// has to defer it (as Keras does).
TEST_F(ModelConfig, LayerSharedAtTwoDepthsRoundTrips) {
  SymbolicTensor x = Input({4});
  auto a = std::make_shared<Dense>(4, DenseOptions{.name = "a"});
  auto b = std::make_shared<Dense>(4, DenseOptions{.activation = "sigmoid", .name = "b"});
  auto model = std::make_shared<Functional>(x, (*a)((*b)((*a)(x))));
  const Json config = model_config(*model);
  EXPECT_EQ(config["config"]["layers"][1]["name"], "a");
  auto back = model_from_config(config);
  EXPECT_EQ(model_config(*back), config);
  copy_weights(*model, *back);
  const Tensor input = random_tensor({2, 4}, 5);
  EXPECT_TRUE(equal_bytes(model->predict(input), back->predict(input)));
}

TEST_F(ModelConfig, NestedSequentialCountsItsCallsFromOne) {
  auto inner = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(3)}, Shape{4}, "inner");
  SymbolicTensor x = Input({4}, "x");
  auto model = std::make_shared<Functional>(x, (*std::make_shared<Dense>(2))((*inner)(x)), "outer");
  const Json config = model_config(*model);
  const Json& head = config["config"]["layers"][2];
  EXPECT_EQ(config["config"]["layers"][1]["class_name"], "Sequential");
  EXPECT_EQ(head["inbound_nodes"].dump(), R"([[["inner",1,0,{}]]])");
  auto back = model_from_config(config);
  EXPECT_EQ(model_config(*back), config);
  copy_weights(*model, *back);
  const Tensor input = random_tensor({3, 4}, 6);
  EXPECT_TRUE(equal_bytes(model->predict(input), back->predict(input)));
}

TEST_F(ModelConfig, ReadsKeras3Functional) {
  const std::string json = R"({"module": "keras", "class_name": "Functional", "registered_name": null,
    "config": {"name": "functional", "trainable": true,
      "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": null, "name": "input_layer",
         "config": {"batch_shape": [null, 5], "dtype": "float32", "sparse": false, "name": "input_layer"},
         "inbound_nodes": []},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": null, "name": "dense",
         "build_config": {"input_shape": [null, 5]},
         "config": {"name": "dense", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                    "config": {"name": "float32"}, "registered_name": null}, "units": 4, "activation": "relu"},
         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 5],
                            "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]},
        {"module": "keras.layers", "class_name": "Concatenate", "registered_name": null, "name": "concatenate",
         "config": {"name": "concatenate", "trainable": true, "dtype": "float32", "axis": -1},
         "inbound_nodes": [{"args": [[
             {"class_name": "__keras_tensor__", "config": {"keras_history": ["dense", 0, 0]}},
             {"class_name": "__keras_tensor__", "config": {"keras_history": ["input_layer", 0, 0]}}]],
           "kwargs": {}}]}],
      "input_layers": ["input_layer", 0, 0],
      "output_layers": ["concatenate", 0, 0]},
    "build_config": {"input_shape": null}})";
  auto model = model_from_json(json);
  ASSERT_TRUE(std::dynamic_pointer_cast<Functional>(model));
  EXPECT_EQ(model->name(), "functional");
  EXPECT_EQ(model->predict(random_tensor({2, 5}, 7)).shape(), (Shape{2, 9}));
  // Written in Keras 2's layout.
  const Json written = model_config(*model);
  EXPECT_EQ(written["config"]["layers"][2]["inbound_nodes"].dump(),
            R"([[["dense",0,0,{}],["input_layer",0,0,{}]]])");
}

TEST_F(ModelConfig, ReadsKeras3SequentialAndKeras2Variants) {
  auto keras3 = model_from_json(R"({"module": "keras", "class_name": "Sequential", "config": {"name": "seq",
      "trainable": true, "dtype": "float32", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": null,
         "config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "name": "input_layer"}},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
         "config": {"name": "dense", "units": 2}, "build_config": {"input_shape": [null, 3]}}],
      "build_input_shape": [null, 3]}, "registered_name": null})");
  EXPECT_EQ(keras3->built_input_shape(), (Shape{-1, 3}));

  // Standalone Keras 2.0: the config is the list of layers, and the first carries the input shape.
  auto old = model_from_config(Json::parse(R"({"class_name": "Sequential", "config": [
      {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 7]}}]})"));
  EXPECT_EQ(old->built_input_shape(), (Shape{-1, 7}));

  // tf.keras before 2.4 names functional models "Model".
  auto model = model_from_config(Json::parse(R"({"class_name": "Model", "config": {"name": "m",
      "layers": [{"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
                  "config": {"batch_input_shape": [null, 2], "dtype": "float32", "name": "in"}},
                 {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 1},
                  "inbound_nodes": [[["in", 0, 0]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})"));
  EXPECT_EQ(model_config(*model)["class_name"], "Functional");
  EXPECT_EQ(model->predict(random_tensor({4, 2}, 8)).shape(), (Shape{4, 1}));
}

class Subclassed : public Model {
 public:
  Subclassed() : Model("custom") { dense_ = track("dense", std::make_shared<Dense>(2)); }

 protected:
  Tensor call(const Tensor& x, bool training) override { return (*dense_)(x, training); }

 private:
  std::shared_ptr<Dense> dense_;
};

TEST_F(ModelConfig, SubclassedModelHasNoConfig) {
  Subclassed model;
  try {
    model_to_json(model);
    FAIL() << "a subclassed model was written";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("subclassed"), std::string::npos) << e.what();
  }
}

std::string model_error(const std::string& json) {
  try {
    model_from_json(json);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

// Keras 3 writes a call's mask argument (mask=ops.not_equal(ids, 0)) as a NotEqual layer. cairn drops it only
// where its own mask for the layer's input is that same mask (Embedding(mask_zero) of the same ids).
std::string keras3_masked_lstm(const std::string& lstm_input, const std::string& compared) {
  auto tensor = [](const std::string& layer) {
    return R"({"class_name": "__keras_tensor__", "config": {"keras_history": [")" + layer + R"(", 0, 0]}})";
  };
  auto input = [](const std::string& name, const std::string& shape, const std::string& dtype) {
    return R"({"class_name": "InputLayer", "name": ")" + name + R"(", "inbound_nodes": [], "config": {"batch_shape": )" +
           shape + R"(, "dtype": ")" + dtype + R"(", "name": ")" + name + R"("}})";
  };
  return R"({"class_name": "Functional", "config": {"name": "f", "layers": [)" + input("ids", "[null, 4]", "int32") + ", " +
         input("other_ids", "[null, 4]", "int32") + ", " + input("series", "[null, 4, 2]", "float32") + R"(,
    {"class_name": "Embedding", "name": "embedding", "config": {"name": "embedding", "input_dim": 9, "output_dim": 2,
     "mask_zero": true}, "inbound_nodes": [{"args": [)" + tensor("ids") + R"(], "kwargs": {}}]},
    {"class_name": "NotEqual", "name": "not_equal", "config": {"name": "not_equal"},
     "inbound_nodes": [{"args": [)" + tensor(compared) + R"(, 0], "kwargs": {}}]},
    {"class_name": "LSTM", "name": "reader", "config": {"name": "reader", "units": 3},
     "inbound_nodes": [{"args": [)" + tensor(lstm_input) + R"(], "kwargs": {"mask": )" + tensor("not_equal") + R"(}}]}],
    "input_layers": [["ids", 0, 0], ["other_ids", 0, 0], ["series", 0, 0]], "output_layers": [["reader", 0, 0]]}})";
}

TEST_F(ModelConfig, Keras3MaskArgumentIsDroppedOnlyWhereCairnComputesTheSameMask) {
  auto model = model_from_json(keras3_masked_lstm("embedding", "ids"));
  // The mask is in effect: padding before or after the ids [3, 5] gives the same output.
  const Tensor others = Tensor::zeros({1, 4}, DType::Int32);
  const Tensor series = Tensor::zeros({1, 4, 2});
  auto run = [&](std::vector<int32_t> ids) {
    return model->call_outputs({Tensor::from_vector<int32_t>({1, 4}, ids), others, series}, false)[0].to_vector<float>();
  };
  const std::vector<float> trailing = run({3, 5, 0, 0}), leading = run({0, 0, 3, 5}), unpadded = run({3, 5, 2, 2});
  ASSERT_EQ(trailing.size(), 3u);
  for (size_t j = 0; j < 3; ++j) EXPECT_FLOAT_EQ(trailing[j], leading[j]);
  EXPECT_NE(trailing, unpadded);

  struct Case {
    std::string lstm_input, compared, carried;
  };
  for (const Case& c : {Case{"series", "ids", "none"}, Case{"embedding", "other_ids", "another one"}}) {
    SCOPED_TRACE(c.lstm_input + " masked by " + c.compared);
    try {
      model_from_json(keras3_masked_lstm(c.lstm_input, c.compared));
      ADD_FAILURE() << "expected a FormatError";
    } catch (const FormatError& e) {
      const std::string message = e.what();
      for (const std::string& part : {std::string("layer 'reader'"), std::string("explicit mask"),
                                      std::string("'not_equal'"), std::string("not supported"), c.carried})
        EXPECT_NE(message.find(part), std::string::npos) << message;
    }
  }
}

TEST_F(ModelConfig, ErrorsNameWhatCannotBeRead) {
  const std::string input = R"({"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
      "config": {"batch_input_shape": [null, 2], "name": "in"}})";
  auto functional = [&](const std::string& layers, const std::string& outputs) {
    return R"({"class_name": "Functional", "config": {"name": "f", "layers": [)" + input + layers +
           R"(], "input_layers": [["in", 0, 0]], "output_layers": )" + outputs + "}}";
  };
  const std::string dense = R"(, {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 1},
      "inbound_nodes": [[["in", 0, 0, {}]]]})";
  struct Case {
    std::string json;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"{not json", {"model JSON"}},
      {R"({"class_name": "MyModel", "config": {}})", {"Unknown model class: 'MyModel'"}},
      {functional(R"(, {"class_name": "Dense", "name": "d", "config": {"units": 1},
          "inbound_nodes": [[["nowhere", 0, 0, {}]]]})", R"([["d", 0, 0]])"),
       {"Functional 'f'", "layer 'd'", "'nowhere'"}},
      {functional(dense, R"([])"), {"Functional 'f'", "output_layers is empty"}},
      {functional(dense, R"([["d", 1, 0]])"), {"output_layers", "node 1 of 'd'"}},
      {R"({"class_name": "Functional", "config": {"name": "f", "layers": [)" + input + dense +
           R"(], "input_layers": [["in", 1, 0]], "output_layers": [["d", 0, 0]]}})",
       {"input_layers", "node 1 of 'in'", "never makes"}},
      {functional(dense, R"([["d", 0, 1]])"), {"output_layers", "tensor_index 1 of node 0 of 'd', which has 1 output"}},
      {functional(R"(, {"class_name": "Dropout", "name": "d", "config": {"rate": 0.5},
          "inbound_nodes": [[["in", 0, 0, {"training": true}]]]})", R"([["d", 0, 0]])"),
       {"training = true"}},
      // Keras 3's form of the same call (a Dropout kept on at inference); training=False is read.
      {functional(R"(, {"class_name": "Dropout", "name": "d", "config": {"rate": 0.5},
          "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 2],
          "dtype": "float32", "keras_history": ["in", 0, 0]}}], "kwargs": {"training": true}}]})", R"([["d", 0, 0]])"),
       {"training = true"}},
      {functional(R"(, {"class_name": "Dense", "name": "d", "config": {"units": 1},
          "inbound_nodes": [[["d", 0, 0, {}]]]})", R"([["d", 0, 0]])"),
       {"call 0 of layer 'd'", "never makes"}},
      {functional(R"(, {"class_name": "MyCell", "name": "g", "config": {"units": 1},
          "inbound_nodes": [[["in", 0, 0, {}]]]})", R"([["g", 0, 0]])"),
       {"Unknown layer: 'MyCell'"}},
      {functional(R"(, {"class_name": "Concatenate", "name": "c", "config": {"axis": -1},
          "inbound_nodes": [[["in", 0, 0, {}]]]})", R"([["c", 0, 0]])"),
       {"Functional 'f'", "layer 'c'", "Concatenate"}},
      {R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [32, 2]}}]}})",
       {"InputLayer", "batch_input_shape = [32,2]", "fixed batch size"}},
      {R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "sparse": true}}]}})",
       {"sparse = true"}},
      {R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "Dense", "config": {"units": 2}},
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2]}}]}})",
       {"Sequential 's'", "layers[1]"}},
      {R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2, 2]}},
          {"class_name": "LSTM", "config": {"units": 2}}, {"class_name": "Conv2D",
           "config": {"filters": 1, "kernel_size": 1}}]}})",
       {"Sequential 's'", "conv2d"}},
      {R"({"class_name": "Sequential", "config": {"name": "s", "layers": [], "optimizer": "adam"}})",
       {"Sequential", "unknown key \"optimizer\""}},
  };
  for (const Case& c : cases) {
    const std::string message = model_error(c.json);
    ASSERT_FALSE(message.empty()) << c.json;
    for (const std::string& part : c.expected) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

TEST_F(ModelConfig, DuplicateLayerNamesCannotBeWritten) {
  SymbolicTensor x = Input({2}, "x");
  auto first = std::make_shared<Dense>(2, DenseOptions{.name = "same"});
  auto second = std::make_shared<Dense>(2, DenseOptions{.name = "same"});
  Functional model(x, (*second)((*first)(x)));
  EXPECT_THROW(model_config(model), InvalidArgument);
}

}  // namespace
}  // namespace cairn
