// A ResNet-style CNN with BatchNormalization on Fashion-MNIST (the Debian package dataset-fashion-mnist):
// killed with SIGKILL in the middle of training, resumed to weights bit-identical to an uninterrupted
// run (moving statistics included), saved as .keras and loaded back to predict. The pixels are scaled by
// a Normalization layer adapted to the training images (its mean and variance are saved as Keras 3
// saves them), and Keras 3 loads the .keras file without any code of ours
// (tests/conformance/check_examples.sh):
//
//   Normalization -> Conv2D 16 -> BN -> ReLU -> [residual block 16] -> MaxPooling2D ->
//   [residual block 32, 1x1 projection] -> GlobalAveragePooling2D -> Dense(10, softmax)
//   residual block: x -> Conv2D -> BN -> ReLU -> Conv2D -> BN -> Add(shortcut) -> ReLU
//
//   build/examples/fashion_resnet [--long] [--dir DIR] [--keras-case DIR]
//
// Short by default (2048 images, 2 epochs); --long trains on all 60000 for 5 epochs. --tiny (for the
// tests) is smaller still. --keras-case DIR also writes the case that check_cairn_files.py reads.
#include <cstdio>
#include <cstring>
#include <string>

#include "cairn/cairn.h"
#include "kill_and_resume.h"

using namespace cairn;

namespace {

const char* kClassNames[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                             "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct Sizes {
  int64_t samples;
  int epochs;
  int64_t batch_size, backup_every;  // batches
};
constexpr Sizes kTiny{64, 3, 16, 2};
constexpr Sizes kShort{2048, 2, 64, 8};
constexpr Sizes kLong{60000, 5, 64, 100};

// Images (n, 28, 28) of bytes as (n, 28, 28, 1) float32 pixel values 0..255 (the model normalizes them).
Tensor images(const Tensor& bytes, int64_t n) {
  return ops::slice_rows(bytes, 0, std::min(n, bytes.dim(0))).to(DType::Float32).reshape({std::min(n, bytes.dim(0)), 28, 28, 1});
}

SymbolicTensor conv_bn(SymbolicTensor x, int64_t filters, int kernel) {
  x = (*make_conv2d(filters, {kernel, kernel}, {.padding = "same", .use_bias = false}))(x);
  // Momentum 0.9 rather than Keras's 0.99: the moving statistics settle within the short run's few steps.
  return (*make_batch_normalization({.momentum = 0.9}))(x);
}

SymbolicTensor residual_block(SymbolicTensor x, int64_t filters) {
  SymbolicTensor shortcut = x.shape().back() == filters ? x : conv_bn(x, filters, 1);
  SymbolicTensor y = (*std::make_shared<ReLU>())(conv_bn(x, filters, 3));
  y = conv_bn(y, filters, 3);
  return (*std::make_shared<ReLU>())((*std::make_shared<Add>())(std::vector<SymbolicTensor>{shortcut, y}));
}

std::shared_ptr<Model> resnet(const Tensor& train_images) {
  set_random_seed(2026);  // every run builds the same initial weights
  auto normalize = make_normalization({.axis = {}});  // one mean and variance for all pixels
  normalize->adapt(train_images);
  SymbolicTensor image = Input({28, 28, 1}, "image");
  SymbolicTensor x = (*std::make_shared<ReLU>())(conv_bn((*normalize)(image), 16, 3));
  x = (*make_max_pooling2d())(residual_block(x, 16));
  x = residual_block(x, 32);
  SymbolicTensor pooled = (*std::make_shared<GlobalAveragePooling2D>())(x);
  auto model = std::make_shared<Functional>(image, (*make_dense(10, {.activation = "softmax"}))(pooled));
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  return model;
}

// The training job: with BackupAndRestore, it resumes where a killed run left off.
int train(const Sizes& s, const std::string& dir) {
  const TrainTestData data = load_fashion_mnist();
  const Tensor x = images(data.train.x, s.samples);
  const Tensor y = ops::slice_rows(data.train.y, 0, x.dim(0));
  std::shared_ptr<Model> model = resnet(x);
  auto backup = std::make_shared<BackupAndRestore>(dir + "/backup", BackupAndRestoreOptions{.save_freq = s.backup_every});
  model->fit(x, y, {.batch_size = s.batch_size, .epochs = s.epochs, .verbose = 2, .callbacks = {backup}, .seed = 1});
  model->save_weights(dir + "/final/weights");
  save_model(*model, dir + "/final/model.keras");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<examples::ExampleArgs> args = examples::parse_example_args(argc, argv, "fashion_resnet");
  if (!args) return 2;
  const Sizes sizes = args->size == "--long" ? kLong : args->size == "--tiny" ? kTiny : kShort;
  if (!args->job_dir.empty()) return train(sizes, args->job_dir);
  const std::string& dir = args->dir;

  std::filesystem::remove_all(dir);
  std::printf("== A ResNet-style CNN on %ld Fashion-MNIST images; killed after its second backup\n",
              static_cast<long>(sizes.samples));
  const std::optional<bool> exact = examples::resume_is_exact(*args, "Weights, moving statistics and optimizer state");
  if (!exact) return 1;

  const TrainTestData data = load_fashion_mnist();
  const Tensor x_test = images(data.test.x, 1000);
  std::shared_ptr<Model> loaded = load_model(dir + "/run/final/model.keras");
  const Logs result = loaded->evaluate(x_test, ops::slice_rows(data.test.y, 0, x_test.dim(0)), {.batch_size = 100});
  std::printf("Loaded %s/run/final/model.keras (no model code): accuracy %.3f on 1000 test images\n", dir.c_str(),
              static_cast<double>(result.at("accuracy")));
  const Tensor predicted = ops::argmax(loaded->predict(ops::slice_rows(x_test, 0, 4)));
  for (int64_t i = 0; i < 4; ++i)
    std::printf("  test image %ld: %s (true: %s)\n", static_cast<long>(i), kClassNames[predicted.data<int64_t>()[i]],
                kClassNames[static_cast<int64_t>(data.test.y.get({i}))]);
  if (!args->keras_case.empty())
    examples::write_keras_case(args->keras_case, "example-fashion_resnet", dir + "/run/final/model.keras", ops::slice_rows(x_test, 0, 32));
  return *exact ? 0 : 1;
}
