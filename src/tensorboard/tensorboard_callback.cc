// The Keras TensorBoard callback (declared in cairn/tensorboard.h).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "cairn/autodiff.h"
#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/model.h"
#include "cairn/optimizers.h"
#include "cairn/tensorboard.h"

namespace cairn {
namespace {

// TF2's suffix ".<pid>.<n>.v2": every writer of the process gets its own file, even within one second.
std::string unique_filename_suffix() {
  static std::atomic<int64_t> writers{0};
  return std::string(".")
      .append(std::to_string(getpid()))
      .append(".")
      .append(std::to_string(++writers))
      .append(".v2");
}

bool is_validation_key(const std::string& key) { return key.starts_with("val_"); }

double seconds_now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// A weight as Keras's _log_weight_as_image shapes it: n images of height x width with `channels`, as
// one (n * height, width, channels) tensor of doubles, stacked so that one linear scale covers them all.
struct WeightImages {
  int64_t count, height, width, channels;
  Tensor stacked;
};

std::optional<WeightImages> weight_images(const Tensor& weight) {
  Shape squeezed;
  for (int64_t size : weight.shape())
    if (size != 1) squeezed.push_back(size);
  const Tensor values = weight.to(DType::Float64).reshape(squeezed);
  const double* v = values.data<double>();
  auto images = [&](int64_t count, int64_t height, int64_t width, int64_t channels) {
    return WeightImages{count, height, width, channels, Tensor(Shape{count * height, width, channels}, DType::Float64)};
  };
  if (squeezed.size() == 1) {  // a bias: one column
    WeightImages out = images(1, squeezed[0], 1, 1);
    std::copy(v, v + squeezed[0], out.stacked.data<double>());
    return out;
  }
  if (squeezed.size() == 2) {  // a Dense kernel: transposed when taller than wide
    const int64_t rows = squeezed[0], cols = squeezed[1];
    const bool transpose = rows > cols;
    WeightImages out = transpose ? images(1, cols, rows, 1) : images(1, rows, cols, 1);
    double* o = out.stacked.data<double>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) o[transpose ? c * rows + r : r * cols + c] = v[r * cols + c];
    return out;
  }
  if (squeezed.size() == 3) {  // (kh, kw, filters), channels last: one image per filter
    const int64_t kh = squeezed[0], kw = squeezed[1], filters = squeezed[2];
    WeightImages out = images(filters, kh, kw, 1);
    double* o = out.stacked.data<double>();
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t f = 0; f < filters; ++f) o[(f * kh + y) * kw + x] = v[(y * kw + x) * filters + f];
    return out;
  }
  // Keras draws a rank-4 tensor whose last dimension can be image channels as it is: shape[0] images.
  if (squeezed.size() == 4 && (squeezed[3] == 1 || squeezed[3] == 3 || squeezed[3] == 4)) {
    WeightImages out = images(squeezed[0], squeezed[1], squeezed[2], squeezed[3]);
    std::copy(v, v + values.numel(), out.stacked.data<double>());
    return out;
  }
  return std::nullopt;
}

std::vector<Image> as_images(const WeightImages& weight) {
  const Tensor stacked = weight.channels == 1
                             ? weight.stacked.reshape({weight.count * weight.height, weight.width})
                             : weight.stacked;
  const Image all = image_from_tensor(stacked);
  const size_t bytes = static_cast<size_t>(weight.height * weight.width * weight.channels);
  std::vector<Image> images;
  for (int64_t i = 0; i < weight.count; ++i)
    images.push_back({.height = weight.height,
                      .width = weight.width,
                      .channels = static_cast<int>(weight.channels),
                      .pixels = std::vector<uint8_t>(all.pixels.begin() + static_cast<ptrdiff_t>(i * bytes),
                                                     all.pixels.begin() + static_cast<ptrdiff_t>((i + 1) * bytes))});
  return images;
}

}  // namespace

UpdateFreq::UpdateFreq(const std::string& name) {
  if (name == "epoch")
    batches_ = 0;
  else if (name == "batch")
    batches_ = 1;
  else
    throw InvalidArgument("TensorBoard: update_freq must be \"epoch\", \"batch\" or a number of batches, got \"" +
                          name + "\"");
}

UpdateFreq::UpdateFreq(int64_t batches) : batches_(batches) {
  if (batches <= 0)
    throw InvalidArgument("TensorBoard: update_freq must be positive, got " + std::to_string(batches));
}

TensorBoard::TensorBoard(std::string log_dir, TensorBoardOptions options, Env& env)
    : log_dir_(std::move(log_dir)), options_(std::move(options)), env_(env) {
  if (options_.histogram_freq < 0)
    throw InvalidArgument("TensorBoard: histogram_freq must be >= 0, got " + std::to_string(options_.histogram_freq));
  if (options_.gradient_data && options_.histogram_freq == 0)
    throw InvalidArgument("TensorBoard: gradient_data needs histogram_freq > 0 (gradients are written with the "
                          "weight histograms)");
}

TensorBoard::TensorBoard(std::string log_dir, const std::string& update_freq, Env& env)
    : TensorBoard(std::move(log_dir), TensorBoardOptions{.update_freq = update_freq}, env) {}

TensorBoard::TensorBoard(std::string log_dir, int64_t update_freq, Env& env)
    : TensorBoard(std::move(log_dir), TensorBoardOptions{.update_freq = update_freq}, env) {}

EventFileWriter& TensorBoard::writer(std::unique_ptr<EventFileWriter>& slot, const std::string& subdirectory) {
  if (!slot) {
    const std::string dir = subdirectory.empty() ? log_dir_ : log_dir_ + "/" + subdirectory;
    slot = std::make_unique<EventFileWriter>(dir, env_, unique_filename_suffix());
  }
  return *slot;
}

void TensorBoard::on_train_begin(const Logs& logs) {
  // Keras starts new event files for every fit.
  train_writer_.reset();
  validation_writer_.reset();
  session_writer_.reset();
  if (options_.write_graph && model()->is_graph_network()) {
    EventFileWriter& train = writer(train_writer_, "train");
    train.add_keras_model("keras", model_to_json(*model()), 0);
    train.flush();
  }
  if (!options_.hparams.empty()) {
    std::vector<HParamsMetric> metrics;
    std::vector<std::string> names = {"loss"};
    for (const std::string& metric : model()->compiled_metrics()) names.push_back(metric);
    for (const char* group : {"train", "validation"})
      for (const std::string& name : names) metrics.push_back({group, "epoch_" + name});
    EventFileWriter& session = writer(session_writer_, "");
    session.add_hparams_experiment(options_.hparams, metrics);
    session.add_hparams_session_start(options_.hparams, options_.trial_id);
    session.flush();
  }
}

void TensorBoard::on_epoch_begin(int epoch, const Logs& logs) {
  if (!options_.write_steps_per_second) return;
  epoch_start_time_ = seconds_now();
  epoch_start_iterations_ = model()->optimizer().iteration_count();
}

void TensorBoard::on_train_batch_begin(int64_t batch, const Logs& logs) {
  if (options_.write_steps_per_second) batch_start_time_ = seconds_now();
}

void TensorBoard::on_train_batch_end(int64_t batch, const Logs& logs) {
  const int64_t every = options_.update_freq.batches();
  if (every == 0) return;
  // Keras counts batches with the model's train counter, which, like the optimizer's iterations here,
  // runs on across epochs and survives a resume from a checkpoint.
  const int64_t iterations = model()->optimizer().iteration_count();
  if (iterations % every != 0) return;
  EventFileWriter& train = writer(train_writer_, "train");
  if (options_.write_steps_per_second)
    train.add_scalar("batch_steps_per_second", 1.0 / std::max(seconds_now() - batch_start_time_, 1e-9), iterations);
  for (const auto& [key, value] : logs) train.add_scalar("batch_" + key, value, iterations);
}

void TensorBoard::log_weights(int epoch) {
  EventFileWriter& train = writer(train_writer_, "train");
  std::vector<Tensor> gradients;
  std::vector<VariablePtr> trainable;
  if (options_.gradient_data) {
    const auto& [x, y] = *options_.gradient_data;
    trainable = model()->trainable_weights();
    GradientTape tape;
    const Tensor loss = model()->loss()(y, (*model())(x, /*training=*/false));
    gradients = tape.gradient(loss, trainable);
  }
  for (const LayerPtr& layer : model()->layers()) {
    for (const VariablePtr& weight : layer->weights()) {
      const Tensor value = weight->value();
      train.add_histogram(weight->name() + "/histogram", value, epoch);
      if (options_.write_images)
        if (std::optional<WeightImages> images = weight_images(value))
          train.add_images(weight->name() + "/image", as_images(*images), epoch);
      for (size_t i = 0; i < trainable.size(); ++i)
        if (trainable[i] == weight) train.add_histogram(weight->name() + "_grad/histogram", gradients[i], epoch);
    }
  }
}

void TensorBoard::on_epoch_end(int epoch, Logs& logs) {
  for (const auto& [key, value] : logs)
    if (!is_validation_key(key) && key != "learning_rate")
      writer(train_writer_, "train").add_scalar("epoch_" + key, value, epoch);
  // Keras 3 adds the optimizer's learning rate to the epoch's training values (in place of a
  // "learning_rate" the logs may hold): the rate the next step uses, a schedule's value at the
  // iterations done. Like the other epoch values, only for an epoch with logs.
  if (!logs.empty())
    writer(train_writer_, "train").add_scalar("epoch_learning_rate", model()->optimizer().current_learning_rate(), epoch);
  const int64_t iterations = model()->optimizer().iteration_count();
  if (options_.write_steps_per_second) {
    const double seconds = std::max(seconds_now() - epoch_start_time_, 1e-9);
    writer(train_writer_, "train")
        .add_scalar("epoch_steps_per_second", static_cast<double>(iterations - epoch_start_iterations_) / seconds,
                    epoch);
  }
  for (const auto& [key, value] : logs) {
    if (!is_validation_key(key)) continue;
    const std::string name = key.substr(4);
    EventFileWriter& validation = writer(validation_writer_, "validation");
    validation.add_scalar("epoch_" + name, value, epoch);
    // What Keras writes when validation ends; cairn's fit validates without calling on_test_end.
    validation.add_scalar("evaluation_" + name + "_vs_iterations", value, iterations);
  }
  if (options_.histogram_freq > 0 && epoch % options_.histogram_freq == 0) log_weights(epoch);
  if (train_writer_) train_writer_->flush();
  if (validation_writer_) validation_writer_->flush();
}

void TensorBoard::on_train_end(const Logs& logs) {
  if (session_writer_) session_writer_->add_hparams_session_end(SessionStatus::kSuccess);
  for (auto* slot : {&train_writer_, &validation_writer_, &session_writer_})
    if (*slot) (*slot)->close();
}

}  // namespace cairn
