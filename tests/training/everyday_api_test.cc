// The everyday C++ API as a Keras user writes it: checked logs, evaluate's result line, reset_weights,
// CSVLogger's folder, output flushed when fit fails, and the documented layer factories.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <streambuf>

#include "../expect_error.h"
#include "../temp_dir.h"
#include "cairn/data.h"
#include "cairn/error.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/flatten.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/max_pooling2d.h"
#include "cairn/model.h"

namespace cairn {
namespace {

using testing::expect_error_mentioning;

class EverydayApi : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(0);
  }
};

std::shared_ptr<Sequential> moons_classifier(const std::string& metric) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_dense(8, {.activation = "relu"}), make_dropout(0.25), make_dense(2, {.activation = "softmax"})},
      Shape{2});
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {metric}});
  return model;
}

TEST_F(EverydayApi, ReadingALogThatIsNotThereThrowsNamingTheKeysPresent) {
  LabeledData d = make_moons(40, 0.1, 3);
  Logs logs = moons_classifier("accuracy")->evaluate(d.x, d.y);
  EXPECT_GE(static_cast<double>(logs["accuracy"]), 0.0);
  expect_error_mentioning<InvalidArgument>([&] { [[maybe_unused]] double acc = logs["acc"]; },
                                           {"\"acc\"", "accuracy, loss"});
  expect_error_mentioning<InvalidArgument>([&] { logs.at("val_loss"); }, {"\"val_loss\"", "accuracy, loss"});
  const Logs& read_only = logs;
  expect_error_mentioning<InvalidArgument>([&] { read_only["acc"]; }, {"\"acc\""});
  EXPECT_EQ(logs.count("acc"), 0u);  // a failed read adds nothing

  // Compiled with Keras's alias "acc", the log is "acc"; assigning adds a name, as in Keras.
  Logs alias_logs = moons_classifier("acc")->evaluate(d.x, d.y);
  EXPECT_EQ(static_cast<double>(alias_logs["acc"]), alias_logs.at("acc"));
  alias_logs["lr"] = 0.5;
  alias_logs["copy"] = alias_logs["lr"];
  EXPECT_EQ(alias_logs.at("copy"), 0.5);
}

TEST_F(EverydayApi, EvaluateWithVerbosePrintsKerasResultLine) {
  LabeledData d = make_moons(40, 0.1, 3);
  auto model = moons_classifier("accuracy");
  std::ostringstream out;
  Logs logs = model->evaluate(d.x, d.y, {.batch_size = 16, .verbose = 1, .output = &out});
  char expected_values[128];
  std::snprintf(expected_values, sizeof expected_values, " - accuracy: %.4f - loss: %.4f\n", logs.at("accuracy"),
                logs.at("loss"));
  const std::string masked = std::regex_replace(out.str(), std::regex("- \\d+s \\d+(us|ms|s)/step"), "- Ts T/step");
  EXPECT_EQ(masked, std::string("3/3 - Ts T/step") + expected_values);

  std::ostringstream quiet;
  model->evaluate(d.x, d.y, {.output = &quiet});
  EXPECT_EQ(quiet.str(), "");
}

TEST_F(EverydayApi, ResetWeightsGivesTheInitialWeightsOfAFreshModelWithTheSameSeed) {
  LabeledData d = make_moons(64, 0.1, 4);
  set_random_seed(42);
  auto model = moons_classifier("accuracy");
  model->fit(d.x, d.y, {.epochs = 2, .verbose = 0});

  clear_session();
  set_random_seed(42);
  auto fresh = moons_classifier("accuracy");
  const auto trained = model->weights(), initial = fresh->weights();
  ASSERT_EQ(trained.size(), initial.size());
  ASSERT_NE(trained[0]->value().to_vector<float>(), initial[0]->value().to_vector<float>());

  model->reset_weights();
  for (size_t i = 0; i < trained.size(); ++i)
    EXPECT_EQ(trained[i]->value().to_vector<float>(), initial[i]->value().to_vector<float>()) << trained[i]->name();
  // Dropout's stream is rewound too: training again from the reset draws what the fresh model draws.
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model->fit(d.x, d.y, {.epochs = 1, .verbose = 0, .seed = 9});
  fresh->fit(d.x, d.y, {.epochs = 1, .verbose = 0, .seed = 9});
  for (size_t i = 0; i < trained.size(); ++i)
    EXPECT_EQ(trained[i]->value().to_vector<float>(), initial[i]->value().to_vector<float>()) << trained[i]->name();
}

TEST_F(EverydayApi, CSVLoggerCreatesItsFolder) {
  testing::TempDir dir;
  LabeledData d = make_moons(32, 0.1, 5);
  auto logger = std::make_shared<CSVLogger>(dir / "tb_logs/run/log.csv");
  moons_classifier("accuracy")->fit(d.x, d.y, {.epochs = 2, .verbose = 0, .callbacks = {logger}});
  std::ifstream in(dir / "tb_logs/run/log.csv");
  std::string header, first, second, end;
  std::getline(in, header);
  std::getline(in, first);
  std::getline(in, second);
  EXPECT_EQ(header, "epoch,accuracy,loss");
  EXPECT_EQ(first.substr(0, 2), "0,");
  EXPECT_EQ(second.substr(0, 2), "1,");
  EXPECT_FALSE(std::getline(in, end));
}

// A stream that passes on what was written only when flushed, as std::cout does to a pipe or file.
class FlushRecordingBuffer : public std::streambuf {
 public:
  FlushRecordingBuffer() { setp(buffer_, buffer_ + sizeof buffer_); }
  std::string flushed;

 protected:
  int sync() override {
    flushed.append(pbase(), pptr());
    setp(buffer_, buffer_ + sizeof buffer_);
    return 0;
  }

 private:
  char buffer_[4096];
};

TEST_F(EverydayApi, FitFlushesTheOutputWhenAnErrorEndsIt) {
  testing::TempDir dir;
  std::ofstream(dir / "not_a_folder") << "x";
  LabeledData d = make_moons(32, 0.1, 5);
  FlushRecordingBuffer buffer;
  std::ostream out(&buffer);
  out << "Training the moons model\n";
  auto logger = std::make_shared<CSVLogger>(dir / "not_a_folder/log.csv");
  EXPECT_THROW(moons_classifier("accuracy")->fit(d.x, d.y, {.epochs = 1, .callbacks = {logger}, .output = &out}),
               IOError);
  EXPECT_EQ(buffer.flushed, "Training the moons model\n");
}

TEST_F(EverydayApi, LayerFactoriesTakeBracedOptionsInKerasArgumentOrder) {
  auto conv = make_conv2d(4, {3, 3}, {.strides = {1, 1}, .padding = "same", .activation = "relu", .use_bias = false});
  auto pool = make_max_pooling2d({2, 2}, {.strides = std::array<int, 2>{2, 2}, .padding = "valid"});
  auto embedding = make_embedding(50, 8, {.embeddings_initializer = zeros()});
  auto lstm = make_lstm(6, {.use_bias = true, .unit_forget_bias = false, .seed = 3, .return_sequences = true});
  auto dense = make_dense(5, {.activation = "tanh", .use_bias = false, .name = "head"});
  EXPECT_EQ(conv->padding(), "same");
  EXPECT_FALSE(conv->use_bias());
  EXPECT_EQ(pool->strides(), (std::array<int, 2>{2, 2}));
  EXPECT_EQ(embedding->output_dim(), 8);
  EXPECT_TRUE(lstm->return_sequences());
  EXPECT_FALSE(lstm->options().unit_forget_bias);
  EXPECT_EQ(dense->name(), "head");
  EXPECT_EQ(dense->activation(), "tanh");
  EXPECT_EQ(make_flatten("flat")->name(), "flat");
}

}  // namespace
}  // namespace cairn
