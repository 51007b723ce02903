// The Keras TensorBoard callback: training curves, weight histograms and images, the model's graph,
// hyperparameters and text, written as TensorFlow 2 writes them.
//
//   auto tensorboard = std::make_shared<TensorBoard>("logs", TensorBoardOptions{
//       .histogram_freq = 1, .write_images = true, .update_freq = "batch",
//       .hparams = {{"learning_rate", 0.01}, {"optimizer", std::string("adam")}}});
//   model->fit(x, y, {.epochs = 10, .callbacks = {tensorboard}});
//   // tensorboard --logdir logs
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "cairn/callbacks.h"
#include "cairn/env.h"
#include "cairn/summary.h"
#include "cairn/tensor.h"

namespace cairn {

// Keras's update_freq: "epoch" (scalars once an epoch), "batch" (every batch) or a number of batches.
class UpdateFreq {
 public:
  UpdateFreq(const char* name) : UpdateFreq(std::string(name)) {}
  UpdateFreq(const std::string& name);  // InvalidArgument unless "epoch" or "batch"
  UpdateFreq(int64_t batches);          // InvalidArgument unless positive
  UpdateFreq(int batches) : UpdateFreq(static_cast<int64_t>(batches)) {}
  // 0 for "epoch", else the number of batches between batch-level writes.
  int64_t batches() const { return batches_; }

 private:
  int64_t batches_;
};

// Keras's arguments in Keras's order (profile_batch, embeddings_freq and embeddings_metadata are not
// supported: cairn has no profiler and no projector), then cairn's additions.
struct TensorBoardOptions {
  // Every histogram_freq epochs (0: never), a histogram of each weight of each layer of model.layers(),
  // "<weight name>/histogram" in the train run at step = epoch (weight names are Keras 3's paths,
  // "dense/kernel").
  int histogram_freq = 0;
  // The model's Keras config (model.to_json()), as the tag "keras" at step 0 of the train run, which
  // TensorBoard's Graphs tab draws as the model's layers. Only Sequential and functional models (as
  // Keras); a subclassed model has no config to draw.
  bool write_graph = true;
  // With histogram_freq, each weight also as images, "<weight name>/image", shaped as Keras shapes them:
  // a bias is a column, a Dense kernel an image of its larger side's height, a convolution kernel of one
  // input channel one image per filter; kernels of other ranks or shapes are not drawn. Keras hands the
  // raw weights to tf.summary.image, which clips them to [0, 1] (most weights show black); cairn maps
  // each weight's [min, max] to black..white, the same scale for all images of one weight.
  bool write_images = false;
  // Steps per second as "epoch_steps_per_second" (the epoch's batches over its time) and, with
  // batch-level updates, "batch_steps_per_second" (one over the batch's time).
  bool write_steps_per_second = false;
  UpdateFreq update_freq = "epoch";
  // cairn: gradient histograms on request (Keras 1's write_grads), "<weight name>_grad/histogram" next to
  // the weight histograms: the gradients of the compiled loss on these samples (x, y), computed in
  // inference mode (no dropout) at the end of each histogram epoch.
  std::optional<std::pair<Tensor, Tensor>> gradient_data;
  // cairn: the hparams plugin's records, as tensorboard.plugins.hparams.api.KerasCallback and
  // hparams_config write them, into log_dir itself (the session's run; its metrics are the train and
  // validation runs' "epoch_<metric>"): the experiment and the session start when training begins, the
  // session end (status success) when it ends. No records when hparams is empty. trial_id groups
  // sessions that repeat one trial; empty, each session is a group of its own (Keras hashes the values).
  HParams hparams;
  std::string trial_id;
};

// Logs training to TensorBoard as Keras's TensorBoard callback does: at the end of each epoch, every log
// entry `key` as the scalar "epoch_<key>" at step = epoch index, the training entries in <log_dir>/train
// and the val_* entries (without "val_") in <log_dir>/validation, where the val_* entries also go as
// "evaluation_<key>_vs_iterations" at step = optimizer iterations (Keras writes those when validation
// ends). With update_freq N, the logs of every Nth training batch (counted by the optimizer's iterations,
// across epochs and resumed runs) go to train as "batch_<key>" at step = iterations. Each fit writes new
// event files, flushed every epoch and closed when training ends. See TensorBoardOptions for the rest.
class TensorBoard : public Callback {
 public:
  explicit TensorBoard(std::string log_dir = "logs", TensorBoardOptions options = {}, Env& env = Env::Default());
  // The former signatures: update_freq alone.
  TensorBoard(std::string log_dir, const std::string& update_freq, Env& env = Env::Default());
  TensorBoard(std::string log_dir, int64_t update_freq, Env& env = Env::Default());

  void on_train_begin(const Logs& logs) override;
  void on_train_batch_begin(int64_t batch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(const Logs& logs) override;

  const TensorBoardOptions& options() const { return options_; }

 private:
  EventFileWriter& writer(std::unique_ptr<EventFileWriter>& slot, const std::string& subdirectory);
  void log_weights(int epoch);

  std::string log_dir_;
  TensorBoardOptions options_;
  Env& env_;
  std::unique_ptr<EventFileWriter> train_writer_, validation_writer_, session_writer_;
  double epoch_start_time_ = 0, batch_start_time_ = 0;
  int64_t epoch_start_iterations_ = 0;
};

}  // namespace cairn
