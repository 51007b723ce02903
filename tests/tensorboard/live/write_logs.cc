// Writes a TensorBoard log directory with every kind of summary cairn writes, and what it wrote as JSON,
// for check_with_tensorboard.py to compare with what TensorBoard's own loader finds:
//
//   tensorboard_log_writer LOG_DIR EXPECTED_JSON
//
// A small CNN trains 3 epochs on 8x8 images of 3 classes with the TensorBoard callback writing scalars
// (every 2nd batch and every epoch, with steps per second), weight and gradient histograms, weight
// images, the model's config (write_graph), hparams and the learning rate of a decaying schedule; a text summary goes to the run "notes".
// The JSON holds the history, every batch's logs, the weights and gradients at each epoch's end (as
// the callback saw them), the model config, the hparams and the text.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cairn/autodiff.h"
#include "cairn/cairn.h"
#include "cairn/config.h"

using namespace cairn;

namespace {

// n 8x8 one-channel images: class c has a bright bar at rows 2c..2c+2, plus a little texture.
std::pair<Tensor, Tensor> images(int64_t n, int64_t offset) {
  std::vector<float> x(static_cast<size_t>(n * 64)), y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = (i + offset) % 3;
    y[static_cast<size_t>(i)] = static_cast<float>(label);
    for (int64_t p = 0; p < 64; ++p) {
      const int64_t row = p / 8;
      const float bar = row >= 2 * label && row < 2 * label + 3 ? 0.8f : 0.1f;
      x[static_cast<size_t>(i * 64 + p)] = bar + 0.05f * static_cast<float>((p * 7 + i * 3) % 5);
    }
  }
  return {Tensor::from_vector<float>({n, 8, 8, 1}, x), Tensor::from_vector<float>({n}, y)};
}

Json tensor_json(const Tensor& t) {
  return {{"shape", t.shape()}, {"values", t.to(DType::Float64).to_vector<double>()}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tensorboard_log_writer LOG_DIR EXPECTED_JSON\n";
    return 2;
  }
  const std::string log_dir = argv[1];
  set_random_seed(7);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_conv2d(4, {3, 3}, {.activation = "relu"}), make_flatten(),
                            make_dense(3, {.activation = "softmax"})},
      Shape{8, 8, 1});
  // A decaying rate, so that each epoch's epoch_learning_rate differs: 0.05 halved every 6 steps (an epoch).
  auto optimizer = std::make_shared<SGD>(0.05);
  optimizer->set_learning_rate_schedule(std::make_shared<ExponentialDecay>(0.05, 6, 0.5));
  model->compile({.optimizer = optimizer,
                  .loss = "sparse_categorical_crossentropy",
                  .metrics = {"accuracy"}});
  const auto [x, y] = images(48, 0);
  const auto validation = images(12, 1);
  const HParams hparams = {{"learning_rate", 0.05}, {"optimizer", std::string("sgd")}, {"filters", 4.0},
                           {"augment", false}};

  Json expected = {{"log_dir", log_dir}, {"update_freq", 2}, {"batch_size", 8}, {"epochs", 3}};
  Json batches = Json::object(), weights = Json::object(), gradients = Json::object(), learning_rates = Json::array();
  auto recorder = std::make_shared<LambdaCallback>();
  recorder->on_batch_end_fn = [&](int64_t, const Logs& logs) {
    batches[std::to_string(model->optimizer().iteration_count())] = Json(Logs::Values(logs));
  };
  recorder->on_epoch_end_fn = [&](int epoch, const Logs&) {
    learning_rates.push_back(model->optimizer().current_learning_rate());
    Json at_epoch = Json::object();
    for (const LayerPtr& layer : model->layers())
      for (const VariablePtr& w : layer->weights()) at_epoch[w->name()] = tensor_json(w->value());
    weights[std::to_string(epoch)] = at_epoch;
    // The gradients the callback draws: of the loss on the validation data, in inference mode.
    const std::vector<VariablePtr> trainable = model->trainable_weights();
    GradientTape tape;
    const Tensor loss = model->loss()(validation.second, (*model)(validation.first, false));
    const std::vector<Tensor> grads = tape.gradient(loss, trainable);
    Json at = Json::object();
    for (size_t i = 0; i < trainable.size(); ++i) at[trainable[i]->name()] = tensor_json(grads[i]);
    gradients[std::to_string(epoch)] = at;
  };
  auto tensorboard = std::make_shared<TensorBoard>(
      log_dir, TensorBoardOptions{.histogram_freq = 1,
                                  .write_images = true,
                                  .write_steps_per_second = true,
                                  .update_freq = 2,
                                  .gradient_data = validation,
                                  .hparams = hparams,
                                  .trial_id = "live-check"});
  History history = model->fit(x, y,
                               {.batch_size = 8,
                                .epochs = 3,
                                .verbose = 0,
                                .callbacks = {tensorboard, recorder},
                                .validation_data = validation,
                                .shuffle = false});

  EventFileWriter notes(log_dir + "/notes");
  const std::string text = "# cairn\nThe *live* check's notes: `3 epochs`, 48 images.";
  notes.add_text("notes/summary", text, 5);
  notes.close();

  expected["history"] = history.history;
  expected["batches"] = batches;
  expected["learning_rates"] = learning_rates;
  expected["weights"] = weights;
  expected["gradients"] = gradients;
  expected["model_json"] = model_to_json(*model);
  Json hp = Json::object();
  for (const auto& [name, value] : hparams)
    std::visit([&, name = name](const auto& v) { hp[name] = v; }, value);
  expected["hparams"] = hp;
  expected["trial_id"] = "live-check";
  expected["text"] = {{"run", "notes"}, {"tag", "notes/summary"}, {"step", 5}, {"value", text}};
  std::ofstream(argv[2]) << expected.dump(1) << "\n";
  std::cout << "wrote " << log_dir << " and " << argv[2] << "\n";
  return 0;
}
