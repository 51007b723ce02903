// The CNN "save and restore" tutorial on Fashion-MNIST: conv 5x5x16 same relu, max-pool 2, conv 5x5x36
// same relu, max-pool 2, dense 128 relu, dense 10. Every 100 batches the validation accuracy is
// checked; a new best is saved; training stops after 1000 batches without improvement (or at the
// epoch limit). Then a re-initialized model restores the best weights and reaches the same accuracy.
// The run's report (cairn/report.h) shows the curves, the checkpoint, the confusion matrix of the test
// set, the test images it got wrong and, as in the tutorial, the first convolution layer's filters
// before training, after re-initialization and after the restore.
//
//   build/examples/cnn_early_stopping [--epochs 5] [--lr 0.001] [--batch 64] [--threads 1] [--report FILE]
//   build/examples/cnn_early_stopping --quick [--epochs 1]   # 2000 images, validation every 10 batches
//   build/examples/cnn_early_stopping --compare [--epochs 3]   # like ../shared/peers/pytorch_fashion.py
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "cairn/cairn.h"

using namespace cairn;

namespace {

std::shared_ptr<Sequential> create_model(double learning_rate) {
  set_random_seed(0);
  auto conv = [](int64_t filters) {
    return std::make_shared<Conv2D>(filters, std::array<int, 2>{5, 5}, Conv2DOptions{.padding = "same", .activation = "relu"});
  };
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{conv(16), std::make_shared<MaxPooling2D>(), conv(36), std::make_shared<MaxPooling2D>(),
                            std::make_shared<Flatten>(), std::make_shared<Dense>(128, DenseOptions{.activation = "relu"}),
                            std::make_shared<Dense>(10)},
      Shape{28, 28, 1});
  model->compile({.optimizer = std::make_shared<Adam>(learning_rate),
                  .loss = std::make_shared<SparseCategoricalCrossentropy>(/*from_logits=*/true),
                  .metrics = {"accuracy"}});
  return model;
}

Tensor images(const Tensor& x) { return ops::scale(x.to(DType::Float32).reshape({x.dim(0), 28, 28, 1}), 1.0 / 255.0); }

// Checks the validation accuracy every `every` batches, saves a new best, stops after `patience`
// batches without improvement: the tutorial's loop, as a callback.
class BestValidationSaver : public Callback {
 public:
  BestValidationSaver(Tensor x_val, Tensor y_val, std::string path, int64_t every, int64_t patience)
      : x_(std::move(x_val)), y_(std::move(y_val)), path_(std::move(path)), every_(every), patience_(patience) {}
  void on_train_batch_end(int64_t, const Logs&) override {
    if (++batches_ % every_ != 0) return;
    const double accuracy = model()->evaluate(x_, y_, {.batch_size = 500})["accuracy"];
    if (accuracy > best_) {
      best_ = accuracy;
      last_improvement_ = batches_;
      model()->save_weights(path_);
    }
    std::printf("\n  batch %6ld: validation accuracy %.4f%s", static_cast<long>(batches_), accuracy,
                last_improvement_ == batches_ ? " * (saved)" : "");
    std::fflush(stdout);
    if (batches_ - last_improvement_ >= patience_) {
      std::printf("\nNo improvement in %ld batches, stopping.\n", static_cast<long>(patience_));
      model()->stop_training = true;
    }
  }
  double best() const { return best_; }

 private:
  Tensor x_, y_;
  std::string path_;
  int64_t every_, patience_, batches_ = 0, last_improvement_ = 0;
  double best_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int epochs = 5, threads = 1;
  double lr = 1e-3;
  int64_t batch = 64;
  bool compare = false, quick = false, epochs_given = false;
  std::string report_path = "cnn_early_stopping_report.html";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--epochs") epochs = std::stoi(next()), epochs_given = true;
    else if (a == "--lr") lr = std::stod(next());
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--compare") compare = true;
    else if (a == "--quick") quick = true;
    else if (a == "--report") report_path = next();
    else {
      std::fprintf(stderr,
                   "usage: cnn_early_stopping [--epochs N] [--lr X] [--batch N] [--threads N] [--report FILE] "
                   "[--quick] [--compare]\n");
      return 2;
    }
  }
  set_num_threads(threads);
  TrainTestData data = load_fashion_mnist();
  Tensor x_all = images(data.train.x), y_all = data.train.y;
  Tensor x_test = images(data.test.x), y_test = data.test.y;

  if (compare) {
    // The same protocol as pytorch_fashion.py: all 60000 images, test accuracy after each epoch.
    auto model = create_model(lr);
    double train_seconds = 0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      const double start = monotonic_seconds();
      model->fit(x_all, y_all, {.batch_size = batch, .epochs = 1, .verbose = 0, .seed = static_cast<uint64_t>(epoch)});
      train_seconds += monotonic_seconds() - start;
      Logs test = model->evaluate(x_test, y_test, {.batch_size = 1000});
      std::printf("{\"impl\": \"cairn\", \"model\": \"cnn\", \"epoch\": %d, \"test_accuracy\": %.4f, \"test_loss\": %.4f, "
                  "\"train_seconds\": %.2f, \"threads\": %d}\n",
                  epoch, test.at("accuracy"), test.at("loss"), train_seconds, threads);
      std::fflush(stdout);
    }
    return 0;
  }

  // 55000 for training, the last 5000 for validation (--quick: 2000, 500 and 1000 test images).
  const int64_t train_size = quick ? 2000 : 55000, validation_end = quick ? 55500 : 60000;
  const int64_t every = quick ? 10 : 100, patience = quick ? 100 : 1000;
  if (quick) {
    if (!epochs_given) epochs = 1;
    x_test = ops::slice_rows(x_test, 0, 1000), y_test = ops::slice_rows(y_test, 0, 1000);
  }
  Tensor x_train = ops::slice_rows(x_all, 0, train_size), y_train = ops::slice_rows(y_all, 0, train_size);
  Tensor x_val = ops::slice_rows(x_all, 55000, validation_end), y_val = ops::slice_rows(y_all, 55000, validation_end);
  std::filesystem::remove_all("checkpoints");
  const std::string best_path = "checkpoints/best_validation";

  auto model = create_model(lr);
  model->summary();
  RunReport report("cnn_early_stopping: the CNN on Fashion-MNIST");
  report.add_filters(first_convolution_filters(*model, "before training"));
  auto saver = std::make_shared<BestValidationSaver>(x_val, y_val, best_path, every, patience);
  const History history = model->fit(x_train, y_train, {.batch_size = batch, .epochs = epochs, .callbacks = {saver},
                                                        .validation_data = std::make_pair(x_val, y_val)});
  const double trained = model->evaluate(x_test, y_test, {.batch_size = 1000})["accuracy"];
  std::printf("Test accuracy after training: %.4f (best validation accuracy %.4f)\n", trained, saver->best());

  // Re-initialize: a new model has untrained weights (the same seed: the filters before training);
  // then restore the best ones.
  auto fresh = create_model(lr);
  report.add_filters(first_convolution_filters(*fresh, "after re-initialization"));
  std::printf("Re-initialized model, test accuracy: %.4f\n", fresh->evaluate(x_test, y_test, {.batch_size = 1000}).at("accuracy"));
  fresh->load_weights(best_path);
  report.add_filters(first_convolution_filters(*fresh, "after restoring " + best_path));
  const double validation = fresh->evaluate(x_val, y_val, {.batch_size = 500})["accuracy"];
  const double restored = fresh->evaluate(x_test, y_test, {.batch_size = 1000})["accuracy"];
  std::printf("Restored best model: validation accuracy %.4f (saved at %.4f), test accuracy %.4f\n", validation,
              saver->best(), restored);

  report.add_history(history);
  report.set_monitor("val_accuracy");
  report.add_checkpoints("checkpoints");
  report.add_test_results(*fresh, x_test, y_test);
  report.set_model_summary(*fresh);
  report.write(report_path);
  std::printf("Report: %s\n", report_path.c_str());
  return validation == saver->best() ? 0 : 1;
}
