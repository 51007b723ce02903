// Layer configs: Keras's exact keys and values, round trips for every layer and option set, Keras 3
// variants, the registry, and errors that name the layer, the key and the value.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/layers/activation.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/flatten.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/max_pooling2d.h"
#include "cairn/layers/merge.h"
#include "cairn/ops.h"

namespace cairn {
namespace {

class LayerConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(1);
  }
};

Json read_fixture_json() {
  std::ifstream in(std::string(CAIRN_FIXTURES_DIR) + "/keras_h5/kotlindl_lstm_model.json");
  EXPECT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

// The FormatError message of reading `config`, or "" if it reads.
std::string read_error(const Json& config) {
  try {
    layer_from_config(config);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

TEST_F(LayerConfig, DenseConfigIsKerasExactly) {
  Dense dense(41);
  EXPECT_EQ(layer_config(dense).dump(),
            R"({"class_name":"Dense","config":{"name":"dense","trainable":true,"dtype":"float32","units":41,)"
            R"("activation":"linear","use_bias":true,"kernel_initializer":{"class_name":"GlorotUniform",)"
            R"("config":{"seed":null}},"bias_initializer":{"class_name":"Zeros","config":{}},)"
            R"("kernel_regularizer":null,"bias_regularizer":null,"activity_regularizer":null,)"
            R"("kernel_constraint":null,"bias_constraint":null}})");
}

TEST_F(LayerConfig, ConvPoolAndEmbeddingConfigsHaveKerasKeys) {
  Conv2D conv(8, {3, 5}, {.strides = {2, 1}, .padding = "SAME", .activation = "relu"});
  const Json c = layer_config(conv)["config"];
  EXPECT_EQ(c["kernel_size"], Json::array({3, 5}));
  EXPECT_EQ(c["strides"], Json::array({2, 1}));
  EXPECT_EQ(c["padding"], "same");
  EXPECT_EQ(c["data_format"], "channels_last");
  EXPECT_EQ(c["dilation_rate"], Json::array({1, 1}));
  EXPECT_EQ(c["groups"], 1);
  EXPECT_EQ(c["activation"], "relu");

  MaxPooling2D pool({3, 3}, {.strides = std::array<int, 2>{1, 2}});
  EXPECT_EQ(layer_config(pool)["config"].dump(),
            R"({"name":"max_pooling2d","trainable":true,"dtype":"float32","pool_size":[3,3],"padding":"valid",)"
            R"("strides":[1,2],"data_format":"channels_last"})");

  Embedding embedding(100, 16);
  const Json e = layer_config(embedding)["config"];
  EXPECT_EQ(e["embeddings_initializer"].dump(),
            R"({"class_name":"RandomUniform","config":{"minval":-0.05,"maxval":0.05,"seed":null}})");
  EXPECT_EQ(e["mask_zero"], false);
  EXPECT_TRUE(e["input_length"].is_null());
}

// tf.keras 2.4 wrote this file: each of its layers, read and written again, gives Keras's config back
// (the LSTMs also carry the model's batch_input_shape, which layers do not write, and tf.keras's
// time_major: false, which Keras 3 refuses and cairn leaves out).
TEST_F(LayerConfig, FixtureLayersRoundTripToKerasConfigs) {
  const Json fixture = read_fixture_json();
  int compared = 0;
  for (const Json& entry : fixture["config"]["layers"]) {
    if (entry["class_name"] == "InputLayer") continue;
    Json expected = entry;
    expected["config"].erase("batch_input_shape");
    expected["config"].erase("time_major");
    EXPECT_EQ(layer_config(*layer_from_config(entry)), expected) << entry.dump();
    ++compared;
  }
  EXPECT_EQ(compared, 8);
}

std::vector<LayerPtr> every_layer_and_option_set() {
  return {
      std::make_shared<Dense>(3),
      std::make_shared<Dense>(5, DenseOptions{.activation = "relu",
                                              .use_bias = false,
                                              .kernel_initializer = random_normal(0.1, 0.2, 7),
                                              .bias_initializer = ones(),
                                              .name = "head"}),
      std::make_shared<Dense>(2, DenseOptions{.activation = "softmax", .kernel_initializer = orthogonal(2.0, 3)}),
      std::make_shared<Dropout>(0.3),
      std::make_shared<Dropout>(0.5, 42, "drop"),
      std::make_shared<Flatten>(),
      std::make_shared<Activation>("sigmoid"),
      std::make_shared<Activation>("tanh", "squash"),
      std::make_shared<Conv2D>(4, std::array<int, 2>{3, 3}),
      std::make_shared<Conv2D>(8, std::array<int, 2>{3, 5},
                               Conv2DOptions{.strides = {2, 1},
                                             .padding = "same",
                                             .activation = "relu",
                                             .use_bias = false,
                                             .kernel_initializer = glorot_uniform(11),
                                             .bias_initializer = random_uniform(-1, 1, 2)}),
      std::make_shared<MaxPooling2D>(),
      std::make_shared<MaxPooling2D>(std::array<int, 2>{3, 2},
                                     MaxPooling2DOptions{.strides = std::array<int, 2>{1, 2}, .padding = "same"}),
      std::make_shared<Embedding>(100, 16),
      std::make_shared<Embedding>(10, 4, EmbeddingOptions{.embeddings_initializer = random_normal(0, 1, 9)}),
      std::make_shared<LSTM>(4),
      std::make_shared<LSTM>(6, LSTMOptions{.use_bias = false,
                                            .kernel_initializer = random_uniform(-0.5, 0.5, 1),
                                            .recurrent_initializer = orthogonal(0.5),
                                            .bias_initializer = ones(),
                                            .unit_forget_bias = false,
                                            .return_sequences = true}),
      std::make_shared<Concatenate>(),
      std::make_shared<Concatenate>(1, "join"),
      std::make_shared<Add>(),
  };
}

TEST_F(LayerConfig, EveryLayerAndOptionSetRoundTrips) {
  std::vector<LayerPtr> layers = every_layer_and_option_set();
  layers[1]->set_trainable(false);
  for (const LayerPtr& layer : layers) {
    const Json config = layer_config(*layer);
    const LayerPtr back = layer_from_config(config);
    EXPECT_EQ(back->class_name(), layer->class_name());
    EXPECT_EQ(back->name(), layer->name());
    EXPECT_EQ(layer_config(*back), config) << config.dump();
  }
  EXPECT_FALSE(layer_from_config(layer_config(*layers[1]))->trainable());
}

TEST_F(LayerConfig, ReadOptionsReachTheLayers) {
  auto conv = std::dynamic_pointer_cast<Conv2D>(layer_from_config(Json::parse(R"(
      {"class_name": "Conv2D", "config": {"name": "c", "filters": 6, "kernel_size": 3, "strides": [2, 2],
       "padding": "same", "activation": "relu", "use_bias": false}})")));
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->kernel_size(), (std::array<int, 2>{3, 3}));
  EXPECT_EQ(conv->strides(), (std::array<int, 2>{2, 2}));
  EXPECT_EQ(conv->padding(), "same");
  EXPECT_EQ(conv->activation(), "relu");
  EXPECT_FALSE(conv->use_bias());
  EXPECT_EQ(conv->compute_output_shape({-1, 9, 9, 1}), (Shape{-1, 5, 5, 6}));

  auto pool = std::dynamic_pointer_cast<MaxPooling2D>(
      layer_from_config(Json::parse(R"({"class_name": "MaxPooling2D", "config": {"pool_size": [3, 3], "strides": null}})")));
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->strides(), (std::array<int, 2>{3, 3}));  // null strides: the pool size, as in Keras

  auto lstm = std::dynamic_pointer_cast<LSTM>(layer_from_config(Json::parse(R"(
      {"class_name": "LSTM", "config": {"units": 7, "return_sequences": true, "unit_forget_bias": true,
       "bias_initializer": "zeros"}})")));
  ASSERT_TRUE(lstm);
  EXPECT_EQ(lstm->units(), 7);
  EXPECT_TRUE(lstm->return_sequences());
  (*lstm)(Tensor::zeros({1, 2, 3}));
  // unit_forget_bias: the forget gate's quarter of the bias starts at 1.
  const std::vector<float> bias = lstm->bias()->value().to_vector<float>();
  EXPECT_EQ(bias[0], 0.f);
  EXPECT_EQ(bias[7], 1.f);
  EXPECT_EQ(bias[14], 0.f);

  // A seeded initializer draws the same weights in every layer made from the config.
  const Json seeded = Json::parse(R"({"class_name": "Dense", "config": {"units": 3,
      "kernel_initializer": {"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.5, "seed": 5}}}})");
  auto a = std::dynamic_pointer_cast<Dense>(layer_from_config(seeded));
  auto b = std::dynamic_pointer_cast<Dense>(layer_from_config(seeded));
  a->build({-1, 4});
  b->build({-1, 4});
  EXPECT_TRUE(equal_bytes(a->kernel()->value(), b->kernel()->value()));
  EXPECT_NE(a->name(), b->name());  // no name in the config: automatic names
}

TEST_F(LayerConfig, ReadsKeras3Configs) {
  // Keras 3: initializers wrapped with module / registered_name, a DTypePolicy, a build_config that builds
  // the layer, and LSTM keys that tf.keras 2 did not have.
  const LayerPtr dense = layer_from_config(Json::parse(R"({
      "module": "keras.layers", "class_name": "Dense", "registered_name": null,
      "config": {"name": "dense", "trainable": true,
                 "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                           "registered_name": null},
                 "units": 3, "activation": "relu", "use_bias": true,
                 "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                        "config": {"seed": 3}, "registered_name": null},
                 "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                      "registered_name": null},
                 "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null,
                 "bias_constraint": null, "lora_rank": null},
      "build_config": {"input_shape": [null, 5]}})"));
  ASSERT_TRUE(dense->built());
  EXPECT_EQ(std::dynamic_pointer_cast<Dense>(dense)->kernel()->shape(), (Shape{5, 3}));
  EXPECT_EQ(layer_config(*dense)["config"]["kernel_initializer"]["config"]["seed"], 3);

  const LayerPtr lstm = layer_from_config(Json::parse(R"({
      "module": "keras.layers", "class_name": "LSTM", "registered_name": null,
      "config": {"name": "lstm", "trainable": true, "dtype": "float32", "return_sequences": false,
                 "return_state": false, "go_backwards": false, "stateful": false, "unroll": false,
                 "zero_output_for_mask": false, "units": 8, "activation": "tanh",
                 "recurrent_activation": "sigmoid", "use_bias": true,
                 "kernel_initializer": "glorot_uniform", "recurrent_initializer": "orthogonal",
                 "bias_initializer": "zeros", "unit_forget_bias": true, "dropout": 0.0,
                 "recurrent_dropout": 0.0, "seed": null}})"));
  EXPECT_EQ(std::dynamic_pointer_cast<LSTM>(lstm)->units(), 8);

  // SavedModel metadata and Keras 3 write tuples as {"class_name": "__tuple__", "items": [...]}.
  const LayerPtr conv = layer_from_config(Json::parse(R"({"class_name": "Conv2D", "config": {"filters": 2,
      "kernel_size": {"class_name": "__tuple__", "items": [2, 3]},
      "dilation_rate": {"class_name": "__tuple__", "items": [1, 1]}, "groups": 1, "data_format": null}})"));
  EXPECT_EQ(std::dynamic_pointer_cast<Conv2D>(conv)->kernel_size(), (std::array<int, 2>{2, 3}));

  // Standalone Keras writes glorot_uniform as a VarianceScaling.
  const LayerPtr old = layer_from_config(Json::parse(R"({"class_name": "Dense", "config": {"units": 2,
      "kernel_initializer": {"class_name": "VarianceScaling",
                             "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}}})"));
  EXPECT_EQ(layer_config(*old)["config"]["kernel_initializer"]["class_name"], "GlorotUniform");
}

// Keras 3.12+ writes GlorotUniform with input_axes / output_axes (null: the default fans) and ties the
// copies of an object serialized twice with shared_object_id; neither changes the layer.
TEST_F(LayerConfig, ReadsKeras312InitializerAxesAndSharedObjectIds) {
  const std::string glorot = R"({"module": "keras.initializers", "class_name": "GlorotUniform",
      "config": {"seed": 5, "input_axes": null, "output_axes": null}, "registered_name": null,
      "shared_object_id": 139789745371344})";
  const LayerPtr dense = layer_from_config(Json::parse(R"({"module": "keras.layers", "class_name": "Dense",
      "config": {"name": "d", "units": 2, "kernel_initializer": )" + glorot + R"(,
                 "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                           "registered_name": null, "shared_object_id": 139789745365392}},
      "registered_name": null, "shared_object_id": 7})"));
  EXPECT_EQ(layer_config(*dense)["config"]["kernel_initializer"]["config"]["seed"], 5);

  // Axes other than the default change the fans, so the initializer: refused with the key.
  const std::string message = read_error(Json::parse(R"({"class_name": "Dense", "config": {"name": "d",
      "units": 2, "kernel_initializer": {"class_name": "GlorotUniform",
      "config": {"seed": null, "input_axes": [0, 1]}}}})"));
  EXPECT_NE(message.find("Dense 'd'"), std::string::npos) << message;
  EXPECT_NE(message.find("input_axes = [0,1] is not supported"), std::string::npos) << message;
}

TEST_F(LayerConfig, UnknownClassNameIsNamed) {
  const std::string message =
      read_error(Json::parse(R"({"class_name": "MyAttention", "config": {"name": "mine", "units": 4}})"));
  EXPECT_NE(message.find("Unknown layer: 'MyAttention' (layer 'mine')"), std::string::npos) << message;
  EXPECT_NE(message.find("custom code"), std::string::npos) << message;
  EXPECT_NE(message.find("register_layer(\"MyAttention\", writer, reader)"), std::string::npos) << message;
}

// Keras's own classes that cairn lacks are named with the reason, and how to supply one anyway.
TEST_F(LayerConfig, UnsupportedKerasClassIsNamedWithTheReason) {
  const std::string message =
      read_error(Json::parse(R"({"class_name": "ConvLSTM3D", "config": {"name": "c", "filters": 4}})"));
  EXPECT_NE(message.find("Keras layer 'ConvLSTM3D' (layer 'c') is not supported by cairn: 3D (volumetric)"),
            std::string::npos) << message;
  EXPECT_NE(message.find("register_layer(\"ConvLSTM3D\""), std::string::npos) << message;
}

// A Lambda holds Python code (marshalled bytecode): refused by name, its code never looked at.
TEST_F(LayerConfig, LambdaIsRefusedByName) {
  const std::string message = read_error(Json::parse(R"({"class_name": "Lambda", "config": {"name": "double_it",
      "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA", "defaults": null,
      "closure": null}}, "output_shape": null, "arguments": {}}})"));
  EXPECT_NE(message.find("Lambda layer 'double_it' refused: it holds Python code, which cairn never runs"),
            std::string::npos) << message;
  EXPECT_NE(message.find("register_layer(\"Lambda\""), std::string::npos) << message;
}

TEST_F(LayerConfig, UnsupportedValuesNameLayerKeyAndValue) {
  struct Case {
    const char* config;
    std::vector<std::string> expected;  // substrings of the message
  };
  const std::vector<Case> cases = {
      {R"({"class_name": "Dense", "config": {"name": "d1", "units": 4, "activation": "sparsemax"}})",
       {"Dense 'd1'", "activation = \"sparsemax\"", "not supported"}},
      {R"({"class_name": "Embedding", "config": {"name": "e", "input_dim": 4, "output_dim": 2, "sparse": true}})",
       {"Embedding 'e'", "sparse = true"}},
      {R"({"class_name": "LSTM", "config": {"name": "l", "units": 4, "stateful": true}})",
       {"LSTM 'l'", "stateful = true"}},
      {R"({"class_name": "LSTM", "config": {"name": "l", "units": 4, "recurrent_activation": "sparsemax"}})",
       {"LSTM 'l'", "recurrent_activation = \"sparsemax\""}},
      {R"({"class_name": "LSTM", "config": {"name": "l", "units": 4, "dropout": 1.5}})",
       {"LSTM 'l'", "dropout", "[0, 1)", "1.5"}},
      {R"({"class_name": "GRU", "config": {"name": "g", "units": 4, "time_major": true}})",
       {"GRU 'g'", "time_major = true"}},
      {R"({"class_name": "Bidirectional", "config": {"name": "b", "merge_mode": "max",
          "layer": {"class_name": "LSTM", "config": {"name": "l", "units": 2}}}})",
       {"Bidirectional", "invalid merge mode", "max"}},
      {R"({"class_name": "Bidirectional", "config": {"name": "b",
          "layer": {"class_name": "Dense", "config": {"name": "d", "units": 2}}}})",
       {"Bidirectional 'b'", "layer must be a recurrent layer", "Dense 'd'"}},
      {R"({"class_name": "Conv2DTranspose", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3],
          "output_padding": [-1, 0]}})",
       {"Conv2DTranspose 'c'", "output_padding", "[-1,0]"}},
      {R"({"class_name": "DepthwiseConv2D", "config": {"name": "c", "kernel_size": 3,
          "depthwise_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}}})",
       {"DepthwiseConv2D 'c'", "depthwise_regularizer = {\"class_name\":\"L2\""}},
      {R"({"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3,
          "data_format": "channels_first"}})",
       {"data_format = \"channels_first\""}},
      {R"({"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "padding": "causal"}})",
       {"Conv2D 'c'", "causal"}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": 4,
          "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}}})",
       {"Dense 'd'", "kernel_regularizer = {\"class_name\":\"L2\""}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": 4, "dtype": "float64"}})",
       {"Dense 'd'", "dtype = \"float64\""}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": 4, "dtype":
          {"class_name": "Policy", "config": {"name": "mixed_float16"}}}})",
       {"Dense 'd'", "mixed_float16"}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": "four"}})", {"Dense 'd'", "units", "\"four\""}},
      {R"({"class_name": "Dense", "config": {"name": "d"}})", {"Dense 'd'", "\"units\" is missing"}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": 0}})", {"Dense 'd'", "units"}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": 2, "fancy": 1}})",
       {"Dense 'd'", "unknown key \"fancy\""}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_initializer": "stft"}})",
       {"kernel_initializer = \"stft\""}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": 2,
          "kernel_initializer": {"class_name": "STFT", "config": {}}}})",
       {"Dense 'd'", "kernel_initializer", "Unknown initializer: 'STFT'"}},
      {R"({"class_name": "Dense", "config": {"name": "d", "units": 2,
          "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_middle",
          "distribution": "truncated_normal"}}}})",
       {"VarianceScaling: mode must be one of fan_in, fan_out, fan_avg, got 'fan_middle'"}},
      {R"({"class_name": "Dropout", "config": {"name": "x", "rate": 0.5, "noise_shape": [null, 0]}})",
       {"Dropout 'x'", "noise_shape = [null,0]"}},
      {R"({"class_name": "Dropout", "config": {"name": "x", "rate": 1.5}})", {"Dropout 'x'", "rate"}},
      {R"({"class_name": "Flatten", "config": {"name": "f", "data_format": "channels_first"}})",
       {"Flatten 'f'", "channels_first"}},
      {R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3]}})", {"InputLayer"}},
      {R"({"class_name": "Dense", "config": [1, 2]})", {"Dense", "JSON object"}},
      {R"({"class_name": "Dense"})", {"\"config\" is missing"}},
  };
  for (const Case& c : cases) {
    const std::string message = read_error(Json::parse(c.config));
    ASSERT_FALSE(message.empty()) << c.config;
    for (const std::string& part : c.expected) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

// A user's layer, added to the registry: y = factor * x.
class Scale : public Layer {
 public:
  Scale(double factor, std::string name = "") : Layer("Scale", std::move(name)), factor_(factor) {}
  double factor() const { return factor_; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool) override { return ops::mul(x, Tensor::scalar(factor_)); }

 private:
  double factor_;
};

TEST_F(LayerConfig, RegisteredLayersRoundTripInModels) {
  Scale unregistered(2.0);
  EXPECT_THROW(layer_config(unregistered), InvalidArgument);

  register_layer(
      "Scale", [](const Layer& layer) { return Json{{"factor", dynamic_cast<const Scale&>(layer).factor()}}; },
      [](const std::string& name, const Json& config) -> LayerPtr {
        return std::make_shared<Scale>(config.at("factor").get<double>(), name);
      });
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Scale>(3.0), std::make_shared<Dense>(2)},
                                            Shape{4});
  const Json config = model_config(*model);
  EXPECT_EQ(config["config"]["layers"][1].dump(),
            R"({"class_name":"Scale","config":{"name":"scale_1","trainable":true,"dtype":"float32","factor":3.0}})");
  auto back = model_from_config(config);
  EXPECT_EQ(model_config(*back), config);
  EXPECT_EQ(std::dynamic_pointer_cast<Scale>(back->layers()[0])->factor(), 3.0);
  EXPECT_THROW(register_layer("Sequential", [](const Layer&) { return Json(); },
                              [](const std::string&, const Json&) { return LayerPtr(); }),
               InvalidArgument);
}

}  // namespace
}  // namespace cairn
