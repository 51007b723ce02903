// Models and the Keras training loop: structure, summary, fit/evaluate/predict, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "cairn/data.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/merge.h"
#include "cairn/model.h"
#include "cairn/ops.h"

namespace cairn {
namespace {

class Training : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_session();
    set_random_seed(0);
  }
};

std::shared_ptr<Sequential> moons_model() {
  return std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(10, DenseOptions{.activation = "relu"}), std::make_shared<Dense>(2)},
      Shape{2});
}

TEST_F(Training, SequentialSummaryIsKerasLike) {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(512, DenseOptions{.activation = "relu"}), std::make_shared<Dropout>(0.2),
                            std::make_shared<Dense>(10)},
      Shape{784});
  std::ostringstream out;
  model->summary(out);
  const std::string expected =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      " Layer (type)                Output Shape              Param #\n"
      "=================================================================\n"
      " dense (Dense)               (None, 512)               401920\n"
      "\n"
      " dropout (Dropout)           (None, 512)               0\n"
      "\n"
      " dense_1 (Dense)             (None, 10)                5130\n"
      "=================================================================\n"
      "Total params: 407,050 (1.55 MB)\n"
      "Trainable params: 407,050 (1.55 MB)\n"
      "Non-trainable params: 0 (0.00 Byte)\n"
      "_________________________________________________________________\n";
  EXPECT_EQ(out.str(), expected);
}

TEST_F(Training, FunctionalModelWithTwoInputsAndSummary) {
  SymbolicTensor a = Input({3}, "a"), b = Input({2}, "b");
  auto left = std::make_shared<Dense>(4, DenseOptions{.activation = "relu"});
  auto merge = std::make_shared<Concatenate>();
  auto head = std::make_shared<Dense>(1);
  SymbolicTensor out = (*head)((*merge)(std::vector<SymbolicTensor>{(*left)(a), b}));
  Functional model({a, b}, out);
  EXPECT_EQ(out.shape(), (Shape{-1, 1}));
  EXPECT_EQ(model.layers().size(), 3u);
  EXPECT_EQ(model.weights().size(), 4u);
  Tensor y = model(std::vector<Tensor>{Tensor::ones({5, 3}), Tensor::ones({5, 2})});
  EXPECT_EQ(y.shape(), (Shape{5, 1}));
  // The same computation by hand.
  Tensor h = ops::relu(ops::dense(Tensor::ones({5, 3}), left->kernel()->value(), left->bias()->value()));
  Tensor expected = ops::dense(ops::concat({h, Tensor::ones({5, 2})}, 1), head->kernel()->value(), head->bias()->value());
  EXPECT_TRUE(equal_bytes(y, expected));
  std::ostringstream s;
  model.summary(s);
  EXPECT_NE(s.str().find(" a (InputLayer)"), std::string::npos);
  EXPECT_NE(s.str().find(" concatenate (Concatenate)      (None, 6)            0           dense[0][0], b[0][0]"),
            std::string::npos)
      << s.str();
  EXPECT_NE(s.str().find("Total params: 23 (92.00 Byte)"), std::string::npos);
}

class TwoLayerNet : public Model {
 public:
  TwoLayerNet() : Model("net", "TwoLayerNet") {
    hidden = track("l1", std::make_shared<Dense>(10, DenseOptions{.activation = "relu"}));
    out = track("l2", std::make_shared<Dense>(2));
  }
  std::shared_ptr<Dense> hidden, out;

 protected:
  Tensor call(const Tensor& x, bool training) override { return (*out)((*hidden)(x, training), training); }
};

TEST_F(Training, SubclassedModelTracksNamedLayersAndSummarizes) {
  TwoLayerNet net;
  Tensor y = net(Tensor::ones({4, 2}));
  EXPECT_EQ(y.shape(), (Shape{4, 2}));
  auto named = net.named_layers();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "l1");
  EXPECT_EQ(net.get_layer("l2").get(), net.out.get());
  EXPECT_EQ(net.trainable_weights().size(), 4u);
  std::ostringstream s;
  net.summary(s);
  EXPECT_NE(s.str().find(" dense (Dense)               (None, 10)                30"), std::string::npos) << s.str();
  EXPECT_NE(s.str().find("Total params: 52 (208.00 Byte)"), std::string::npos);
}

TEST_F(Training, FitLearnsMoonsAndHistoryHasEveryEpoch) {
  LabeledData data = make_moons(200, 0.1, 1);
  auto model = moons_model();
  model->compile({.optimizer = std::make_shared<SGD>(0.5), .loss = std::make_shared<SparseCategoricalCrossentropy>(true),
                  .metrics = {"accuracy"}});
  History h = model->fit(data.x, data.y, {.batch_size = 20, .epochs = 40, .verbose = 0, .seed = 3});
  ASSERT_EQ(h.epoch.size(), 40u);
  ASSERT_EQ(h.history["loss"].size(), 40u);
  EXPECT_LT(h.history["loss"].back(), h.history["loss"].front());
  EXPECT_GT(h.history["accuracy"].back(), 0.95);
}

TEST_F(Training, ValidationLogsEqualASeparateEvaluate) {
  LabeledData train = make_moons(120, 0.2, 5), val = make_moons(50, 0.2, 6);
  auto model = moons_model();
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  auto probs = std::make_shared<Sequential>(std::vector<LayerPtr>{model, std::make_shared<Dense>(2, DenseOptions{.activation = "softmax"})});
  probs->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  History h = probs->fit(train.x, train.y, {.batch_size = 16, .epochs = 3, .verbose = 0, .validation_data = std::make_pair(val.x, val.y)});
  Logs e = probs->evaluate(val.x, val.y, {.batch_size = 16});
  EXPECT_EQ(h.history["val_loss"].back(), e["loss"]);
  EXPECT_EQ(h.history["val_accuracy"].back(), e["accuracy"]);
  EXPECT_EQ(h.history.count("val_loss"), 1u);
}

TEST_F(Training, ValidationSplitTakesTheLastSamples) {
  LabeledData d = make_moons(100, 0.1, 2);
  auto model = moons_model();
  model->compile({.optimizer = "sgd", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  History h = model->fit(d.x, d.y, {.epochs = 1, .verbose = 0, .validation_split = 0.2});
  Logs e = model->evaluate(ops::slice_rows(d.x, 80, 100), ops::slice_rows(d.y, 80, 100));
  EXPECT_EQ(h.history["val_loss"][0], e["loss"]);
}

TEST_F(Training, SameSeedSameRun) {
  auto run = [] {
    clear_session();
    set_random_seed(42);
    LabeledData d = make_moons(64, 0.1, 7);
    auto model = std::make_shared<Sequential>(
        std::vector<LayerPtr>{std::make_shared<Dense>(8, DenseOptions{.activation = "relu"}), std::make_shared<Dropout>(0.3),
                              std::make_shared<Dense>(2)},
        Shape{2});
    model->compile({.optimizer = "adam", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
    model->fit(d.x, d.y, {.batch_size = 8, .epochs = 3, .verbose = 0});
    return model->weights()[0]->value().clone();
  };
  EXPECT_TRUE(equal_bytes(run(), run()));
}

TEST_F(Training, ProgressOutputWithoutATerminalIsOneLinePerEpoch) {
  LabeledData d = make_moons(40, 0.1, 2);
  auto model = moons_model();
  model->compile({.optimizer = "sgd", .loss = std::make_shared<SparseCategoricalCrossentropy>(true), .metrics = {"accuracy"}});
  std::ostringstream out;
  model->fit(d.x, d.y, {.batch_size = 10, .epochs = 2, .verbose = 1, .output = &out});
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("Epoch 1/2\n4/4 [==============================] - ", 0), 0u) << text;
  EXPECT_NE(text.find("\nEpoch 2/2\n4/4 [==============================] - "), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_NE(text.find("/step - loss: "), std::string::npos);
  EXPECT_NE(text.find(" - accuracy: "), std::string::npos);
  int lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 4);

  std::ostringstream two;
  model->fit(d.x, d.y, {.batch_size = 10, .epochs = 1, .verbose = 2, .output = &two});
  EXPECT_EQ(two.str().rfind("Epoch 1/1\n4/4 - ", 0), 0u) << two.str();
  EXPECT_NE(two.str().find("s/epoch - "), std::string::npos);
}

TEST_F(Training, PredictIsBatchedAndMatchesACall) {
  auto model = moons_model();
  Tensor x = make_moons(70, 0.1, 9).x;
  Tensor p = model->predict(x, {.batch_size = 32});
  EXPECT_EQ(p.shape(), (Shape{70, 2}));
  EXPECT_TRUE(allclose(p, (*model)(x), 1e-6, 1e-6));
}

TEST_F(Training, PredictAndEvaluateWarnOnceWhenInputsHoldNaNOrInfinities) {
  auto model = moons_model();
  model->compile({.optimizer = "sgd", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  LabeledData d = make_moons(70, 0.1, 9);
  Tensor x = d.x.clone();
  float* values = x.data<float>();
  values[0] = std::numeric_limits<float>::quiet_NaN();  // sample 0
  values[3] = -std::numeric_limits<float>::infinity();  // sample 1
  values[139] = std::numeric_limits<float>::quiet_NaN();  // sample 69, in the last batch

  ::testing::internal::CaptureStderr();
  const Tensor p = model->predict(x, {.batch_size = 32});  // three batches, one warning
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "WARNING: predict: x holds 2 NaN and 1 infinite values (of 140); the results computed from "
                 "them are NaN or infinite.\n");
  const std::vector<float> out = p.to_vector<float>();
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]) && std::isnan(out[138]) && std::isnan(out[139]));
  EXPECT_TRUE(std::isfinite(out[4]) && std::isfinite(out[137]));

  ::testing::internal::CaptureStderr();
  model->evaluate(x, d.y, {.batch_size = 32});
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "WARNING: evaluate: x holds 2 NaN and 1 infinite values (of 140); the results computed from "
                 "them are NaN or infinite.\n");

  ::testing::internal::CaptureStderr();
  model->predict(d.x);
  model->evaluate(d.x, d.y);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(Training, TrainOnBatchAndTestOnBatch) {
  LabeledData d = make_moons(32, 0.1, 2);
  auto model = moons_model();
  model->compile({.optimizer = std::make_shared<SGD>(0.1), .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  Logs before = model->test_on_batch(d.x, d.y);
  for (int i = 0; i < 20; ++i) model->train_on_batch(d.x, d.y);
  Logs after = model->test_on_batch(d.x, d.y);
  EXPECT_LT(after["loss"], before["loss"]);
  EXPECT_EQ(model->optimizer().iterations()->value().item(), 20.0);
}

TEST_F(Training, BadInputFailsBeforeTrainingWithExpectedAndActual) {
  auto model = moons_model();
  EXPECT_THROW(model->fit(Tensor({4, 2}), Tensor({4}, DType::Int64)), InvalidArgument);  // not compiled
  model->compile({.optimizer = "sgd", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  Tensor before = model->weights()[0]->value().clone();
  try {
    model->fit(Tensor({10, 2}), Tensor({9}, DType::Int64), {.verbose = 0});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("x sizes: 10, y sizes: 9"), std::string::npos) << e.what();
  }
  try {
    model->fit(Tensor({3, 2}), Tensor::from_vector<int64_t>({3}, {0, 1, 5}), {.verbose = 0});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("label value of 5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[0, 2)"), std::string::npos) << e.what();
  }
  try {
    model->fit(Tensor({3, 5}), Tensor({3}, DType::Int64), {.verbose = 0});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("expected axis -1 of input shape to have value 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(1, 5)"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(equal_bytes(before, model->weights()[0]->value()));
  EXPECT_THROW(model->compile({.optimizer = "adamw_ultra", .loss = "mse"}), InvalidArgument);
  EXPECT_THROW(model->compile({.optimizer = "adam", .loss = "hinge_of_doom"}), InvalidArgument);
  EXPECT_THROW(model->compile({.optimizer = "adam", .loss = "mse", .metrics = {"f1_magic"}}), InvalidArgument);
}

}  // namespace
}  // namespace cairn
