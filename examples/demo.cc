// The cairn demo: train on Fashion-MNIST with a progress bar and checkpoints, get killed in the middle
// of an epoch, resume exactly, prove it against an uninterrupted run, and load the saved model file
// (no model code) to predict; then write the run's report (curves from the TensorBoard logs, the
// checkpoints, the confusion matrix and the misclassified test images).
//
//   build/examples/demo [--epochs N] [--dir DIR]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "cairn/cairn.h"
#include "cairn/tensor_bundle.h"

using namespace cairn;
namespace fs = std::filesystem;

namespace {

const char* kClassNames[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                             "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

Tensor images_to_inputs(const Tensor& images) {
  const int64_t n = images.dim(0);
  return ops::scale(images.to(DType::Float32).reshape({n, 784}), 1.0 / 255.0);
}

std::shared_ptr<Sequential> create_model() {
  set_random_seed(2026);  // every run builds the same initial weights
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(256, DenseOptions{.activation = "relu"}), std::make_shared<Dropout>(0.2),
                            std::make_shared<Dense>(10, DenseOptions{.activation = "softmax"})},
      Shape{784});
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  return model;
}

// The training job (run in a child process, so that it can be killed for real).
int train(const std::string& dir, int epochs, bool with_checkpoints) {
  TrainTestData data = load_fashion_mnist();
  Tensor x = images_to_inputs(data.train.x), x_test = images_to_inputs(data.test.x);
  auto model = create_model();
  auto backup = std::make_shared<BackupAndRestore>(dir + "/backup", BackupAndRestoreOptions{.save_freq = int64_t{200}});
  std::vector<CallbackPtr> callbacks{backup};
  if (with_checkpoints)
    callbacks.push_back(std::make_shared<ModelCheckpoint>(
        dir + "/checkpoints/cp-{epoch:04d}.ckpt", ModelCheckpointOptions{.verbose = 1, .save_weights_only = true}));
  // BackupAndRestore restores in on_train_begin; say where it picked up.
  auto announce = std::make_shared<LambdaCallback>();
  announce->on_train_begin_fn = [&](const Logs&) {
    if (backup->restored_from()) {
      const EpochPosition at = model->training_state().position;
      std::printf("Restored %s: continuing at epoch %d, batch %ld of %ld\n", backup->restored_from()->c_str(),
                  at.epoch + 1, static_cast<long>(at.step), static_cast<long>((x.dim(0) + 63) / 64));
    }
    std::fflush(stdout);
  };
  callbacks.push_back(announce);
  // Curves for the report: each process writes its epochs' values (the resumed one goes on from epoch 2).
  callbacks.push_back(std::make_shared<TensorBoard>(dir + "/logs"));
  model->fit(x, data.train.y, {.batch_size = 64, .epochs = epochs, .callbacks = callbacks,
                               .validation_data = std::make_pair(x_test, data.test.y), .seed = 1});
  model->save_weights(dir + "/final/weights");
  save_model(*model, dir + "/final/model.keras");  // architecture, weights and optimizer state in one file
  return 0;
}

pid_t spawn(const char* self, const std::vector<std::string>& args, bool quiet) {
  pid_t pid = fork();
  if (pid == 0) {
    if (quiet) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDOUT_FILENO);
    }
    std::vector<char*> argv{const_cast<char*>(self)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 3;
  std::string dir = "demo_run";
  std::string mode;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!std::strcmp(argv[i], "--train") || !std::strcmp(argv[i], "--train-reference")) mode = argv[i];
    else {
      std::fprintf(stderr, "usage: demo [--epochs N] [--dir DIR]\n");
      return 2;
    }
  }
  if (mode == "--train") return train(dir, epochs, true);
  if (mode == "--train-reference") return train(dir, epochs, false);

  fs::remove_all(dir);
  const std::vector<std::string> job{"--train", "--epochs", std::to_string(epochs), "--dir", dir};

  std::printf("== 1. Training on Fashion-MNIST with checkpoints; the process will be killed during epoch 2\n");
  std::fflush(stdout);
  pid_t child = spawn(argv[0], job, false);
  // A backup every 200 batches of 938 per epoch: the 7th is at batch 462 of epoch 2. Kill a moment later,
  // between two backups, so that the resumed run has to repeat the batches since the last one.
  while (!fs::exists(dir + "/backup/backup-7.index")) {
    if (waitpid(child, nullptr, WNOHANG) == child) {
      std::fprintf(stderr, "demo: the training process ended before it could be interrupted\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  kill(child, SIGKILL);
  wait_for(child);
  std::printf("\n== Killed with SIGKILL during epoch 2.\n\n== 2. Running the same command again: it resumes exactly\n");
  std::fflush(stdout);
  if (wait_for(spawn(argv[0], job, false)) != 0) return 1;

  std::printf("\n== 3. For proof, the same training without interruption (output hidden)\n");
  std::fflush(stdout);
  const std::string reference_dir = dir + "/reference";
  if (wait_for(spawn(argv[0], {"--train-reference", "--epochs", std::to_string(epochs), "--dir", reference_dir}, true)) != 0)
    return 1;
  BundleReader resumed(Env::Default(), dir + "/final/weights"), reference(Env::Default(), reference_dir + "/final/weights");
  int identical = 0, total = 0;
  for (const auto& key : reference.keys()) {
    if (key == "_CHECKPOINTABLE_OBJECT_GRAPH") continue;
    ++total;
    identical += resumed.contains(key) && equal_bytes(resumed.read(key), reference.read(key));
  }
  std::printf("Final weights and optimizer state of the interrupted run: %d of %d tensors bit-identical to the "
              "uninterrupted run%s\n",
              identical, total, identical == total ? "" : "  <-- MISMATCH");

  std::printf("\n== 4. The saved model file is loaded without the code that built it, and predicts\n");
  std::shared_ptr<Model> model = load_model(dir + "/final/model.keras");
  TrainTestData data = load_fashion_mnist();
  Tensor x_test = images_to_inputs(data.test.x);
  Logs result = model->evaluate(x_test, data.test.y, {.batch_size = 256});
  std::printf("Loaded %s/final/model.keras: test accuracy %.2f%%\n", dir.c_str(), 100 * result.at("accuracy"));
  Tensor probabilities = model->predict(ops::slice_rows(x_test, 0, 8));
  Tensor predicted = ops::argmax(probabilities);
  for (int64_t i = 0; i < 8; ++i) {
    const int64_t p = predicted.data<int64_t>()[i], t = static_cast<int64_t>(data.test.y.get({i}));
    std::printf("  test image %ld: %-11s (%.1f%%)  true: %-11s %s\n", static_cast<long>(i), kClassNames[p],
                100 * probabilities.get({i, p}), kClassNames[t], p == t ? "" : "x");
  }

  std::printf("\n== 5. The run's report\n");
  RunReport report("demo: Fashion-MNIST, killed and resumed");
  report.add_tensorboard_logs(dir + "/logs");
  report.add_checkpoints(dir + "/checkpoints");
  report.add_test_results(*model, x_test, data.test.y);
  report.set_missing(ReportSection::Filters,
                     "The demo's model is dense: no convolution filters. cnn_early_stopping's report shows the first "
                     "convolution layer's filters before training, after re-initialization and after the restore.");
  report.set_model_summary(*model);
  report.write(dir + "/report.html");
  for (const std::string& warning : report.warnings()) std::printf("warning: %s\n", warning.c_str());
  std::printf("Wrote %s/report.html: curves, checkpoints, confusion matrix and misclassified test images\n",
              dir.c_str());
  return identical == total ? 0 : 1;
}
