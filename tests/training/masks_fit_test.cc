// Masks where Keras 3 propagates and uses them, and compile's weighted_metrics, against the values Keras 3
// computed (tests/fixtures/keras3/masks_*.npz, written by tests/conformance/generate_masks_fit.py): merge
// layers' output masks, MultiHeadAttention's query and value masks, TimeDistributed handing each step's
// mask to the wrapped layer, Softmax's and BatchNormalization's masks (values and gradients), the output
// mask of a sequence-labelling model in the loss and the metrics (train_on_batch logs and the weights after
// each SGD step, so the gradients the masks change), weighted metrics with sample and class weights, and
// validation_freq as a list of epochs.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "cairn/cairn.h"
#include "cairn/npy.h"
#include "gradient_check.h"

namespace cairn {
namespace {

using Arrays_ = std::map<std::string, Tensor>;

const Arrays_& layer_arrays() {
  static const Arrays_ arrays = [] {
    Arrays_ out;
    for (NamedTensor& a : load_npz(std::string(CAIRN_FIXTURES_DIR) + "/keras3/masks_layers.npz")) out.emplace(a.name, a.tensor);
    return out;
  }();
  return arrays;
}

const Arrays_& fit_arrays() {
  static const Arrays_ arrays = [] {
    Arrays_ out;
    for (NamedTensor& a : load_npz(std::string(CAIRN_FIXTURES_DIR) + "/keras3/masks_fit.npz")) out.emplace(a.name, a.tensor);
    return out;
  }();
  return arrays;
}

const Tensor& at(const Arrays_& arrays, const std::string& key) {
  const auto it = arrays.find(key);
  if (it == arrays.end()) throw std::runtime_error("the fixture has no array " + key);
  return it->second;
}

void expect_near(const Tensor& got, const Tensor& want, double tolerance, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = got.to(DType::Float64).to_vector<double>(), w = want.to(DType::Float64).to_vector<double>();
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(g[i], w[i], tolerance) << what << ", element " << i;
}

// Keras drew every weight of the model in model.weights order as <prefix>.w0, w1...: cairn's order is Keras's.
void assign_weights(Model& model, const Arrays_& arrays, const std::string& prefix) {
  const auto weights = model.weights();
  for (size_t i = 0; i < weights.size(); ++i) {
    const Tensor& value = at(arrays, prefix + ".w" + std::to_string(i));
    ASSERT_EQ(weights[i]->shape(), value.shape()) << prefix << " weight " << i;
    weights[i]->assign(value);
  }
  EXPECT_EQ(arrays.count(prefix + ".w" + std::to_string(weights.size())), 0u) << prefix << ": Keras's model has more weights";
}

LayerPtr make_merge(const std::string& kind) {
  if (kind == "add" || kind == "add_unmasked") return std::make_shared<Add>();
  if (kind == "subtract") return std::make_shared<Subtract>();
  if (kind == "multiply") return std::make_shared<Multiply>();
  if (kind == "average") return std::make_shared<Average>();
  if (kind == "maximum") return std::make_shared<Maximum>();
  if (kind == "minimum") return std::make_shared<Minimum>();
  if (kind == "concatenate_steps") return std::make_shared<Concatenate>(1);
  return std::make_shared<Concatenate>(-1);
}

TEST(MergeMasks, OutputMasksAndPredictionsAreKeras) {
  const Arrays_& arrays = layer_arrays();
  const Tensor& tokens_a = at(arrays, "tokens_a");
  const Tensor& tokens_b = at(arrays, "tokens_b");
  for (const std::string kind : {"add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate_features",
                                 "concatenate_steps", "add_unmasked", "concatenate_unmasked"}) {
    SCOPED_TRACE(kind);
    const std::string prefix = "merge_" + kind;
    const bool unmasked = kind.find("_unmasked") != std::string::npos;
    SymbolicTensor a_in = Input({5}, "a"), b_in = Input({5}, "b");
    auto embed_a = make_embedding(10, 3, {.mask_zero = true});
    auto embed_b = make_embedding(10, 3, {.mask_zero = !unmasked});
    LayerPtr merge = make_merge(kind);
    SymbolicTensor merged = (*merge)({(*embed_a)(a_in), (*embed_b)(b_in)});
    Functional model({a_in, b_in}, (*make_lstm(2))(merged));
    assign_weights(model, arrays, prefix);
    expect_near(model.predict({tokens_a, tokens_b}), at(arrays, prefix + ".predictions"), 1e-5, "predictions");

    const Layer::MaskedOutput a = (*embed_a)(tokens_a, Tensor(), false), b = (*embed_b)(tokens_b, Tensor(), false);
    const Layer::MaskedOutput out = (*merge)({a.output, b.output}, {a.mask, b.mask}, false);
    ASSERT_EQ(out.mask.defined(), at(arrays, prefix + ".has_mask").item() != 0);
    if (out.mask.defined()) expect_near(out.mask, at(arrays, prefix + ".mask"), 0, "mask");
  }
}

TEST(AttentionMasks, QueryAndValueMasksAreKeras) {
  const Arrays_& arrays = layer_arrays();
  const Tensor& query_tokens = at(arrays, "mha.query");
  const Tensor& value_tokens = at(arrays, "mha.value");
  {
    SymbolicTensor q_in = Input({5}, "query_tokens"), v_in = Input({5}, "value_tokens");
    SymbolicTensor query = (*make_embedding(10, 4, {.mask_zero = true}))(q_in);
    SymbolicTensor value = (*make_embedding(10, 4, {.mask_zero = true}))(v_in);
    SymbolicTensor attended = (*make_multi_head_attention(2, 3))({query, value});
    Functional model({q_in, v_in}, (*std::make_shared<GlobalAveragePooling1D>())(attended));
    assign_weights(model, arrays, "mha");
    expect_near(model.predict({query_tokens, value_tokens}), at(arrays, "mha.predictions"), 1e-5, "cross attention");
  }
  SymbolicTensor x_in = Input({5}, "tokens");
  SymbolicTensor x = (*make_embedding(10, 4, {.mask_zero = true}))(x_in);
  SymbolicTensor attended = (*make_multi_head_attention(2, 3))({x, x});
  Functional model(x_in, (*std::make_shared<GlobalAveragePooling1D>())(attended));
  assign_weights(model, arrays, "self_mha");
  expect_near(model.predict(query_tokens), at(arrays, "self_mha.predictions"), 1e-5, "self attention");
}

TEST(TimeDistributedMasks, EachStepsMaskReachesTheWrappedLayer) {
  const Arrays_& arrays = layer_arrays();
  Sequential nested({make_embedding(10, 3, {.mask_zero = true}), make_time_distributed(make_lstm(2)), make_flatten(),
                     make_dense(2)},
                    Shape{2, 4});
  assign_weights(nested, arrays, "time_distributed");
  expect_near(nested.predict(at(arrays, "time_distributed.ids")), at(arrays, "time_distributed.predictions"), 1e-5,
              "TimeDistributed(LSTM)");
  // GlobalMaxPooling1D ignores the mask, as Keras's does.
  Sequential pooled({make_embedding(10, 3, {.mask_zero = true}), std::make_shared<GlobalMaxPooling1D>(), make_dense(2)},
                    Shape{5});
  assign_weights(pooled, arrays, "max_pooling");
  expect_near(pooled.predict(ops::slice_rows(at(arrays, "tokens_b"), 0, 3)), at(arrays, "max_pooling.predictions"),
              1e-5, "GlobalMaxPooling1D");
}

TEST(SoftmaxMask, ValuesAndGradientAreKeras) {
  const Arrays_& arrays = layer_arrays();
  const Tensor x = at(arrays, "softmax.x").clone(), mask = at(arrays, "softmax.mask"), r = at(arrays, "softmax.r");
  Softmax softmax;
  GradientTape tape;
  tape.watch(x);
  const Layer::MaskedOutput y = softmax(x, mask, false);
  const Tensor dx = tape.gradient(ops::sum(ops::mul(y.output, r)), std::vector<Tensor>{x})[0];
  expect_near(y.output, at(arrays, "softmax.y"), 1e-6, "y");
  expect_near(dx, at(arrays, "softmax.dx"), 1e-5, "dx");
  EXPECT_TRUE(y.mask.defined());  // the mask passes on
  testing::expect_gradients_match([&](const std::vector<Tensor>& in) { return softmax(in[0], mask, false).output; },
                                  {at(arrays, "softmax.x").clone()});
}

TEST(BatchNormalizationMask, MomentsOfTheUnmaskedStepsAsKeras) {
  const Arrays_& arrays = layer_arrays();
  const Tensor x = at(arrays, "batch_norm.x").clone(), mask = at(arrays, "batch_norm.mask"), r = at(arrays, "batch_norm.r");
  BatchNormalization bn({.momentum = 0.9});
  bn.build({-1, 5, 3});
  bn.gamma()->assign(at(arrays, "batch_norm.gamma"));
  bn.beta()->assign(at(arrays, "batch_norm.beta"));
  GradientTape tape;
  tape.watch(x);
  const Layer::MaskedOutput y = bn(x, mask, true);
  const Tensor objective = ops::sum(ops::mul(y.output, r));
  const std::vector<Tensor> dx = tape.gradient(objective, std::vector<Tensor>{x});
  expect_near(y.output, at(arrays, "batch_norm.y"), 1e-5, "y");
  expect_near(bn.moving_mean()->value(), at(arrays, "batch_norm.moving_mean"), 1e-6, "moving_mean");
  expect_near(bn.moving_variance()->value(), at(arrays, "batch_norm.moving_variance"), 1e-6, "moving_variance");
  expect_near(dx[0], at(arrays, "batch_norm.dx"), 1e-4, "dx");
  EXPECT_TRUE(y.mask.defined());  // the mask passes on
  {
    GradientTape weights_tape;
    const Tensor again = ops::sum(ops::mul(bn(x, mask, true).output, r));
    const std::vector<Tensor> d = weights_tape.gradient(again, std::vector<VariablePtr>{bn.gamma(), bn.beta()});
    expect_near(d[0], at(arrays, "batch_norm.dgamma"), 1e-4, "dgamma");
    expect_near(d[1], at(arrays, "batch_norm.dbeta"), 1e-4, "dbeta");
  }
  // Masked steps change nothing in training: their values do not reach the moments.
  testing::expect_gradients_match([&](const std::vector<Tensor>& in) { return bn(in[0], mask, true).output; },
                                  {at(arrays, "batch_norm.x").clone()}, 1e-2, 3e-2, 3e-3);
}

// Sequence labelling: the output's mask keeps the padded steps out of the loss and the metrics.
std::shared_ptr<Sequential> sequence_model() {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_embedding(8, 4, {.mask_zero = true}), make_batch_normalization({.momentum = 0.9}),
                            make_lstm(5, {.return_sequences = true}),
                            make_time_distributed(make_dense(3, {.activation = "softmax"}))},
      Shape{5});
  model->compile({.optimizer = std::make_shared<SGD>(0.5), .loss = "sparse_categorical_crossentropy",
                  .metrics = {"accuracy"}, .weighted_metrics = {"accuracy"}});
  return model;
}

void expect_logs(const Logs& logs, const std::vector<std::string>& names, const Tensor& want, double tolerance,
                 const std::string& what) {
  ASSERT_EQ(logs.size(), names.size()) << what;
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(logs.count(names[i])) << what << ": no " << names[i];
    EXPECT_NEAR(logs.at(names[i]), want.to(DType::Float64).to_vector<double>()[i], tolerance) << what << ": " << names[i];
  }
}

TEST(MaskedLoss, SequenceLabellingTrainsAsKeras) {
  const Arrays_& arrays = fit_arrays();
  auto model = sequence_model();
  assign_weights(*model, arrays, "seq");
  const Tensor &x = at(arrays, "seq.x"), &y = at(arrays, "seq.y"), &sw = at(arrays, "seq.sample_weight");
  const std::vector<std::string> names{"loss", "accuracy", "weighted_accuracy"};
  for (int step : {1, 2}) {
    SCOPED_TRACE(step);
    const Logs logs = model->train_on_batch(x, y, sw);
    expect_logs(logs, names, at(arrays, "seq.step" + std::to_string(step) + ".logs"), 1e-5, "train_on_batch");
    // SGD's step is the gradient times 0.5: the masked gradients are Keras's.
    const auto weights = model->weights();
    for (size_t i = 0; i < weights.size(); ++i)
      expect_near(weights[i]->value(), at(arrays, "seq.step" + std::to_string(step) + ".w" + std::to_string(i)), 2e-5,
                  "weight " + std::to_string(i));
  }
  expect_logs(model->evaluate(x, y, {.batch_size = 6, .sample_weight = sw}), names, at(arrays, "seq.evaluate.logs"), 1e-5,
              "evaluate");
}

TEST(MaskedLoss, LabelsAtMaskedStepsDoNotCount) {
  const Arrays_& arrays = fit_arrays();
  auto model = sequence_model();
  assign_weights(*model, arrays, "seq");
  Tensor x = at(arrays, "seq.x").clone(), y = at(arrays, "seq.y").clone();
  const Logs before = model->evaluate(x, y, {.batch_size = 6});
  // A label at a padded step does not count.
  const Tensor x32 = x.to(DType::Int64);
  for (int64_t i = 0; i < x.numel(); ++i)
    if (x32.data<int64_t>()[i] == 0) y.data<int32_t>()[i] = (y.data<int32_t>()[i] + 1) % 3;
  const Logs after = model->evaluate(x, y, {.batch_size = 6});
  EXPECT_EQ(before.at("loss"), after.at("loss"));
  EXPECT_EQ(before.at("accuracy"), after.at("accuracy"));
}

TEST(WeightedMetrics, BinaryMetricsWithSampleAndClassWeightsAreKeras) {
  const Arrays_& arrays = fit_arrays();
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{make_dense(1, {.activation = "sigmoid"})}, Shape{4});
  assign_weights(*model, arrays, "binary");
  model->compile({.optimizer = std::make_shared<SGD>(0.1), .loss = "binary_crossentropy", .metrics = {"accuracy"},
                  .weighted_metrics = {"accuracy", std::make_shared<AUC>(20), std::make_shared<Precision>(),
                                       std::make_shared<Recall>(), "mse", std::make_shared<RootMeanSquaredError>()}});
  const Tensor &x = at(arrays, "binary.x"), &y = at(arrays, "binary.y"), &sw = at(arrays, "binary.sample_weight");
  const std::vector<std::string> names{"loss", "accuracy", "weighted_accuracy", "auc", "precision", "recall", "mse",
                                       "root_mean_squared_error"};
  expect_logs(model->evaluate(x, y, {.batch_size = 5, .sample_weight = sw}), names, at(arrays, "binary.evaluate.logs"), 1e-5,
              "evaluate");
  const History history = model->fit(x, y, {.batch_size = 12, .epochs = 1, .verbose = 0, .shuffle = false,
                                            .class_weight = {{0, 0.5}, {1, 2.0}}});
  Logs epoch;
  for (const auto& [key, values] : history.history) epoch[key] = values.at(0);
  expect_logs(epoch, names, at(arrays, "binary.fit.logs"), 1e-5, "fit with class_weight");
}

TEST(WeightedMetrics, MulticlassMetricsWithSampleWeightsAreKeras) {
  const Arrays_& arrays = fit_arrays();
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{make_dense(3, {.activation = "softmax"})}, Shape{4});
  assign_weights(*model, arrays, "multi");
  model->compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy",
                  .weighted_metrics = {"accuracy", "sparse_categorical_crossentropy",
                                       std::make_shared<MeanIoU>(3, std::nullopt, true, false)}});
  const std::vector<std::string> names{"loss", "accuracy", "sparse_categorical_crossentropy", "mean_io_u"};
  expect_logs(model->evaluate(at(arrays, "multi.x"), at(arrays, "multi.y"),
                              {.batch_size = 4, .sample_weight = at(arrays, "multi.sample_weight")}),
              names, at(arrays, "multi.evaluate.logs"), 1e-5, "evaluate");
}

TEST(WeightedMetrics, WithoutSampleWeightsTheyAreTheUnweightedOnes) {
  const Arrays_& arrays = fit_arrays();
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{make_dense(1, {.activation = "sigmoid"})}, Shape{4});
  assign_weights(*model, arrays, "binary");
  model->compile({.optimizer = "sgd", .loss = "binary_crossentropy", .metrics = {"accuracy", "accuracy"},
                  .weighted_metrics = {"accuracy", "accuracy"}});
  const Logs logs = model->evaluate(at(arrays, "binary.x"), at(arrays, "binary.y"));
  // Keras's names for repeated metrics.
  for (const char* name : {"accuracy_1", "weighted_accuracy", "weighted_accuracy_1"}) {
    ASSERT_TRUE(logs.count(name)) << name;
    EXPECT_EQ(logs.at(name), logs.at("accuracy")) << name;
  }
}

TEST(ValidationFreq, ListedEpochsValidateAsKeras) {
  const Tensor& validated = at(fit_arrays(), "freq.validated");
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{make_dense(1)}, Shape{2});
  model->compile({.optimizer = "sgd", .loss = "mse"});
  const Tensor x = testing::random_tensor({4, 2}, 3);
  std::vector<bool> got;
  auto record = std::make_shared<LambdaCallback>();
  record->on_epoch_end_fn = [&](int, const Logs& logs) { got.push_back(logs.count("val_loss") > 0); };
  model->fit(x, ops::slice(x, 1, 0, 1), {.epochs = 5, .verbose = 0, .callbacks = {record},
                                         .validation_data = std::make_pair(Arrays(x), Arrays(ops::slice(x, 1, 0, 1))),
                                         .validation_freq = {1, 3, 4}});
  ASSERT_EQ(static_cast<int64_t>(got.size()), validated.numel());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], validated.data<bool>()[i]) << "epoch " << i + 1;
  EXPECT_THROW(model->fit(x, x, {.epochs = 1, .verbose = 0, .validation_freq = {0, 2}}), InvalidArgument);
}

}  // namespace
}  // namespace cairn
