// Models whose layers have several outputs, as real Keras saves them (tests/fixtures/keras3/*.keras and
// tests/fixtures/keras_h5/*_tfkeras.h5, written by tests/conformance/generate_seq2seq.py): keras.io's
// lstm_seq2seq (the encoder's final states start the decoder through initial_state), its GRU form, and
// Bidirectional with merge_mode None and return_state with a state as a model output. cairn loads each
// and predicts what Keras predicted within 1e-5; its own .keras and .h5 of them load back the same and
// record the calls as Keras does (tensor_index, initial_state).
#include <gtest/gtest.h>

#include <map>

#include "cairn/config.h"
#include "cairn/keras_io.h"
#include "cairn/layers/bidirectional.h"
#include "cairn/layers/lstm.h"
#include "cairn/npy.h"
#include "cairn/zip.h"
#include "temp_dir.h"

namespace cairn {
namespace {

const std::string kFixtures = std::string(CAIRN_FIXTURES_DIR);

struct Fixture {
  std::string model, data;
};

// Every model, as Keras 3 and as tf-keras 2 wrote it.
std::vector<Fixture> fixtures() {
  std::vector<Fixture> all;
  for (const char* name : {"seq2seq_lstm", "seq2seq_gru", "bidirectional_outputs"}) {
    all.push_back({kFixtures + "/keras3/" + name + ".keras", kFixtures + "/keras3/" + name + ".npz"});
    all.push_back({kFixtures + "/keras_h5/" + name + "_tfkeras.h5", kFixtures + "/keras_h5/" + name + "_tfkeras.npz"});
  }
  return all;
}

std::map<std::string, Tensor> load_arrays(const std::string& path) {
  std::map<std::string, Tensor> arrays;
  for (NamedTensor& array : load_npz(path)) arrays.emplace(array.name, std::move(array.tensor));
  return arrays;
}

// The model's inputs from the arrays named as its Input()s, and its outputs.
std::vector<Tensor> predict(Model& model, const std::map<std::string, Tensor>& arrays) {
  std::vector<Tensor> inputs;
  for (const std::string& name : model.input_names()) inputs.push_back(arrays.at(name));
  return model.call_outputs(inputs, false);
}

void expect_near(const Tensor& got, const Tensor& want, double tolerance) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i)
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], tolerance) << "element " << i;
}

TEST(MultiOutputLayersFromKeras, PredictAsKeras) {
  for (const Fixture& fixture : fixtures()) {
    SCOPED_TRACE(fixture.model);
    const std::map<std::string, Tensor> arrays = load_arrays(fixture.data);
    const std::shared_ptr<Model> model = load_model(fixture.model);
    const std::vector<Tensor> got = predict(*model, arrays);
    size_t checked = 0;
    for (; arrays.count("predictions_" + std::to_string(checked)); ++checked) {
      ASSERT_LT(checked, got.size());
      expect_near(got[checked], arrays.at("predictions_" + std::to_string(checked)), 1e-5);
    }
    EXPECT_EQ(checked, got.size());
  }
}

TEST(MultiOutputLayersFromKeras, ReadTheLayersAsKerasBuiltThem) {
  const std::shared_ptr<Model> model = load_model(kFixtures + "/keras3/bidirectional_outputs.keras");
  const auto both_ways = std::dynamic_pointer_cast<Bidirectional>(model->get_layer("both_ways"));
  ASSERT_TRUE(both_ways);
  EXPECT_FALSE(both_ways->merge_mode().has_value());
  EXPECT_EQ(both_ways->output_count(), 2u);
  EXPECT_EQ(model->get_layer("summary")->output_count(), 3u);
  EXPECT_EQ(model->output_names(), (std::vector<std::string>{"scores", "summary"}));
  const std::shared_ptr<Model> seq2seq = load_model(kFixtures + "/keras_h5/seq2seq_lstm_tfkeras.h5");
  EXPECT_EQ(std::dynamic_pointer_cast<LSTM>(seq2seq->get_layer("encoder"))->output_count(), 3u);
}

// cairn's files of these models load back into the same predictions, and record the calls as Keras does:
// Keras 3's initial_state argument of Keras tensors, tf-keras's states as inputs after the sequence.
TEST(MultiOutputLayersFromKeras, CairnsFilesRoundTrip) {
  testing::TempDir dir;
  for (const Fixture& fixture : fixtures()) {
    SCOPED_TRACE(fixture.model);
    const std::map<std::string, Tensor> arrays = load_arrays(fixture.data);
    const std::shared_ptr<Model> model = load_model(fixture.model);
    const std::vector<Tensor> want = predict(*model, arrays);
    for (const char* extension : {".keras", ".h5"}) {
      const std::string path = dir / (std::string("model") + extension);
      save_model(*model, path);
      const std::shared_ptr<Model> loaded = load_model(path);
      const std::vector<Tensor> got = predict(*loaded, arrays);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) expect_near(got[i], want[i], 1e-6);
    }
  }
}

TEST(MultiOutputLayersFromKeras, ConfigsNameTheOutputsAndTheInitialStates) {
  const std::shared_ptr<Model> model = load_model(kFixtures + "/keras3/seq2seq_lstm.keras");
  const Json config = model_config(*model);
  Json decoder;
  for (const Json& layer : config["config"]["layers"])
    if (layer["name"] == "decoder") decoder = layer;
  // tf-keras 2's form (the .h5 model_config): the states are inputs after the sequence.
  EXPECT_EQ(decoder["inbound_nodes"], Json::parse(R"([[["decoder_inputs", 0, 0, {}], ["encoder", 0, 1, {}],
                                                       ["encoder", 0, 2, {}]]])"));
  EXPECT_EQ(model_from_json(model_to_json(*model))->get_layer("decoder")->output_count(), 3u);

  // Keras 3's form in cairn's .keras: initial_state holds Keras tensors naming the encoder's outputs 1 and 2.
  testing::TempDir dir;
  save_model(*model, dir / "model.keras");
  Json written;
  for (const ZipEntry& entry : read_zip(dir / "model.keras"))
    if (entry.name == "config.json") written = Json::parse(std::string(entry.data.begin(), entry.data.end()));
  for (const Json& layer : written["config"]["layers"]) {
    if (layer["name"] != "decoder") continue;
    const Json& call = layer["inbound_nodes"].at(0);
    EXPECT_EQ(call["args"].size(), 1u);
    EXPECT_EQ(call["args"][0]["config"]["keras_history"], Json::parse(R"(["decoder_inputs", 0, 0])"));
    const Json& states = call["kwargs"]["initial_state"];
    ASSERT_EQ(states.size(), 2u);
    EXPECT_EQ(states[0]["config"]["keras_history"], Json::parse(R"(["encoder", 0, 1])"));
    EXPECT_EQ(states[1]["config"]["keras_history"], Json::parse(R"(["encoder", 0, 2])"));
    EXPECT_EQ(states[1]["config"]["shape"], Json::parse("[null, 4]"));
  }
}

TEST(MultiOutputLayersFromKeras, ATensorIndexBeyondTheOutputsIsAFormatError) {
  const std::shared_ptr<Model> model = load_model(kFixtures + "/keras3/seq2seq_gru.keras");
  Json config = model_config(*model);
  for (Json& layer : config["config"]["layers"])
    if (layer["name"] == "decoder") layer["inbound_nodes"][0][1][2] = 2;  // the GRU has outputs 0 and 1
  try {
    model_from_config(config);
    FAIL() << "expected a FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor_index 2 of node 0 of 'encoder', which has 2 outputs"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cairn
