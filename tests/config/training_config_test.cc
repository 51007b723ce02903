// Optimizer and loss configs and training_config: Keras's exact form, round trips, the variants of
// other Keras versions, and errors.
#include <gtest/gtest.h>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"

namespace cairn {
namespace {

std::vector<std::string> metric_names(const std::vector<MetricSpec>& metrics) {
  std::vector<std::string> names;
  for (const MetricSpec& metric : metrics) names.push_back(metric.name);
  return names;
}

TEST(OptimizerConfig, AdamConfigIsKerasExactly) {
  Adam adam;
  EXPECT_EQ(optimizer_config(adam).dump(),
            R"({"class_name":"Adam","config":{"name":"Adam","learning_rate":0.001,"beta_1":0.9,)"
            R"("beta_2":0.999,"epsilon":1e-07,"amsgrad":false}})");
}

TEST(OptimizerConfig, EveryOptimizerRoundTrips) {
  const std::vector<OptimizerPtr> optimizers = {
      std::make_shared<SGD>(),
      std::make_shared<SGD>(0.05, 0.9, true, 0.01),
      std::make_shared<Adam>(),
      std::make_shared<Adam>(0.003, 0.8, 0.99, 1e-5, true, 0.001),
      std::make_shared<Adagrad>(0.02, 0.2, 1e-6, 0.1),
      std::make_shared<RMSprop>(),
      std::make_shared<RMSprop>(0.01, 0.95, 0.5, 1e-4, true, 0.2),
  };
  for (const OptimizerPtr& optimizer : optimizers) {
    const Json config = optimizer_config(*optimizer);
    const OptimizerPtr back = optimizer_from_config(config);
    EXPECT_EQ(back->class_name(), optimizer->class_name());
    EXPECT_EQ(back->learning_rate(), optimizer->learning_rate());
    EXPECT_EQ(back->decay(), optimizer->decay());
    EXPECT_EQ(optimizer_config(*back), config) << config.dump();
  }
  auto rmsprop = std::dynamic_pointer_cast<RMSprop>(optimizer_from_config(optimizer_config(*optimizers[6])));
  EXPECT_TRUE(rmsprop->centered());
  EXPECT_FLOAT_EQ(rmsprop->rho(), 0.95);
  EXPECT_EQ(rmsprop->epsilon(), 1e-4);
  auto sgd = std::dynamic_pointer_cast<SGD>(optimizer_from_config(optimizer_config(*optimizers[1])));
  EXPECT_TRUE(sgd->nesterov());
  EXPECT_FLOAT_EQ(sgd->momentum(), 0.9);
}

TEST(OptimizerConfig, ReadsOtherKerasVersions) {
  // tf.keras 2.x after training: the float32 values of the hyperparameter variables.
  auto trained = std::dynamic_pointer_cast<Adam>(optimizer_from_config(Json::parse(R"({"class_name": "Adam",
      "config": {"name": "Adam", "learning_rate": 0.0010000000474974513, "decay": 0.0,
                 "beta_1": 0.8999999761581421, "beta_2": 0.9990000128746033, "epsilon": 1e-07, "amsgrad": false}})")));
  ASSERT_TRUE(trained);
  EXPECT_EQ(optimizer_config(*trained), optimizer_config(Adam()));

  // Keras 2.2: "lr".
  EXPECT_FLOAT_EQ(optimizer_from_config(Json::parse(R"({"class_name": "SGD", "config": {"lr": 0.1, "momentum": 0.0,
      "decay": 0.0, "nesterov": false}})"))->learning_rate(), 0.1);

  // tf.keras 2.11 to 2.15, the new optimizers as "Custom>" objects.
  auto custom = optimizer_from_config(Json::parse(R"({"class_name": "Custom>Adam", "config": {"name": "Adam",
      "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false,
      "ema_momentum": 0.99, "ema_overwrite_frequency": null, "jit_compile": true, "is_legacy_optimizer": false,
      "learning_rate": 0.002, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}})"));
  EXPECT_FLOAT_EQ(custom->learning_rate(), 0.002);

  // Keras 3.
  auto keras3 = optimizer_from_config(Json::parse(R"({"module": "keras.optimizers", "class_name": "RMSprop",
      "config": {"name": "rmsprop", "learning_rate": 0.01, "weight_decay": null, "clipnorm": null,
                 "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99,
                 "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null,
                 "rho": 0.8, "momentum": 0.0, "epsilon": 1e-07, "centered": false},
      "registered_name": null})"));
  EXPECT_FLOAT_EQ(std::dynamic_pointer_cast<RMSprop>(keras3)->rho(), 0.8);

  EXPECT_EQ(optimizer_from_config("adagrad")->class_name(), "Adagrad");
}

std::string optimizer_error(const std::string& json) {
  try {
    optimizer_from_config(Json::parse(json));
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

TEST(OptimizerConfig, UnsupportedOptionsAreErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"class_name": "Adamw", "config": {}})", "Unknown optimizer: 'Adamw'"},
      {R"({"class_name": "Adam", "config": {"clipnorm": 1.0, "clipvalue": 0.5}})",
       "only one of clipnorm, clipvalue and global_clipnorm"},
      {R"({"class_name": "Adam", "config": {"weight_decay": -0.004}})", "weight_decay must be in [0, inf)"},
      {R"({"class_name": "Adam", "config": {"use_ema": true, "ema_momentum": 1.5}})", "ema_momentum"},
      {R"({"class_name": "Adam", "config": {"loss_scale_factor": 128}})", "loss_scale_factor"},
      {R"({"class_name": "Adam", "config": {"learning_rate": {"class_name": "ExponentialDecay", "config": {}}}})",
       "learning_rate: ExponentialDecay: initial_learning_rate is required"},
      {R"({"class_name": "Adam", "config": {"learning_rate": {"class_name": "OneCycle", "config": {}}}})",
       "unknown learning rate schedule 'OneCycle'"},
      {R"({"class_name": "Adam", "config": {"beta_3": 0.5}})", "Adam: unknown argument beta_3"},
      {R"({"class_name": "SGD", "config": {"learning_rate": -1.0}})", "SGD: learning_rate must be in"},
      {R"("adamz")", "adamz"},
  };
  for (const auto& [json, expected] : cases) {
    const std::string message = optimizer_error(json);
    EXPECT_NE(message.find(expected), std::string::npos) << json << " -> " << message;
  }
}

TEST(LossConfig, RoundTripsAndReadsKerasForms) {
  const std::vector<LossPtr> losses = {std::make_shared<SparseCategoricalCrossentropy>(true),
                                       std::make_shared<CategoricalCrossentropy>(),
                                       std::make_shared<BinaryCrossentropy>(true), std::make_shared<MeanSquaredError>()};
  for (const LossPtr& loss : losses) {
    const Json config = loss_config(*loss);
    EXPECT_EQ(loss_config(*loss_from_config(config)), config) << config.dump();
  }
  EXPECT_EQ(loss_config(*losses[0]).dump(),
            R"({"class_name":"SparseCategoricalCrossentropy","config":{"reduction":"sum_over_batch_size",)"
            R"("name":"sparse_categorical_crossentropy","from_logits":true}})");
  // tf.keras 2.x wrote "auto" (which Keras 3 refuses, so cairn no longer writes it); it still reads.
  auto keras2 = std::dynamic_pointer_cast<SparseCategoricalCrossentropy>(loss_from_config(Json::parse(R"({
      "class_name": "SparseCategoricalCrossentropy",
      "config": {"reduction": "auto", "name": "sparse_categorical_crossentropy", "from_logits": true}})")));
  ASSERT_TRUE(keras2);
  EXPECT_TRUE(keras2->from_logits());
  EXPECT_EQ(loss_from_config("mse")->class_name(), "MeanSquaredError");
  // Keras 3: a function, and a class with its newer keys.
  EXPECT_EQ(loss_from_config(Json::parse(R"({"module": "keras.losses", "class_name": "function",
      "config": "binary_crossentropy", "registered_name": "binary_crossentropy"})"))->class_name(),
            "BinaryCrossentropy");
  auto keras3 = std::dynamic_pointer_cast<SparseCategoricalCrossentropy>(loss_from_config(Json::parse(R"({
      "module": "keras.losses", "class_name": "SparseCategoricalCrossentropy", "registered_name": null,
      "config": {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
                 "from_logits": true, "ignore_class": null}})")));
  ASSERT_TRUE(keras3);
  EXPECT_TRUE(keras3->from_logits());

  EXPECT_THROW(loss_from_config(Json::parse(R"({"class_name": "CategoricalCrossentropy",
      "config": {"label_smoothing": 1.5}})")), FormatError);
  EXPECT_THROW(loss_from_config(Json::parse(R"({"class_name": "Huber", "config": {"delta": "one"}})")), FormatError);
  EXPECT_THROW(loss_from_config(Json::parse(R"({"class_name": "Huber", "config": {"deltas": 1}})")), FormatError);
  EXPECT_THROW(loss_from_config(Json::parse(R"({"class_name": "Dice", "config": {}})")), FormatError);
  EXPECT_THROW(loss_from_config(Json::parse(R"({"out_a": "mse", "out_b": "mse"})")), FormatError);
  EXPECT_THROW(loss_from_config("hinges"), FormatError);
}

TEST(LossConfig, EveryRegisteredLossRoundTripsWithKerasKeys) {
  for (const LossRegistration& entry : loss_registry()) {
    const Json config = loss_config(*get_loss(entry.function_name));
    EXPECT_EQ(config["class_name"], entry.class_name);
    EXPECT_EQ(loss_config(*loss_from_config(config)), config) << config.dump();
  }
  // tf-keras's form (with "fn") and Keras 3's, arguments included.
  const Json huber = loss_config(*loss_from_config(Json::parse(R"({"class_name": "Huber",
      "config": {"reduction": "auto", "name": "huber_loss", "delta": 0.5, "fn": "huber"}})")));
  EXPECT_EQ(huber["config"]["delta"], 0.5);
  const Json focal = loss_config(*loss_from_config(Json::parse(R"({"module": "keras.losses",
      "class_name": "BinaryFocalCrossentropy", "config": {"name": "binary_focal_crossentropy",
      "reduction": "sum_over_batch_size", "from_logits": true, "label_smoothing": 0.1, "axis": -1,
      "apply_class_balancing": true, "alpha": 0.3, "gamma": 3.0}, "registered_name": null})")));
  EXPECT_EQ(focal["config"]["apply_class_balancing"], true);
  EXPECT_EQ(focal["config"]["gamma"], 3);
  EXPECT_EQ(focal["config"]["label_smoothing"], 0.1);
}

TEST(TrainingConfig, CompiledModelRoundTrips) {
  Sequential model({std::make_shared<Dense>(3)}, Shape{2});
  EXPECT_THROW(training_config(model), InvalidArgument);
  model.compile({.optimizer = std::make_shared<SGD>(0.1, 0.9), .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"}});
  const Json config = training_config(model);
  EXPECT_EQ(config.dump(),
            R"({"loss":{"class_name":"SparseCategoricalCrossentropy","config":{"reduction":"sum_over_batch_size",)"
            R"("name":"sparse_categorical_crossentropy","from_logits":false}},"metrics":["accuracy"],)"
            R"("weighted_metrics":null,"loss_weights":null,"optimizer_config":{"class_name":"SGD","config":)"
            R"({"name":"SGD","learning_rate":0.1,"momentum":0.9,"nesterov":false}}})");

  Sequential copy({std::make_shared<Dense>(3)}, Shape{2});
  copy.compile(compile_options_from_training_config(config));
  EXPECT_EQ(training_config(copy), config);
}

TEST(TrainingConfig, MetricObjectsKeepTheirArguments) {
  Sequential model({std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid"})}, Shape{2});
  model.compile({.optimizer = "sgd", .loss = "binary_crossentropy",
                 .metrics = {"accuracy", std::make_shared<AUC>(50, "PR", "pr_auc"), std::make_shared<Precision>(0.7)}});
  const Json config = training_config(model);
  EXPECT_EQ(config["metrics"][0], "accuracy");
  EXPECT_EQ(config["metrics"][1]["class_name"], "AUC");
  EXPECT_EQ(config["metrics"][1]["config"]["name"], "pr_auc");
  EXPECT_EQ(config["metrics"][1]["config"]["num_thresholds"], 50);
  EXPECT_EQ(config["metrics"][1]["config"]["curve"], "PR");

  Sequential copy({std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid"})}, Shape{2});
  copy.compile(compile_options_from_training_config(config));
  EXPECT_EQ(training_config(copy), config);
  ASSERT_EQ(copy.compiled_metric_specs().size(), 3u);
  EXPECT_EQ(copy.compiled_metric_specs()[2].object->get_config(), Precision(0.7).get_config());
}

TEST(TrainingConfig, ReadsTfKerasAndKeras3Forms) {
  // tf.keras 2.x h5 attribute: loss given as a string, compiled metrics per output.
  CompileOptions tf_keras = compile_options_from_training_config(Json::parse(R"({
      "loss": "categorical_crossentropy",
      "metrics": [[{"class_name": "MeanMetricWrapper",
                    "config": {"name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]],
      "weighted_metrics": null, "loss_weights": null, "sample_weight_mode": null,
      "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.0005,
                           "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}}})"));
  EXPECT_EQ(tf_keras.loss.object->class_name(), "CategoricalCrossentropy");
  EXPECT_EQ(metric_names(tf_keras.metrics), std::vector<std::string>{"accuracy"});
  EXPECT_FLOAT_EQ(tf_keras.optimizer.object->learning_rate(), 0.0005);

  // Keras 3 compile_config.
  CompileOptions keras3 = compile_options_from_training_config(Json::parse(R"({
      "optimizer": {"module": "keras.optimizers", "class_name": "SGD", "config": {"name": "SGD",
                    "learning_rate": 0.01, "momentum": 0.0, "nesterov": false}, "registered_name": null},
      "loss": "mean_squared_error", "loss_weights": null,
      "metrics": [{"module": "keras.metrics", "class_name": "BinaryAccuracy",
                   "config": {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.5}}],
      "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false})"));
  EXPECT_EQ(keras3.optimizer.object->class_name(), "SGD");
  EXPECT_EQ(metric_names(keras3.metrics), std::vector<std::string>{"binary_accuracy"});

  // Regression metrics by alias and as tf-keras's MeanMetricWrapper.
  CompileOptions regression = compile_options_from_training_config(Json::parse(R"({"loss": "mse",
      "metrics": ["mse", {"class_name": "MeanMetricWrapper",
                          "config": {"name": "mae", "dtype": "float32", "fn": "mean_absolute_error"}}],
      "optimizer_config": "adam"})"));
  EXPECT_EQ(metric_names(regression.metrics), (std::vector<std::string>{"mse", "mae"}));

  // Keras's identifiers and metric classes with their default arguments; other arguments are refused,
  // since compile takes metrics by name.
  CompileOptions classifier = compile_options_from_training_config(Json::parse(R"({"loss": "binary_crossentropy",
      "metrics": ["auc", "acc", "ce", "mape", {"module": "keras.metrics", "class_name": "Precision",
                  "config": {"name": "precision", "dtype": "float32", "thresholds": null, "top_k": null,
                             "class_id": null}, "registered_name": null},
                  {"class_name": "AUC", "config": {"name": "auc", "num_thresholds": 200, "curve": "ROC",
                   "summation_method": "interpolation", "multi_label": false, "num_labels": null,
                   "label_weights": null, "from_logits": false, "dtype": "float32"}}],
      "optimizer_config": "adam"})"));
  EXPECT_EQ(metric_names(classifier.metrics), (std::vector<std::string>{"auc", "acc", "ce", "mape", "precision", "auc"}));
  // Other arguments make the metric object they describe.
  CompileOptions objects = compile_options_from_training_config(Json::parse(R"({"loss": "mse", "metrics": [
      {"class_name": "AUC", "config": {"name": "auc", "curve": "PR"}},
      {"class_name": "MeanIoU", "config": {"name": "iou", "num_classes": 3}}], "optimizer_config": "adam"})"));
  ASSERT_EQ(objects.metrics.size(), 2u);
  ASSERT_TRUE(objects.metrics[0].object && objects.metrics[1].object);
  EXPECT_EQ(objects.metrics[0].object->class_name(), "AUC");
  EXPECT_EQ(objects.metrics[0].object->name(), "auc");
  EXPECT_EQ(objects.metrics[1].object->name(), "iou");
  EXPECT_THROW(compile_options_from_training_config(Json::parse(R"({"loss": "mse", "metrics": [{"class_name":
      "AUC", "config": {"name": "auc", "curve": "XY"}}], "optimizer_config": "adam"})")), FormatError);
  EXPECT_THROW(compile_options_from_training_config(Json::parse(R"({"loss": "mse", "metrics": ["aucc"],
      "optimizer_config": "adam"})")), FormatError);
  EXPECT_THROW(compile_options_from_training_config(Json::parse(R"({"loss": "mse", "loss_weights": "heavy",
      "optimizer_config": "adam"})")), FormatError);
  EXPECT_THROW(compile_options_from_training_config(Json::parse(R"({"loss": ["mse", null],
      "optimizer_config": "adam"})")), FormatError);
  EXPECT_THROW(compile_options_from_training_config(Json::parse(R"({"metrics": [], "optimizer_config": "adam"})")),
               FormatError);
}

std::shared_ptr<Functional> flag_and_score_model() {
  clear_session();
  SymbolicTensor x = Input({3}, "x");
  SymbolicTensor h = (*std::make_shared<Dense>(4, DenseOptions{.name = "h"}))(x);
  SymbolicTensor flag = (*std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid", .name = "flag"}))(h);
  SymbolicTensor score = (*std::make_shared<Dense>(2, DenseOptions{.name = "score"}))(h);
  return std::make_shared<Functional>(std::vector<SymbolicTensor>{x}, std::vector<SymbolicTensor>{flag, score}, "two");
}

TEST(TrainingConfig, SeveralOutputsWriteTheirLossesWeightsAndMetricsByName) {
  auto model = flag_and_score_model();
  model->compile({.optimizer = "sgd",
                  .output_losses = {{"flag", "binary_crossentropy"}, {"score", "mse"}},
                  .loss_weights = {{"flag", 0.5}},
                  .output_metrics = std::map<std::string, std::vector<MetricSpec>>{
                      {"flag", {"accuracy", std::make_shared<AUC>(50)}}, {"score", {"mae"}}}});
  const Json config = training_config(*model);
  EXPECT_EQ(config["loss"]["flag"]["class_name"], "BinaryCrossentropy");
  EXPECT_EQ(config["loss"]["score"]["class_name"], "MeanSquaredError");
  // An output without a weight weighs 1, written so that Keras weighs every output.
  EXPECT_EQ(config["loss_weights"].dump(), R"({"flag":0.5,"score":1.0})");
  EXPECT_EQ(config["metrics"]["flag"][0], "accuracy");
  EXPECT_EQ(config["metrics"]["flag"][1]["config"]["num_thresholds"], 50);
  EXPECT_EQ(config["metrics"]["score"].dump(), R"(["mae"])");

  auto copy = flag_and_score_model();
  copy->compile(compile_options_from_training_config(config));
  EXPECT_EQ(copy->compiled_losses()[0]->class_name(), "BinaryCrossentropy");
  EXPECT_EQ(copy->compiled_losses()[1]->class_name(), "MeanSquaredError");
  EXPECT_EQ(copy->compiled_loss_weights()[0], 0.5);
  EXPECT_EQ(copy->compiled_loss_weights()[1], 1.0);
  EXPECT_EQ(metric_names(copy->compiled_output_metric_specs()[0]), (std::vector<std::string>{"accuracy", "auc"}));
  EXPECT_EQ(metric_names(copy->compiled_output_metric_specs()[1]), std::vector<std::string>{"mae"});
  EXPECT_EQ(training_config(*copy), config);

  // One loss for every output is written once, as Keras writes compile's single `loss`.
  model->compile({.optimizer = "sgd", .loss = "mse"});
  EXPECT_EQ(training_config(*model)["loss"]["class_name"], "MeanSquaredError");
  EXPECT_TRUE(training_config(*model)["loss_weights"].is_null());
  EXPECT_TRUE(training_config(*model)["metrics"].is_null());
}

// What Keras 3.x (compile_config in config.json) and tf-keras 2.21 (the .h5 training_config attribute)
// write for model "two" above compiled with loss={"flag": "binary_crossentropy", "score":
// MeanSquaredError()} or ["binary_crossentropy", "mse"], loss_weights {"flag": 0.5, "score": 2.0} or
// [0.5, 2.0], metrics {"flag": ["accuracy"], "score": ["mae"]} or [["accuracy"], ["mae"]]
// (optimizer configs shortened).
TEST(TrainingConfig, ReadsKerasConfigsOfTwoOutputs) {
  const char* keras3_dict = R"({"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config":
      {"name": "adam", "learning_rate": 0.0010000000474974513}, "registered_name": null},
      "loss": {"flag": "binary_crossentropy", "score": {"module": "keras.losses", "class_name": "MeanSquaredError",
               "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}, "registered_name": null}},
      "loss_weights": {"flag": 0.5, "score": 2.0}, "metrics": {"flag": ["accuracy"], "score": ["mae"]},
      "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false})";
  const char* keras3_list = R"({"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config":
      {"name": "adam_1", "learning_rate": 0.0010000000474974513}, "registered_name": null},
      "loss": ["binary_crossentropy", "mse"], "loss_weights": [0.5, 2.0], "metrics": [["accuracy"], ["mae"]],
      "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false})";
  const char* tf_keras_dict = R"({"loss": {"flag": "binary_crossentropy", "score": {"class_name": "MeanSquaredError",
      "config": {"reduction": "auto", "name": "mean_squared_error", "fn": "mean_squared_error"}}},
      "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "flag_accuracy", "dtype": "float32",
                    "fn": "binary_accuracy"}}],
                  [{"class_name": "MeanMetricWrapper", "config": {"name": "score_mae", "dtype": "float32",
                    "fn": "mean_absolute_error"}}]],
      "weighted_metrics": null, "loss_weights": {"flag": 0.5, "score": 2.0},
      "optimizer_config": {"class_name": "Custom>Adam", "config": {"name": "Adam", "is_legacy_optimizer": false,
                           "learning_rate": 0.0010000000474974513, "beta_1": 0.9, "beta_2": 0.999,
                           "epsilon": 1e-07, "amsgrad": false}}})";
  const char* tf_keras_list = R"({"loss": ["binary_crossentropy", "mse"],
      "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "flag_accuracy", "dtype": "float32",
                    "fn": "binary_accuracy"}}],
                  [{"class_name": "MeanMetricWrapper", "config": {"name": "score_mae", "dtype": "float32",
                    "fn": "mean_absolute_error"}}]],
      "weighted_metrics": null, "loss_weights": [0.5, 2.0],
      "optimizer_config": {"class_name": "Custom>Adam", "config": {"name": "Adam", "is_legacy_optimizer": false,
                           "learning_rate": 0.0010000000474974513}}})";
  for (const char* text : {keras3_dict, keras3_list, tf_keras_dict, tf_keras_list}) {
    SCOPED_TRACE(text);
    auto model = flag_and_score_model();
    model->compile(compile_options_from_training_config(Json::parse(text)));
    EXPECT_EQ(model->optimizer().class_name(), "Adam");
    EXPECT_EQ(model->compiled_losses()[0]->class_name(), "BinaryCrossentropy");
    EXPECT_EQ(model->compiled_losses()[1]->class_name(), "MeanSquaredError");
    EXPECT_EQ(model->compiled_loss_weights()[0], 0.5);
    EXPECT_EQ(model->compiled_loss_weights()[1], 2.0);
    EXPECT_EQ(metric_names(model->compiled_output_metric_specs()[0]), std::vector<std::string>{"accuracy"});
    EXPECT_EQ(metric_names(model->compiled_output_metric_specs()[1]), std::vector<std::string>{"mae"});
  }
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST(OptimizerConfig, EveryRegisteredOptimizerRoundTrips) {
  for (const OptimizerRegistration& entry : optimizer_registry()) {
    OptimizerPtr optimizer = get_optimizer(entry.class_name);
    const Json config = optimizer_config(*optimizer);
    EXPECT_EQ(config["class_name"], entry.class_name);
    EXPECT_EQ(optimizer_config(*optimizer_from_config(config)), config) << config.dump();
  }
}

// Keras 3's own serialization (keras.optimizers.serialize), a schedule and the common options included.
TEST(OptimizerConfig, ReadsKeras3SchedulesAndCommonOptions) {
  OptimizerPtr sgd = optimizer_from_config(Json::parse(R"({"module": "keras.optimizers", "class_name": "SGD",
      "config": {"name": "sgd", "learning_rate": {"module": "keras.optimizers.schedules", "class_name": "CosineDecay",
      "config": {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.0, "name": "CosineDecay",
      "warmup_target": 0.2, "warmup_steps": 10}, "registered_name": null}, "weight_decay": null, "clipnorm": null,
      "global_clipnorm": null, "clipvalue": 0.5, "use_ema": true, "ema_momentum": 0.99,
      "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null,
      "momentum": 0.0, "nesterov": false}, "registered_name": null})"));
  ASSERT_TRUE(sgd->learning_rate_schedule());
  EXPECT_EQ(sgd->learning_rate_schedule()->class_name(), "CosineDecay");
  EXPECT_DOUBLE_EQ(sgd->current_learning_rate(), 0.1);
  EXPECT_EQ(sgd->common_options().clipvalue, 0.5);
  EXPECT_TRUE(sgd->common_options().use_ema);
  const Json written = optimizer_config(*sgd);
  EXPECT_EQ(written["config"]["learning_rate"]["class_name"], "CosineDecay");
  EXPECT_EQ(written["config"]["learning_rate"]["config"]["warmup_steps"], 10);
  EXPECT_EQ(written["config"]["clipvalue"], 0.5);
  EXPECT_EQ(optimizer_config(*optimizer_from_config(written)), written) << written.dump();

  OptimizerPtr adamw = optimizer_from_config(Json::parse(R"({"module": "keras.optimizers", "class_name": "AdamW",
      "config": {"name": "adam_w", "learning_rate": 0.0010000000474974513, "weight_decay": 0.004, "clipnorm": null,
      "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99,
      "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null,
      "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}, "registered_name": null})"));
  EXPECT_EQ(adamw->class_name(), "AdamW");
  EXPECT_DOUBLE_EQ(*adamw->common_options().weight_decay, 0.004);
  EXPECT_EQ(optimizer_config(*adamw)["config"]["weight_decay"], 0.004);
}

}  // namespace
}  // namespace cairn
